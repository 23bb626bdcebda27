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
import re
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
PERCENT_FIELDS = frozenset({"share_built_before_2000", "share_served", "outside_shadow_share_after",
                            "outside_shadow_share_required", "outside_shadow_share_before", "ratio_before",
                            "ratio_after", "required_ratio"})


@cache
def _table() -> Mapping[str, Any]:
    try:
        with LABELS_FILE.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取标签表：{exc}", file=str(LABELS_FILE)) from None
    for section in ("fields", "codes", "coded_columns", "standard_status", "standard_groups", "standard_keys",
                    "osm_landuse"):
        if not isinstance(raw.get(section), dict):
            raise ConfigError(f"缺少 {section!r} 一节", file=str(LABELS_FILE), key=section)
    return MappingProxyType(raw)


def fields() -> Mapping[str, str]:
    """Every field name with its Chinese display name."""
    return MappingProxyType(_table()["fields"])


def codes(domain: str) -> Mapping[str, str]:
    """The codes of one domain (``verdict``, ``overall``, ``violation``, ``status``, ``layer``…) with their labels."""
    try:
        return MappingProxyType({str(k): str(v) for k, v in _table()["codes"][domain].items()})
    except KeyError:
        raise ConfigError("没有这个代码类别", file=str(LABELS_FILE), key="codes", value=domain) from None


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


def site_label(site: str | None, name: str | None = None) -> str:
    """A ``LAYER:ID`` site reference as a reader says it: the layer's Chinese name, the ID and the feature's
    ``name`` when known (``boiler_rooms:K001`` → ``锅炉房 K001 东风街锅炉房``).

    >>> site_label("boiler_rooms:K001"), site_label("boiler_rooms:K001", "东风街锅炉房"), site_label(None)
    ('锅炉房 K001', '锅炉房 K001 东风街锅炉房', '绘制的轮廓')
    """
    if not site:
        return "绘制的轮廓"
    layer, _, feature = str(site).partition(":")
    return " ".join(p for p in (code_label(layer, "layer"), feature, (name or "").strip()) if p)


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
    levels, land-use codes and land-use policies are named from ``standards`` when it is given.
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
    elif column == "policy" and value in standards.landuse.policies:
        return standards.landuse.policies[value].zh
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


#: Units a count is read with, written after the number where a cell stands without its header's unit.
COUNT_UNITS = {"population": "人", "households": "户", "n_communities": "个", "n_buildings": "栋",
               "n_resources": "处", "n_gaps": "处", "floors": "层"}


def quantity_text(column: str, value: object, *, standards: Standards | None = None) -> str:
    """A number with its unit after it, rounded as a reader needs it: whole metres and square metres,
    whole people and households, shares in %; anything else as :func:`format_value`.

    >>> quantity_text("extent_m", 721.11), quantity_text("population", 3456.4), quantity_text("share_served", 0.5)
    ('721 m', '3,456 人', '50%')
    """
    shown = format_value(column, value, standards=standards)
    if not shown or isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return shown
    for suffix, unit in (("_m2", "m²"), ("_m", "m")):
        if column.endswith(suffix):
            return f"{round(float(value)):,} {unit}"
    return f"{shown} {COUNT_UNITS[column]}" if column in COUNT_UNITS else shown


def display_frame(frame: pd.DataFrame, *, standards: Standards | None = None) -> pd.DataFrame:
    """A copy of ``frame`` for people: Chinese headers (:func:`header_label`), values by :func:`value_label`.

    The geometry column is dropped; column order is kept.
    """
    geometry = frame.geometry.name if hasattr(frame, "geometry") and "geometry" in frame else None
    columns = [c for c in frame.columns if c != geometry]
    return pd.DataFrame({header_label(str(c)): [value_label(str(c), v, standards=standards) for v in frame[c]]
                         for c in columns}, index=frame.index)


def _entry_part(key: str, parent: str, node: Any, standards: Standards) -> str:
    """The Chinese name of one key of a standards path; ``node`` is the raw config under it."""
    table = _table()
    if isinstance(node, Mapping) and isinstance(node.get("zh"), str):
        return node["zh"]
    if parent == "tags":
        return f"OSM 标签“{table['osm_landuse'].get(key, key)}”"
    if parent == "table":
        return f"代码 {key}"
    if parent == "categories":
        return code_label(key, "category")
    if key.isdigit():
        entry_id = node.get("id") if isinstance(node, Mapping) else None
        return code_label(entry_id, "decision") if entry_id else f"第 {int(key) + 1} 项"
    for profile in standards.profiles.values():
        if key in profile:
            return profile[key].zh
    if key in standards.levels:
        return standards.levels[key].zh
    if key in standards.sunlight.cities:
        return standards.sunlight.cities[key].zh
    return str(table["standard_keys"].get(key, code_label(key)))


#: Keys that only say "the entries of this table follow": left out of entry names.
_LIST_KEYS = frozenset({"types", "table", "tags", "categories", "items"})


