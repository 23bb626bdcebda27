"""Batch runs on dask.distributed: cost with the number of cities and workers, with city size, and central
Harbin tiled vs whole. Prints Markdown tables for bench/README.md.

    .venv/bin/python bench/bench_batch.py [--sizes 1,4,16,100] [--cities 1,2,4,8] [--city-towns 1,16,100]
        [--skip-harbin]
        [--harbin-spacing 6 --harbin-step 5] [--key-project CITY.gpkg]

``--cities ""`` or ``--sizes ""`` leaves that part out. Every row carries the 1-minute load average of the
machine when it finished (the machine is shared: figures move with the load).

Synthetic cities come from the demo builder (``towns`` copies of the 40-community town, seeds 0, 1, ...).
Each city runs the whole batch pipeline (import from its project file, districts twice, life circle, sunlight,
two placement checks, plan package as GeoPackage + CSV). Peak memory is each worker process's peak RSS. The
size rows also time the skip key of the finished city's project (results included): opened whole, as the key
once did, against the key now (layers and tables only) and a rerun's key (same file bytes: settings only).
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

from _common import HARBIN

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


def run(jobs: list[batch.CityJob], workers: int, out: Path,
        options: batch.BatchOptions = OPTIONS) -> tuple[dict[str, float], batch.BatchReport]:
    """The batch of ``jobs`` on a LocalCluster of ``workers``: wall time, mean time per city and the largest
    peak memory of a worker, and the report; SystemExit when a city fails."""
    from distributed import Client

    with batch.local_cluster(workers) as cluster, Client(cluster) as client:
        start = time.perf_counter()
        report = batch.run_batch(jobs, out, options=options, client=client, force=True)
        wall = time.perf_counter() - start
    failed = report.by_state("failed")
    if failed:
        raise SystemExit(f"{failed[0].name}: {failed[0].message}")
    per_worker: dict[str, float] = {}
    for city in report.cities:
        per_worker[city.worker] = max(per_worker.get(city.worker, 0.0), city.peak_rss_mb or 0.0)
    return {"wall_s": wall, "city_s": sum(c.seconds for c in report.cities) / len(report.cities),
            "peak_rss_mb": max(per_worker.values()), "workers_used": len(per_worker)}, report


def stage_times(towns: tuple[int, int], folder: Path) -> dict[str, float]:
    """One city in this process, stage by stage (the batch task's steps)."""
    from gisplanner import workflow
    from gisplanner.export.package import export_plan_package
    from gisplanner.project import Project

    path = make_cities(folder, 1, towns)[0].project
    batch.reset_peak_memory()
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
    out["peak_rss_mb"] = batch.peak_memory_mb()
    out.update(skip_key_times(folder / "stage_out.gpkg"))
    return out


def skip_key_times(project_path: Path) -> dict[str, float]:
    """The skip key of one city (a project file with results): computed from its layers and tables, and again
    for a rerun whose input files are byte for byte those of the last run record."""
    from gisplanner.project import Project

    job = batch.CityJob("k", "城市", project=str(project_path))
    t = time.perf_counter()
    Project.load(project_path)  # what the key read before it left the results out
    load_all = time.perf_counter() - t
    t = time.perf_counter()
    key = batch.city_key(job, OPTIONS)
    full = time.perf_counter() - t
    t = time.perf_counter()
    again = batch.city_key(job, OPTIONS, earlier={"key_parts": key.parts, "input_files": key.files,
                                                   "version": key.parts["version"]})
    rerun = time.perf_counter() - t
    assert again.fingerprint == key.fingerprint
    return {"file_mb": project_path.stat().st_size / 1e6, "load_all_s": load_all, "key_full_s": full,
            "key_rerun_s": rerun}


def real_city(folder: Path, formats: tuple[str, ...]) -> dict[str, float]:
    """Central Harbin as one batch city (synthetic built years as bench_export's, no placements) on a
    one-worker LocalCluster: the whole run_city (districts, life circle, sunlight at the standard 1 m / 1 min,
    save, plan package in ``formats``), its time and peak memory."""
    from bench_export import harbin_layers

    project = harbin_layers(name="哈尔滨市（中心城区）")
    project.save(folder / "harbin_central.gpkg")
    job = batch.CityJob("harbin", project.name, project=str(folder / "harbin_central.gpkg"))
    figures, report = run([job], 1, folder / "out_harbin", batch.BatchOptions(formats=formats))
    city = report.cities[0]
    files = [p for p in (folder / "out_harbin" / "harbin").rglob("*") if p.is_file()]
    return {"communities": len(project.layer("communities")), "buildings": len(project.layer("buildings")),
            **figures, "summary": city.summary, "files": len(files),
            "out_mb": sum(p.stat().st_size for p in files) / 1e6}


def _same(a, b) -> bool:
    """Two result frames equal (attributes to 1e-9 relative, geometry exactly)."""
    import pandas as pd

    plain = [pd.DataFrame(f.drop(columns="geometry", errors="ignore")).reset_index(drop=True) for f in (a, b)]
    try:
        pd.testing.assert_frame_equal(*plain, check_exact=False, rtol=1e-9)
    except AssertionError:
        return False
    return "geometry" not in a or bool(a.geometry.geom_equals(b.geometry).all())


def harbin_tiles(file: Path, spacing_m: float | None, step_min: float | None, tile_lc_m: float,
                 tile_sun_m: float, *, sunlight: bool = True, workers: tuple[int, ...] = (0, 2)) -> list[dict]:
    """A Harbin file: the whole life circle and sill sunlight in this process, then tiled (sequential for 0,
    else on a LocalCluster of that many workers), with whether the tiled results equal the whole ones."""
    from distributed import Client

    from gisplanner import workflow
    from gisplanner.io.importer import import_layers
    from gisplanner.project import Project
    from gisplanner.standards import Override

    project = Project()
    import_layers(project, [file], city="harbin")
    for path, value in (("sunlight.calculation.sample_spacing_m.value", spacing_m),
                        ("sunlight.calculation.time_step_min.value", step_min)):
        if value is not None:
            project.add_override(Override(path, value, who="bench", why="shorter sunlight run"))
    t = time.perf_counter()
    whole = workflow.run(project, "lifecircle")
    lc_whole = time.perf_counter() - t
    t = time.perf_counter()
    sun_whole = workflow.run(project, "sunlight").points if sunlight else None
    sun_whole_s = time.perf_counter() - t if sunlight else float("nan")
    rows = [{"label": "whole, one process", "life_circle_s": lc_whole, "sunlight_s": sun_whole_s,
             "load": os.getloadavg()[0]}]
    for n in workers:
        label = f"tiles on {n} workers" if n else "tiles, sequential"
        cluster = batch.local_cluster(n) if n else None
        client = Client(cluster) if cluster else None
        try:
            t = time.perf_counter()
            tiled = batch.tiled_life_circle(project, tile_m=tile_lc_m, client=client)
            lc_tiled = time.perf_counter() - t
            t = time.perf_counter()
            sun_tiled = batch.tiled_sunlight(project, tile_m=tile_sun_m, client=client) if sunlight else None
            sun_tiled_s = time.perf_counter() - t if sunlight else float("nan")
        finally:
            if client:
                client.close()
                cluster.close()
        areas_a, areas_b = whole["service_areas"], tiled["service_areas"]
        rows.append({
            "label": label, "life_circle_s": lc_tiled, "sunlight_s": sun_tiled_s, "load": os.getloadavg()[0],
            "lc_equal": all(_same(whole[k], tiled[k]) for k in whole if k != "service_areas"),
            "service_area_symdiff": float((areas_a.geometry.symmetric_difference(areas_b.geometry).area
                                           / areas_a.area).max()),
            "sun_equal": _same(sun_whole, sun_tiled) if sunlight else ""})
    info = {"communities": len(project.layer("communities")), "gaps": len(whole["gaps"]),
            "service_areas": len(whole["service_areas"]), "sills": len(sun_whole) if sunlight else 0}
    for row in rows:
        row.update(info)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cities", default="1,2,4,8", help="numbers of cities")
    parser.add_argument("--city-towns", default="1", help="towns per city (40 communities each) of the cities runs")
    parser.add_argument("--sizes", default="1,4,16,100", help="towns per city (40 communities each), square-ish")
    parser.add_argument("--skip-harbin", action="store_true")
    parser.add_argument("--harbin-file", type=Path, default=HARBIN,
                        help="Harbin layers (default: central Harbin; the Nangang 3 km focus file is beside it)")
    parser.add_argument("--harbin-skip-sunlight", action="store_true")
    parser.add_argument("--harbin-workers", default="0,2", help="tiled runs: 0 sequential, N on N workers")
    parser.add_argument("--harbin-spacing", type=float, help="sill spacing for central Harbin (m; standard: 1)")
    parser.add_argument("--harbin-step", type=float, help="sun time step for central Harbin (min; standard: 1)")
    parser.add_argument("--harbin-tile-m", type=float, default=3000.0, help="life-circle tile side (m)")
    parser.add_argument("--harbin-sun-tile-m", type=float, default=1500.0, help="sunlight tile side (m)")
    parser.add_argument("--key-project", type=Path,
                        help="also time the skip key of this project file (e.g. a whole city saved with its results)")
    parser.add_argument("--real-city", action="store_true",
                        help="also run central Harbin as one batch city (standard sunlight, full package)")
    parser.add_argument("--real-city-formats", default="gpkg,pdf,csv,xlsx", help="its package formats")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    if args.key_project:
        k = skip_key_times(args.key_project)
        figures["key_project"] = k
        print(f"| {args.key_project.name} | {k['file_mb']:.0f} MB | open with results {k['load_all_s']:.1f} s | "
              f"skip key {k['key_full_s']:.2f} s | rerun {k['key_rerun_s']:.2f} s | load {os.getloadavg()[0]:.1f} |")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| communities per city | cities | workers | wall s | mean s per city | peak memory per worker MB | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        rows = []
        for towns in (int(v) for v in args.city_towns.split(",") if v):
            side = int(math.isqrt(towns))
            for n in (int(v) for v in args.cities.split(",") if v):
                jobs = make_cities(folder, n, (side, towns // side))
                for workers in (1, 2):
                    r, _ = run(jobs, workers, folder / f"out_{towns}_{n}_{workers}")
                    rows.append({"towns": towns, "cities": n, "workers": workers, **r, "load": os.getloadavg()[0]})
                    print(f"| {40 * towns} | {n} | {workers} | {r['wall_s']:.1f} | {r['city_s']:.1f} | "
                          f"{r['peak_rss_mb']:.0f} | {os.getloadavg()[0]:.1f} |", flush=True)
        figures["cities"] = rows
        print()
        print("| communities | buildings | open | districts ×2 | life circle | sunlight | placements | save | "
              "export | total s | peak RSS MB | project MB | open with results s | skip key s | skip key, rerun s | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        sizes = []
        for n in (int(v) for v in args.sizes.split(",") if v):
            side = int(math.isqrt(n))
            towns = (side, n // side)
            s = stage_times(towns, folder)
            sizes.append(s)
            print(f"| {s['communities']:.0f} | {s['buildings']:.0f} | {s['load']:.1f} | "
                  f"{s['districts'] + s['districts_again']:.1f} | {s['life_circle']:.1f} | {s['sunlight']:.1f} | "
                  f"{s['placements']:.1f} | {s['save']:.1f} | {s['export']:.1f} | {s['total']:.1f} | "
                  f"{s['peak_rss_mb']:.0f} | {s['file_mb']:.0f} | {s['load_all_s']:.2f} | {s['key_full_s']:.2f} | {s['key_rerun_s']:.2f} | "
                  f"{os.getloadavg()[0]:.1f} |", flush=True)
        figures["sizes"] = sizes
        if args.real_city:
            r = real_city(folder, tuple(args.real_city_formats.split(",")))
            figures["real_city"] = r
            print(f"\n| central Harbin as one city | {r['communities']} communities | {r['buildings']} buildings | "
                  f"wall {r['wall_s']:.0f} s | city {r['city_s']:.0f} s | peak {r['peak_rss_mb']:.0f} MB | "
                  f"{r['files']} files, {r['out_mb']:.0f} MB | {r['summary']} | load {os.getloadavg()[0]:.1f} |",
                  flush=True)
    if not args.skip_harbin:
        print()
        print(f"| {args.harbin_file.stem} | life circle s | sunlight s | life circle equal | service areas max sym. diff. | "
              "sills equal | load |")
        print("|---|---:|---:|---|---:|---|---:|")
        rows = harbin_tiles(args.harbin_file, args.harbin_spacing, args.harbin_step, args.harbin_tile_m,
                            args.harbin_sun_tile_m, sunlight=not args.harbin_skip_sunlight,
                            workers=tuple(int(v) for v in args.harbin_workers.split(",")))
        for r in rows:
            print(f"| {r['label']} ({r['communities']} communities, {r['sills']} sills) | {r['life_circle_s']:.1f} | "
                  f"{r['sunlight_s']:.1f} | {r.get('lc_equal', '')} | {r.get('service_area_symdiff', '')} | "
                  f"{r.get('sun_equal', '')} | {r['load']:.1f} |", flush=True)
        figures["harbin"] = rows
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
