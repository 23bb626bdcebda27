"""The ``gisplanner`` command: the same engine as the desktop app, headless."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import re
import sys
import unicodedata

from gisplanner import __version__, commands
from gisplanner.errors import error_line, explain

log = logging.getLogger("gisplanner")


DESCRIPTION = ("gisplanner：城镇老旧小区改造规划工具的命令行，与桌面程序用同一套分析。"
               "用 gisplanner 子命令 -h 查看各子命令的用法。")

#: argparse's own messages (Python 3.11 argparse), each with its Chinese wording; ``%(name)s``, ``%s`` and
#: ``%r`` stand for the parts argparse fills in, kept in the same order.
ARGPARSE_MESSAGES = {
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 须给出其中一个",
    "expected one argument": "须跟一个值",
    "expected at most one argument": "最多跟一个值",
    "expected at least one argument": "至少跟一个值",
    "expected %s argument": "须跟 %s 个值",
    "expected %s arguments": "须跟 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "%(value)r 不是可选值（可选：%(choices)s）",
    "ignored explicit argument %r": "不接受值 %r",
    "unexpected option string: %s": "意外的选项 %s",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}
#: Names of the value types of the options, as argparse reports them (the ``__name__`` of the type).
TYPE_NAMES = {"float": "数", "int": "整数", "Path": "路径", "fromisoformat": "日期（年-月-日）"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%[sr]")


def _template_pattern(template: str) -> re.Pattern[str]:
    pattern, names, last = "", 0, 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1) or f"p{names}"
        names += 1
        pattern += re.escape(template[last:match.start()]) + f"(?P<{name}>.+?)"
        last = match.end()
    return re.compile(pattern + re.escape(template[last:]) + "$", re.S)


_MESSAGE_PATTERNS = [(_template_pattern(en), zh) for en, zh in ARGPARSE_MESSAGES.items()]


def argparse_message_zh(message: str) -> str:
    """One of argparse's error messages in Chinese (an unknown message is returned as it is).

    >>> argparse_message_zh("argument --floors: invalid float value: 'x'")
    "参数 --floors：'x' 不是有效的数"
    """
    found = next(((m, zh) for pattern, zh in _MESSAGE_PATTERNS if (m := pattern.match(message))), None)
    if found is None:
        return message
    match, zh = found
    unnamed = iter(match.groups())

    def fill(placeholder: re.Match[str]) -> str:
        name = placeholder.group(1)
        value = match.group(name) if name else next(unnamed)
        if name == "message":
            return argparse_message_zh(value)
        return TYPE_NAMES.get(value, value) if name == "type" else value

    return _PLACEHOLDER.sub(fill, zh)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_display(text: str, width: int) -> list[str]:
    """``text`` (whitespace collapsed) in lines of at most ``width`` terminal columns; Chinese breaks anywhere
    but before its closing punctuation, Latin words only at spaces.

    >>> wrap_display("核查拟建设施 check a site", 12)
    ['核查拟建设施', 'check a site']
    """
    lines, line = [], ""
    for word in re.findall(r"\s*(?:[\u2e80-\uffef]|[^\s\u2e80-\uffef]+)[，。；：、）”]*", " ".join(text.split())):
        if line and display_width(line + word) > width:
            lines.append(line)
            line = word.lstrip()
        else:
            line += word
    return [*lines, line] if line else lines


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's help with the usage line headed 用法：, each option's help on the lines below the option (a
    Chinese metavar is twice as wide as argparse counts it, which would break a shared column) and help text
    wrapped by terminal columns."""

    def __init__(self, prog: str, **kwargs) -> None:
        kwargs.setdefault("max_help_position", 8)
        super().__init__(prog, **kwargs)

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_display(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_display(text, width - len(indent)))


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own words are Chinese: headings, the -h help and the parse errors.

    Subcommand parsers are made of the same class (argparse builds them with the class of their parent).
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示本帮助并退出"

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("title", "子命令")
        return super().add_subparsers(**kwargs)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{argparse_message_zh(message)}\n")


def command_modules() -> list[str]:
    """Names of the modules in gisplanner.commands; each has add_parser(subparsers) and run(args) -> int."""
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="gisplanner", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"gisplanner {__version__}",
                        help="显示版本号并退出")
    parser.add_argument("-v", "--verbose", action="store_true", help="把运行过程记录输出到标准错误")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="子命令")
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
