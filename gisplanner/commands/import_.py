"""``gisplanner import``: import layer files into a project file (created when absent), with a report."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from gisplanner.errors import InputError
from gisplanner.io.importer import import_layers, parse_assignments, parse_field_maps
from gisplanner.labels import code_label
from gisplanner.progress import Progress
from gisplanner.project import Project

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="把 GeoPackage/Shapefile/GeoJSON/OSM PBF 图层导入项目",
        description="把图层文件导入项目文件（不存在时新建），并报告导入情况。")
    parser.add_argument("files", nargs="+", type=Path, metavar="文件", help="要导入的图层文件")
    parser.add_argument("--project", required=True, type=Path, metavar="P.gpkg",
                        help="项目文件；不存在时新建，否则把图层加入其中")
    parser.add_argument("--role", action="append", default=[], metavar="图层=角色",
                        help="指定源图层的角色（`图层=skip` 跳过该图层）；可重复")
    parser.add_argument("--field", action="append", default=[], metavar="角色.列=源字段",
                        help="指定标准列取自哪个源字段，例如 `communities.households=HU`；可重复")
    parser.add_argument("--source-crs", metavar="CRS",
                        help="文件中没有坐标系的图层所用坐标系（如 EPSG:4326），或 GCJ-02 / BD-09（转换为 WGS 84）")
    parser.add_argument("--city", metavar="城市", help="项目所在城市（日照城市预设的代码，例如 `harbin`）")
    parser.add_argument("--replace", action="store_true",
                        help="允许没有可用要素的图层替换项目中已有的同角色图层")
    parser.add_argument("--keep-outliers", action="store_true",
                        help="也导入远离同图层其余要素的离群要素（默认不导入）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出导入报告")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The lock spans load, import and save: a second import into the same project waits for this one and then
    # adds its layers to the saved result, instead of saving over it.
    with Project.editing(args.project, create={"city": args.city or "harbin"}) as project:
        try:
            report = import_layers(project, args.files, roles=parse_assignments(args.role, what="--role"),
                                   field_maps=parse_field_maps(args.field), source_crs=args.source_crs,
                                   city=args.city, replace=args.replace,
                                   keep_outliers=args.keep_outliers, progress=Progress(
                                       lambda done, total, message: log.info("%d/%d %s", done, total, message)))
        except InputError as exc:
            if args.json:
                print(json.dumps({"error": str(exc), "findings": []}, ensure_ascii=False, indent=2))
            raise
        path = project.save(args.project)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    counts = "，".join(f"{code_label(role, 'layer')} {len(project.layers[role])}" for role in sorted(project.layers))
    print(f"{path}：{counts}；坐标系 {project.crs.name}")
    for code, n in sorted(report.codes().items()):
        print(f"  {code_label(code, 'finding')}：{n} 条")
    for finding in report.findings:
        if finding.code != "missing_field":
            where = code_label(finding.layer or "", "layer") + (f" 要素 {finding.feature}" if finding.feature is not None
                                                                else "")
            print(f"  [{code_label(finding.code, 'finding')}] {where}：{finding.message}")
    return 0
