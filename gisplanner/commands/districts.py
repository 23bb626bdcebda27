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
        "districts", help="把相邻的老旧小区组合为改造片区", description="把符合改造条件的相邻小区组合为改造片区。",
        epilog="把片区、片区成员、片区资源、未纳入小区、片区缺口和改造内容各图层写入输出文件，并作为分析结果存入项目。"
               "未给出的参数取项目标准中的值（settings.yaml 的片区设置、renovation.yaml）。")
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--out", type=Path, required=True, metavar="输出.gpkg", help="写入片区图层的 GeoPackage")
    parser.add_argument("--min-population", type=float, default=None, metavar="人", help="片区人口下限")
    parser.add_argument("--max-population", type=float, default=None, metavar="人", help="片区人口上限")
    parser.add_argument("--max-extent", type=float, default=None, metavar="米",
                        help="成员小区中心之间的最大步行距离（m）；没有步行路网时按直线距离")
    parser.add_argument("--seed", type=int, default=0, metavar="种子", help="划分的随机种子（种子相同，片区相同）")
    parser.add_argument("--within-admin", action="store_true",
                        help="每个片区限于一个行政单元（街道/社区）之内")
    parser.add_argument("--unit-costs", type=Path, default=None, metavar="CSV",
                        help="估算投资用的单价表，表头 `item,unit,unit_cost_yuan`（`item` 为改造内容名称或键；单位："
                             f"{'、'.join(f'`{u}`' for u in UNIT_ZH)}），各小区已选改造内容按工程量计价；没有默认单价")
    parser.add_argument("--no-save", action="store_true", help="不把结果存入项目文件")
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
