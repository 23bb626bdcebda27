"""Find English a user would read: in the strings of a Qt widget tree and in the text of exported files.

Used by the English scans (tests/ui/test_english_scan.py, tests/export/test_english_scan.py). A word is
English when it has two or more Latin letters and is not on the allowlist of units, standards, formats and
names that planners read as they are.
"""

from __future__ import annotations

import html.parser
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

#: Latin words a Chinese planner reads as they are: units, standard and CRS names, file formats, the program.
ALLOWED = frozenset({
    "m", "km", "h", "min", "hm", "ha", "px", "dpi", "mm",
    "gb", "gbt", "jgj", "td", "epsg", "cgcs", "wgs", "utm", "gk", "far",
    "osm", "openstreetmap", "contributors", "leaflet",
    "gpkg", "geopackage", "pdf", "png", "html", "csv", "xlsx", "md", "json", "txt", "shp", "shapefile", "geojson",
    "pbf", "tif", "geotiff", "mbtiles", "yaml", "crs", "gis", "gisplanner", "id", "ctrl", "shift", "alt", "del",
    "gcj", "bd", "x", "y", "a", "b", "c", "ok", "ii", "iii", "iv", "vi", "vii", "cctool",
})
# File names and paths (demo.gpkg, /tmp/x/plan.pdf), URLs and web sites cited as sources (tihaiku.com), paper
# sizes (A3), IDs (D001, K001, P1), EPSG codes, CRS names (UTM zone 52N), standard numbers with letters
# (T4.0.2), hex colours and the check keys the joint-review form reads back (check_land_use) are names, not
# words.
_NAMES = re.compile(r"(?:[A-Za-z]:)?[\w./\\-]*\.(?:gpkg|pdf|png|html|csv|xlsx|md|json|txt|shp|geojson|pbf|yaml|tif|"
                    r"mbtiles|cpg|py|sh)\b|https?://\S+|file://\S+|/[\w./-]+|#[0-9a-fA-F]{6}\b|\b[A-Z]{1,3}\d+\b"
                    r"|\bT\d[\d.]*|\bEPSG:\d+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|cn|org|net)\b|\bUTM zone\b(?: \d+[NS]?)?"
                    r"|\bcheck_[a-z0-9_]+\b")
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str) -> list[str]:
    """The English words of ``text`` outside the allowlist."""
    text = _NAMES.sub(" ", text)
    return [w for w in _WORD.findall(text) if w.lower() not in ALLOWED]


def offending(strings: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``{where: [text, ...]}`` of the strings that contain English words, each text once."""
    found: dict[str, list[str]] = {}
    for where, text in strings:
        if text and english_words(text) and text not in found.setdefault(where, []):
            found[where].append(text)
    return {k: v for k, v in found.items() if v}


# ----------------------------------------------------------------------------------------------- widgets

def widget_strings(root) -> Iterator[tuple[str, str]]:
    """Every string ``root`` and its children show: titles, labels, buttons, items, headers, tooltips."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QComboBox,
        QDockWidget,
        QGroupBox,
        QLabel,
        QLineEdit,
        QMenu,
        QTabWidget,
        QTextEdit,
        QWidget,
        QWizard,
    )

    display = Qt.ItemDataRole.DisplayRole
    for widget in [root, *root.findChildren(QWidget)]:
        kind = type(widget).__name__
        if widget.isWindow() or isinstance(widget, QDockWidget):
            yield f"{kind}.windowTitle", widget.windowTitle()
        yield f"{kind}.toolTip", widget.toolTip()
        if isinstance(widget, QLabel):
            yield "QLabel", widget.text()
        elif isinstance(widget, QAbstractButton):
            yield "button", widget.text()
        elif isinstance(widget, QLineEdit):
            yield "QLineEdit.placeholder", widget.placeholderText()
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield "QComboBox", widget.itemText(i)
        elif isinstance(widget, QGroupBox):
            yield "QGroupBox", widget.title()
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield "tab", widget.tabText(i)
        elif isinstance(widget, QTextEdit):
            yield "text", widget.toPlainText()
        elif isinstance(widget, QMenu):
            yield "menu", widget.title()
        elif isinstance(widget, QWizard):
            for page_id in widget.pageIds():
                page = widget.page(page_id)
                yield "wizard page", page.title()
                yield "wizard page", page.subTitle()
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for section in range(_columns(model)):
                yield f"{kind} header", str(model.headerData(section, Qt.Orientation.Horizontal, display) or "")
            yield from _model_strings(model, kind)
        for action in QWidget.actions(widget):
            yield "action", action.text()
            yield "action.toolTip", action.toolTip() if action.toolTip() != action.text().replace("&", "") else ""
            if action.menu() is not None:
                yield "menu", action.menu().title()
                for sub in action.menu().actions():
                    yield "action", sub.text()


def _columns(model, parent=None) -> int:
    from PyQt6.QtCore import QAbstractListModel, QModelIndex

    # list models keep columnCount private in PyQt: they have one column
    return 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent or QModelIndex())


def _model_strings(model, kind: str, parent=None, depth: int = 0, max_rows: int = 40) -> Iterator[tuple[str, str]]:
    from PyQt6.QtCore import QModelIndex, Qt

    parent = parent if parent is not None else QModelIndex()
    for row in range(min(model.rowCount(parent), max_rows)):
        for column in range(_columns(model, parent)):
            index = model.index(row, column, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield f"{kind} cell", value
            if column == 0 and depth < 3 and model.rowCount(index) > 0:
                yield from _model_strings(model, kind, index, depth + 1, max_rows)


# ----------------------------------------------------------------------------------------------- files

class _VisibleText(html.parser.HTMLParser):
    """Text a browser shows (scripts and styles left out), plus titles and alt texts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def html_text(source: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(source)
    return parser.parts


def json_messages(data, key: str = "") -> Iterator[str]:
    """The human-readable fields of a report (title, message, next_steps, reason…), not its keys or codes."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from json_messages(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from json_messages(v, key)
    elif isinstance(data, str) and key in {"title", "message", "next_steps", "summary", "note", "notes", "text",
                                           "facility_zh", "label", "quote", "what_to_do", "fix", "problem"}:
        yield data


def file_strings(path: Path) -> Iterator[tuple[str, str]]:
    """The text of one exported file, by format."""
    suffix = path.suffix.lower()
    where = path.name
    if suffix in (".csv", ".txt", ".md"):
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            yield where, line
    elif suffix == ".html":
        for part in html_text(path.read_text(encoding="utf-8")):
            yield where, part
    elif suffix == ".json":
        for text in json_messages(json.loads(path.read_text(encoding="utf-8"))):
            yield where, text
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            yield where, sheet.title
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        yield f"{where}:{sheet.title}", value
    elif suffix == ".pdf":
        from pypdf import PdfReader

        for n, page in enumerate(PdfReader(path).pages, start=1):
            for line in (page.extract_text() or "").splitlines():
                yield f"{where} p{n}", line
