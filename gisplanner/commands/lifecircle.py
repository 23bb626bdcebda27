"""``gisplanner lifecircle``: 5/10/15-minute life-circle gaps on the walking network, and sites to close them."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from gisplanner import workflow
from gisplanner.analysis.lifecircle import DATA_CAVEAT, DATA_MISSING, SERVICE_GAP
from gisplanner.catalogue import (
    ANALYSES,
    CANDIDATE_SITES,
    COMMUNITY_ACCESS,
    DATA_COVERAGE,
    FACILITY_ACCESS,
    GAPS,
)
from gisplanner.io.spreadsheets import write_csv
from gisplanner.io.writers import write_layers
from gisplanner.labels import code_label
from gisplanner.outputs import output_file, output_folder
from gisplanner.project import Project

RESULTS = ANALYSES["lifecircle"].output_names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lifecircle", help="按设施类型和层级计算生活圈服务缺口，并给出候选选址",
        description="在步行路网上计算5、10、15分钟生活圈的服务缺口，并选出补缺口的候选场地。",
        epilog="把小区可达性、缺口、覆盖率（表）、服务范围、候选选址和设施可达性（表）各图层写入输出文件，并作为"
               "分析结果存入项目。距离阈值、设施类别对应和路网设置取自项目标准。")
    parser.add_argument("project", type=Path, metavar="P.gpkg", help="项目文件")
    parser.add_argument("--out", type=Path, required=True, metavar="输出.gpkg", help="写入结果图层的 GeoPackage")
    parser.add_argument("--csv", type=Path, default=None, metavar="文件夹", help="另把每项结果写成 CSV 放入该文件夹")
    parser.add_argument("--levels", default="5,10,15", metavar="层级",
                        help="要计算的生活圈层级：分钟数（`5,10,15`）或层级代码（`lc5,block`）；默认 5,10,15")
    parser.add_argument("--types", default=None, metavar="设施类型",
                        help="设施类型代码，逗号分隔（默认：设施目录中的全部类型）")
    parser.add_argument("--profile", default="gb50180", metavar="目录",
                        help="设施目录（`gb50180` 或 `wanzheng`）")
    parser.add_argument("--sites", type=int, default=None, metavar="个数",
                        help="每类缺口选出的候选场地数（默认取标准设置）")
    parser.add_argument("--per-facility", nargs="?", const="all", default=None, metavar="编号",
                        help="按每处设施、每个层级画服务范围（默认按设施类型）；可只列出部分设施编号，逗号分隔"
                             "（全市所有设施逐个计算较慢）")
    parser.add_argument("--no-save", action="store_true", help="不把结果存入项目文件")
    parser.set_defaults(run=run)


def parse_levels(text: str) -> list[str]:
    """Level keys from ``5,10,15`` or ``lc5,block``.

    Examples
    --------
    >>> parse_levels("5, 15,block")
    ['lc5', 'lc15', 'block']
    """
    keys = []
    for item in (t.strip() for t in text.split(",")):
        if item:
            keys.append(f"lc{item}" if item.isdigit() else item)
    return keys


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    out = output_file(args.out, protected=[args.project])
    csv_dir = output_folder(args.csv, protected=[args.project], option="--csv") if args.csv is not None else None
    types = [t.strip() for t in args.types.split(",") if t.strip()] if args.types else None
    ids = None if args.per_facility in (None, "all") else [t.strip() for t in args.per_facility.split(",")]
    with Project.editing(args.project, write=not args.no_save) as project:
        results = workflow.run(project, "lifecircle", levels=parse_levels(args.levels), types=types,
                               profile=args.profile, sites_k=args.sites,
                               per_facility=args.per_facility is not None, facility_ids=ids)
        write_layers(results, out)
        if csv_dir is not None:
            for name, frame in results.items():
                write_csv(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), csv_dir / f"{name}.csv")
        if not args.no_save:
            project.save()
    gaps, access = results[GAPS], results[COMMUNITY_ACCESS]
    n_comm = access["community_id"].nunique()
    reasons = gaps["reason"].value_counts()
    print(f"{len(gaps)} 处缺口（{reasons.get('off_network', 0)} 处小区远离步行路网，"
          f"{reasons.get('beyond_search_limit', 0)} 处超出搜索范围，"
          f"{reasons.get('unreachable', 0)} 处位于孤立路网，{reasons.get('no_facility', 0)} 处无此类设施），"
          f"涉及 {n_comm} 个小区、{access[['facility_type', 'level']].drop_duplicates().shape[0]} 个设施类型与层级；"
          f"选出 {int(results[CANDIDATE_SITES]['rank'].notna().sum())} 个候选站点；"
          f"已写入 {args.out}，用时 {time.perf_counter() - start:.1f} 秒")
    kind = gaps["gap_kind"].value_counts()
    missing = results[DATA_COVERAGE].query("gap_kind == @DATA_MISSING")
    catalogue = project.standards().facility_types(args.profile)
    print(f"其中{SERVICE_GAP}{kind.get(SERVICE_GAP, 0)}处，{DATA_MISSING}{kind.get(DATA_MISSING, 0)}处"
          + (f"（{missing['facility_type'].nunique()}类设施在数据中没有或明显偏少："
             f"{'、'.join(catalogue[t].zh for t in dict.fromkeys(missing['facility_type']))}）"
             if len(missing) else "") + "。")
    if len(missing):
        print(DATA_CAVEAT)
    kinds = access.drop_duplicates("community_id")["access"].value_counts()
    status = results[FACILITY_ACCESS]["status"].value_counts()
    print("小区出入方式：" + "，".join(f"{code_label(k, 'access')} {v}" for k, v in kinds.items())
          + "；设施：" + "，".join(f"{code_label(k, 'facility_access')} {v}" for k, v in status.items())
          + "（位于孤立路网或未接入路网的设施不服务任何小区，见“设施接入路网”结果）")
    return 0
