"""The app never ends on an error: start-up, opening, saving and workers show a message and the window stays."""

import errno
import json
import sqlite3

import pytest

from gisplanner.ui.app import start
from gisplanner.ui.dialogs import ErrorDialog, error_text


@pytest.fixture
def corrupt_file(demo_file):
    with sqlite3.connect(demo_file) as db:
        db.execute("UPDATE gisplanner_meta SET value = ? WHERE key = 'crs'", (json.dumps("EPSG:999999"),))
    return demo_file


def test_start_up_on_a_corrupt_project_shows_a_message_and_keeps_running(qtbot, corrupt_file, settings, tmp_path):
    window = start([str(corrupt_file)], settings=settings)
    qtbot.addWidget(window)
    assert window.isVisible()
    dialog = window.last_error
    assert isinstance(dialog, ErrorDialog)
    assert "demo.gpkg" in dialog.details and "crs" in dialog.details and "怎么办" in dialog.details
    dialog.grab().save(str(tmp_path / "error_dialog.png"))
    assert (tmp_path / "error_dialog.png").stat().st_size > 0
    assert window.open_path(str(corrupt_file).replace("demo", "absent")) is False  # still answers


def test_start_up_without_a_readable_demo_shows_a_message(qtbot, settings, monkeypatch):
    def no_demo():
        raise PermissionError(errno.EACCES, "Permission denied", "/usr/share/gisplanner/demo.gpkg")

    monkeypatch.setattr("gisplanner.ui.app.demo_path", no_demo)
    window = start([], settings=settings)
    qtbot.addWidget(window)
    assert window.isVisible() and "没有读写权限" in window.last_error.details
    assert "/usr/share/gisplanner/demo.gpkg" in window.last_error.details


def test_a_damaged_file_opened_later_is_reported(qtbot, demo_file, settings, tmp_path):
    window = start([str(demo_file)], settings=settings)
    qtbot.addWidget(window)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage" * 10)
    assert window.open_path(broken) is False
    assert "broken.gpkg" in window.last_error.details
    assert window.store.project is not None and window.store.project.path == demo_file.resolve()


def test_a_failed_save_keeps_the_project_in_memory(qtbot, demo_file, settings, monkeypatch):
    window = start([str(demo_file)], settings=settings)
    qtbot.addWidget(window)
    demo_file.chmod(0o444)
    window.store.set_modified(True)
    assert window.save() is False
    assert "只读" in window.last_error.details and window.store.modified
    window.ask = lambda title, text: True  # closing at teardown discards the test's edits without a dialog


@pytest.mark.parametrize("exc, words", [
    (OSError(errno.ENOSPC, "No space left on device", "/x/out.gpkg"), "磁盘已满"),
    (FloatingPointError("overflow"), "数值计算失败"),
    (KeyError("x"), "程序出错"),
])
def test_every_error_has_a_chinese_headline_and_a_fix(exc, words):
    title, details = error_text(exc)
    assert words in title + details and "怎么办" in details
