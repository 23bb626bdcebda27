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
        "batch", help="run many cities as tasks on dask.distributed and roll them up for the province",
        description=__doc__,
        epilog="每个城市完成后写入 OUT/<key>/（project.gpkg、plan/、run.json）；OUT/batch.json 记录各城市的状态；"
               "全省汇总写入 OUT/province/。重新运行时，输入数据和运行记录（各分析的参数、标准修改、拟建设施）"
               "都未变化的城市跳过，其余城市重算并说明原因。各工作进程须能访问输入和输出路径。")
    parser.add_argument("projects", nargs="*", type=Path, metavar="P.gpkg", help="city project files")
    parser.add_argument("--cities", type=Path, metavar="LIST.json",
                        help='城市列表：{"cities": [{"key", "name", "project" 或 "sources", "placements"}]}；'
                             '资金来源取自各市的改造台账')
    parser.add_argument("--layers", type=Path, nargs="+", metavar="FILE",
                        help="a province's layer files, split into cities by --split-by")
    parser.add_argument("--split-by", metavar="FIELD", help="field holding each feature's city or county")
    parser.add_argument("--margin-m", type=float, default=2000.0,
                        help="layers without the field are cut to each city's extent plus this (m; default 2000)")
    parser.add_argument("--city", help="standards city key of imported layers (default: from the data)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a running dask scheduler (e.g. tcp://10.0.0.5:8786); "
                             "default: a local cluster on this machine")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the district bundling")
    parser.add_argument("--plan-year", type=int, metavar="YEAR",
                        help="make the plan tables for the communities whose plan_year is YEAR (default: all eligible)")
    parser.add_argument("--province", default="", help="省(区、市) name printed on the provincial plan table")
    parser.add_argument("--formats", default="gpkg,pdf,csv,xlsx",
                        help=f"plan package formats per city, any of {','.join(KNOWN_FORMATS)}")
    parser.add_argument("--force", action="store_true", help="rerun every city, changed or not")
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
