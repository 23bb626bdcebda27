"""The ``gisplanner`` command: the same engine as the desktop app, headless."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from gisplanner import __version__, commands
from gisplanner.errors import GisPlannerError


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
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args))
    except GisPlannerError as exc:
        print(f"gisplanner {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