def standard_entry(path: str, standards: Standards) -> tuple[str, str]:
    """The table (group) and the Chinese name of a standards entry given by its dotted path.

    >>> from gisplanner.standards import load_standards
    >>> standard_entry("facilities.profiles.gb50180.types.kindergarten.radius_m", load_standards())
    ('配套设施目录 · GB 50180-2018 配套设施', '幼儿园 · 服务半径（m）')
    >>> standard_entry("settings.network.access_snap_m.value", load_standards())
    ('工具参数 · 步行路网', '接入路网距离（m）')
    """
    groups = _table()["standard_groups"]
    parts = path.split(".")
    head = 2 if ".".join(parts[:2]) in groups else 1
    group = groups.get(".".join(parts[:head]), groups.get(parts[0], parts[0]))
    node: Any = standards.raw.get(parts[0])
    for key in parts[1:head]:
        node = node.get(key) if isinstance(node, Mapping) else None
    names = []
    parent = parts[head - 1]
    for key in parts[head:]:
        node = (node[int(key)] if isinstance(node, list) and key.isdigit() and int(key) < len(node)
                else node.get(key) if isinstance(node, Mapping) else None)
        if key not in _LIST_KEYS and key != "value":
            name = _entry_part(key, parent, node, standards)
            # the first key below a file (green.public_green) or a profile names the table the entry is in
            if parent in (parts[0], "profiles") and len(parts) > head + 1:
                group = f"{group} · {name}"
            else:
                names.append(name)
        parent = key
    return group, " · ".join(names) or group.split(" · ")[-1]


_ARTICLE = re.compile(r"^(?P<id>\S+)\s+(?P<table>T)?(?P<article>\d[\d.]*(?:-\d+)?)$")


def source_text(source: str, standards: Standards) -> str:
    """A source reference as a reader cites it: the document title, then the article or table.

    >>> from gisplanner.standards import load_standards
    >>> source_text("GB50180 T4.0.9", load_standards())
    'GB 50180-2018《城市居住区规划设计标准》表 4.0.9'
    """
    match = _ARTICLE.match(source.strip())
    if match and match["id"] in standards.sources:
        where = f"表 {match['article']}" if match["table"] else f"第 {match['article']} 条"
        return f"{standards.sources[match['id']]}{where}"
    return str(standards.sources.get(source, source))


def _named(value: str, standards: Standards) -> str:
    if value in standards.sources or (_ARTICLE.match(value) and _ARTICLE.match(value)["id"] in standards.sources):
        return source_text(value, standards)
    return _entry_part(value, "", None, standards) if not value.isdigit() else value


NO_VALUE = "（无）"
_LIST_SEP, _ITEM_SEP, _KEY_SEP = "、", "；", "："


def standard_value_text(value: Any, standards: Standards) -> str:
    """A standards value as a planner reads and edits it: codes and sources named, 是/否, lists joined by 、,
    mappings as ``键：值；键：值``; :func:`standard_value_parse` reads it back.

    >>> from gisplanner.standards import load_standards
    >>> standard_value_text(["motorway", "trunk"], load_standards()), standard_value_text(True, load_standards())
    ('高速公路、快速路', '是')
    """
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return _LIST_SEP.join(standard_value_text(v, standards) for v in value) if value else "（空）"
    if isinstance(value, Mapping):
        return _ITEM_SEP.join(f"{_named(str(k), standards)}{_KEY_SEP}{standard_value_text(v, standards)}"
                              for k, v in value.items())
    if isinstance(value, str):
        return _named(value, standards)
    return f"{value:g}" if isinstance(value, float) else str(value)


def standard_value_parse(text: str, original: Any, standards: Standards) -> Any:
    """The value behind an edited :func:`standard_value_text`, typed like ``original``.

    A name maps back to the code it stands for (the original's codes first, then any code of that name);
    raises ValueError when the text does not fit the original's type.

    >>> from gisplanner.standards import load_standards
    >>> standard_value_parse("高速公路、快速路、次干路", ["motorway"], load_standards())
    ['motorway', 'trunk', 'secondary']
    """
    text = text.strip()
    if text == NO_VALUE:
        return None
    names: dict[str, str] = {}
    for labels in reversed(list(_table()["codes"].values())):
        names.update({str(v): str(k) for k, v in labels.items()})
    names.update({level.zh: key for key, level in standards.levels.items()})

    def collect(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                collect(str(k))
                collect(v)
        elif isinstance(value, str):
            names[_named(value, standards)] = value

    collect(original)

    def parse(part: str, like: Any) -> Any:
        part = part.strip()
        if isinstance(like, bool):
            if part not in ("是", "否"):
                raise ValueError(f"“{part}”应为“是”或“否”")
            return part == "是"
        if isinstance(like, int | float):
            number = float(part)
            return int(number) if isinstance(like, int) and number.is_integer() else number
        if isinstance(like, list):
            if part in ("（空）", ""):
                return []
            first = like[0] if like else ""
            return [parse(p, first) for p in part.split(_LIST_SEP)]
        if isinstance(like, Mapping):
            result = {}
            for item in part.split(_ITEM_SEP):
                key, _, value = item.partition(_KEY_SEP)
                code = names.get(key.strip(), key.strip())
                result[code] = parse(value, like.get(code, next(iter(like.values()), "")))
            return result
        return names.get(part, part)

    return parse(text, original)
