"""``gisplanner batch``: run many cities on dask.distributed (import, districts, life circle, placement checks,
plan package per city), then the provincial roll-up (plan table with 全市小计 and 全省合计, summary, overview map)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gisplanner.batch import (
    STATE_ZH,
    BatchOptions,
    BatchProgress,
    project_jobs,
    read_city_list,
    run_batch,
    split_by_field,
    write_province,
)
from gisplanner.errors import InputError
from gisplanner.export.package import KNOWN_FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch", help="多个城市分任务并行计算（`dask.distributed`），再汇总为全省成果",
        description="批量计算多个城市：每市导入、划片区、生活圈、设施核查并输出成果包，再汇总全省计划表"
                    "（全市小计、全省合计）、汇总表和总览图。",
        epilog="每个城市算完即写入 输出文件夹/城市代码/（project.gpkg、plan/、run.json）；batch.json 记录每个城市的"
               "状态；全省汇总写入 输出文件夹/province/。重新运行时，输入数据和运行记录（各分析的参数、标准修改、"
               "拟建设施）都未变化的城市跳过，其余城市重算并说明原因。"
               "各计算进程须能访问输入和输出路径。")
    parser.add_argument("projects", nargs="*", type=Path, metavar="P.gpkg", help="各城市的项目文件")
    parser.add_argument("--cities", type=Path, metavar="LIST.json",
                        help='城市清单：`{"cities": [{"key", "name", "project" 或 "sources", "placements"}]}`；'
                             '资金来源取自各市的改造台账')
    parser.add_argument("--layers", type=Path, nargs="+", metavar="文件",
                        help="全省的图层文件，按 --split-by 字段拆分到各城市")
    parser.add_argument("--split-by", metavar="字段", help="记录每个要素所属市或县的字段")
    parser.add_argument("--margin-m", type=float, default=2000.0,
                        metavar="米", help="没有该字段的图层按各城市范围外扩此距离裁切（m，默认 2000）")
    parser.add_argument("--city", metavar="城市", help="导入图层所用的标准城市代码（默认由数据判断）")
    parser.add_argument("--out", type=Path, required=True, metavar="文件夹", help="输出文件夹")
    parser.add_argument("--scheduler", metavar="地址",
                        help="已运行的 `dask` 调度器地址（例如 `tcp://10.0.0.5:8786`）；默认在本机启动本地集群")
    parser.add_argument("--workers", type=int, default=2, metavar="个数", help="本地集群的计算进程数（默认 2）")
    parser.add_argument("--seed", type=int, default=0, metavar="种子", help="划分片区的随机种子")
    parser.add_argument("--plan-year", type=int, metavar="年度",
                        help="计划表只计入“计划年度”为该年度的小区（默认计入全部符合条件的小区）")
    parser.add_argument("--province", default="", metavar="名称", help="印在全省计划表上的省（区、市）名称")
    parser.add_argument("--formats", default="gpkg,pdf,csv,xlsx",
                        metavar="格式", help=f"每个城市成果包的格式，逗号分隔，可选 {','.join(KNOWN_FORMATS)}")
    parser.add_argument("--force", action="store_true", help="不论有无变化，全部城市重新计算")
    parser.set_defaults(run=run)


def _show(progress: BatchProgress) -> None:
    end = "" if sys.stderr.isatty() else "\n"
    start = "\r" if sys.stderr.isatty() else ""
    print(f"{start}{progress.text()[:150]:<150}", end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown:
        raise InputError(f"unknown export format {unknown[0]!r}", fix=f"use any of {','.join(KNOWN_FORMATS)}")
    if bool(args.layers) != bool(args.split_by):
        raise InputError("--layers and --split-by go together", fix="give both, e.g. --layers province.gpkg "
                                                                    "--split-by city")
    jobs = project_jobs(args.projects)
    if args.cities:
        jobs += read_city_list(args.cities)
    if args.layers:
        jobs += split_by_field(args.layers, args.split_by, args.out, margin_m=args.margin_m)
    if not jobs:
        raise InputError("no city given", fix="give project files, --cities LIST.json, or --layers with --split-by")
    report = run_batch(jobs, args.out, options=BatchOptions(seed=args.seed, formats=formats, city=args.city,
                                                                plan_year=args.plan_year),
                       scheduler=args.scheduler, n_workers=args.workers, force=args.force, on_progress=_show)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"批处理结束：{len(report.cities)} 个城市，结果在 {report.out_dir}")
    for city in report.cities:
        seconds = f"{city.seconds:.1f} 秒" if city.seconds is not None else ""
        print(f"  {city.name}（{city.key}）：{STATE_ZH[city.state]} {seconds} {city.message}".rstrip())
    if report.by_state("done") or report.by_state("skipped"):
        paths = write_province(report, province=args.province)
        print(f"全省汇总：{paths['xlsx']}；总览图：{paths['map_png']}")
    else:
        print("没有完成的城市，未生成全省汇总。")
    return 1 if report.by_state("failed") else 0
