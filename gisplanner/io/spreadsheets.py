"""Spreadsheet safety: text that a spreadsheet would run as a formula is written as text, in every table.

A name like ``=HYPERLINK("http://…")`` or ``=cmd|' /C calc'!A0`` (OSM names can be edited by anyone) becomes a
live formula when a CSV is opened in Excel or WPS, or when openpyxl stores it. Every CSV and XLSX writer of the
project goes through :func:`write_csv` and :func:`text_cells` (or :func:`text_cell` per cell): CSV text starting with ``= + - @``, a tab or a
carriage return gets a leading apostrophe and every text cell is quoted (the OWASP rule: shown, never
evaluated); XLSX text cells are typed
as strings, so nothing is a formula.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (or a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def defuse(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is formula-like text, else unchanged."""
    return "'" + value if is_formula_like(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names and index labels are defused (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(defuse, na_action="ignore")
    out.columns = out.columns.map(lambda c: tuple(map(defuse, c)) if isinstance(c, tuple) else defuse(c))
    out.index = out.index.map(lambda c: tuple(map(defuse, c)) if isinstance(c, tuple) else defuse(c))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False, encoding: str = "utf-8-sig",
              **options: Any) -> Path:
    """Write ``frame`` as CSV (UTF-8 with BOM by default, so Excel reads Chinese) with formula-like text defused.

    Every text cell is quoted: a bare carriage return inside a cell would otherwise start a new row for most
    readers, and the text after it a new, undefused cell.
    """
    safe_frame(frame).to_csv(path, index=index, encoding=encoding, quoting=csv.QUOTE_NONNUMERIC, **options)
    return Path(path)


def text_cell(cell: Any) -> Any:
    """Type one openpyxl cell holding text as a string (never a formula); returns the cell."""
    if isinstance(cell.value, str) and cell.data_type != "s":
        cell.data_type = "s"
    return cell


def text_cells(book: Any) -> Any:
    """Type every text cell of an openpyxl workbook as a string, so none is stored as a formula; returns it.

    Call it once before ``book.save``: openpyxl turns any text starting with ``=`` into a formula cell.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text_cell(cell)
    return book
