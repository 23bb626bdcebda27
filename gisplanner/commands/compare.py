"""``gisplanner compare``: two saved district plans side by side — districts changed, households, gaps, cost."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplanner.compare import compare_projects
from gisplanner.project import Project

DESCRIPTION = "比较两个保存的片区方案（或修改前后）：片区变化、换片区的小区、覆盖户数、补齐缺口和预计投资，输出比较表和比较图。"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="比较两个片区方案：片区变化、覆盖户数、补齐缺口、投资",
                                   description=DESCRIPTION)
    parser.add_argument("a", type=Path, metavar="A.gpkg", help="方案A（如修改前）")
    parser.add_argument("b", type=Path, metavar="B.gpkg", help="方案B（如修改后）")
    parser.add_argument("--out", type=Path, required=True, metavar="文件夹", help="输出文件夹")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    comparison, written = compare_projects(Project.load(args.a), args.b, args.out, label_a=args.a.stem)
    for _, row in comparison.metrics.iterrows():
        if row.isna().any():
            print(f"{row['指标']}：数据缺失（未提供单价表）")
        else:
            digits = 2 if "万元" in row["指标"] else 0
            print(f"{row['指标']}：A {row['方案A']:,.{digits}f}，B {row['方案B']:,.{digits}f}，"
                  f"变化 {row['变化']:+,.{digits}f}")
    status = comparison.districts["状态"].value_counts()
    print("片区：" + "，".join(f"{k} {v} 个" for k, v in status.items()))
    print(f"换片区、新纳入或移出的小区 {len(comparison.communities)} 个")
    print(f"已写出：{written['xlsx']}，{written['map']}")
    return 0
