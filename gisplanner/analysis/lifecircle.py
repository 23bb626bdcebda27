"""5/10/15-minute life-circle service gaps of communities, by facility type, on the walking network."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from gisplanner.analysis.network import (
    Snap,
    WalkGraph,
    attach_leaves,
    column_or,
    distance_at,
    insert_points,
    line_vertices,
    position_along,
    same_edge_distances,
    snap_points,
)
from gisplanner.errors import ConfigError, InputError
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import Standards, TagRule

REQUIREMENT_COLUMNS = ("facility_type", "level", "threshold_m")

# How a community or facility reaches the network.
ACCESS_BOUNDARY = "boundary"   # boundary points within access_snap_m of a routable edge
ACCESS_GATES = "gates"         # its gates
ACCESS_NEAREST = "nearest"     # no edge within access_snap_m: the nearest routable point, flagged
ACCESS_ISLAND = "island"       # only edges of a small island nearby: unreachable, reported
FACILITY_NETWORK = "network"
FACILITY_ISLAND = "island"
FACILITY_OFF_NETWORK = "off_network"
#: A community farther than this from every routable edge (metres) is off the network (gap reason ``off_network``).
OFF_NETWORK_M = 500.0
FACILITY_UNMAPPED = "unmapped"


@dataclass(frozen=True, eq=False)
class LifeCircleNetwork:
    """The walking graph with facilities inserted and the access points of every community.

    Attributes
    ----------
    graph : WalkGraph
        Graph whose nodes include every facility's nearest network point.
    access_snap : Snap
        Community access points snapped to ``graph``; connectors in ``distance_m``.
    access_community : numpy.ndarray
        Row position (in the communities frame) of each access point.
    community_access : numpy.ndarray
        Per community: how it reaches the network (``boundary``, ``gates``, ``nearest``, ``island``).
    community_access_m : numpy.ndarray
        Per community: the shortest connector of its access points, metres (inf on an island).
    crs : object
        CRS of the inputs (metric).
    facilities : pandas.DataFrame
        One row per facility: ``facility_id``, ``category``, ``facility_types`` (tuple), ``node``
        (its nearest network point; -1 where unusable), ``connector_m``, ``status`` (``network``,
        ``island``, ``off_network``, ``unmapped``).
    facility_points : pandas.DataFrame or None
        Every network point a facility is reached from: ``facility`` (row in ``facilities``), ``node``,
        ``connector_m``. A polygon has one per boundary stretch near a routable way; None: only ``node``.
    """

    graph: WalkGraph
    access_snap: Snap
    access_community: np.ndarray
    community_access: np.ndarray
    community_access_m: np.ndarray
    crs: object
    facilities: pd.DataFrame
    facility_points: pd.DataFrame | None = None

    def uses(self, facility_type: str) -> np.ndarray:
        """Mask of the facilities that are on the network and mapped to ``facility_type``."""
        f = self.facilities
        return (f["node"].to_numpy() >= 0) & f["facility_types"].map(lambda t: facility_type in t).to_numpy(bool)

    def sources(self, facility_type: str) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and connector lengths (m) of the usable facilities of one type."""
        use = self.uses(facility_type)
        return self.facilities["node"].to_numpy()[use], self.facilities["connector_m"].to_numpy()[use]

    @functools.cached_property
    def _leaf_matrix(self) -> sp.csr_matrix:
        """The graph with one leaf per usable facility, joined to each of its access points by its connector.

        The leaf edges point away from the leaf only, so a shortest path may start at a facility but never
        cut through one (from one street across a school's grounds to another)."""
        usable = self.facilities["node"].to_numpy() >= 0
        if self.facility_points is None:
            return attach_leaves(self.graph, self.facilities["node"].to_numpy()[usable],
                                 self.facilities["connector_m"].to_numpy()[usable])
        n = self.graph.n_nodes
        leaf_of = np.full(len(self.facilities), -1)
        leaf_of[usable] = n + np.arange(int(usable.sum()))
        pts = self.facility_points
        pts = pts[leaf_of[pts["facility"].to_numpy()] >= 0]
        # points that fell on one node: the shortest connector (a sparse matrix would add them up)
        pts = pts.groupby(["facility", "node"], as_index=False)["connector_m"].min()
        coo = self.graph.matrix.tocoo()
        rows = np.concatenate([coo.row, leaf_of[pts["facility"].to_numpy()]])
        cols = np.concatenate([coo.col, pts["node"].to_numpy()])
        data = np.concatenate([coo.data, pts["connector_m"].to_numpy(float)])
        size = n + int(usable.sum())
        return sp.csr_matrix((data, (rows, cols)), shape=(size, size))

    def type_distances(self, facility_type: str, *, limit_m: float = np.inf) -> np.ndarray:
        """Distance (m) of every graph node from the nearest facility of a type, its connector included.

        Every usable facility hangs on one shared matrix as a leaf, built once, so each type costs a
        single multi-source Dijkstra.
        """
        usable = self.facilities["node"].to_numpy() >= 0
        leaf = self.graph.n_nodes + np.cumsum(usable) - 1
        sources = leaf[self.uses(facility_type)]
        if len(sources) == 0:
            return np.full(self.graph.n_nodes, np.inf)
        d = csgraph.dijkstra(self._leaf_matrix, directed=True, indices=sources, limit=limit_m, min_only=True)
        return d[:self.graph.n_nodes]

    def community_distance(self, node_distance: np.ndarray, n_communities: int, *,
                           source_snap: Snap | None = None) -> np.ndarray:
        """Per community (last axis), the smallest distance over its access points, metres.

        ``source_snap`` gives the source points of a (k, n_nodes) ``node_distance`` computed with
        :func:`~gisplanner.analysis.network.distances_from_points`, so that access points on a source's
        own edge are measured along the edge directly.
        """
        keep, order, starts, owners = self._access_groups
        d = distance_at(self.graph, node_distance, self.access_snap.take(keep))
        out = np.full((*d.shape[:-1], n_communities), np.inf)
        if len(order):
            out[..., owners] = np.minimum.reduceat(d[..., order], starts, axis=-1)
        if source_snap is not None:
            i, j, direct = same_edge_distances(source_snap, self.access_snap)
            np.minimum.at(out, (i, self.access_community[j]), direct)
        return out

    @functools.cached_property
    def _access_groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The access points that can be nearest, grouped by community.

        Through the network, a point at offset a (connector c) on an edge is reached at
        ``min(d[u] + a + c, d[v] + L - a + c)``, so per community and edge only the point with the least
        ``a + c`` and the one with the least ``L - a + c`` can win: the others are dropped (same-edge
        sources are measured on all points, see community_distance).

        Returns
        -------
        keep : the kept access points; order, starts, owners : keep sorted by community, the start of
        each community's run, and its community.
        """
        snap, owner = self.access_snap, self.access_community
        length = self.graph.edge_length[snap.edge]
        _, group = np.unique(owner.astype(np.int64) * max(self.graph.n_edges, 1) + snap.edge, return_inverse=True)
        n = int(group.max()) + 1 if len(group) else 0
        from_u = best_per_owner(snap.offset_m + snap.distance_m, group, n)
        from_v = best_per_owner(length - snap.offset_m + snap.distance_m, group, n)
        keep = np.unique(np.concatenate([from_u, from_v]))
        order = np.argsort(owner[keep], kind="stable")
        kept_owner = owner[keep][order]
        starts = np.r_[0, np.flatnonzero(np.diff(kept_owner)) + 1] if len(keep) else np.zeros(0, np.int64)
        return keep, order, starts, kept_owner[starts]


@dataclass(frozen=True)
class LifeCircleGaps:
    """Results of :func:`life_circle_gaps`; see that function for the columns."""

    community_access: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    coverage: pd.DataFrame


def requirements_from_standards(standards: Standards, *, profile: str = "gb50180",
                                levels: Collection[str] | None = None,
                                types: Collection[str] | None = None) -> pd.DataFrame:
    """The catalogue as a requirements table: one row per facility type and level it is listed at.

    Types marked ``gap_analysis: false`` (utilities, transit, parking) and types with neither a radius
    nor a level walk distance (block-level items) are left out.

    Parameters
    ----------
    standards
        Loaded standards (``project.standards()``).
    profile
        Catalogue profile.
    levels
        Level keys to keep (e.g. ``{"lc5", "lc10", "lc15"}``); all when None.
    types
        Facility types to keep; all when None.

    Returns
    -------
    pandas.DataFrame
        ``facility_type``, ``level``, ``threshold_m`` (the type's ``radius_m``, else the level's
        ``walk_distance_m``), ``site_min_m2``, ``site_max_m2`` (the type's site area range, else its
        floor-area range; NaN when the catalogue gives neither).
    """
    rows = []
    for key, ft in standards.facility_types(profile).items():
        if not ft.gap_analysis or (types is not None and key not in types):
            continue
        size = ft.site_m2 or ft.gfa_m2 or (np.nan, np.nan)
        for level in ft.levels:
            if (levels is not None and level not in levels) or level not in standards.levels:
                continue
            threshold = ft.threshold_m(standards.levels[level])
            if threshold is not None:
                rows.append((key, level, float(threshold), float(size[0]), float(size[1])))
    return pd.DataFrame(rows, columns=[*REQUIREMENT_COLUMNS, "site_min_m2", "site_max_m2"])


def check_requirements(requirements: pd.DataFrame) -> pd.DataFrame:
    """Validate the requirements table and return it with a clean index."""
    missing = [c for c in REQUIREMENT_COLUMNS if c not in requirements.columns]
    if missing:
        raise ConfigError(f"requirements table lacks columns {missing}", key="requirements")
    req = requirements.reset_index(drop=True)
    bad = ~(pd.to_numeric(req["threshold_m"], errors="coerce") > 0)
    if bad.any():
        row = req[bad].iloc[0]
        raise ConfigError("threshold must be a positive distance in metres", key=f"{row.facility_type}.{row.level}",
                          value=row.threshold_m)
    if req.duplicated(["facility_type", "level"]).any():
        row = req[req.duplicated(["facility_type", "level"])].iloc[0]
        raise ConfigError("facility type listed twice at one level", key=f"{row.facility_type}.{row.level}")
    return req


def boundary_samples(geometry: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing_m`` (at least one per ring) along polygon boundaries; points stay points.

    Returns
    -------
    xy : numpy.ndarray
        (k, 2) coordinates.
    owner : numpy.ndarray
        Position of the geometry each point belongs to.
    """
    geometry = np.asarray(geometry)
    is_point = np.isin(shapely.get_type_id(geometry), [0, 4])
    pts, pts_of = shapely.get_parts(geometry[is_point], return_index=True)
    rings, ring_of = shapely.get_parts(shapely.boundary(geometry[~is_point]), return_index=True)
    ring_xy = np.empty((0, 2))
    ring_idx = np.empty(0, dtype=np.int64)
    if len(rings):
        vx_ring, vx_m, vx_xy, length = line_vertices(rings)
        n = np.maximum(np.ceil(length / spacing_m).astype(np.int64), 1)
        ring_idx = np.repeat(np.arange(len(rings)), n)
        k = np.arange(len(ring_idx)) - np.repeat(np.cumsum(n) - n, n)
        ring_xy = position_along(vx_ring, vx_m, vx_xy, ring_idx, (k + 0.5) * (length / n)[ring_idx])
    xy = np.concatenate([shapely.get_coordinates(pts), ring_xy])
    owner = np.concatenate([np.flatnonzero(is_point)[pts_of], np.flatnonzero(~is_point)[ring_of[ring_idx]]])
    return xy.reshape(-1, 2), owner


