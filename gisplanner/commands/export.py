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
    parser = subparsers.add_parser("export", help="写出供联合审查的片区规划成果包",
                                   description="写出供联合审查的成果包：GeoPackage、图纸、网页地图和表格。")
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--out", type=Path, required=True, metavar="文件夹", help="写入成果包的文件夹")
    parser.add_argument("--district", metavar="ID", help="只导出一个片区（片区编号）；默认全部片区")
    parser.add_argument("--formats", default=",".join(FORMATS), metavar="格式",
                        help=f"逗号分隔，可选 {','.join(KNOWN_FORMATS)}（默认 %(default)s）")
    parser.add_argument("--paper", choices=list(PAPERS_MM), default="A3", help="图纸幅面（横向）")
    parser.add_argument("--unit-costs", type=Path, metavar="CSV",
                        help="投资一栏所用单价表，表头 `item,unit,unit_cost_yuan`（默认用片区分析所用单价；都没有则留空）")
    parser.add_argument("--tiles", action="store_true",
                        help="网页地图加在线 OpenStreetMap 底图（默认不加，完全离线可用）")
    parser.add_argument("--no-district-sheets", action="store_true",
                        help="全部片区导出时不逐片区出图（数百个片区需数分钟）；索引图仍列出全部片区")
    parser.add_argument("--basemap", type=Path, metavar="文件",
                        help="本地底图（GeoTIFF 影像或 MBTiles 离线瓦片包），绘于图纸地图之下；默认用项目设置中的底图，"
                             "不下载任何数据")
    parser.add_argument("--plan-year", type=int, metavar="年度",
                        help="计划表只计入“计划年度”等于该年度的小区；不指定时计入全部符合条件的小区，并在表中注明")
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
