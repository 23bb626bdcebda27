"""``gisplanner review``: attach the comments of a filled joint-review form (review_form.xlsx) to the project."""

from __future__ import annotations

import argparse
from pathlib import Path

from gisplanner.export.package import project_plan_layers
from gisplanner.export.review_form import STATUS_ZH, TABLE, addressed, attach_comments, read_review_form
from gisplanner.project import Project

DESCRIPTION = "导入联合审查填好的审查意见表（gisplanner export 导出的 review_form.xlsx），把每条意见挂到对应片区或设施核查项；再次导出时预填意见并列出已处理和未处理的意见。"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="导入填好的联合审查意见表，把每条意见挂到对应片区或核查项",
                                   description=DESCRIPTION)
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--import", dest="import_file", type=Path, required=True, metavar="FORM.xlsx",
                        help="由 gisplanner export 导出、审查会填写的 review_form.xlsx")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = Project.load(args.project)
    result = read_review_form(args.import_file, project_plan_layers(project))
    table = attach_comments(project.tables.get(TABLE), result.comments)
    if len(table):
        project.tables[TABLE] = table
    project.save()
    counts = result.comments["status"].value_counts()
    summary = "，".join(f"{zh} {int(counts.get(key, 0))} 条" for key, zh in STATUS_ZH.items())
    print(f"已挂接 {len(result.comments)} 条审查意见（{summary}）→ {project.path}")
    print(f"项目共有意见 {len(table)} 条，已处理 {int(addressed(table).sum()) if len(table) else 0} 条")
    for finding in result.findings:
        print(f"  [{finding.code}] {finding.feature}：{finding.message}")
    return 0
