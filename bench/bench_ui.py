"""Desktop app benchmarks: demo start-up, map redraw of 16k real building polygons, UI latency during an analysis.

Run: ``.venv/bin/python bench/bench_ui.py`` (offscreen). Needs ../shared/refdata for the redraw benchmark.
Peers measured in the same run: geopandas/matplotlib for the redraw, and the same analysis run on the UI
thread for the latency.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
HARBIN = ROOT.parent / "shared" / "refdata" / "harbin_central_osm" / "harbin_central_osm.gpkg"
STARTUP = """
import time, sys
t0 = time.perf_counter()
from PyQt6.QtWidgets import QApplication
from PyQt6.QtCore import QSettings
app = QApplication(["bench"])
from gisplanner.ui.main_window import MainWindow
from gisplanner.ui.app import demo_path
w = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
w.show()
w.open_path(demo_path())
app.processEvents()
w.grab()
print(time.perf_counter() - t0)
"""


def bench_startup(runs: int = 3) -> list[float]:
    """Seconds from interpreter start of the script to the demo drawn in the main window (imports included)."""
    times = []
    for i in range(runs):
        out = subprocess.run([sys.executable, "-c", STARTUP, f"/tmp/bench_ui_settings_{os.getpid()}_{i}.ini"],
                             capture_output=True, text=True, check=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times


def bench_redraw(steps: int = 20) -> dict[str, list[float]]:
    """Milliseconds per full redraw of the central Harbin buildings after a pan or zoom, ours vs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pyogrio
    from PyQt6.QtGui import QImage, QPainter
    from PyQt6.QtWidgets import QApplication

    from gisplanner.ui.canvas import MapCanvas
    from gisplanner.ui.layer_store import LayerStore

    app = QApplication.instance() or QApplication(["bench"])
    buildings = pyogrio.read_dataframe(HARBIN, layer="buildings").to_crs(32652)
    store = LayerStore()
    canvas = MapCanvas(store)
    canvas.resize(1200, 800)
    canvas.show()
    t = time.perf_counter()
    store.set_frame("buildings", buildings, kind="role")
    build_ms = (time.perf_counter() - t) * 1000
    canvas.zoom_to_all()
    app.processEvents()
    image = QImage(1200, 800, QImage.Format.Format_ARGB32_Premultiplied)
    ours = []
    for i in range(steps):
        if i % 2:
            canvas.view.translateBy((150.0, -80.0))
        else:
            canvas.view.scaleBy((0.85, 0.85) if i % 4 else (1.15, 1.15))
        t = time.perf_counter()
        painter = QPainter(image)
        canvas.render(painter)
        painter.end()
        ours.append((time.perf_counter() - t) * 1000)

    fig, ax = plt.subplots(figsize=(12, 8), dpi=100)
    buildings.plot(ax=ax, facecolor="#b9b3ab", edgecolor="#7d766d", linewidth=0.5)
    ax.set_aspect("equal")
    fig.canvas.draw()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    peer = []
    for i in range(steps):
        shift = (x1 - x0) * 0.02 * (i + 1)
        ax.set_xlim(x0 + shift, x1 + shift)
        ax.set_ylim(y0, y1)
        t = time.perf_counter()
        fig.canvas.draw()
        peer.append((time.perf_counter() - t) * 1000)
    plt.close(fig)
    return {"build_ms": [build_ms], "pyqtgraph_canvas_ms": ours, "matplotlib_ms": peer,
            "n_polygons": [len(buildings)]}


def bench_latency() -> dict[str, float]:
    """Event-loop latency (ms) of a 10 ms timer while the demo's sunlight analysis runs in a worker.

    The peer figure is the same analysis run on the UI thread, as a naive app would: the loop is blocked for
    the whole run.
    """
    from PyQt6.QtCore import QElapsedTimer, QTimer
    from PyQt6.QtWidgets import QApplication

    from gisplanner import workflow
    from gisplanner.project import Project
    from gisplanner.ui.app import demo_path
    from gisplanner.ui.workers import Worker, running_workers

    app = QApplication.instance() or QApplication(["bench"])
    project = Project.load(demo_path())
    options = {"all_floors": True}
    late: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        late.append(max(clock.restart() - 10, 0))

    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    t = time.perf_counter()
    Worker(workflow.run, project, "sunlight", **options).start()
    while running_workers():
        app.processEvents()
        time.sleep(0.001)
    worker_s = time.perf_counter() - t
    timer.stop()
    t = time.perf_counter()
    workflow.run(project, "sunlight", **options)
    blocking_ms = (time.perf_counter() - t) * 1000
    late.sort()
    return {"analysis_s": worker_s, "ticks": len(late), "median_ms": statistics.median(late),
            "p99_ms": late[int(0.99 * (len(late) - 1))], "max_ms": late[-1], "on_ui_thread_ms": blocking_ms}


def main() -> None:
    startup = bench_startup()
    print(f"demo opens (process start to drawn window): median {statistics.median(startup):.2f} s "
          f"of {', '.join(f'{s:.2f}' for s in startup)}; target < 3 s")
    if HARBIN.exists():
        redraw = bench_redraw()
        print(f"redraw {redraw['n_polygons'][0]} Harbin building polygons after pan/zoom: "
              f"pyqtgraph canvas median {statistics.median(redraw['pyqtgraph_canvas_ms']):.1f} ms "
              f"(max {max(redraw['pyqtgraph_canvas_ms']):.1f}); matplotlib/geopandas median "
              f"{statistics.median(redraw['matplotlib_ms']):.1f} ms; target < 50 ms; "
              f"layer build {redraw['build_ms'][0]:.0f} ms")
    else:
        print(f"redraw: skipped, {HARBIN} is absent")
    latency = bench_latency()
    print(f"event-loop latency while sunlight (all floors, {latency['analysis_s']:.1f} s) runs in a worker: "
          f"median {latency['median_ms']:.0f} ms, p99 {latency['p99_ms']:.0f} ms, max {latency['max_ms']:.0f} ms "
          f"over {latency['ticks']} ticks; same analysis on the UI thread blocks {latency['on_ui_thread_ms']:.0f} ms; "
          f"target < 100 ms")


if __name__ == "__main__":
    main()
