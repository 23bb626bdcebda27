"""What each district carries: outline and statistics with constraint flags, members, resources, gaps, content."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis import attributes
from gisplanner.analysis.adjacency import BARRIER_ZH
from gisplanner.analysis.bundling import DistrictRules
from gisplanner.analysis.district_walk import CommunitySpacing, WalkDistances, diameter
from gisplanner.analysis.renovation import CLASS_ZH

#: Constraint violations a district can carry (``violations`` column, ``;``-separated), in the order they are
#: listed; their words are the ``violation`` codes of labels.yaml (:func:`gisplanner.labels.violations_text`).
VIOLATIONS = ("below_min_population", "above_max_population", "extent_exceeded", "not_contiguous")
MEMBER_COLUMNS = ["district_id", "community_id", "community_name"]
RESOURCE_COLUMNS = ["district_id", "layer", "resource_id", "name", "area_m2", "status", "distance_m",
                    "n_districts", "shared_with", "sharing"]
#: ``sharing`` of a resource near one district only, and of one that other districts within reach share.
OWN, SHARED = "独有", "共享"
GAP_COLUMNS = ["district_id", "facility_type", "level", "n_communities", "n_unreachable", "population",
               "max_shortfall_m"]


def district_table(communities: gpd.GeoDataFrame, assignment: pd.Series, adjacency: pd.DataFrame, *,
                   rules: DistrictRules, walk: WalkDistances | None = None,
                   names: Mapping[str, str] | None = None, locked: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Outline, statistics and constraint flags of each district.

    Parameters
    ----------
    communities
        Canonical communities layer.
    assignment
        ``district_id`` (str) aligned to ``communities``; NA for communities in no district.
    adjacency
        Output of ``community_adjacency``; used for the contiguity check.
    rules
        Constraints checked after the fact.
    walk
        Walking distances; when given, the extent limit is checked on them.
    names, locked
        District names (default the id) and the ids of locked districts.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district, sorted by ``district_id``: ``name``, ``locked``,
        ``n_communities``, ``households``, ``population``, ``population_estimated`` (any
        member's population is estimated), ``n_buildings``, ``floor_area_m2``,
        ``share_built_before_2000`` (share of the households of members with a known year
        that live in communities built in or before ``rules.built_before``; a community
        without households counts as one; NA when no member has a known year), ``extent_m``
        (largest straight-line distance between member centroids, m), ``walk_extent_m``
        (largest walk between them, m; NA without ``walk`` or beyond ``walk.limit_m``),
        ``contiguous``, ``violations`` (names from
        ``VIOLATIONS`` joined by ``;``, empty when none) and the outline (members dissolved,
        gaps narrower than the adjacency gap closed).
    """
    did = assignment.astype("string")
    inside = did.notna().to_numpy()
    comm = communities.loc[inside]
    d = did[inside].to_numpy()
    ids = comm["feature_id"].astype(str).to_numpy()
    hh = attributes.numeric(comm, "households")
    frame = pd.DataFrame({
        "district_id": d,
        "households": hh.to_numpy(),
        "population": attributes.population(comm),
        "population_estimated": attributes.column(comm, "population_estimated", False).fillna(False).astype(bool)
        .to_numpy(),
        "n_buildings": attributes.numeric(comm, "n_buildings").fillna(0).to_numpy(),
        "floor_area_m2": attributes.numeric(comm, "floor_area_m2").to_numpy(),
    })
    year = attributes.built_years(comm).reset_index(drop=True)
    weight = frame["households"].fillna(0).where(frame["households"].fillna(0) > 0, 1.0)
    frame["_known_w"] = np.where(year.notna(), weight, 0.0)
    frame["_old_w"] = np.where(year.notna() & (year.fillna(0) <= rules.built_before), weight, 0.0)
    g = frame.groupby("district_id", sort=True)
    stats = pd.DataFrame({
        "n_communities": g.size(),
        "households": g["households"].sum(min_count=1),
        "population": g["population"].sum(),
        "population_estimated": g["population_estimated"].any(),
        "n_buildings": g["n_buildings"].sum().astype(np.int64),
        "floor_area_m2": g["floor_area_m2"].sum(min_count=1),
    })
    known = g["_known_w"].sum()
    stats["share_built_before_2000"] = (g["_old_w"].sum() / known).where(known > 0)
    spacing = CommunitySpacing(attributes.centroid_xy(communities), walk, np.flatnonzero(inside))
    geoms = np.asarray(comm.geometry.values)
    half = rules.adjacency_gap_m / 2
    # Mitred closing gives rectilinear blocks back their exact corners (a round one would cut them).
    grown = shapely.buffer(geoms, half, join_style="mitre") if half > 0 else geoms
    outlines, extents, walks, contiguous = [], [], [], []
    edges = _edge_set(adjacency)
    for district in stats.index:
        rows = np.flatnonzero(d == district)
        outline = shapely.union_all(grown[rows])
        if half > 0:
            # The mitre limit bevels acute corners on the way out; the members put them back.
            outline = shapely.union(shapely.buffer(outline, -half, join_style="mitre"),
                                    shapely.union_all(geoms[rows]))
        outlines.append(outline)
        extents.append(diameter(spacing.xy[rows]))
        walks.append(spacing.span(rows) if walk is not None else np.nan)
        contiguous.append(_connected(ids[rows], edges))
    stats["extent_m"] = extents
    walk_extent = np.asarray(walks, dtype=float)
    stats["walk_extent_m"] = np.where(np.isinf(walk_extent), np.nan, walk_extent)
    stats["contiguous"] = contiguous
    broken = pd.DataFrame({
        "below_min_population": stats["population"] < rules.min_population,
        "above_max_population": stats["population"] > rules.max_population,
        "extent_exceeded": (walk_extent > rules.max_extent_m) if walk is not None
        else (stats["extent_m"] > rules.max_extent_m).to_numpy(),
        "not_contiguous": ~stats["contiguous"],
    })[list(VIOLATIONS)].to_numpy()
    names_of = np.array(VIOLATIONS)
    stats["violations"] = [";".join(names_of[row]) for row in broken]
    stats.index.name = "district_id"
    stats = stats.reset_index()
    names = names or {}
    stats.insert(1, "name", [names.get(k, k) for k in stats["district_id"]])
    stats.insert(2, "locked", stats["district_id"].isin(list(locked)))
    return gpd.GeoDataFrame(stats, geometry=np.asarray(outlines, dtype=object) if outlines else [],
                            crs=communities.crs)


