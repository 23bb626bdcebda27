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
        "sunlight", help="计算住宅窗台的日照时数；拟建建筑建设前后对比",
        description="计算住宅建筑窗台的日照时数，以及拟建建筑建设前后对相邻住宅日照的影响。",
        epilog="把窗台采样点图层（建筑编号、楼层、立面朝向、日照时数、要求时数、是否满足；加 --add 时另有建设前、"
               "建设后时数和状态）写入输出文件。日照要求取标准中该城市在 GB 50180 表 4.0.9 的一行，或 --special。")
    parser.add_argument("buildings", nargs="?", type=Path, metavar="建筑文件",
                        help="导入程序能读的任一建筑文件（GeoPackage、Shapefile、GeoJSON）")
    parser.add_argument("--project", type=Path, metavar="P.gpkg",
                        help="用项目中的建筑和城市；窗台采样点存入该项目")
    parser.add_argument("--city", metavar="城市", help="日照规定所用城市（默认为项目所在城市）")
    parser.add_argument("--special", metavar="规定",
                        help="以特殊要求代替表 4.0.9，例如 `elderly_housing`、`old_area_new_housing`、"
                             "`kindergarten_living`")
    parser.add_argument("--day", choices=("dahan", "dongzhi"), help="改在该日照标准日计算（大寒日或冬至日）")
    parser.add_argument("--year", type=int, metavar="年份", help="日照标准日所在年份（默认今年）")
    parser.add_argument("--date", type=dt.date.fromisoformat, metavar="年-月-日",
                        help="指定日期，代替日照标准日")
    parser.add_argument("--step-min", type=float, metavar="分钟", help="计算时间步长（分钟；默认取标准，1）")
    fields = parser.add_mutually_exclusive_group()
    fields.add_argument("--height-field", metavar="字段", help="建筑高度字段（m）")
    fields.add_argument("--floors-field", metavar="字段", help="建筑层数字段（高度 = 层数 × 层高）")
    parser.add_argument("--all-floors", action="store_true", help="每层窗台都采样")
    parser.add_argument("--whole-window", action="store_true",
                        help="只在整个窗台宽度都有日照时计入（满窗日照）")
    parser.add_argument("--sweep-deg", type=float, default=None, metavar="度",
                        help="太阳与墙面的最小夹角（最小扫略角，度）；默认按城市的计算规则（北京 12°，国家标准 0°）")
    parser.add_argument("--add", type=Path, metavar="轮廓文件", help="拟建建筑的轮廓")
    parser.add_argument("--add-height", type=float, metavar="米", help="拟建建筑高度（m）")
    parser.add_argument("--elevator", action="store_true",
                        help="拟建工程为既有住宅加装电梯（不受日照影响限制）")
    parser.add_argument("--out", type=Path, required=True, metavar="输出.gpkg", help="写入窗台采样点的 GeoPackage")
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
