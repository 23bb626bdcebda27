"""``gisplanner plan``: the year's renovation plan from the ledger — selection, plan table, funding, fiscal check."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplanner.annual_plan import run_annual_plan
from gisplanner.io.writers import read_unit_costs
from gisplanner.project import Project

DESCRIPTION = "按台账遴选某一年度的改造计划：项目阶段、本省前提条件、优先度（补齐缺口、户数、房龄）、市县财政承受额度和2000年底后小区15%上限，说明每个未纳入项目的原因；写出计划表（建办城〔2021〕28号样式）、资金筹措表、财政承受能力核算和资金来源图。"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="按台账遴选年度改造计划，出计划表、资金筹措和财政承受能力核算",
                                   description=DESCRIPTION)
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--year", type=int, required=True, metavar="年度", help="计划年度，如 2025")
    parser.add_argument("--budget", type=float, metavar="万元", help="本年度市县财政可承受的改造出资额度（万元）")
    parser.add_argument("--unit-costs", type=Path, metavar="CSV",
                        help="单价表，表头 `item,unit,unit_cost_yuan`（默认用片区分析所用单价；都没有则投资额留空）")
    parser.add_argument("--out", type=Path, required=True, metavar="文件夹", help="输出文件夹")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = Project.load(args.project)
    unit_costs = read_unit_costs(args.unit_costs) if args.unit_costs is not None else None
    plan, written = run_annual_plan(project, year=args.year, out_dir=args.out, budget_wan=args.budget,
                                    unit_costs=unit_costs,
                                    unit_costs_file=str(args.unit_costs) if args.unit_costs else None)
    chosen = plan.selection[plan.selection["selected"]]
    print(f"{args.year}年计划：纳入 {len(chosen)} 个项目、居民 {chosen['households'].sum():.0f} 户；"
          f"未纳入 {len(plan.selection) - len(chosen)} 个")
    for _, row in plan.selection[~plan.selection["selected"]].iterrows():
        print(f"  {row['project_id']} {row['name']}：{row['reason']}")
    print(f"2000年底后建成小区户数占比 {plan.post2000_share:.1%}（上限 {plan.post2000_cap:.0%}）")
    print(plan.fiscal.verdict)
    print(f"已写出：{written['xlsx']}，{written['chart']}")
    return 0
