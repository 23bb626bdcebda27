"""``gisplanner sunlight``: sunlight hours (日照) at the window sills of residential buildings, and the
before/after impact of a proposed building."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplanner import workflow
from gisplanner.catalogue import geometry_wkt
from gisplanner.errors import InputError
from gisplanner.labels import code_label
from gisplanner.outputs import output_file
from gisplanner.project import Project
from gisplanner.standards import load_standards


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sunlight", help="sunlight hours at residential window sills; before/after of a proposed building",
        description=__doc__,
        epilog="Writes the layer sill_points (building_id, floor, facade_azimuth, hours, required_hours, passes; "
               "with --add also hours_before, hours_after, status) to OUT. The requirement comes from the city's "
               "row of GB50180 Table 4.0.9 in the standards, or from --special.")
    parser.add_argument("buildings", nargs="?", type=Path, metavar="BUILDINGS_FILE",
                        help="any building file the importer reads (GeoPackage, Shapefile, GeoJSON)")
    parser.add_argument("--project", type=Path, metavar="P.gpkg",
                        help="use the project's buildings and city; the sill points are stored in it")
    parser.add_argument("--city", help="city of the sunlight rules (default: the project's city)")
    parser.add_argument("--special", metavar="RULE",
                        help="a special requirement instead of Table 4.0.9, e.g. elderly_housing, "
                             "old_area_new_housing, kindergarten_living")
    parser.add_argument("--day", choices=("dahan", "dongzhi"), help="evaluate on this standard day instead")
    parser.add_argument("--year", type=int, help="year of the standard day (default: this year)")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                        help="an explicit date instead of the standard day")
    parser.add_argument("--step-min", type=float, help="time step, minutes (default: standards, 1)")
    fields = parser.add_mutually_exclusive_group()
    fields.add_argument("--height-field", metavar="F", help="field of the building height, m")
    fields.add_argument("--floors-field", metavar="F", help="field of the floor count (height = floors × "
                        "the floor height)")
    parser.add_argument("--all-floors", action="store_true", help="sample the sills of every floor")
    parser.add_argument("--whole-window", action="store_true",
                        help="count a window only while its whole sill width is lit (满窗日照)")
    parser.add_argument("--sweep-deg", type=float, default=None,
                        help="smallest angle between the sun and the wall, degrees (最小扫略角); default: the "
                             "city's counting rule (Beijing 12°, national 0°)")
    parser.add_argument("--add", type=Path, metavar="FOOTPRINT_FILE", help="a proposed building's footprint")
    parser.add_argument("--add-height", type=float, metavar="H", help="its height, m")
    parser.add_argument("--elevator", action="store_true",
                        help="the proposal adds an elevator to an existing residential building (exempt)")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT.gpkg")
    parser.set_defaults(run=run)


def _project(args: argparse.Namespace) -> Project:
    from gisplanner.io.importer import import_layers
    from gisplanner.io.readers import list_layers

    if not args.city:
        raise InputError("给出建筑文件时须用 --city 指明城市（决定日照标准）", file=str(args.buildings),
                         fix="例如 `--city suzhou`（标准中日照城市的键名）")
    project = Project(city=args.city)
    mapping = {}
    if args.height_field:
        mapping["height_m"] = args.height_field
    if args.floors_field:
        mapping["floors"] = args.floors_field
    import_layers(project, [args.buildings], roles=dict.fromkeys(list_layers(args.buildings), "buildings"),
                  field_maps={"buildings": mapping} if mapping else None, city=args.city)
    return project


def run(args: argparse.Namespace) -> int:
    if (args.buildings is None) == (args.project is None):
        raise InputError("须给出建筑文件或 --project 项目之一", fix="例如 `gisplanner sunlight b.geojson "
                         "--city suzhou --out out.gpkg`")
    if (args.add is None) != (args.add_height is None):
        raise InputError("--add 与 --add-height 须一起给出", fix="给出拟建建筑轮廓文件及其高度（米）")
    out = output_file(args.out, protected=[args.project, args.buildings, args.add])
    if args.project is not None:
        with Project.editing(args.project) as project:
            return _run(args, project, out)
    return _run(args, _project(args), out)


def _run(args: argparse.Namespace, project: Project, out: Path) -> int:
    if args.floors_field:
        # The height follows the floors given, not a height field the importer may also have found.
        floor_height = project.standards().sunlight.calculation["floor_height_m"].value
        buildings = project.layer("buildings")
        project.set_layer("buildings", buildings.assign(height_m=buildings["floors"] * floor_height,
                                                        height_estimated=True))
    add = None
    if args.add is not None:
        from gisplanner.commands.check import read_footprint

        add = read_footprint(args.add, project)
    result = workflow.run(project, "sunlight", city=args.city, special=args.special, day=args.day,
                          year=args.year, date=args.date.isoformat() if args.date else None,
                          step_min=args.step_min, all_floors=args.all_floors, whole_window=args.whole_window,
                          sweep_deg=args.sweep_deg, add_wkt=geometry_wkt(add), add_height_m=args.add_height,
                          elevator=args.elevator)
    result.points.to_file(out, layer="sill_points", driver="GPKG")
    if args.project is not None:
        project.save()
    _summary(result.points, result.requirement, result.date, args.city or project.city)
    return 0


def _summary(points: gpd.GeoDataFrame, requirement, date: dt.date, city: str) -> None:
    n = len(points)
    failing = int((~points["passes"]).sum())
    known = load_standards().sunlight.cities.get(city)
    print(f"{known.zh if known else city}：{code_label(requirement.day, 'day')} {date}，真太阳时 {requirement.window[0]:g}–"
          f"{requirement.window[1]:g} 时，要求不少于 {requirement.hours:g} h；{n} 个窗台，{failing} 个不满足"
          f"（{failing / max(n, 1):.0%}），中位数 {np.median(points['hours']) if n else float('nan'):.2f} h")
    if "status" in points:
        counts = pd.Series(points["status"]).value_counts()
        print("  " + "，".join(f"{code_label(k, 'sun_status')} {int(counts.get(k, 0))}"
                               for k in ("newly_failing", "reduced", "exempt")))