def member_table(communities: pd.DataFrame, assignment: pd.Series) -> pd.DataFrame:
    """``district_id``, ``community_id``, ``community_name`` of every community in a district."""
    did = assignment.astype("string")
    inside = did.notna().to_numpy()
    names = attributes.column(communities, "name", pd.NA)
    out = pd.DataFrame({"district_id": did[inside].to_numpy(),
                        "community_id": communities["feature_id"].astype(str).to_numpy()[inside],
                        "community_name": names.astype("string").to_numpy()[inside]})
    return out.sort_values(["district_id", "community_id"], kind="stable").reset_index(drop=True)


def district_resources(districts: gpd.GeoDataFrame, resources: Mapping[str, gpd.GeoDataFrame], *,
                       reach_m: float = 100.0) -> gpd.GeoDataFrame:
    """Resources inside a district outline or within ``reach_m`` of it, each listed once.

    A resource belongs to one district: the one whose outline holds the most of it (a point: the one it lies
    in), else the nearest. Other districts within ``reach_m`` share it: they are named in ``shared_with`` and
    the row says 共享, so totals per district never count a resource twice.

    Parameters
    ----------
    districts
        Output of :func:`district_table`.
    resources
        Layers by name, each with ``feature_id`` and optionally ``name``, ``area_m2`` (m²;
        filled from the geometry for polygons when NA) and ``status``.
    reach_m
        Distance (m) from the outline.

    Returns
    -------
    geopandas.GeoDataFrame
        ``RESOURCE_COLUMNS`` and the resource's geometry, one row per resource: ``district_id`` (its owner),
        ``distance_m`` to the owner (0 for a resource touching or inside the outline), ``n_districts`` (owner
        and sharers), ``shared_with`` (the other districts within reach, comma-separated, empty when none),
        ``sharing`` (独有 or 共享).
    """
    frames = []
    outlines = np.asarray(districts.geometry.values)
    tree = shapely.STRtree(outlines)
    for layer, gdf in resources.items():
        if gdf is None or not len(gdf):
            continue
        geoms = np.asarray(gdf.geometry.values)
        res, dist_i = tree.query(geoms, predicate="dwithin", distance=reach_m)
        area = attributes.numeric(gdf, "area_m2").to_numpy()
        area = np.where(np.isnan(area) & (shapely.area(geoms) > 0), shapely.area(geoms), area)
        distance = shapely.distance(geoms[res], outlines[dist_i])
        overlap = np.where(distance == 0, shapely.area(shapely.intersection(geoms[res], outlines[dist_i])), 0.0)
        # The owner: inside first (the largest overlap), else the nearest; ties by district id.
        ids = districts["district_id"].astype(str).to_numpy()[dist_i]
        order = np.lexsort((ids, distance, -overlap, res))
        first = order[np.r_[True, res[order][1:] != res[order][:-1]]] if len(order) else order
        sharers = pd.Series(ids[order]).groupby(res[order]).agg(list)
        owner_ids = ids[first]
        shared = [",".join(d for d in sharers[r] if d != o) for r, o in zip(res[first], owner_ids, strict=True)]
        picked = res[first]
        frames.append(pd.DataFrame({
            "district_id": owner_ids,
            "layer": layer,
            "resource_id": gdf["feature_id"].astype(str).to_numpy()[picked],
            "name": attributes.column(gdf, "name", pd.NA).astype("string").to_numpy()[picked],
            "area_m2": area[picked],
            "status": attributes.column(gdf, "status", pd.NA).astype("string").to_numpy()[picked],
            "distance_m": distance[first],
            "n_districts": sharers.loc[picked].map(len).to_numpy(np.int64),
            "shared_with": shared,
            "sharing": np.where([bool(x) for x in shared], SHARED, OWN),
            "geometry": geoms[picked],
        }))
    if not frames:
        return gpd.GeoDataFrame(columns=[*RESOURCE_COLUMNS, "geometry"], geometry="geometry", crs=districts.crs)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["district_id", "layer", "resource_id"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=districts.crs)


