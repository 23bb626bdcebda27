"""Workers: engine functions on the global pool, progress, failure as data, cancel inside the work loop."""

import geopandas as gpd
import pytest
from pyproj import CRS, Transformer

from gisplanner.errors import InputError
from gisplanner.ui.workers import Worker, running_workers


def count_to(n, *, progress, pause=None):
    """A toy engine function honouring the progress contract."""
    total = 0
    for i in range(n):
        total += i
        if pause is not None:
            pause.wait(0.01)
        progress.update(i + 1, n, f"step {i + 1}")
    return total


def test_finished_carries_the_result_and_progress_reaches_the_total(qtbot):
    worker = Worker(count_to, 10, title="toy")
    seen = []
    worker.signals.progressed.connect(lambda done, total, msg: seen.append((done, total, msg)))
    with qtbot.waitSignal(worker.signals.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == [sum(range(10))]
    qtbot.waitUntil(lambda: len(seen) == 10)
    assert seen[-1] == (10, 10, "step 10")
    assert running_workers() == []


def test_failure_is_emitted_as_the_exception(qtbot):
    def bad(*, progress):
        raise InputError("no communities", layer="communities", fix="import them")

    worker = Worker(bad)
    with qtbot.waitSignal(worker.signals.failed, timeout=5000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], InputError) and blocker.args[0].fix == "import them"


def test_cancel_stops_the_work_loop_midway(qtbot):
    import threading

    pause = threading.Event()
    worker = Worker(count_to, 100_000, pause=pause)
    progressed = []
    worker.signals.progressed.connect(lambda done, total, msg: progressed.append(done))
    worker.signals.finished.connect(lambda result: pytest.fail("a cancelled worker must not finish"))
    with qtbot.waitSignal(worker.signals.cancelled, timeout=10_000):
        worker.start()
        qtbot.waitUntil(lambda: len(progressed) >= 3, timeout=5000)
        worker.cancel()
    assert 3 <= max(progressed) < 100_000


def test_reprojection_in_successive_workers(qtbot):
    # pyproj frees a pool thread's PROJ context with its Python thread state; the second run used to crash.
    reference = Transformer.from_crs(32652, 4326, always_xy=True).transform(500_000.0, 5_000_000.0)
    crs = CRS.from_epsg(32652)

    def lonlat(*, progress):
        point = gpd.GeoSeries.from_xy([500_000.0], [5_000_000.0], crs=crs).to_crs(4326)
        return float(point.x[0]), float(point.y[0])

    for _ in range(3):
        worker = Worker(lonlat)
        with qtbot.waitSignal(worker.signals.finished, timeout=5000) as blocker:
            worker.start()
        assert blocker.args[0] == pytest.approx(reference, abs=1e-9)
