"""``gisplanner demo``: build the bundled demo project; with --export, run every analysis and write the plan
package (the headless main job)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project, default_demo_path
from gisplanner.labels import code_label
from gisplanner.progress import Progress


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="生成自带的示例老城区项目（虚构数据）",
                                   description="生成自带的示例老城区项目；加 --export 时运行全部分析并写出成果包"
                                               "（不用桌面程序完成整套工作）。")
    parser.add_argument("--out", type=Path, default=None, metavar="P.gpkg",
                        help=f"写出的项目文件（默认 {default_demo_path()}；加 --export 时为 文件夹/demo_oldtown.gpkg）")
    parser.add_argument("--export", type=Path, metavar="文件夹", default=None,
                        help="划分片区、计算生活圈缺口和日照、核查示例选址，再把成果包写入该文件夹")
    parser.add_argument("--seed", type=int, default=20240409, metavar="种子", help="虚构城区的随机种子")
    parser.set_defaults(run=run)


def _print_progress(done: int, total: int, message: str) -> None:
    if sys.stderr.isatty():
        print(f"\r  {done * 100 // max(total, 1):3d}% {message[:70]:<70}", end="", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    project = build_demo_project(seed=args.seed)
    if args.export is None:
        path = project.save(args.out or default_demo_path())
        counts = "，".join(f"{code_label(role, 'layer')} {len(frame)}" for role, frame in project.layers.items())
        print(f"示例项目已写入 {path}，用时 {time.perf_counter() - start:.1f} 秒：{counts}")
        return 0
    from gisplanner.export.package import export_plan_package
    from gisplanner.workflow import run_all

    summary = run_all(project, placements=DEMO_PLACEMENTS, progress=Progress(_print_progress))
    path = project.save(args.out or args.export / "demo_oldtown.gpkg")
    written = export_plan_package(project, args.export, progress=Progress(_print_progress))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    files = sorted({p for paths in written.values() for p in paths})
    print(f"含分析结果的示例项目已写入 {path}：{summary['districts']} 个片区，{summary['gaps']} 处生活圈缺口，"
          f"{summary['sill_points']} 个窗台日照采样点，拟建设施核查结论："
          f"{'、'.join(code_label(o, 'overall') for o in summary['placements'])}")
    print(f"规划成果包：{len(files)} 个文件，位于 {args.export}（用时 {time.perf_counter() - start:.1f} 秒）")
    for file in files:
        print(f"  {file}")
    return 0
