"""Batch runs on dask.distributed: cost with the number of cities and workers, with city size, and central
Harbin tiled vs whole. Prints Markdown tables for bench/README.md.

    .venv/bin/python bench/bench_batch.py [--sizes 1,4,16,100] [--cities 1,2,4] [--skip-harbin]
        [--harbin-spacing 6 --harbin-step 5]

``--cities ""`` or ``--sizes ""`` leaves that part out. Every row carries the 1-minute load average of the
machine when it finished (the machine is shared: figures move with the load).

Synthetic cities come from the demo builder (``towns`` copies of the 40-community town, seeds 0, 1, ...).
Each city runs the whole batch pipeline (import from its project file, districts twice, life circle, sunlight,
two placement checks, plan package as GeoPackage + CSV). Peak memory is each worker process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import REFDATA

from gisplanner import batch
from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project

OPTIONS = batch.BatchOptions(seed=0, formats=("gpkg", "csv"))


def make_cities(folder: Path, n: int, towns: tuple[int, int]) -> list[batch.CityJob]:
    jobs = []
    for i in range(n):
        path = folder / f"c{towns[0]}x{towns[1]}_{i}.gpkg"
        if not path.exists():
            build_demo_project(seed=i, towns=towns, origin_lonlat=(126.2 + 0.5 * (i % 8), 45.2 + 0.3 * (i // 8)),
                               name=f"合成城市{i + 1}").save(path)
        jobs.append(batch.CityJob(f"c{i}", f"合成城市{i + 1}", project=str(path), placements=DEMO_PLACEMENTS[:2]))
    return jobs


def run(jobs: list[batch.CityJob], workers: int, out: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        start = time.perf_counter()
        report = batch.run_batch(jobs, out, options=OPTIONS, client=client, force=True)
        wall = time.perf_counter() - start
    failed = report.by_state("failed")
    if failed:
        raise SystemExit(f"{failed[0].name}: {failed[0].message}")
    per_worker: dict[str, float] = {}
    for city in report.cities:
        per_worker[city.worker] = max(per_worker.get(city.worker, 0.0), city.peak_rss_mb or 0.0)
    return {"wall_s": wall, "city_s": sum(c.seconds for c in report.cities) / len(report.cities),
            "peak_rss_mb": max(per_worker.values()), "workers_used": len(per_worker)}


def stage_times(towns: tuple[int, int], folder: Path) -> dict[str, float]:
    """One city in this process, stage by stage (the batch task's steps)."""
    import resource

    from gisplanner import workflow
    from gisplanner.export.package import export_plan_package
    from gisplanner.project import Project

    path = make_cities(folder, 1, towns)[0].project
    out: dict[str, float] = {}
    t = time.perf_counter()
    project = Project.load(path)
    out["load"] = time.perf_counter() - t
    out["communities"] = len(project.layer("communities"))
    out["buildings"] = len(project.layer("buildings"))
    for name, step in [("districts", lambda: workflow.run(project, "districts")),
                       ("life_circle", lambda: workflow.run(project, "lifecircle")),
                       ("districts_again", lambda: workflow.run(project, "districts")),
                       ("sunlight", lambda: workflow.run(project, "sunlight")),
                       ("placements", lambda: [workflow.run(project, "placement", **k) for k in DEMO_PLACEMENTS[:2]]),
                       ("save", lambda: project.save(folder / "stage_out.gpkg")),
                       ("export", lambda: export_plan_package(project, folder / "stage_plan",
                                                              formats=list(OPTIONS.formats)))]:
        t = time.perf_counter()
        step()
        out[name] = time.perf_counter() - t
    out["total"] = sum(v for k, v in out.items() if k not in ("communities", "buildings"))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def harbin_tiles() -> list[tuple]:
    from distributed import Client, LocalCluster

    from gisplanner import workflow
    from gisplanner.analysis.lifecircle import (
        life_circle_gaps,
        prepare_life_circle,
        requirements_from_standards,
    )
    from gisplanner.analysis.network import build_walk_graph
    from gisplanner.io.importer import import_layers
    from gisplanner.project import Project

    project = Project()
    import_layers(project, [REFDATA / "harbin_central_osm" / "harbin_central_osm.gpkg"], city="harbin")
    standards = project.standards()
    settings = standards.settings

    def whole_lc():
        graph = build_walk_graph(project.layer("walk_network"), walkable_highways=settings.walkable_highways,
                                 min_component_nodes=settings.small_component_nodes)
        network = prepare_life_circle(graph, project.layer("communities"), project.layer("facilities"),
                                      standards.category_map, access_snap_m=settings.access_snap_m)
        return life_circle_gaps(network, project.layer("communities"), requirements_from_standards(standards),
                                search_limit_m=settings.search_limit_m)

    rows = []
    t = time.perf_counter()
    whole = whole_lc()
    lc_whole = time.perf_counter() - t
    t = time.perf_counter()
    sun_whole = workflow.run(project, "sunlight").points
    sun_whole_s = time.perf_counter() - t
    for label, workers in (("sequential tiles", 0), ("tiles on 2 workers", 2)):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0") if workers else None
        client = Client(cluster) if cluster else None
        try:
            t = time.perf_counter()
            tiled, _ = batch.tiled_life_circle(project, tile_m=3000.0, client=client)
            lc_tiled = time.perf_counter() - t
            t = time.perf_counter()
            sun_tiled = batch.tiled_sunlight(project, tile_m=1500.0, client=client)
            sun_tiled_s = time.perf_counter() - t
        finally:
            if client:
                client.close()
                cluster.close()
        same_lc = tiled.gaps.drop(columns="geometry").equals(whole.gaps.drop(columns="geometry"))
        same_sun = sun_tiled.drop(columns="geometry").equals(sun_whole.drop(columns="geometry"))
        rows.append((label, lc_whole, lc_tiled, sun_whole_s, sun_tiled_s, same_lc, same_sun,
                     len(project.layer("communities")), len(sun_whole)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cities", default="1,2,4", help="numbers of 40-community cities")
    parser.add_argument("--sizes", default="1,4,16,100", help="towns per city (40 communities each), square-ish")
    parser.add_argument("--skip-harbin", action="store_true")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| cities | workers | wall s | mean s per city | peak RSS per worker MB | load |")
        print("|---:|---:|---:|---:|---:|---:|")
        rows = []
        for n in (int(v) for v in args.cities.split(",") if v):
            jobs = make_cities(folder, n, (1, 1))
            for workers in (1, 2):
                r = run(jobs, workers, folder / f"out_{n}_{workers}")
                rows.append({"cities": n, "workers": workers, **r, "load": os.getloadavg()[0]})
                print(f"| {n} | {workers} | {r['wall_s']:.1f} | {r['city_s']:.1f} | {r['peak_rss_mb']:.0f} | "
                      f"{os.getloadavg()[0]:.1f} |", flush=True)
        figures["cities"] = rows
        print()
        print("| communities | buildings | load | districts ×2 | life circle | sunlight | placements | save | "
              "export | total s | peak RSS MB | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        sizes = []
        for n in (int(v) for v in args.sizes.split(",") if v):
            side = int(math.isqrt(n))
            towns = (side, n // side)
            s = stage_times(towns, folder)
            sizes.append(s)
            print(f"| {s['communities']:.0f} | {s['buildings']:.0f} | {s['load']:.1f} | "
                  f"{s['districts'] + s['districts_again']:.1f} | {s['life_circle']:.1f} | {s['sunlight']:.1f} | "
                  f"{s['placements']:.1f} | {s['save']:.1f} | {s['export']:.1f} | {s['total']:.1f} | "
                  f"{s['peak_rss_mb']:.0f} | {os.getloadavg()[0]:.1f} |", flush=True)
        figures["sizes"] = sizes
    if not args.skip_harbin:
        print()
        print("| central Harbin | life circle whole s | tiled s | sunlight whole s | tiled s | gaps equal | "
              "sills equal |")
        print("|---|---:|---:|---:|---:|---|---|")
        rows = harbin_tiles()
        for label, lw, lt, sw, st, same_lc, same_sun, n_comm, n_sills in rows:
            print(f"| {label} ({n_comm} communities, {n_sills} sills) | {lw:.1f} | {lt:.1f} | {sw:.1f} | {st:.1f} | "
                  f"{same_lc} | {same_sun} |", flush=True)
        figures["harbin"] = rows
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
