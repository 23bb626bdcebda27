"""Benchmark: the plan package of whole central Harbin, against the geopandas/folium defaults in the same run.

Setup (not timed): central Harbin imported, synthetic construction years (as the acceptance tests), life
circles and districts run, so every result layer is filled.

Each step is timed with the bare peer call that produces the nearest equivalent output:
- GeoPackage: ``write_geopackage`` (11 layers, inf → null, empty layers kept, atomic rename) against
  ``GeoDataFrame.to_file`` of the same spatial layers with the pyogrio and the fiona engine;
- web map: ``write_web_map`` (Leaflet inlined, escaped popups, 8 toggleable layers) against
  ``GeoDataFrame.explore`` of communities + districts + gaps saved to HTML (CDN scripts: no offline use);
- one A3 sheet at 150 dpi: ``sheet_figure`` + savefig against a bare ``GeoDataFrame.plot`` of the same
  layers saved at the same size (no legend, scale bar, title block or CJK text);
- tables: ``plan_tables`` + CSV + XLSX (no peer: the floor is pandas ``to_excel`` of the same frames).

Run: ``.venv/bin/python bench/bench_export.py [--repeat 3]``; needs ../shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import HARBIN, timed

from gisplanner import workflow
from gisplanner.analysis.districts import plan_districts
from gisplanner.catalogue import district_inputs, life_circle_results
from gisplanner.export import package, sheets, tables, webmap
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

DAY = dt.date(2026, 11, 23)


def harbin_layers(name: str = "") -> Project:
    """Central Harbin imported, with synthetic construction years (OSM has none), no results."""
    project = Project(city="harbin", name=name)
    import_layers(project, [HARBIN])
    comm = project.layer("communities").copy()
    comm["built_year"] = pd.array(np.random.default_rng(2024).integers(1975, 2015, len(comm)), dtype="Int64")
    project.set_layer("communities", comm)
    return project


def harbin_project() -> Project:
    """:func:`harbin_layers` with the life circle and the districts run."""
    project = harbin_layers()
    for name, frame in life_circle_results(project, workflow.params(project, "lifecircle")).items():
        project.store_results({name: frame})
    for name, frame in plan_districts(district_inputs(project, workflow.params(project, "districts")), seed=1).results().items():
        project.store_results({name: frame})
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    project = harbin_project()
    layers = package.project_plan_layers(project)
    print(f"setup {time.perf_counter() - start:.1f} s: {len(layers.districts)} districts, "
          f"{len(layers.communities)} member communities, {len(layers.gaps)} gaps, "
          f"{len(layers.service_areas)} service areas, {len(layers.candidate_sites)} candidate sites")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_tables, plan = timed(lambda: tables.plan_tables(layers), args.repeat)

        def ours_tables():
            tables.write_csv(plan, out / "csv")
            tables.write_xlsx(plan, out / "t.xlsx", title="t")

        def floor_tables():
            with pd.ExcelWriter(out / "floor.xlsx") as writer:
                plan.plan.table.to_excel(writer, sheet_name="plan")
                for name in ("items", "gaps", "checks"):
                    getattr(plan, name).to_excel(writer, sheet_name=name, index=False)

        rows.append(("tables: compute", t_tables, None, ""))
        rows.append(("tables: CSV + XLSX", timed(ours_tables, args.repeat)[0],
                     timed(floor_tables, args.repeat)[0], "pandas to_excel of the same frames"))

        spatial = {"districts": layers.districts, "communities": layers.communities, "gaps": layers.gaps,
                   "service_areas": layers.service_areas, "resources": layers.resources,
                   "candidate_sites": layers.candidate_sites}

        def peer_gpkg(engine):
            path = out / f"peer_{engine}.gpkg"
            path.unlink(missing_ok=True)
            for name, frame in spatial.items():
                frame.replace([np.inf, -np.inf], np.nan).to_file(path, layer=name, driver="GPKG", engine=engine)

        ours = timed(lambda: package.write_geopackage(layers, plan, out / "plan.gpkg"), args.repeat)[0]
        rows.append(("GeoPackage", ours, timed(lambda: peer_gpkg("pyogrio"), args.repeat)[0],
                     "to_file, pyogrio engine"))
        rows.append(("GeoPackage", ours, timed(lambda: peer_gpkg("fiona"), args.repeat)[0],
                     "to_file, fiona engine"))

        def peer_explore():
            m = layers.communities[["feature_id", "name", "households", "geometry"]].explore()
            layers.districts[["district_id", "name", "geometry"]].explore(m=m, color="navy")
            layers.gaps[["community_name", "facility_type", "shortfall_m", "geometry"]].replace(
                [np.inf, -np.inf], np.nan).explore(m=m, color="red")
            m.save(out / "peer.html")

        ours_map = timed(lambda: webmap.write_web_map(layers, out / "webmap.html"), args.repeat)[0]
        peer_map = timed(peer_explore, args.repeat)[0]
        rows.append(("web map", ours_map, peer_map, "GeoDataFrame.explore (3 layers, CDN scripts)"))
        size_ours = (out / "webmap.html").stat().st_size / 1e6
        size_peer = (out / "peer.html").stat().st_size / 1e6

        def ours_sheet():
            sheets.sheet_figure(layers, "gaps", when=DAY).savefig(out / "sheet.png", dpi=150)

        def peer_sheet():
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            fig = Figure(figsize=(420 / 25.4, 297 / 25.4))
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            layers.communities.plot(ax=ax, color="#e0e0e0", edgecolor="#757575", linewidth=0.4)
            layers.service_areas.boundary.plot(ax=ax, color="#3182bd", linewidth=0.5)
            layers.districts.boundary.plot(ax=ax, color="navy", linewidth=2)
            fig.savefig(out / "peer.png", dpi=150)

        rows.append(("A3 sheet at 150 dpi (gaps theme)", timed(ours_sheet, args.repeat)[0],
                     timed(peer_sheet, args.repeat)[0], "bare GeoDataFrame.plot + savefig"))
        whole = timed(lambda: package.export_plan_package(project, out / "pkg", when=DAY), 1)[0]
    print("\n| step | gisplanner s | peer s | ratio | peer |\n|---|---:|---:|---:|---|")
    for step, ours_s, peer_s, peer in rows:
        ratio = f"{ours_s / peer_s:.2f}" if peer_s else ""
        print(f"| {step} | {ours_s:.2f} | {'' if peer_s is None else f'{peer_s:.2f}'} | {ratio} | {peer} |")
    print(f"\nweb map size: gisplanner {size_ours:.1f} MB (8 layers, Leaflet inlined), explore {size_peer:.1f} MB")
    print(f"whole package (gpkg, 4 sheets PDF + PNG, web map, review, CSV, XLSX): {whole:.1f} s")


if __name__ == "__main__":
    main()
