"""Spreadsheets (.xlsx) the user keeps and fills in: opening with clear errors, safe cells, atomic saves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from gisplanner.errors import InputError
from gisplanner.export.plan_table import write_cell


def open_workbook(path: str | Path, what: str) -> Any:
    """Open a workbook read-only with cached values; InputError naming ``what`` (e.g. 台账表格) and the fix."""
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError(f"找不到{what}", file=str(path), fix="检查文件路径") from None
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError(f"无法读取{what}：{exc}", file=str(path), fix="另存为 .xlsx 后重试") from None


def write_sheet(book: Any, title: str, frame: pd.DataFrame, *, widths: Mapping[str, float] | None = None) -> Any:
    """Add ``frame`` to an openpyxl workbook as a sheet: bold frozen header, readable widths, and text starting
    with = + - @ written as text, not as a formula."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for c, column in enumerate(frame.columns, start=1):
        write_cell(sheet, 1, c, str(column)).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r, values in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(values, start=1):
            write_cell(sheet, r, c, value)
    for c, column in enumerate(frame.columns, start=1):
        longest = frame[column].astype(str).str.len().max() if len(frame) else 0
        width = (widths or {}).get(column) or min(max(len(str(column)) * 2.0, float(longest) * 1.8, 8.0), 50.0)
        sheet.column_dimensions[get_column_letter(c)].width = width
    return sheet


def save_workbook(book: Any, path: str | Path) -> Path:
    """Save beside ``path`` and rename over it, so an interrupted save never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.writing.xlsx")
    book.save(tmp)
    tmp.replace(path)
    return path
