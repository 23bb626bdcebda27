"""``gisplanner notice``: the public notice sheet (公示牌) of one ledger project, PDF or PNG, with its QR code."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplanner.export.notice import PAPERS_MM, write_project_notice
from gisplanner.io.writers import read_unit_costs
from gisplanner.project import Project

DESCRIPTION = "生成一个改造项目的公示牌（A4/A3 竖向 PDF 或 PNG）：规划图、改造内容、工程预算与资金筹措、后续管理、实施安排、联系方式和一项目一二维码（黑政办规〔2021〕15号）。"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("notice", help="生成一个改造项目的公示牌（PDF/PNG，含一项目一二维码）",
                                   description=DESCRIPTION)
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--project", dest="project_id", required=True, metavar="ID", help="台账中的项目编号")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pdf", help="输出文件（.pdf 或 .png）")
    parser.add_argument("--paper", choices=list(PAPERS_MM), default="A4", help="纸张（竖向），默认 A4")
    parser.add_argument("--unit-costs", type=Path, metavar="CSV", help="单价表，用于预计投资额（不给则留空）")
    parser.add_argument("--url", metavar="网址", help="二维码指向的网址，可含 {project_id}；默认二维码写项目编号和概要")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = Project.load(args.project)
    if args.url:
        project.settings["notice_url"] = args.url
    unit_costs = read_unit_costs(args.unit_costs) if args.unit_costs is not None else None
    path = write_project_notice(project, args.project_id, args.out, paper=args.paper, unit_costs=unit_costs,
                                unit_costs_file=str(args.unit_costs) if args.unit_costs else None)
    print(f"已生成项目 {args.project_id} 的公示牌 → {path}")
    return 0
