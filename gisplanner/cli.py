"""The ``gisplanner`` command: the same engine as the desktop app, headless."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from gisplanner import __version__, commands
from gisplanner.errors import error_line, explain

log = logging.getLogger("gisplanner")


def command_modules() -> list[str]:
    """Names of the modules in gisplanner.commands; each has add_parser(subparsers) and run(args) -> int."""
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gisplanner", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gisplanner {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in command_modules():
        importlib.import_module(f"gisplanner.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure becomes one Chinese line on stderr (exit 2), Ctrl-C exits 130."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print(f"gisplanner {args.command}：已取消（项目文件未被改动）", file=sys.stderr)
        return 130
    except Exception as exc:  # the one error boundary of the CLI: a planner never reads a traceback
        explained = explain(exc)
        if explained is None:
            log.debug("unexpected error", exc_info=exc)
            if args.verbose:
                log.error("unexpected error", exc_info=exc)
            print(f"gisplanner {args.command}：问题：程序内部错误（{type(exc).__name__}: {exc}）；怎么办：项目文件"
                  "未被改动；请加 -v 重新运行，把输出发给开发者", file=sys.stderr)
            return 2
        if args.verbose and explained is not exc:
            log.info("details", exc_info=exc)
        print(f"gisplanner {args.command}：{error_line(explained)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
