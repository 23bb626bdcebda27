"""Status (闲置/停用/在用/未知) and ownership (政府/国有企事业/集体/私有/未知) of resources: boiler rooms, public
buildings and idle land.

A user layer states them in a field (现状, 产权单位 ...); OSM says them only through its tags. In OSM a feature
with an active use (a school, a car park, a petrol station ...) is a facility, not a resource: only tags that
say the feature is disused, abandoned, vacant, brownfield or under construction make it one
(:func:`osm_resource_status`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

IDLE, DECOMMISSIONED, IN_SERVICE, UNKNOWN = "idle", "decommissioned", "in_service", "unknown"
STATUS_ZH = {IDLE: "闲置", DECOMMISSIONED: "停用", IN_SERVICE: "在用", UNKNOWN: "未知"}
#: Resources that can be a site now; ``unknown`` ones are listed apart as 需核实现状.
AVAILABLE = (IDLE, DECOMMISSIONED)
OWNERSHIP_ZH = {"government": "政府", "state_owned": "国有企事业", "collective": "集体", "private": "私有",
                "unknown": "未知"}

# Words of a status field, checked in this order (停用 before 在用: "已停用" holds 用).
_STATUS_WORDS = (
    (IDLE, ("idle", "vacant", "闲置", "空置", "空闲", "闲", "未使用", "未利用")),
    (DECOMMISSIONED, ("decommissioned", "disused", "abandoned", "停用", "废弃", "拆除", "关停", "停运", "报废")),
    (IN_SERVICE, ("in_service", "active", "在用", "使用中", "运行", "运营", "正常")),
    (UNKNOWN, ("unknown", "未知", "不详", "待核实")),
)
_OWNERSHIP_WORDS = (
    ("government", ("government", "政府", "街道", "区委", "市委", "管委会", "行政", "机关", "办事处", "房产局",
                    "住建", "财政", "公有")),
    ("state_owned", ("state", "国有", "国企", "集团", "公司（国有）", "事业单位", "医院", "学校", "大学", "热电",
                     "供热公司", "热力")),
    ("collective", ("collective", "集体", "村委", "合作社")),
    ("private", ("private", "私有", "个人", "私人", "民营", "业主")),
)


def _classify(values: pd.Series, words: tuple[tuple[str, tuple[str, ...]], ...], default: str) -> pd.Series:
    low = values.astype("string").str.casefold().fillna("")
    out = pd.Series(default, index=values.index, dtype="string")
    for key, keys in reversed(words):  # earlier entries win, so they are applied last
        out = out.mask(low.str.contains("|".join(map(re.escape, keys))), key)
    return out


def status_from_text(values: pd.Series) -> pd.Series:
    """``idle``/``decommissioned``/``in_service``/``unknown`` from a status field (Chinese or English words)."""
    return _classify(values, _STATUS_WORDS, UNKNOWN)


def ownership_from_text(values: pd.Series) -> pd.Series:
    """``government``/``state_owned``/``collective``/``private``/``unknown`` from an owner field (产权单位)."""
    return _classify(values, _OWNERSHIP_WORDS, "unknown")


_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_other_tags(text: object) -> dict[str, str]:
    """One ``other_tags`` hstore of GDAL's OSM driver (``"k"=>"v","k2"=>"v2"``) as a dict."""
    return dict(_HSTORE.findall(text)) if isinstance(text, str) else {}


def other_tags(values: pd.Series, keep: str = ".") -> pd.DataFrame:
    """The ``other_tags`` of a layer as one column per key matching the regular expression ``keep``."""
    wanted = re.compile(keep)
    parsed = [{k: v for k, v in parse_other_tags(text).items() if wanted.search(k)} for text in values]
    return pd.DataFrame(parsed, index=values.index)


def _tag(tags: pd.DataFrame, key: str) -> pd.Series:
    if key in tags.columns:
        return tags[key].astype("string")
    return pd.Series(pd.NA, index=tags.index, dtype="string")


def osm_resource_status(tags: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Which OSM features are resources, with their status, the deciding tag and the reason.

    Parameters
    ----------
    tags
        Tag columns (``landuse``, ``building``, ``amenity``, ``man_made`` ...) and, when present, ``other_tags``
        (the hstore of GDAL's OSM driver, where ``disused:amenity``, ``abandoned``, ``vacant`` live).

    Returns
    -------
    (status, source_tag, reason)
        Per feature: ``idle``/``decommissioned``/``unknown`` for a resource, NA for a feature in use (a
        facility); the tag that decided (``landuse=brownfield``); the reason in Chinese.
    """
    if "other_tags" in tags.columns:
        tags = pd.concat([tags.drop(columns="other_tags"),
                          other_tags(tags["other_tags"], keep=r"^(disused|abandoned|was)(:|$)|^vacant$")
                          .drop(columns=list(tags.columns), errors="ignore")],
                         axis=1)
    disused_keys = [c for c in tags.columns if re.match(r"^(disused|abandoned|was)(:|$)", str(c))]
    rules: list[tuple[pd.Series, str, str, str]] = []  # mask, status, tag, reason
    for key in disused_keys:
        value = _tag(tags, key)
        rules.append((value.notna() & (value != "no"), DECOMMISSIONED, key, f"OSM标签{key}：已停用或废弃"))
    for key, value, status, reason in (
            ("building", "ruins", DECOMMISSIONED, "建筑已成废墟"),
            ("building", "abandoned", DECOMMISSIONED, "建筑已废弃"),
            ("vacant", "yes", IDLE, "标注为空置"),
            ("landuse", "brownfield", IDLE, "棕地（原建设用地已腾空）"),
            ("landuse", "greenfield", IDLE, "待开发的空地"),
            ("landuse", "construction", UNKNOWN, "在建用地，是否可用需核实"),
            ("building", "construction", UNKNOWN, "在建建筑，是否可用需核实"),
            ("landuse", "landfill", UNKNOWN, "填埋场，是否可用需核实"),
            ("man_made", "chimney", UNKNOWN, "烟囱：可能是锅炉房，是否在用需核实")):
        rules.append((_tag(tags, key) == value, status, f"{key}={value}", f"OSM标签{key}={value}：{reason}"))
    # A feature with an active use (amenity=school on landuse=construction: a school being built) is a facility;
    # only explicit disused/abandoned/vacant tags make it a resource.
    active = pd.concat([_tag(tags, k).notna() for k in ("amenity", "shop", "healthcare", "office")], axis=1).any(axis=1)
    masks = [m.fillna(False).to_numpy(bool) & (~active.to_numpy() | (s != UNKNOWN)) for m, s, *_ in rules]
    status = np.select(masks, [s for _, s, _, _ in rules], default="")
    source_tag = np.select(masks, [t for _, _, t, _ in rules], default="")
    reason = np.select(masks, [r for *_, r in rules], default="")
    as_series = [pd.Series(v, index=tags.index, dtype="string").replace("", pd.NA)
                 for v in (status, source_tag, reason)]
    return as_series[0], as_series[1], as_series[2]


def osm_public_building_mask(frame: pd.DataFrame) -> pd.Series:
    """Features of an OSM facility layer that are public-building resources (see :func:`osm_resource_status`):
    not facilities in use, and not chimneys (those are boiler-room candidates)."""
    status, source_tag, _ = osm_resource_status(frame)
    return status.notna() & (source_tag != "man_made=chimney").fillna(True)
