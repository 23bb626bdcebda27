"""Sunlight engine on the 3,076 Suzhou buildings, against pybdshadow in the same run.

1. Every ground-floor sill at 1 m spacing, 大寒, 1-minute step (target < 30 s on 2 cores, < 2 GB); then the
   sills of every floor.
2. One placed building's before/after (target < 1 s).
3. Ground sunlight on pybdshadow's own 10 m grid: pybdshadow's ground shadows at the hourly instants
   08:30 … 15:30 true solar time (only the 大寒 window, so both sides count the same thing) against
   gisplanner's ``ground_hours`` at the cell centres at the same instants; then each tool at its usual
   setting (pybdshadow ``cal_sunshine``: whole day, 1-hour step; gisplanner: 1-minute step in the window).

Run: ``.venv/bin/pip install pybdshadow``; ``.venv/bin/python bench/bench_sunlight.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplanner.analysis.sun import standard_day, sun_path
from gisplanner.analysis.sunlight import ground_hours, sun_for, sunlight_hours, sunlight_impact
from gisplanner.standards import load_standards

DATA = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "suzhou_gusu_buildings" / \
    "suzhou_gusu_buildings.geojson"
YEAR = 2026


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, times


def fmt(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"


def agreement(what: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    print(f"    agreement, {what}: same lit hours in {np.isclose(ours, theirs).mean():.1%} of cells; mean |diff| "
          f"{np.abs(ours - theirs).mean():.3f} h; pybdshadow darker in {(theirs < ours).mean():.1%}, lighter in "
          f"{(theirs > ours).mean():.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-full-day", action="store_true", help="skip pybdshadow's whole-day cal_sunshine")
    args = parser.parse_args()

    wgs = gpd.read_file(DATA)
    buildings = wgs.to_crs(32651)
    buildings["feature_id"] = [f"s{i}" for i in range(len(buildings))]
    buildings["height_m"] = buildings["height"].astype(float)
    buildings["use"] = "residential"
    lon, lat = wgs.union_all().envelope.centroid.coords[0]
    requirement = load_standards().sunlight.requirement("suzhou")
    sun = sun_for(requirement, lat, lon, year=YEAR)
    print(f"{len(buildings)} buildings; 大寒 {sun.date}, {len(sun.times_utc)} steps, lat {lat:.3f} lon {lon:.3f}")

    # 1. all ground-floor sills
    sills, times = timed(lambda: sunlight_hours(buildings, sun, requirement), args.repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[gisplanner] sill hours: {len(sills):,} sills, {fmt(times)}, peak RSS {peak_mb:.0f} MB")
    print(f"    hours: mean {sills.hours.mean():.2f}, below 2 h {(~sills.passes).mean():.1%}, "
          f"0 h {(sills.hours == 0).mean():.1%}, 8 h {(sills.hours == 8).mean():.1%}")

    floors, times = timed(lambda: sunlight_hours(buildings.assign(floors=buildings["Floor"].astype(float)), sun,
                                                 requirement, all_floors=True), 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[gisplanner] every floor: {len(floors):,} sills, {fmt(times)}, peak RSS {peak_mb:.0f} MB")

    # 2. before/after of one building: the tallest tower re-added, and a new 30 m block on open ground
    tower = buildings.loc[buildings.height_m.idxmax()]
    rest = buildings.drop(index=tower.name)
    impact, times = timed(lambda: sunlight_impact(rest, tower.geometry, float(tower.height_m), sun, requirement),
                          max(args.repeat, 5))
    print(f"[gisplanner] before/after, {tower.height_m:.0f} m tower: {len(impact)} sills in reach, "
          f"{(impact.status != 'unaffected').sum()} lose time, {(impact.status == 'newly_failing').sum()} newly "
          f"failing; {fmt(times)}")

    # 3. pybdshadow on its ground grid; its FutureWarnings under pandas 3 / geopandas 1.2 are noise here
    warnings.simplefilter("ignore")
    import pybdshadow
    import transbigdata as tbd
    from pybdshadow.analysis import cal_shadowcoverage

    bd = wgs[["geometry", "height"]].copy()
    bd["building_id"] = range(len(bd))
    bd = pybdshadow.bd_preprocess(bd)
    grids, _ = tbd.area_to_grid(bd.union_all().bounds, 10)
    hourly = sun_path(lat, lon, sun.date, window=sun.window, step_min=60.0)

    def pybd_window():
        shadows = []
        for t in hourly.times_utc:
            s = pybdshadow.bdshadow_sunlight(bd, pd.Timestamp(t), roof=False, include_building=True)
            s["date"] = t
            shadows.append(s)
        out = cal_shadowcoverage(pd.concat(shadows), bd.copy(), grids=grids.copy(), roof=False, precision=3600,
                                 accuracy=10)
        out["hours_in_window"] = len(hourly.times_utc) - out["time"] / 3600
        return out

    cells, pybd_times = timed(pybd_window, 1)
    polys = gpd.GeoSeries(cells.geometry.values, crs=4326).to_crs(32651)
    centres = polys.centroid
    cx, cy = centres.x.to_numpy(), centres.y.to_numpy()
    ours, our_times = timed(lambda: ground_hours(cx, cy, buildings, hourly, requirement), args.repeat)
    theirs = cells["hours_in_window"].to_numpy()
    print(f"[pybdshadow] ground grid 10 m, 8 hourly instants in the window: {len(cells):,} cells, {fmt(pybd_times)}")
    print(f"[gisplanner] same cells (centres), same instants: {fmt(our_times)}")
    agreement("cell centres", ours, theirs)
    # pybdshadow calls a cell shaded when any part of it is: count an instant only when 3×3 points are all lit.
    bounds = polys.bounds.to_numpy()
    whole = np.zeros(len(cells))
    for h0 in np.arange(*sun.window):
        one = sun_path(lat, lon, sun.date, window=(h0, h0 + 1.0), step_min=60.0)
        one_req = dataclasses.replace(requirement, window=(h0, h0 + 1.0))
        lit = np.ones(len(cells), dtype=bool)
        for fx in (0.05, 0.5, 0.95):
            for fy in (0.05, 0.5, 0.95):
                x = bounds[:, 0] + fx * (bounds[:, 2] - bounds[:, 0])
                y = bounds[:, 1] + fy * (bounds[:, 3] - bounds[:, 1])
                lit &= ground_hours(x, y, buildings, one, one_req) > 0
        whole += lit
    agreement("whole cells (3×3 points)", whole, theirs)
    _, minute_times = timed(lambda: ground_hours(centres.x.to_numpy(), centres.y.to_numpy(), buildings, sun,
                                                 requirement), args.repeat)
    print(f"[gisplanner] same cells, 1-minute step (480 instants): {fmt(minute_times)}")
    if not args.skip_full_day:
        _, full_times = timed(lambda: pybdshadow.cal_sunshine(bd.copy(), day=str(standard_day(YEAR, "dahan")),
                                                               roof=False, accuracy=10, precision=3600), 1)
        print(f"[pybdshadow] cal_sunshine whole day, 1-hour step, 10 m ground grid: {fmt(full_times)}")


if __name__ == "__main__":
    main()
