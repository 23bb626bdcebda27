"""Every error the tool raises on purpose, and every import finding, reads in Chinese: message and fix, in the source.

The scan reads the literal text of each ``InputError``/``ConfigError``/… call (the constant parts of an f-string;
the values put into it are data), of each import ``Finding``, of each standards-file check and of each ``parser.error`` call, so a new English message fails here before
a planner sees it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.english import english_words

PACKAGE = Path(__file__).resolve().parents[1] / "gisplanner"
# Names a message quotes for the user to type or find: options (--no-save), `commands`, field and layer names.
NAMES = re.compile(r"--?[A-Za-z][\w-]*|`[^`]*`|\b\w+_\w+\b|<[\w.]+>|\bgisplanner \w+|\.(?:dbf|prj|shx|cpg)\b"
                   r"|\b[a-z]+\.[a-z_.]+\b|\b\w+=\w+")
# Names of formats, encodings, software and column names a message quotes as they are.
QUOTED = {"mbtiles", "sqlite", "tiles", "utf", "gbk", "excel", "wps", "debian", "ubuntu", "apt", "install", "fonts",
          "noto", "cjk", "matplotlib", "cache", "nan", "folium", "key", "value", "item", "unit", "city", "county",
          "linestring", "multilinestring", "polygon", "multipolygon", "point", "multipoint", "dbf", "prj", "wkt", "landuse"}
ERRORS = {"InputError", "ConfigError", "GisPlannerError", "CancelledError", "ArgumentTypeError", "ArgumentError"}


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(_literal_text(part) for part in node.values)
    if isinstance(node, ast.BinOp):  # "..." + "..."
        return f"{_literal_text(node.left)} {_literal_text(node.right)}"
    if isinstance(node, ast.IfExp):
        return f"{_literal_text(node.body)} {_literal_text(node.orelse)}"
    return ""


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def error_texts():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            logged = isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") in {"log", "logger"}
            if name in ERRORS or name in {"Finding", "fail"} or (name == "error" and not logged):
                # Finding(code, layer, feature, message); a standards reader's fail(key, value, message)
                first = node.args[3:4] if name == "Finding" else node.args[2:3] if name == "fail" else node.args[:1]
                parts = [*first, *(k.value for k in node.keywords if k.arg in {"fix", "message"})]
                for part in parts:
                    yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", _literal_text(part)


def _english(text: str) -> list[str]:
    return [w for w in english_words(NAMES.sub(" ", text)) if w.lower() not in QUOTED]


def test_the_scan_reads_messages_and_fixes():
    texts = dict(error_texts())
    assert len(texts) > 100
    assert any("怎么办" in t or "检查" in t for t in texts.values())


def test_every_error_message_and_fix_is_chinese():
    english = [f"{where}: {text}" for where, text in error_texts() if _english(text)]
    assert not english, "\n".join(english)
