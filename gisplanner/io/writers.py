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
        raise InputError("no such unit-cost file", file=str(path), fix="check the path given to --unit-costs")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, encoding=encoding, dtype={"item": str, "unit": str})
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"cannot read the CSV: {exc}", file=str(path),
                             fix="save it as CSV with the header item,unit,unit_cost_yuan") from None
    raise InputError("the CSV is neither UTF-8 nor GB18030", file=str(path), fix="save it as UTF-8 CSV")


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
