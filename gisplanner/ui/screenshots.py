"""Screenshots of the main views, taken from the real window: ``python -m gisplanner.ui.screenshots [OUT_DIR]``.

Opens the bundled demo offscreen, runs each analysis as a planner would, and saves ``QWidget.grab()`` images
(default ``docs/screenshots/``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def _wait(app, window, timeout_s: float = 300.0) -> None:
    end = time.monotonic() + timeout_s
    while window.worker is not None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def _only(window, visible: set[str]) -> None:
    """Show the role layers and just the named results."""
    for name in window.store.names:
        layer = window.store.layer(name)
        window.store.set_visible(name, layer.kind == "role" or name in visible)


def take(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication

    from gisplanner.ui.app import demo_path, set_up_chinese
    from gisplanner.ui.dialogs import StandardsDialog
    from gisplanner.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["gisplanner"])
    set_up_chinese(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.ask = lambda title, text: False
    window.resize(1600, 1000)
    window.show()
    window.open_path(demo_path())
    app.processEvents()
    shots = []

    def shot(name: str, widget=None) -> None:
        app.processEvents()
        path = out_dir / f"{name}.png"
        (widget or window).grab().save(str(path))
        shots.append(path)

    window.run_analysis("districts")
    _wait(app, window)
    _only(window, {"districts"})
    window.store.set_opacity("districts", 0.6)
    window.store.set_active("districts")
    window.tabs.setCurrentWidget(window.districts)
    shot("districts")

    window.run_analysis("lifecircle")
    _wait(app, window)
    _only(window, {"gaps"})
    window.store.set_opacity("gaps", 0.55)
    window.store.set_active("gaps")
    level = window.coverage.level.findData("lc10")
    window.coverage.level.setCurrentIndex(max(level, 0))
    window.tabs.setCurrentWidget(window.coverage)
    shot("lifecircle")

    window.run_analysis("sunlight")
    _wait(app, window)
    _only(window, {"sill_points"})
    window.store.set_active("sill_points")
    window.layers_panel.item("sill_points").setExpanded(True)
    window.tabs.setCurrentWidget(window.districts)
    app.processEvents()
    communities = window.store.layer("communities").frame
    window.canvas.zoom_to(tuple(communities.iloc[[0]].total_bounds), margin=0.4)
    shot("sunlight")

    window.store.set_active("boiler_rooms")
    window.store.select("boiler_rooms", [0])
    window.placement.use_selection()
    window.placement.floors.setValue(3)
    window.check_placement(window.placement.request())
    _wait(app, window)
    _only(window, {"placement", "placement_shadow", "sunlight_impact"})
    window.tabs.setCurrentWidget(window.placement)
    bounds = window.store.layer("placement").frame.total_bounds
    window.canvas.zoom_to(tuple(bounds), margin=2.5)
    shot("placement")

    window.canvas.zoom_to_all()
    dialog = StandardsDialog(window.store.project, window)
    dialog.resize(1200, 700)
    dialog.search.setText("生活圈")
    dialog.show()
    shot("standards", dialog)
    dialog.close()
    window.store.set_modified(False)
    window.close()
    return shots


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    for p in take(target):
        print(p)
