"""``gisplanner districts``: bundle eligible communities into renovation districts (片区)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gisplanner import workflow
from gisplanner.analysis.renovation import UNIT_ZH
from gisplanner.io.writers import write_layers
from gisplanner.outputs import output_file
from gisplanner.project import Project


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "districts", help="bundle adjacent old communities into renovation districts", description=__doc__,
        epilog="Writes the layers districts, district_members, district_resources, district_exclusions, "
               "district_gaps and district_content to OUT, and stores them as results in the project. "
               "Defaults come from the project's standards (settings.yaml districts, renovation.yaml).")
    parser.add_argument("project", type=Path, help="project GeoPackage")
    parser.add_argument("--out", type=Path, required=True, help="GeoPackage to write the district layers to")
    parser.add_argument("--min-population", type=float, default=None, help="smallest district population")
    parser.add_argument("--max-population", type=float, default=None, help="largest district population")
    parser.add_argument("--max-extent", type=float, default=None,
                        help="largest walk (m) between member centroids; straight line without a walk_network")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bundling (same seed, same districts)")
    parser.add_argument("--within-admin", action="store_true",
                        help="keep each district inside one admin_boundaries unit (街道/社区)")
    parser.add_argument("--unit-costs", type=Path, default=None,
                        help="单价表 CSV，表头 item,unit,unit_cost_yuan：item 为改造内容（名称或键），unit 取 "
                             f"{'、'.join(UNIT_ZH)}；各小区已选改造内容按工程量计价，本工具不内置单价")
    parser.add_argument("--no-save", action="store_true", help="do not store the results in the project file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    out = output_file(args.out, protected=[args.project, args.unit_costs])
    with Project.editing(args.project, write=not args.no_save) as project:
        plan = workflow.run(project, "districts", seed=args.seed, min_population=args.min_population,
                            max_population=args.max_population, max_extent_m=args.max_extent,
                            within_admin=args.within_admin,
                            unit_costs=str(args.unit_costs) if args.unit_costs is not None else None)
        write_layers(plan.results(), out)
        if not args.no_save:
            project.save()
    d = plan.districts
    broken = (d["violations"] != "").sum()
    print(f"{len(d)} 个片区，共 {len(plan.members)} 个小区（{broken} 个片区不满足约束，见“约束检查”）；"
          f"{len(plan.exclusions)} 个小区未纳入（附原因）；{len(plan.resources)} 处资源；"
          f"已写入 {args.out}，用时 {time.perf_counter() - start:.1f} 秒")
    unknown = int(plan.exclusions["built_year"].isna().sum())
    if unknown:
        print(f"{unknown} 个小区没有建成年份，未纳入：导入带建成年份字段的小区（或建筑）数据")
    return 0
