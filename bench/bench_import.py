"""Benchmark: importing central Harbin (GeoPackage and OSM PBF) against plain readers and pyrosm, same run.

What is compared, on the same files in the same process (median of ``--repeat`` runs):
- GeoPackage (10 role layers from 8 source layers, 38k features): ``gisplanner.io.importer.import_layers``
  (read, validate, repair, map fields, ids, reproject, estimate) against the floor any tool pays, reading the
  8 layers with ``geopandas.read_file`` and reprojecting them to the same CRS, with the pyogrio and the
  fiona engine;
- OSM PBF: ``import_layers`` on the PBF (GDAL OSM driver, tag filters, then the same pipeline) against pyrosm
  reading the walking network, buildings, land use and POIs (no validation, no reprojection), each run in a
  fresh interpreter because pyrosm caches parsed data inside a process;
- GCJ-02 check: ``detect_offset`` of GCJ-02-shifted central communities against the walk network, and a
  re-import of the GeoPackage into the project it built (every layer checked against the project's).

Run: ``.venv/bin/python bench/bench_import.py [--repeat 5]``; needs ../shared and ``pip install pyrosm``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

import geopandas as gpd
import pyogrio
from _common import HARBIN as GPKG
from _common import REFDATA, timed

from gisplanner.io import crs as crs_tools
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

PBF = REFDATA / "harbin_central_osm" / "harbin_central_2024-04.osm.pbf"
METRIC = 4551


def ours(path):
    project = Project()
    import_layers(project, [path])
    return project


def plain(engine):
    def run():
        return {name: gpd.read_file(GPKG, layer=name, engine=engine).to_crs(METRIC)
                for name, _ in pyogrio.list_layers(GPKG)}
    return run


PYROSM = """
import time, warnings
warnings.simplefilter("ignore")
import pyrosm
start = time.perf_counter()
osm = pyrosm.OSM({path!r})
frames = [osm.get_network(network_type="walking"), osm.get_buildings(), osm.get_landuse(), osm.get_pois()]
elapsed = time.perf_counter() - start
landuse = frames[2]
print(elapsed, len(frames[0]), len(frames[1]), int((landuse["landuse"] == "residential").sum()),
      sum(len(f) for f in frames))
"""


def pyrosm_cold(repeat):
    """pyrosm caches parsed data inside the process: each run gets a fresh interpreter, timed inside it."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", PYROSM.format(path=str(PBF))], capture_output=True,
                             text=True, check=True).stdout.split()
        runs.append([float(out[0])] + [int(v) for v in out[1:]])
    return statistics.median(r[0] for r in runs), runs[-1][1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []

    t_ours, project = timed(lambda: ours(GPKG), args.repeat)
    t_pyogrio, _ = timed(plain("pyogrio"), args.repeat)
    t_fiona, _ = timed(plain("fiona"), args.repeat)
    n = sum(len(f) for f in project.layers.values())
    rows += [("GeoPackage: gisplanner import (validated, estimated)", t_ours, n),
             ("GeoPackage: geopandas read_file + to_crs, pyogrio", t_pyogrio, None),
             ("GeoPackage: geopandas read_file + to_crs, fiona", t_fiona, None)]

    t_pbf, pbf_project = timed(lambda: ours(PBF), args.repeat)
    t_rosm, (rosm_walk, rosm_buildings, rosm_residential, rosm_total) = pyrosm_cold(args.repeat)
    rows += [("PBF: gisplanner import (GDAL OSM driver + pipeline)", t_pbf,
              sum(len(f) for f in pbf_project.layers.values())),
             ("PBF: pyrosm walking + buildings + landuse + pois (fresh process)", t_rosm, rosm_total)]

    communities = pyogrio.read_dataframe(GPKG, layer="residential_areas").geometry.values
    roads = pyogrio.read_dataframe(GPKG, layer="walk_network").geometry.values
    shifted = crs_tools.from_wgs84(communities, "GCJ-02")
    t_det, found = timed(lambda: crs_tools.detect_offset(shifted, roads), args.repeat)
    rows.append((f"GCJ-02 check, 1,635 shifted communities vs 10,009 ways -> {found.system if found else None}",
                 t_det, None))
    t_again, report = timed(lambda: import_layers(project, [GPKG]), args.repeat)
    rows.append((f"re-import into the central project (10 layers checked, {len(report.of('suspected_gcj02'))} "
                 "flagged)", t_again, None))

    print(f"{'work':<72} {'median s':>9} {'features':>9}")
    for name, seconds, count in rows:
        print(f"{name:<72} {seconds:>9.3f} {count if count is not None else '':>9}")
    print(f"\ngisplanner GeoPackage import / plain pyogrio read: {t_ours / t_pyogrio:.2f}x; "
          f"/ fiona read: {t_ours / t_fiona:.2f}x; PBF import / pyrosm: {t_pbf / t_rosm:.2f}x")
    counts = {"communities (landuse=residential)": (len(pbf_project.layer("communities")), rosm_residential),
              "walkable ways": (int(pbf_project.layer("walk_network")["walkable"].sum()), rosm_walk),
              "buildings": (len(pbf_project.layer("buildings")), rosm_buildings)}
    print("counts, gisplanner PBF import vs pyrosm:")
    for name, (a, b) in counts.items():
        print(f"  {name}: {a} vs {b} ({(a - b) / b:+.1%})")


if __name__ == "__main__":
    main()
