"""``gisplanner check``: check a proposed facility and write its report (JSON, optionally HTML)."""

from __future__ import annotations

import argparse
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner import workflow
from gisplanner.catalogue import geometry_wkt
from gisplanner.errors import InputError
from gisplanner.labels import code_label
from gisplanner.outputs import output_file
from gisplanner.project import Project
from gisplanner.standards import INTERVENTIONS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="核查拟建设施：规模、日照、绿地、用地性质等",
                                   description="核查一处拟建设施（选址或绘制的轮廓），写出核查报告（JSON，可另出 HTML）。")
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--facility", required=True, metavar="设施类型",
                        help="配套设施目录中的设施类型代码，例如 `kindergarten`")
    site = parser.add_mutually_exclusive_group(required=True)
    site.add_argument("--site", metavar="图层:编号", help="项目图层中的一个要素，编号即 `gisplanner info` 列出的"
                      "要素编号（例如 `boiler_rooms:K001`）")
    site.add_argument("--footprint", type=Path, metavar="文件", help="绘有设施轮廓（面）的文件")
    parser.add_argument("--floors", type=float, metavar="层数", help="设施层数")
    parser.add_argument("--height", type=float, metavar="米", help="设施高度（m；默认为层数 × 标准层高）")
    parser.add_argument("--gfa", type=float, metavar="平方米", help="建筑面积（m²）")
    parser.add_argument("--adds-far", action="store_true", help="工程新增计容建筑面积")
    parser.add_argument("--new-construction-land", action="store_true",
                        help="工程占用尚非建设用地的土地")
    parser.add_argument("--intervention", choices=INTERVENTIONS,
                        help="建设方式（默认：设备类设施为 `equipment`，选址为建筑时为 `conversion`，其余为 `new`）："
                             + "；".join(f"`{k}` {code_label(k, 'intervention')}" for k in INTERVENTIONS))
    parser.add_argument("--investment", type=float, metavar="万元", help="投资（万元）")
    parser.add_argument("--name", default="", metavar="名称", help="拟建项目名称")
    area = parser.add_mutually_exclusive_group()
    area.add_argument("--old-area", dest="old_area", action="store_const", const=True,
                      help="选址属旧区改建（绿地指标按旧区改建放宽）")
    area.add_argument("--new-area", dest="old_area", action="store_const", const=False,
                      help="选址不属旧区改建（不放宽）；默认按选址所在小区的建成年份判断")
    parser.add_argument("--out", type=Path, required=True, metavar="报告.json", help="核查报告（JSON）")
    parser.add_argument("--html", type=Path, metavar="报告.html", help="另写一份 HTML 核查报告（含选址图）")
    parser.add_argument("--attribution", metavar="文字",
                        help="HTML 报告地图下的数据来源署名，例如“© OpenStreetMap contributors”")
    parser.add_argument("--no-store", action="store_true", help="不把该设施加入项目")
    parser.set_defaults(run=run)


def read_footprint(path: Path, project: Project) -> BaseGeometry:
    """The union of the polygons in ``path``, in the project's CRS, through the importer's checks.

    Points or lines (six points drawn as a kindergarten), coordinates nothing may use, and self-intersecting
    outlines are refused naming the feature: a repaired outline would be a different proposal.
    """
    from gisplanner.io.crs import check_coordinates
    from gisplanner.io.readers import read_layers
    from gisplanner.io.validate import check_geometry_type

    layer = read_layers(path)[0]
    frame = layer.frame
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        raise InputError("轮廓文件中没有要素", file=str(path), fix="先画出拟建设施的轮廓（面）")
    if frame.crs is None:
        raise InputError("轮廓文件没有坐标系", file=str(path),
                         fix="保存时带上坐标系（例如存为 WGS84 的 GeoJSON）")
    check_geometry_type(frame, "buildings", layer=layer.name, file=str(path))
    check_coordinates(frame, file=str(path), layer=layer.name)
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        first = frame.index[invalid.to_numpy()][0]
        reason = shapely.is_valid_reason(frame.geometry[first])
        raise InputError(f"轮廓不是有效的面（{reason}）", file=str(path), layer=layer.name, feature=first,
                         fix="重新绘制轮廓，边界不要自相交")
    geom = shapely.union_all(frame.to_crs(project.crs).geometry.values)
    if geom.is_empty or geom.area <= 0:
        raise InputError("轮廓的面积为零", file=str(path), fix="重新绘制一个闭合的面")
    return geom


def run(args: argparse.Namespace) -> int:
    inputs = [args.project, args.footprint]
    out = output_file(args.out, protected=inputs)
    html = output_file(args.html, protected=[*inputs, out], option="--html") if args.html else None
    with Project.editing(args.project, write=not args.no_store) as project:
        report = workflow.run(
            project, "placement", facility=args.facility, site=args.site,
            footprint_wkt=geometry_wkt(read_footprint(args.footprint, project)) if args.footprint else None,
            intervention=args.intervention, floors=args.floors, height_m=args.height, gfa_m2=args.gfa,
            adds_far=args.adds_far, new_construction_land=args.new_construction_land,
            investment_wan_yuan=args.investment, name=args.name, old_area=args.old_area,
            store=not args.no_store).report
        out.write_text(report.to_json(), encoding="utf-8")
        if html is not None:
            from gisplanner.export.report_html import write_report_html

            write_report_html(report, html, context=project.layers, attribution=args.attribution)
        if not args.no_store:
            project.save()
    print(f"{report.facility_zh}（{code_label(report.intervention, 'intervention')}）："
          f"{code_label(report.overall, 'overall')}")
    if report.footprint_used:
        print(f"  建筑占地：{report.footprint_used['text']}")
    for check in report.checks:
        print(f"  {code_label(check.verdict, 'verdict')}  {check.title}：{check.message}")
    return 0