def district_gaps(members: pd.DataFrame, gaps: pd.DataFrame | None) -> pd.DataFrame:
    """Life-circle gaps of each district, per facility type and level.

    Parameters
    ----------
    members
        Output of :func:`member_table`.
    gaps
        Gap table of the life-circle analysis (``community_id``, ``facility_type``, ``level``,
        ``shortfall_m``, ``population``); None when it has not run.

    Returns
    -------
    pandas.DataFrame
        ``GAP_COLUMNS``: communities with the gap, how many of them reach no such facility
        within the search limit (shortfall NA), their population and the largest known
        shortfall (m).
    """
    if gaps is None or not len(gaps):
        return pd.DataFrame(columns=GAP_COLUMNS)
    joined = gaps.assign(community_id=gaps["community_id"].astype(str)).merge(
        members[["district_id", "community_id"]], on="community_id")
    g = joined.groupby(["district_id", "facility_type", "level"], sort=True)
    out = pd.DataFrame({"n_communities": g["community_id"].nunique(),
                        "n_unreachable": g["shortfall_m"].agg(lambda v: int(v.isna().sum())),
                        "population": g["population"].sum(),
                        "max_shortfall_m": g["shortfall_m"].max()}).reset_index()
    return out[GAP_COLUMNS]


#: Columns of :func:`district_content`.
CONTENT_COLUMNS = ["district_id", "renovation_class", "item", "item_zh", "unit", "quantity", "quantity_estimated",
                   "n_communities", "unit_cost_yuan", "cost_yuan"]


def district_content(members: pd.DataFrame, items: pd.DataFrame | None) -> pd.DataFrame:
    """Renovation content of each district: its communities' selected items (一区一策), summed by item.

    Parameters
    ----------
    members
        ``district_id``, ``community_id`` (output of :func:`member_table`).
    items
        The communities' items with the planner's ticks and prices
        (:func:`gisplanner.analysis.renovation.price_items` after ``apply_choices``); None: no content.

    Returns
    -------
    pandas.DataFrame
        :data:`CONTENT_COLUMNS`, one row per district and selected item: ``renovation_class`` (基础类…),
        ``quantity`` summed over the communities that selected it, in ``unit``; ``cost_yuan`` the sum of their
        costs, blank when the item has no unit cost.
    """
    if items is None or not len(items) or not len(members):
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("quantity", "unit_cost_yuan", "cost_yuan") else object)
                             for c in CONTENT_COLUMNS})
    chosen = items[items["selected"].astype(bool)].assign(community_id=lambda f: f["community_id"].astype(str))
    chosen = chosen.merge(members[["district_id", "community_id"]].astype(str), on="community_id")
    keys = ["district_id", "class_zh", "item", "item_zh", "unit"]
    out = chosen.groupby(keys, sort=False).agg(
        quantity=("quantity", "sum"), quantity_estimated=("quantity_estimated", "any"),
        n_communities=("community_id", "nunique"), unit_cost_yuan=("unit_cost_yuan", "first"),
        cost_yuan=("cost_yuan", lambda v: v.sum(min_count=1))).reset_index()
    out = out.rename(columns={"class_zh": "renovation_class"})
    # 基础类, 完善类, 提升类 in that order within a district, items in catalogue order
    rank = out["renovation_class"].map({c: i for i, c in enumerate(CLASS_ZH.values())})
    out = out.assign(_rank=rank).sort_values(["district_id", "_rank"], kind="stable")
    return out[CONTENT_COLUMNS].reset_index(drop=True)


