"""``gisplanner export``: write the plan package for joint review (GeoPackage, sheets, web map, tables)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from gisplanner.errors import InputError
from gisplanner.export.package import FORMATS, KNOWN_FORMATS, export_plan_package
from gisplanner.export.sheets import PAPERS_MM
from gisplanner.io.writers import read_unit_costs
from gisplanner.progress import Progress
from gisplanner.project import Project

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="write the district plan package for joint review",
                                   description=__doc__)
    parser.add_argument("project", type=Path, metavar="P.gpkg")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the package into")
    parser.add_argument("--district", metavar="ID", help="export one district (district_id); default all")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated, any of {','.join(KNOWN_FORMATS)} (default %(default)s)")
    parser.add_argument("--paper", choices=list(PAPERS_MM), default="A3", help="map sheet size, landscape")
    parser.add_argument("--unit-costs", type=Path, metavar="CSV",
                        help="item,unit,unit_cost_yuan table for the investment column (default: the prices "
                             "the district analysis used; none: left blank)")
    parser.add_argument("--tiles", action="store_true",
                        help="add an online OpenStreetMap basemap to the web map (off: works fully offline)")
    parser.add_argument("--no-district-sheets", action="store_true",
                        help="全部片区导出时不逐片区出图（数百个片区需数分钟）；索引图仍列出全部片区")
    parser.add_argument("--basemap", type=Path, metavar="FILE",
                        help="本地底图（GeoTIFF 影像或 MBTiles 离线瓦片包），绘于图纸地图之下；默认用项目设置中的底图，"
                             "不下载任何数据")
    parser.add_argument("--plan-year", type=int, metavar="YEAR",
                        help="计划表只计入 plan_year 字段等于该年度的小区；不指定时计入全部符合条件的小区，并在表中注明")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats:
        raise InputError("未指定导出格式", fix=f"例如 --formats {','.join(FORMATS)}")
    project = Project.load(args.project)
    written = export_plan_package(
        project, args.out, district=args.district, formats=formats, paper=args.paper,
        unit_costs=read_unit_costs(args.unit_costs) if args.unit_costs is not None else None,
        unit_costs_file=str(args.unit_costs) if args.unit_costs is not None else None, tiles=args.tiles,
        plan_year=args.plan_year, basemap=args.basemap,
        district_sheets=not args.no_district_sheets, progress=Progress(lambda done, total, message: log.info("%d/%d %s", done, total, message)))
    n_files = sum(len(paths) for paths in written.values())
    print(f"规划成果包（{'、'.join(written)}）：{n_files} 个文件，位于 {args.out}，"
          f"用时 {time.perf_counter() - start:.1f} 秒")
    return 0
