"""Benchmark of the placement check on whole central Harbin (OSM), with peers for the park-width step.

Park width (diameter of the largest inscribed circle) by:
  * gisplanner: shapely.maximum_inscribed_circle (GEOS), vectorised over all parks;
  * python-polylabel: the pure-Python port of Mapbox's polylabel (same algorithm), park by park;
  * raster: rasterise each park at 1 m and take scipy's exact Euclidean distance transform (the usual
    raster-GIS way), park by park.
Then the whole before/after check of one facility placed in a park, for a sample of parks.

Run: .venv/bin/pip install python-polylabel; .venv/bin/python bench/bench_placement.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import shapely
from matplotlib.path import Path as MplPath
from polylabel import polylabel
from scipy import ndimage

from gisplanner.analysis import green
from gisplanner.analysis.placement import PlacementInput, check_placement
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

CENTRAL = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "harbin_central_osm" / "harbin_central_osm.gpkg"
TOLERANCE_M = 0.01
RASTER_M = 1.0
SAMPLE = 25


def raster_width(polygon: shapely.Polygon, cell: float) -> float:
    minx, miny, maxx, maxy = polygon.bounds
    xs = np.arange(minx - cell, maxx + 2 * cell, cell)
    ys = np.arange(miny - cell, maxy + 2 * cell, cell)
    gx, gy = np.meshgrid(xs, ys)
    centres = np.column_stack((gx.ravel(), gy.ravel()))
    inside = np.zeros(len(centres), dtype=bool)
    for part in shapely.get_parts(polygon):
        # even-odd over shell and holes
        for ring in [part.exterior, *part.interiors]:
            inside ^= MplPath(np.asarray(ring.coords)).contains_points(centres)
    edt = ndimage.distance_transform_edt(inside.reshape(gx.shape), sampling=cell)
    return float(2 * edt.max())


def polylabel_width(polygon: shapely.Polygon) -> float:
    best = 0.0
    for part in shapely.get_parts(polygon):
        rings = [list(part.exterior.coords)] + [list(r.coords) for r in part.interiors]
        best = max(best, polylabel(rings, precision=TOLERANCE_M, with_distance=True)[1])
    return 2 * best


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def main() -> None:
    project = Project(city="harbin")
    _, seconds = timed(lambda: import_layers(project, [CENTRAL]))
    layers = project.layers
    print(f"import central Harbin: {seconds:.1f} s; green {len(layers['green_space'])}, "
          f"communities {len(layers['communities'])}, buildings {len(layers['buildings'])}")

    parks, seconds = timed(lambda: green.public_parks(layers["green_space"]))
    print(f"public_parks (merge, names, widths): {seconds:.2f} s -> {len(parks)} parks")
    geoms = parks.geometry.values
    ours, t_ours = timed(lambda: green.inscribed_width(geoms, tolerance_m=TOLERANCE_M))
    peer, t_peer = timed(lambda: np.array([polylabel_width(g) for g in geoms]))
    small = parks["area_m2"].to_numpy() < 2e5  # the 1 m raster of the largest parks is too big to be fair
    raster, t_raster = timed(lambda: np.array([raster_width(g, RASTER_M) for g in geoms[small]]))
    print(f"widths of {len(geoms)} parks: shapely {t_ours:.2f} s, python-polylabel {t_peer:.2f} s "
          f"({t_peer / t_ours:.0f}x), max |diff| {np.abs(ours - peer).max():.3f} m")
    _, t_small = timed(lambda: green.inscribed_width(geoms[small], tolerance_m=TOLERANCE_M))
    print(f"widths of the {small.sum()} parks under 20 ha: shapely {t_small:.2f} s, 1 m raster + EDT "
          f"{t_raster:.2f} s ({t_raster / t_small:.0f}x), max |diff| {np.abs(ours[small] - raster).max():.2f} m "
          f"(raster error up to ~{2 * RASTER_M:.0f} m)")

    standards = project.standards()
    rng = np.random.default_rng(7)
    big = parks[parks["area_m2"] > 5000]
    picks = big.iloc[rng.choice(len(big), size=min(SAMPLE, len(big)), replace=False)]
    times = []
    for geom in picks.geometry:
        point = geom.representative_point()
        footprint = shapely.box(point.x - 15, point.y - 15, point.x + 15, point.y + 15)
        _, seconds = timed(lambda fp=footprint: check_placement(
            PlacementInput("elderly_daycare", fp, gfa_m2=600), layers, standards, city=project.city))
        times.append(seconds)
    print(f"check_placement in a park, {len(times)} runs: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s")


if __name__ == "__main__":
    main()