def _edge_set(adjacency: pd.DataFrame) -> dict[str, set[str]]:
    adj = adjacency.loc[adjacency["adjacent"].astype(bool)]
    out: dict[str, set[str]] = {}
    for a, b in zip(adj["community_a"].astype(str), adj["community_b"].astype(str)):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def _connected(ids: Sequence[str], edges: Mapping[str, set[str]]) -> bool:
    """Whether the communities ``ids`` form one connected piece of the adjacency graph."""
    members = set(ids)
    if len(members) <= 1:
        return True
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        for nb in edges.get(stack.pop(), ()):
            if nb in members and nb not in seen:
                seen.add(nb)
                stack.append(nb)
    return len(seen) == len(members)


def shortfall_reasons(districts: pd.DataFrame, members: pd.DataFrame, adjacency: pd.DataFrame,
                      eligible: Collection[str], population: Mapping[str, float], *,
                      rules: DistrictRules) -> pd.Series:
    """Why each district below the population floor could not grow, in Chinese (empty for the others).

    The reasons, first that holds: its communities reach no eligible community outside the district (as
    neighbours, within the street gap) — either an arterial road, railway or river cuts them off (named), or
    there is none near; the eligible communities connected to it hold fewer people than the floor altogether;
    else every neighbouring district would exceed the population ceiling or the extent limit by taking it.

    Parameters
    ----------
    districts
        ``district_id``, ``population``.
    members
        ``district_id``, ``community_id``.
    adjacency
        Output of :func:`~gisplanner.analysis.adjacency.community_adjacency` (``adjacent``, ``gap_m``,
        ``barrier``, ``barrier_name``).
    eligible
        Ids of the eligible communities.
    population
        Population per community id.
    rules
        The floor, ceiling and extent.
    """
    eligible = set(eligible)
    district_of = dict(zip(members["community_id"].astype(str), members["district_id"].astype(str), strict=True))
    graph: dict[str, set[str]] = {}
    for a, b in adjacency.loc[adjacency["adjacent"], ["community_a", "community_b"]].itertuples(index=False):
        if a in eligible and b in eligible:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set()).add(a)
    blocked = adjacency.loc[~adjacency["adjacent"]]
    reasons = {}
    gap = max(rules.adjacency_gap_m, rules.street_gap_m)
    for row in districts.itertuples(index=False):
        if not row.population < rules.min_population:
            continue
        ids = set(members.loc[members["district_id"] == row.district_id, "community_id"].astype(str))
        outside = {n for c in ids for n in graph.get(c, ()) if n not in ids}
        if not outside:
            cut = blocked[(blocked["community_a"].isin(ids) & blocked["community_b"].isin(eligible - ids))
                          | (blocked["community_b"].isin(ids) & blocked["community_a"].isin(eligible - ids))]
            if len(cut):
                first = cut.iloc[0]
                kind = BARRIER_ZH.get(str(first["barrier"]), "道路")
                name = first["barrier_name"] if pd.notna(first["barrier_name"]) else "（无名）"
                reasons[row.district_id] = f"与相邻的符合条件小区被{kind}{name}隔开"
            else:
                reasons[row.district_id] = (f"周边{gap:.0f}米内（含隔一条非干道街道）没有其他符合改造条件的小区"
                                            f"可以并入")
            continue
        seen, stack = set(ids), list(ids)
        while stack:
            for n in graph.get(stack.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        total = sum(float(population.get(c, 0.0)) for c in seen)
        if total < rules.min_population:
            reasons[row.district_id] = (f"与其相连的符合条件小区合计只有{total:,.0f}人，"
                                        f"低于片区人口下限{rules.min_population:,.0f}人")
        else:
            near = sorted({district_of[n] for n in outside if n in district_of})
            reasons[row.district_id] = (f"相邻片区（{'、'.join(near)}）并入后会超过人口上限"
                                        f"{rules.max_population:,.0f}人或范围上限{rules.max_extent_m:,.0f}米"
                                        if near else "相邻的符合条件小区未划入片区")
    return districts["district_id"].map(reasons).astype("string").fillna("")
