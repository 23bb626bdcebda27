"""Default Chinese names of districts: after the street that runs most along them, else their largest community.

A planner recognises "宣化街片区" where "D007" says nothing. Names are unique within a plan (a street already
used names the next district after its next street or community; "二", "三"… are added only when every
candidate is taken) and stay editable (:func:`gisplanner.analysis.district_edit.rename_district`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis import attributes

SUFFIX = "片区"
#: Road classes that name a place; footways, estate service roads and steps do not.
NAMING_HIGHWAYS = frozenset({"trunk", "primary", "secondary", "tertiary", "residential", "living_street",
                             "unclassified", "pedestrian", "road"})
# Generic labels some data carry instead of a street name.
_GENERIC = re.compile(r"内部道路|无名|未命名|人行天桥|^道路$")
# Endings of community names left out of the district name (宣化小区 → 宣化片区).
_COMMUNITY_END = re.compile(r"(住宅小区|小区|社区|家属院|家属区|住宅区)$")
_ORDINALS = "二三四五六七八九十"


def _street_candidates(outline: shapely.Geometry, roads: gpd.GeoDataFrame | None, reach_m: float) -> list[str]:
    """Street names along ``outline`` (within ``reach_m``), longest stretch first."""
    if roads is None or roads.empty:
        return []
    area = shapely.buffer(outline, reach_m)
    near = roads.iloc[roads.sindex.query(area, predicate="intersects")]
    if near.empty:
        return []
    length = shapely.length(shapely.intersection(near.geometry.values, area))
    frame = pd.DataFrame({"name": attributes.column(near, "name", pd.NA).astype("string").str.strip(),
                          "length": length})
    frame = frame[frame["name"].notna() & (frame["name"] != "") & ~frame["name"].str.contains(_GENERIC, na=False)]
    return frame.groupby("name", sort=False)["length"].sum().sort_values(ascending=False, kind="stable").index.tolist()


def _community_candidates(members: gpd.GeoDataFrame) -> list[str]:
    """Member community names, most populous first, without their 小区/社区 ending."""
    population = pd.to_numeric(attributes.column(members, "population", np.nan), errors="coerce").fillna(0.0)
    names = attributes.column(members, "name", pd.NA).astype("string").str.strip()
    order = np.argsort(-population.to_numpy(), kind="stable")
    out = []
    for name in names.iloc[order]:
        if pd.notna(name) and name:
            stem = _COMMUNITY_END.sub("", str(name)) or str(name)
            out.append(stem)
    return list(dict.fromkeys(out))


def district_names(communities: gpd.GeoDataFrame, assignment: pd.Series, *, roads: gpd.GeoDataFrame | None = None,
                   only: Collection[str] | None = None, taken: Collection[str] = (),
                   reach_m: float = 30.0) -> dict[str, str]:
    """A unique default name for each district.

    Parameters
    ----------
    communities
        Canonical communities (``name``, ``population``), metric CRS.
    assignment
        ``district_id`` aligned to ``communities``; NA for communities in no district.
    roads
        The walk network with street ``name`` and ``highway``; without it names come from communities.
    only
        Name just these districts (the others keep theirs); default every district.
    taken
        Names already in use in the plan (kept districts, user names), never given again.
    reach_m
        A street within this distance of a district's communities runs along it, metres.

    Returns
    -------
    dict
        ``district_id`` -> name such as ``宣化街片区``, ``文化片区`` or ``宣化街片区二``; a district whose members
        have no names and no named street nearby gets ``<district_id>片区``.
    """
    if roads is not None and "highway" in roads.columns:
        roads = roads[roads["highway"].astype(str).isin(NAMING_HIGHWAYS)]
    ids = pd.Series(assignment, index=communities.index).astype("string")
    used = {str(n) for n in taken}
    wanted = sorted(ids.dropna().unique()) if only is None else sorted(str(d) for d in only)
    out: dict[str, str] = {}
    for district_id in wanted:
        members = communities[(ids == district_id).fillna(False).to_numpy()]
        outline = shapely.union_all(members.geometry.values)
        stems = [*_street_candidates(outline, roads, reach_m), *_community_candidates(members)] or [district_id]
        candidates = [f"{stem}{SUFFIX}" for stem in stems]
        name = next((c for c in candidates if c not in used), None)
        if name is None:
            name = next(f"{candidates[0]}{o}" for o in [*_ORDINALS, *map(str, range(11, 10_000))]
                        if f"{candidates[0]}{o}" not in used)
        used.add(name)
        out[district_id] = name
    return out


def unique_name(name: str, district_id: str, names: Mapping[str, str]) -> bool:
    """Whether ``name`` is used by no district other than ``district_id``."""
    return all(other != name for d, other in names.items() if d != district_id)
