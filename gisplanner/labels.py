"""Chinese display names of field names and codes, from one table (gisplanner/resources/standards/labels.yaml).

The data keep their English identifiers (column names, JSON keys, codes such as ``below_min_population``);
everything a user reads goes through this module: the app's attribute table, the exported tables, reports
and CLI messages. No Qt here.

>>> field_label("n_communities"), code_label("below_min_population"), code_label("pass", "verdict")
('小区数', '人口低于下限', '通过')
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from gisplanner.errors import ConfigError
from gisplanner.standards import STANDARDS_DIR

if TYPE_CHECKING:
    from gisplanner.standards import Standards

LABELS_FILE = STANDARDS_DIR / "labels.yaml"

#: Columns holding counts of people, households or things: shown as integers.
INTEGER_FIELDS = frozenset({"households", "population", "n_buildings", "n_communities", "n_resources", "n_gaps",
                            "n_items_unpriced", "n_unreachable", "n_districts", "communities", "communities_served",
                            "population_served", "population_alone", "communities_alone", "population_new",
                            "communities_new", "facilities", "floors", "floor", "rank", "admin_level"})
#: Shares stored as fractions 0–1: shown as percentages.
PERCENT_FIELDS = frozenset({"share_built_before_2000", "share_served"})


@cache
def _table() -> Mapping[str, Any]:
    try:
        with LABELS_FILE.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the label table: {exc}", file=str(LABELS_FILE)) from None
    for section in ("fields", "codes", "coded_columns", "standard_status"):
        if not isinstance(raw.get(section), dict):
            raise ConfigError(f"section {section!r} is missing", file=str(LABELS_FILE), key=section)
    return MappingProxyType(raw)


def fields() -> Mapping[str, str]:
    """Every field name with its Chinese display name."""
    return MappingProxyType(_table()["fields"])


def codes(domain: str) -> Mapping[str, str]:
    """The codes of one domain (``verdict``, ``overall``, ``violation``, ``status``, ``layer``…) with their labels."""
    try:
        return MappingProxyType({str(k): str(v) for k, v in _table()["codes"][domain].items()})
    except KeyError:
        raise ConfigError("unknown code domain", file=str(LABELS_FILE), key="codes", value=domain) from None


def field_label(name: str) -> str:
    """Chinese display name of a column or field; an unknown name is returned as it is."""
    return str(_table()["fields"].get(name, name))


def code_label(code: object, domain: str | None = None) -> str:
    """Chinese label of a code: looked up in ``domain`` first, then in every domain; else the code itself."""
    key = str(code)
    table = _table()["codes"]
    if domain is not None and key in (table.get(domain) or {}):
        return str(table[domain][key])
    for labels in table.values():
        if key in labels:
            return str(labels[key])
    return key


def status_label(status: str) -> str:
    """A standards entry's status (V2, U-local, tool-default…) in words."""
    return str(_table()["standard_status"].get(status, status))


def column_domain(column: str) -> str | None:
    """The code domain of a column's values (``check_*`` columns hold verdicts), or None for free values."""
    if column.startswith("check_"):
        return "verdict"
    return _table()["coded_columns"].get(column)


def violations_text(flags: object) -> str:
    """A district's ``violations`` (``;``-separated keys) in Chinese; 符合 when there are none.

    >>> violations_text("below_min_population;not_contiguous"), violations_text("")
    ('人口低于下限、不连片', '符合')
    """
    keys = [k for k in str(flags if isinstance(flags, str) else "").split(";") if k]
    return "、".join(code_label(k, "violation") for k in keys) or "符合"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def value_label(column: str, value: object, *, standards: Standards | None = None) -> object:
    """A cell value as a reader sees it: codes in words, booleans 是/否, counts as integers, shares as 0–100.

    Numbers stay numbers (so exported sheets can sum them); a missing value stays missing. Facility types,
    levels and land-use codes are named from ``standards`` when it is given.
    """
    if isinstance(value, list | tuple):
        return "、".join(str(value_label(column, v, standards=standards)) for v in value)
    if _is_missing(value):
        return value
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if column == "violations":
        return violations_text(value)
    if column in INTEGER_FIELDS and isinstance(value, numbers.Real):
        return int(round(float(value)))
    if column in PERCENT_FIELDS and isinstance(value, numbers.Real):
        return round(float(value) * 100.0, 1)
    if standards is not None and isinstance(value, str):
        named = _standards_name(column, value, standards)
        if named is not None:
            return named
    domain = column_domain(column)
    return code_label(value, domain) if domain is not None and isinstance(value, str) else value


def _standards_name(column: str, value: str, standards: Standards) -> str | None:
    if column in ("facility_type", "facility_types"):
        if ";" in value:
            return "、".join(_standards_name(column, v, standards) or v for v in value.split(";") if v)
        for profile in standards.profiles.values():
            if value in profile:
                return profile[value].zh
    elif column == "level" and value in standards.levels:
        return standards.levels[value].zh
    elif column in ("lu_code", "lu_code_planned"):
        try:
            return f"{value} {standards.landuse.name(value)}"
        except ConfigError:
            return None
    return None


def header_label(column: str) -> str:
    """The header of a column in a table for people: its field label, with （%） for shares."""
    label = field_label(column)
    return f"{label}（%）" if column in PERCENT_FIELDS else label


def format_value(column: str, value: object, *, standards: Standards | None = None) -> str:
    """A cell as text: :func:`value_label`, with thousands separators and a % sign on shares."""
    shown = value_label(column, value, standards=standards)
    if _is_missing(shown):
        return ""
    if column in PERCENT_FIELDS and isinstance(shown, float):
        return f"{shown:g}%"
    if isinstance(shown, int):
        return f"{shown:,}"
    if isinstance(shown, float):
        return f"{shown:,.2f}".rstrip("0").rstrip(".")
    return str(shown)


def display_frame(frame: pd.DataFrame, *, standards: Standards | None = None) -> pd.DataFrame:
    """A copy of ``frame`` for people: Chinese headers (:func:`header_label`), values by :func:`value_label`.

    The geometry column is dropped; column order is kept.
    """
    geometry = frame.geometry.name if hasattr(frame, "geometry") and "geometry" in frame else None
    columns = [c for c in frame.columns if c != geometry]
    return pd.DataFrame({header_label(str(c)): [value_label(str(c), v, standards=standards) for v in frame[c]]
                         for c in columns}, index=frame.index)
