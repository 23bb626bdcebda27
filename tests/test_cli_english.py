"""No English in what ``gisplanner`` prints about itself: the ``--help`` of the command and of every subcommand
(found from the parser, so a new one is scanned too) and argparse's own errors. What a user types stays as it
is: option names, choices, subcommand names and identifiers quoted in backticks (`boiler_rooms:K001`)."""

import argparse
import contextlib
import io
import re

import pytest
from english import english_words

from gisplanner.cli import argparse_message_zh, build_parser, main, wrap_display


def _subparsers(parser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


PARSER = build_parser()
COMMANDS = sorted(_subparsers(PARSER))


def _typed(parser) -> set[str]:
    """Option names and choices of ``parser`` (the subcommand names are the choices of the top level)."""
    return {s for a in parser._actions for s in a.option_strings} | {
        str(c) for a in parser._actions if a.choices for c in a.choices}


def _untyped_english(text: str, parser, typed_by_user=()) -> list[str]:
    """English words of ``text`` once the things a user types are taken out."""
    text = re.sub(r"`[^`]*`|\{[^}]*\}", " ", text)  # quoted identifiers, the choices in the usage line
    for word in sorted(_typed(parser) | _typed(PARSER) | set(typed_by_user), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", text)
    return english_words(text)


def _run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(argv)
    return exit_.value.code, out.getvalue(), err.getvalue()


def test_the_scan_sees_english_help():
    check = _subparsers(PARSER)["check"]
    assert _untyped_english("--floors 层数 storeys of the facility", check) == ["storeys", "of", "the", "facility"]
    assert _untyped_english("--site 图层:编号 例如 `boiler_rooms:K001`", check) == []


def test_every_subcommand_is_scanned():
    assert {"check", "districts", "export", "import", "sunlight", "batch"} <= set(COMMANDS)


def test_top_level_help_is_chinese():
    code, out, _ = _run(["--help"])
    assert code == 0 and out.startswith("用法：gisplanner")
    assert "子命令" in out and "选项" in out
    assert _untyped_english(out, PARSER) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help_is_chinese(command):
    code, out, _ = _run([command, "--help"])
    assert code == 0 and out.startswith(f"用法：gisplanner {command}")
    assert "显示本帮助并退出" in out
    assert _untyped_english(out, _subparsers(PARSER)[command]) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_errors_are_chinese(command):
    parser = _subparsers(PARSER)[command]
    bad = [[command, "--no-such-option"]]
    bad += [[command, a.option_strings[0], "x"] for a in parser._actions
            if a.option_strings and a.type in (int, float)]
    if any(a.required for a in parser._actions):
        bad.append([command])
    for argv in bad:
        code, _, err = _run(argv)
        assert code == 2
        assert "：错误：" in err, argv
        assert _untyped_english(err, parser, argv) == [], argv


def test_argparse_messages_are_translated_with_their_values():
    assert argparse_message_zh("argument --year: invalid int value: '20x5'") == "参数 --year：'20x5' 不是有效的整数"
    assert argparse_message_zh("the following arguments are required: P.gpkg, --out") == \
        "缺少必需的参数：P.gpkg, --out"
    assert argparse_message_zh("argument --footprint: not allowed with argument --site") == \
        "参数 --footprint：不能与参数 --site 同时使用"
    assert argparse_message_zh("something new") == "something new"


def test_help_is_wrapped_by_terminal_columns():
    lines = wrap_display("设施高度（m；默认为层数 × 标准层高），例如 `boiler_rooms:K001`", 20)
    assert all(sum(2 if "\u4e00" <= c <= "\uffef" else 1 for c in line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == "设施高度（m；默认为层数×标准层高），例如`boiler_rooms:K001`"
    assert not any(line.startswith(("，", "）")) for line in lines)
