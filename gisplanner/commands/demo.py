"""``gisplanner demo``: build the bundled demo project (and, with --export, run everything and export)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gisplanner.demo import build_demo_project, default_demo_path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="build the bundled synthetic old-town project",
                                   description=__doc__)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"project file to write (default {default_demo_path()})")
    parser.add_argument("--seed", type=int, default=20240409, help="random seed of the synthetic town")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    project = build_demo_project(seed=args.seed)
    path = project.save(args.out or default_demo_path())
    counts = ", ".join(f"{role} {len(frame)}" for role, frame in project.layers.items())
    print(f"demo project written to {path} in {time.perf_counter() - start:.1f} s: {counts}")
    return 0
