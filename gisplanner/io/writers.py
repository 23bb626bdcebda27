"""Writers for result files: GeoPackages of result layers and the user's unit-cost table reader."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyogrio

from gisplanner.errors import InputError


def read_unit_costs(path: Path) -> pd.DataFrame:
    """Read the user's unit-cost CSV (UTF-8, with or without BOM, or GB18030 as saved by Excel in China)."""
    if not path.exists():
        raise InputError("单价表文件不存在", file=str(path), fix="检查 --unit-costs 给出的路径")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, encoding=encoding, dtype={"item": str, "unit": str})
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"无法读取 CSV：{exc}", file=str(path),
                             fix="另存为 CSV，表头为 item,unit,unit_cost_yuan") from None
    raise InputError("CSV 既不是 UTF-8 也不是 GB18030 编码", file=str(path), fix="另存为 UTF-8 编码的 CSV")


def write_layers(results: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every result as a layer of a new GeoPackage ``out``, replacing it atomically."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.writing-{os.getpid()}.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        for name, frame in results.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
