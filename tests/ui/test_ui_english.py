"""No English in what the desktop app shows in its main workflows: the main window after each analysis and a
placement check, the attribute table of every layer, the status bar, the standards, export, import and error
dialogs; units, standards, formats and names are allowed (tests/english.py)."""

import time

import pytest
from english import offending, widget_strings
from PyQt6.QtWidgets import QApplication

from gisplanner.errors import InputError
from gisplanner.ui.app import set_up_chinese
from gisplanner.ui.dialogs import ErrorDialog, ExportDialog, IdentifyDialog, ImportWizard, StandardsDialog
from gisplanner.ui.main_window import MainWindow

pytestmark = pytest.mark.slow


def _wait(window, timeout_s=300.0):
    end = time.monotonic() + timeout_s
    while window.worker is not None and time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    QApplication.processEvents()
    assert window.worker is None and window.last_error is None


@pytest.fixture(scope="module")
def shown(qapp, tmp_path_factory):
    """Every string the window showed while a planner worked through the demo, by where it appeared."""
    import shutil

    from PyQt6.QtCore import QSettings

    from gisplanner.ui.app import demo_path

    set_up_chinese(qapp)
    folder = tmp_path_factory.mktemp("ui")
    shutil.copy(demo_path(), folder / "demo.gpkg")
    window = MainWindow(settings=QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    window.ask = lambda title, text: True
    window.resize(1400, 900)
    window.show()
    status = []
    window.statusBar().messageChanged.connect(lambda text: status.append(("status bar", text)))
    assert window.open_path(folder / "demo.gpkg")
    seen = {"status": status, "tables": []}
    for key in ("districts", "lifecircle", "sunlight"):
        window.run_analysis(key)
        _wait(window)
    window.store.set_active("boiler_rooms")
    window.store.select("boiler_rooms", [0])
    window.placement.use_selection()
    window.placement.floors.setValue(3)
    window.check_placement(window.placement.request())
    _wait(window)
    for name in list(window.store.names):
        window.store.set_active(name)
        QApplication.processEvents()
        seen["tables"] += list(widget_strings(window.table))
    seen["window"] = list(widget_strings(window))
    dialogs = {"standards": StandardsDialog(window.store.project, window),
               "export": ExportDialog(window.store.project.results["districts"]["district_id"].tolist(), window),
               "import": ImportWizard(window),
               "error": ErrorDialog(InputError("未选择站点", layer="boiler_rooms", fix="选中一个要素"), window),
               "identify": IdentifyDialog({"districts": window.store.layer("districts").frame.iloc[:2]}, window)}
    for key, dialog in dialogs.items():  # children of the window: deleted with it
        seen[key] = list(widget_strings(dialog))
    yield seen
    window.store.set_modified(False)
    window.close()


def test_the_scan_sees_the_window(shown):
    texts = {text for _, text in shown["window"]}
    assert {"文件(&F)", "分析(&A)", "属性表"} <= texts
    assert any("片区" in text for _, text in shown["tables"])


def test_main_window_after_the_analyses_has_no_english(shown):
    assert offending(shown["window"]) == {}


def test_attribute_tables_of_every_layer_have_no_english(shown):
    assert offending(shown["tables"]) == {}


def test_status_and_progress_messages_have_no_english(shown):
    assert shown["status"], "no status message was seen"
    assert offending(shown["status"]) == {}


@pytest.mark.parametrize("dialog", ["standards", "export", "import", "error", "identify"])
def test_dialogs_have_no_english(shown, dialog):
    assert offending(shown[dialog]) == {}
