"""Benchmark: size, time and peak memory of the whole central-Harbin plan package, with sunlight.

Setup (not measured, cached in the system temp folder between runs): central Harbin imported, synthetic
construction years (as the acceptance tests), life circles, districts and the sunlight of every residential
building's ground-floor sills run and saved as one project.

Measured: ``gisplanner export P --out DIR`` in a fresh process (the way a planner runs it), its wall time, its
peak resident memory (``ru_maxrss`` of the child) and the size of every file it writes. Targets (issue:
exports that scale): the whole export under 2 GB peak memory, the web map under 20 MB.

Run: ``.venv/bin/python bench/bench_export_scale.py [--fresh] [--formats gpkg,pdf,png,html,csv,xlsx]``;
needs ../shared.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import HARBIN

CACHE = Path(tempfile.gettempdir()) / "gisplanner_bench" / "harbin_central_sunlight.gpkg"
MB = 1024 * 1024


def build_project(path: Path) -> None:
    from bench_export import harbin_project

    from gisplanner import workflow

    start = time.perf_counter()
    project = harbin_project()
    run = workflow.run(project, "sunlight")
    project.save(path)
    print(f"setup {time.perf_counter() - start:.0f} s: {len(run.points):,} sills, saved to {path} "
          f"({path.stat().st_size / MB:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached project")
    parser.add_argument("--formats", default=None, help="export formats (default: the package's default)")
    args = parser.parse_args()
    if not HARBIN.exists():
        sys.exit(f"reference data not found: {HARBIN}")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh or not CACHE.exists():
        build_project(CACHE)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "package"
        command = [sys.executable, "-m", "gisplanner.cli", "export", str(CACHE), "--out", str(out)]
        if args.formats:
            command += ["--formats", args.formats]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
        if done.returncode != 0:
            sys.exit(f"export failed ({done.returncode}): {done.stderr.strip()}")
        files = sorted(p for p in out.rglob("*") if p.is_file())
        total = sum(p.stat().st_size for p in files)
        print(f"export: {wall:.1f} s wall, peak RSS {peak_mb:,.0f} MB, {len(files)} files, {total / MB:.1f} MB")
        for p in sorted(files, key=lambda p: -p.stat().st_size)[:12]:
            print(f"  {p.relative_to(out)}: {p.stat().st_size / MB:.2f} MB")
        web = out / "webmap.html"
        if web.exists():
            ok = "met" if web.stat().st_size < 20 * MB else "NOT met"
            print(f"web map {web.stat().st_size / MB:.1f} MB (< 20 MB: {ok}); "
                  f"peak {peak_mb / 1024:.2f} GB (< 2 GB: {'met' if peak_mb < 2048 else 'NOT met'})")


if __name__ == "__main__":
    main()
