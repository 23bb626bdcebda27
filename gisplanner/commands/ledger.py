"""``gisplanner ledger``: import or export the renovation ledger (改造项目台账) of a project as .xlsx."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplanner.errors import InputError
from gisplanner.ledger import (
    TABLE,
    check_preconditions,
    households_by_project,
    project_ledger,
    read_ledger_xlsx,
    write_ledger_xlsx,
)
from gisplanner.project import Project

DESCRIPTION = "导入或导出改造项目台账（住建局表格样式，中文表头）：项目阶段（储备/谋划/实施/完工）、计划年度、本省纳入年度计划的前提条件、已纳入中央补助、开工/完工日期和资金来源。导入时读不出的单元格留空并逐条报告；导出时列出每个项目未满足的前提条件。"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ledger", help="导入或导出改造项目台账（.xlsx，中文表头）", description=DESCRIPTION)
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--import", dest="import_file", type=Path, metavar="FILE.xlsx",
                        help="从表格导入台账，替换项目中的台账（读不出的单元格留空并逐条报告）")
    action.add_argument("--export", dest="export_file", type=Path, metavar="FILE.xlsx",
                        help="把台账写成表格；项目还没有台账时，每个片区记为一个“储备”项目")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = Project.load(args.project)
    standards = project.standards()
    communities = project.layer("communities")
    if args.import_file is not None:
        result = read_ledger_xlsx(args.import_file, standards,
                                  community_ids=communities["feature_id"].astype(str))
        if not len(result.ledger):
            raise InputError("表格中没有可导入的项目行", file=str(args.import_file),
                             fix="每行一个项目，至少填写“项目编号”")
        project.tables[TABLE] = result.ledger
        project.save()
        print(f"已导入台账：{len(result.ledger)} 个项目，{len(result.findings)} 条提示 → {project.path}")
        for finding in result.findings:
            print(f"  [{finding.code}] {finding.feature}：{finding.message}")
        return 0
    ledger = project_ledger(project)
    check = check_preconditions(ledger, communities, standards, city=project.city,
                                province=project.settings.get("province"))
    path = write_ledger_xlsx(ledger, args.export_file, standards,
                             households=households_by_project(ledger, communities), check=check)
    blocked = int((check.table["unmet"] != "").sum())
    print(f"已导出台账：{len(ledger)} 个项目（{blocked} 个有未满足的前提条件）→ {path}")
    return 0
