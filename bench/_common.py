"""Shared by the benchmarks (run as scripts: ``python bench/bench_<name>.py``)."""

import statistics
import time
from pathlib import Path

REFDATA = Path(__file__).resolve().parents[2] / "shared" / "refdata"
HARBIN = REFDATA / "harbin_central_osm" / "harbin_central_osm.gpkg"


def timed(fn, repeat):
    """Median wall time (s) of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