def best_per_owner(values: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Index of the smallest finite value per owner (-1 where an owner has none)."""
    best = np.full(n, -1)
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) == 0:
        return best
    order = finite[np.lexsort((values[finite], owner[finite]))]
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    best[owner[order][first]] = order[first]
    return best


def prepare_life_circle(graph: WalkGraph, communities: gpd.GeoDataFrame,
                        facilities: gpd.GeoDataFrame, category_map: Mapping[str, Sequence[str]], *,
                        tag_rules: Sequence[TagRule] = (), gates: gpd.GeoDataFrame | None = None, access_snap_m: float = 30.0,
                        access_spacing_m: float = 20.0, facility_snap_m: float = 250.0,
                        progress: Progress | None = None) -> LifeCircleNetwork:
    """Snap facilities to their nearest network point and find community access points.

    Parameters
    ----------
    graph
        The walking graph (:func:`~gisplanner.analysis.network.build_walk_graph`), built once per project
        and shared by the analyses.
    communities
        Canonical communities layer (``feature_id``).
    facilities
        Canonical facilities layer (``feature_id``, ``category``); polygons are reached from the
        boundary point nearest the network.
    category_map
        Facility category -> catalogue facility types, for facilities without raw tags. Categories not in
        it are ignored (reported ``unmapped``).
    tag_rules
        The facility tag table (``Standards.tag_rules``) for facilities with raw tags (``tags``).
    gates
        Optional gate points. A community with gates within ``access_snap_m`` of its boundary is reached
        through them only.
    access_snap_m
        Largest gap, metres, between a community boundary and a walkable edge that counts as access.
    access_spacing_m
        Spacing of the boundary points tested for access, metres.
    facility_snap_m
        Largest connector, metres, from a facility to the network; farther ones are reported
        ``off_network``.
    progress
        Progress sink.

    Returns
    -------
    LifeCircleNetwork
    """
    progress = ensure_progress(progress)
    progress.update(0, 2, "设施接入路网")
    fac = facility_table(facilities, category_map, tag_rules)
    mapped = (fac["status"] != FACILITY_UNMAPPED).to_numpy()
    xy, owner = boundary_samples(facilities.geometry.to_numpy()[mapped], access_spacing_m)
    owner = np.flatnonzero(mapped)[owner]
    main = snap_points(graph, xy, max_distance_m=facility_snap_m, routable_only=True)
    best = best_per_owner(main.distance_m, owner, len(fac))
    on_net = best >= 0
    island = mapped & ~on_net
    if island.any():
        anywhere = snap_points(graph, xy, max_distance_m=facility_snap_m)
        near_island = np.zeros(len(fac), bool)
        near_island[owner[anywhere.snapped]] = True
        island &= near_island
    status = np.where(on_net, FACILITY_NETWORK, np.where(island, FACILITY_ISLAND, fac["status"]))
    status = np.where(mapped & ~on_net & ~island, FACILITY_OFF_NETWORK, status)
    # A facility is reached from every boundary point within access_snap_m of a routable way (a school
    # from each street it faces), and always from its nearest point; node/connector_m keep the nearest.
    is_best = np.zeros(len(owner), bool)
    is_best[best[on_net]] = True
    points = np.flatnonzero(is_best | (main.snapped & (main.distance_m <= access_snap_m) & on_net[owner]))
    graph, nodes = insert_points(graph, main.take(points))
    point_node = pd.Series(nodes, index=points)
    node = np.full(len(fac), -1)
    node[on_net] = point_node[best[on_net]].to_numpy()
    connector = np.full(len(fac), np.nan)
    connector[on_net] = main.distance_m[best[on_net]]
    fac = fac.assign(node=node, connector_m=connector, status=status)
    access_points = pd.DataFrame({"facility": owner[points], "node": nodes, "connector_m": main.distance_m[points]})
    progress.update(1, 2, "小区出入点")
    access = _community_access(graph, communities, gates, access_snap_m, access_spacing_m)
    progress.update(2, 2, "路网就绪")
    return LifeCircleNetwork(graph, *access, crs=communities.crs, facilities=fac,
                             facility_points=access_points)


def facility_types_from_tags(facilities: pd.DataFrame, rules: Sequence[TagRule]) -> pd.DataFrame:
    """Facility types of every facility from its raw tags, by the first matching rule of the tag table.

    Parameters
    ----------
    facilities
        Facilities with ``tags`` (a JSON object of OSM tags, as the importer keeps them) and ``name``.
    rules
        ``Standards.tag_rules`` (facilities.yaml ``tag_rules``), tried in order. A condition is a regular
        expression matched against the whole tag value; for ``name`` it is searched for in the name.

    Returns
    -------
    pandas.DataFrame
        Same index: ``facility_types`` (tuple; empty where a rule says the feature is no catalogue type; None
        where no rule matches), ``mapped_by`` (the rule's key), ``mapped_zh`` (what the rule calls it); NA in
        both where no rule matches.
    """
    tags = column_or(facilities, "tags", None).astype(object).where(lambda t: t.notna(), "{}").map(json.loads)
    names = column_or(facilities, "name", None).astype("string").fillna("")
    compiled = [(rule, [(k, re.compile(v)) for k, v in rule.when.items()]) for rule in rules]
    types, by, zh = [], [], []
    for tag, name in zip(tags, names, strict=True):
        found = None
        if tag:
            for rule, conditions in compiled:
                if all(pattern.search(name) if key == "name" else
                       (key in tag and pattern.fullmatch(str(tag[key])) is not None)
                       for key, pattern in conditions):
                    found = rule
                    break
        types.append(found.types if found else None)
        by.append(found.key if found else pd.NA)
        zh.append(found.zh if found else pd.NA)
    return pd.DataFrame({"facility_types": types, "mapped_by": pd.array(by, dtype="string"),
                         "mapped_zh": pd.array(zh, dtype="string")}, index=facilities.index)


def facility_table(facilities: gpd.GeoDataFrame, category_map: Mapping[str, Sequence[str]],
                    tag_rules: Sequence[TagRule] = ()) -> pd.DataFrame:
    """One row per facility: its types from its raw tags (tag table), else from its category."""
    if "category" not in facilities.columns:
        raise InputError("设施图层没有设施类别字段", layer="facilities",
                         fix="导入设施图层时把一个字段对应为设施类别")
    by_category = facilities["category"].map(
        lambda c: tuple(category_map.get(c, ())) if isinstance(c, str) else ())
    by_tags = facility_types_from_tags(facilities, tag_rules)
    # An OSM feature is mapped by its tags alone, even with none the table knows (a provincial office tagged
    # only landuse=governmental is no 社区服务站); features of a user layer (no tags) by their category.
    tagged = column_or(facilities, "tags", None).notna().to_numpy()
    types = pd.Series(np.where(tagged, by_tags["facility_types"].map(lambda t: t if t is not None else ()),
                               by_category), index=facilities.index)
    return pd.DataFrame({
        "facility_id": _ids(facilities),
        "category": facilities["category"].to_numpy(),
        "facility_types": types.to_numpy(),
        "mapped_by": np.where(tagged, by_tags["mapped_by"].fillna("").to_numpy(), "category"),
        "mapped_zh": by_tags["mapped_zh"].fillna("").to_numpy(),
        "status": np.where(types.map(len).to_numpy() > 0, FACILITY_NETWORK, FACILITY_UNMAPPED),
    })


def _ids(frame: pd.DataFrame) -> np.ndarray:
    """The feature_id column as strings (the index where a frame has none)."""
    if "feature_id" in frame.columns:
        return frame["feature_id"].astype(str).to_numpy()
    return frame.index.astype(str).to_numpy()


def _community_access(graph: WalkGraph, communities: gpd.GeoDataFrame, gates: gpd.GeoDataFrame | None,
                      snap_m: float, spacing_m: float) -> tuple[Snap, np.ndarray, np.ndarray, np.ndarray]:
    """Access points of every community: gates, else boundary points near routable edges, else nearest."""
    n = len(communities)
    geoms = communities.geometry.to_numpy()
    kind = np.full(n, ACCESS_BOUNDARY, dtype=object)
    xy, owner = boundary_samples(geoms, spacing_m)
    snap = snap_points(graph, xy, max_distance_m=snap_m, routable_only=True)
    if gates is not None and len(gates):
        g_xy = shapely.get_coordinates(shapely.centroid(gates.geometry.to_numpy()))
        tree = shapely.STRtree(geoms)
        gi, ci = tree.query(shapely.points(g_xy), predicate="dwithin", distance=snap_m)
        gated = np.zeros(n, bool)
        gated[ci] = True
        g_snap = snap_points(graph, g_xy[gi], routable_only=True)
        keep = ~gated[owner]
        snap = Snap(*(np.concatenate([a[keep], b]) for a, b in zip(
            (snap.edge, snap.offset_m, snap.distance_m, snap.xy),
            (g_snap.edge, g_snap.offset_m, g_snap.distance_m, g_snap.xy))))
        owner = np.concatenate([owner[keep], ci])
        xy = np.concatenate([xy[keep], g_xy[gi]])
        kind[gated] = ACCESS_GATES
    ok = snap.snapped
    has = np.zeros(n, bool)
    has[owner[ok]] = True
    lacking = np.flatnonzero(~has)
    use_snap, use_owner = snap.take(ok), owner[ok]
    if len(lacking):
        sel = np.isin(owner, lacking)
        anywhere = snap_points(graph, xy[sel], max_distance_m=snap_m)
        near_island = np.zeros(n, bool)
        near_island[owner[sel][anywhere.snapped]] = True
        kind[near_island & ~has] = ACCESS_ISLAND
        far = ~has & ~near_island
        sel_far = np.isin(owner, np.flatnonzero(far))
        nearest = snap_points(graph, xy[sel_far], routable_only=True)
        best = best_per_owner(nearest.distance_m, owner[sel_far], n)
        best = best[far & (best >= 0)]
        kind[far] = ACCESS_NEAREST
        fb = nearest.take(best)
        use_snap = Snap(*(np.concatenate([a, b]) for a, b in zip(
            (use_snap.edge, use_snap.offset_m, use_snap.distance_m, use_snap.xy),
            (fb.edge, fb.offset_m, fb.distance_m, fb.xy))))
        use_owner = np.concatenate([use_owner, owner[sel_far][best]])
    access_m = np.full(n, np.inf)
    np.minimum.at(access_m, use_owner, use_snap.distance_m)
    return use_snap, use_owner, kind, access_m


def life_circle_gaps(network: LifeCircleNetwork, communities: gpd.GeoDataFrame, requirements: pd.DataFrame, *,
                     search_limit_m: float = 2000.0, districts: pd.Series | None = None,
                     off_network_m: float = OFF_NETWORK_M, progress: Progress | None = None) -> LifeCircleGaps:
    """Network distance from every community to the nearest facility of every catalogue type, and the gaps.

    A community is served for a (type, level) row of ``requirements`` when that distance is within the
    row's threshold. Levels do not nest: only facilities mapped to the type count, and a type is tested
    only at the levels the catalogue lists it at, so a 15-minute facility never fills a 5-minute gap
    unless its type is listed at both.

    Parameters
    ----------
    network
        From :func:`prepare_life_circle` on the same communities.
    communities
        Canonical communities layer (``feature_id``, ``name``, ``population``, ``population_estimated``).
    requirements
        ``facility_type``, ``level``, ``threshold_m`` (metres), one row per type and level
        (:func:`requirements_from_standards`).
    search_limit_m
        Distances beyond this (metres) are not searched and reported as null.
    districts
        Optional district of each community, indexed by community ``feature_id``; coverage is then
        also given per district.
    progress
        Progress sink, updated once per facility type.

    Returns
    -------
    LifeCircleGaps
        ``community_access`` (one row per community and requirement row): community_id, community_name,
        facility_type, level, threshold_m, distance_m (null where nothing is reachable within
        the search limit), served, access, access_m, geometry (the community).
        ``gaps``: the unserved rows plus shortfall_m (distance beyond the threshold, null when
        unreachable), population, population_estimated, reason (``beyond`` the threshold;
        ``beyond_search_limit``; ``unreachable``: the community only reaches an island;
        ``no_facility`` of the type anywhere on the network; ``off_network``: the community lies more than
        ``off_network_m`` from any routable edge, so nothing can be said of its walks: a data finding, never
        a missing facility).
        ``coverage``: facility_type, level, district (``all`` overall), communities,
        communities_served, population, population_served, share_served (population-weighted).
    """
    progress = ensure_progress(progress)
    req = check_requirements(requirements)
    n = len(communities)
    types = list(dict.fromkeys(req["facility_type"]))
    limit = max(search_limit_m, float(req["threshold_m"].max()))
    dist = {}
    stocked = set()
    for k, ftype in enumerate(types):
        progress.update(k, len(types), f"设施步行距离（第 {k + 1}/{len(types)} 类）")
        if network.uses(ftype).any():
            stocked.add(ftype)
        node_d = network.type_distances(ftype, limit_m=limit)
        d = network.community_distance(node_d, n)
        dist[ftype] = np.where(d <= limit, d, np.nan)
    progress.update(len(types), len(types), "缺口表")

    ids = _ids(communities)
    rep = np.tile(np.arange(n), len(req))
    r = np.repeat(np.arange(len(req)), n)
    distance = np.concatenate([dist[t] for t in req["facility_type"]]) if len(req) else np.zeros(0)
    threshold = req["threshold_m"].to_numpy(float)[r]
    served = distance <= threshold
    access = gpd.GeoDataFrame({
        "community_id": ids[rep],
        "community_name": column_or(communities, "name", None).to_numpy()[rep],
        "facility_type": req["facility_type"].to_numpy()[r],
        "level": req["level"].to_numpy()[r],
        "threshold_m": threshold,
        "distance_m": distance,
        "served": served,
        "access": network.community_access[rep],
        "access_m": np.where(np.isfinite(network.community_access_m), network.community_access_m, np.nan)[rep],
    }, geometry=communities.geometry.to_numpy()[rep], crs=communities.crs)

    population = pd.to_numeric(column_or(communities, "population", np.nan), errors="coerce").to_numpy(float)
    estimated = column_or(communities, "population_estimated", False).astype("boolean").fillna(False).to_numpy(bool)
    gaps = access.loc[~served].copy()
    gaps.insert(6, "shortfall_m", gaps["distance_m"] - gaps["threshold_m"])
    gaps["population"] = population[rep][~served]
    gaps["population_estimated"] = estimated[rep][~served]
    cut_off = np.isin(gaps["access"].to_numpy(), [ACCESS_ISLAND])
    off_network = gaps["access_m"].to_numpy(float) > off_network_m
    gaps["reason"] = np.select(
        [off_network, ~gaps["facility_type"].isin(stocked).to_numpy(), cut_off, gaps["distance_m"].isna().to_numpy()],
        ["off_network", "no_facility", "unreachable", "beyond_search_limit"], "beyond")
    gaps = gaps.drop(columns="served").reset_index(drop=True)
    coverage = _coverage(access, population[rep], ids, districts)
    return LifeCircleGaps(access, gaps, coverage)


def _coverage(access: pd.DataFrame, population: np.ndarray, ids: np.ndarray,
              districts: pd.Series | None) -> pd.DataFrame:
    pop = np.nan_to_num(population, nan=0.0)
    table = pd.DataFrame({
        "facility_type": access["facility_type"].to_numpy(), "level": access["level"].to_numpy(),
        "served": access["served"].to_numpy(), "population": pop,
        "population_served": np.where(access["served"].to_numpy(), pop, 0.0),
    })
    frames = [table.assign(district="all")]
    if districts is not None:
        d = pd.Series(districts).reindex(access["community_id"].to_numpy()).to_numpy()
        frames.append(table.assign(district=d).dropna(subset=["district"]))
    both = pd.concat(frames, ignore_index=True)
    out = both.groupby(["facility_type", "level", "district"], sort=False).agg(
        communities=("served", "size"), communities_served=("served", "sum"),
        population=("population", "sum"), population_served=("population_served", "sum")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_served"] = out["population_served"] / out["population"]
    return out


#: ``gap_kind`` of a gap: the facility is truly farther than the threshold, or the data do not show the type.
SERVICE_GAP, DATA_MISSING = "服务缺口", "数据缺失"
#: One line said wherever gaps are counted.
DATA_CAVEAT = ("“数据缺失”指数据中没有或明显缺少该类设施（如 OpenStreetMap 未标注），不能据此认定缺少设施；"
               "请补充设施数据，或在确认本地确无此类设施后将其计为服务缺口。")


def data_coverage(facilities: pd.DataFrame, communities: gpd.GeoDataFrame, requirements: pd.DataFrame,
                  levels: Mapping[str, Any], *, min_share: float, confirmed_absent: Collection[str] = (),
                  names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Whether the data show a facility type well enough for its gaps to be service gaps.

    A life circle of level L serves up to ``L.population[1]`` people, so the communities' total population
    implies at least ``population / L.population[1]`` facilities of a type listed at L. A type with no
    facility in the data, or with fewer than ``min_share`` of that, is missing from the data (its gaps are
    数据缺失), unless the user confirmed that the place truly has none (``confirmed_absent``).

    Parameters
    ----------
    facilities
        The facility table of :func:`prepare_life_circle` (``LifeCircleNetwork.facilities``: ``status``,
        ``facility_types``).
    communities
        The communities (``population``).
    requirements
        ``facility_type``, ``level`` rows.
    levels
        ``Standards.levels`` (``population`` range per level).
    min_share
        ``Standards.data_coverage.min_share_of_expected``.
    confirmed_absent
        Types the user confirmed as truly absent (their gaps stay service gaps).
    names
        Chinese name per type, for the note.

    Returns
    -------
    pandas.DataFrame
        facility_type, level, facilities (in the data, on the network or not), expected (rounded up),
        share, coverage (``ok``, ``none``, ``sparse``, ``confirmed_absent``), gap_kind, note (Chinese).
    """
    req = check_requirements(requirements)
    population = float(np.nansum(pd.to_numeric(column_or(communities, "population", np.nan),
                                               errors="coerce").to_numpy(float)))
    fac = facilities
    in_data = (fac["status"] != FACILITY_UNMAPPED).to_numpy()
    rows = []
    for row in req.itertuples(index=False):
        count = int((in_data & fac["facility_types"].map(lambda t, k=row.facility_type: k in t).to_numpy(bool))
                    .sum())
        per = float(levels[row.level].population[1]) if row.level in levels else np.nan
        expected = float(np.ceil(population / per)) if per > 0 else np.nan
        share = count / expected if expected > 0 else np.nan
        zh = (names or {}).get(row.facility_type, row.facility_type)
        if row.facility_type in confirmed_absent:
            coverage, note = "confirmed_absent", f"已确认本地确无{zh}：缺口按服务缺口计"
        elif count == 0:
            coverage, note = "none", f"数据中没有任何{zh}"
        elif share < min_share:
            coverage = "sparse"
            note = (f"数据中只有{count}处{zh}，按人口{population:,.0f}人应不少于{expected:,.0f}处"
                    f"（每{per:,.0f}人一处），疑为数据缺失")
        else:
            coverage, note = "ok", ""
        rows.append((row.facility_type, row.level, count, expected, share, coverage,
                     DATA_MISSING if coverage in ("none", "sparse") else SERVICE_GAP, note))
    return pd.DataFrame(rows, columns=["facility_type", "level", "facilities", "expected", "share", "coverage",
                                       "gap_kind", "note"])


def with_gap_kind(gaps: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """The gaps with ``gap_kind`` (服务缺口/数据缺失) from :func:`data_coverage`, by type and level."""
    kind = coverage.set_index(["facility_type", "level"])["gap_kind"]
    keys = pd.MultiIndex.from_arrays([gaps["facility_type"], gaps["level"]])
    return gaps.assign(gap_kind=kind.reindex(keys).fillna(SERVICE_GAP).to_numpy())
