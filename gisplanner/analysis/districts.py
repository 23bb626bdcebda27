"""Renovation districts (片区): eligibility, automatic bundling, and what each district carries.

Bundling algorithm (documented here because it is the tool's own, not a library's):

1. *Construction* (as in the first phase of max-p, Duque et al. 2012): seeds are taken
   periphery-first (the unassigned community with the fewest unassigned neighbours; ties
   broken by a permutation drawn from ``seed``). A region grows one neighbour at a time,
   preferring the candidate with most links into the region, then the one nearest its
   centroid, until it reaches ``min_population``; a candidate joins only if the region stays
   within ``max_population`` and ``max_extent_m``. Regions that cannot reach the minimum
   are dissolved.
2. *Enclave assignment*: each dissolved community joins the adjacent region with the lowest
   population that can take it within the bounds, repeatedly until nothing moves.
3. *Leftovers*: what is still unassigned is grown into regions capped by the maximum only.
4. *Repair*: a district below the minimum merges into the adjacent district that gives the
   smallest merged population within the bounds.

Steps 1–4 run ``tries`` times with seeds derived from ``seed``; the partition with the
fewest communities in under-populated districts, then the most districts, is kept. Islands
and single large communities become their own districts; nothing is dropped. Constraints
are checked again afterwards (:func:`district_table`) and violations are reported per district.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from gisplanner.analysis.network import WalkGraph, insert_points, network_distances, snap_points
from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress

#: Constraint violations a district can carry (``violations`` column, ``;``-separated), in the
#: order they are listed, with the words the editing warnings use.
VIOLATIONS = {
    "below_min_population": "is below the minimum population",
    "above_max_population": "is above the maximum population",
    "extent_exceeded": "is wider than the maximum extent",
    "not_contiguous": "is not contiguous",
}

MEMBER_COLUMNS = ["district_id", "community_id", "community_name"]
RESOURCE_COLUMNS = ["district_id", "layer", "resource_id", "name", "area_m2", "status", "distance_m",
                    "n_districts"]
EXCLUSION_COLUMNS = ["community_id", "community_name", "built_year", "reason", "district_id"]
#: Reason given for an eligible community that an edit left in no district.
LEFT_OUT = "eligible, but left out of every district by hand"
GAP_COLUMNS = ["district_id", "facility_type", "level", "n_communities", "n_unreachable", "population",
               "max_shortfall_m"]
CONTENT_COLUMNS = ["district_id", "renovation_class", "item", "source", "unit", "quantity", "unit_cost_yuan",
                   "cost_yuan"]

#: How a cost-table unit turns into a quantity of a district (column of the districts table).
COST_UNITS = {"m2": "floor_area_m2", "household": "households", "building": "n_buildings",
              "community": "n_communities", "district": None}


@dataclass(frozen=True)
class DistrictRules:
    """The constraints and reaches used to bundle and describe districts.

    Parameters
    ----------
    min_population, max_population
        Population range of a district (people); default the 5-minute life circle of
        GB 50180 (5,000–12,000).
    max_extent_m
        Largest distance (m) between two member communities' centroids: the walk between them
        when walking distances are given (:func:`community_walk_distances`), else the straight
        line (a lower bound of the walk). Default 1,000 m, the lc15 walking distance.
    resource_reach_m
        Resources within this distance (m) of a district outline belong to it.
    adjacency_gap_m
        The gap used for adjacency (m); the outline closes gaps up to this width.
    built_before
        A community built in or before this year is old (the policy's 2000年底前).
    """

    min_population: float = 5000.0
    max_population: float = 12000.0
    max_extent_m: float = 1000.0
    resource_reach_m: float = 100.0
    adjacency_gap_m: float = 30.0
    built_before: int = 2000

    def __post_init__(self) -> None:
        if not 0 <= self.min_population <= self.max_population:
            raise InputError(f"district population range {self.min_population}–{self.max_population} is empty",
                             fix="use 0 <= min_population <= max_population")
        if self.max_extent_m <= 0 or self.resource_reach_m < 0:
            raise InputError("district extent must be > 0 m and resource reach >= 0 m",
                             fix="check district_max_extent_m and resource_reach_m")


@dataclass(frozen=True)
class DistrictInputs:
    """Everything a district plan is computed from; the editing operations reuse it.

    Parameters
    ----------
    communities
        Canonical communities layer, metric CRS.
    adjacency
        Output of :func:`gisplanner.analysis.adjacency.community_adjacency`.
    eligibility
        Output of :func:`community_eligibility`.
    rules
        Constraints and reaches.
    resources
        Resource layers by name (idle_land, boiler_rooms, public_buildings), each with
        ``feature_id``, ``name``, ``area_m2``, ``status``.
    gaps
        Life-circle gaps (``community_id``, ``facility_type``, ``level``, ``shortfall_m``,
        ``population``) when that analysis has run.
    groups
        Admin unit of each community (aligned to ``communities``) when bundling must stay
        inside 街道/社区 boundaries; see :func:`admin_groups`.
    classes, facility_classes, facility_names
        Renovation content: class -> items, facility type -> class and facility type -> item
        name (see :func:`district_content`).
    unit_costs
        The user's unit-cost table (see :func:`district_costs`), or None: no costs.
    unit_costs_file
        Where ``unit_costs`` was read from, for error messages.
    walk
        Walking distances between communities; without them extents are straight lines.
    """

    communities: gpd.GeoDataFrame
    adjacency: pd.DataFrame
    eligibility: pd.DataFrame
    rules: DistrictRules = field(default_factory=DistrictRules)
    resources: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    gaps: pd.DataFrame | None = None
    groups: pd.Series | None = None
    classes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    facility_classes: Mapping[str, str] = field(default_factory=dict)
    facility_names: Mapping[str, str] = field(default_factory=dict)
    unit_costs: pd.DataFrame | None = None
    unit_costs_file: str | None = None
    walk: WalkDistances | None = None


@dataclass(frozen=True)
class DistrictPlan:
    """A set of districts and the tables that describe them (the project's results)."""

    districts: gpd.GeoDataFrame
    members: pd.DataFrame
    resources: gpd.GeoDataFrame
    exclusions: pd.DataFrame
    gaps: pd.DataFrame
    content: pd.DataFrame

    def results(self) -> dict[str, pd.DataFrame]:
        """The result tables by the name they carry on the project."""
        return {"districts": self.districts, "district_members": self.members,
                "district_resources": self.resources, "district_exclusions": self.exclusions,
                "district_gaps": self.gaps, "district_content": self.content}


# --------------------------------------------------------------------------- eligibility

def community_eligibility(communities: pd.DataFrame, *, buildings: pd.DataFrame | None = None,
                          built_before: int = 2000, extended_built_before: int = 2005,
                          extended_max_share: float = 0.15) -> pd.DataFrame:
    """Decide which communities may be renovated, with the reason for every exclusion.

    A community built in or before ``built_before`` is eligible. One built after it but in or
    before ``extended_built_before`` is eligible under the extension while the households of
    all extension communities stay within ``extended_max_share`` of the households of the
    eligible set (extension included); oldest are admitted first, then by ``feature_id``.
    Where a community's ``built_year`` is missing, the median ``built_year`` of its buildings
    is used when ``buildings`` is given.

    Parameters
    ----------
    communities
        ``feature_id``, ``built_year`` (Int64, may be NA), ``households``.
    buildings
        Optional ``community_id``, ``built_year``.
    built_before, extended_built_before
        Years (inclusive: built in or before).
    extended_max_share
        Largest share (0–1) of eligible households that may come from the extension; 0 turns
        the extension off.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``communities``: ``community_id``, ``built_year`` (the year used),
        ``built_year_source`` (``community`` / ``buildings`` / NA), ``eligible`` (bool),
        ``basis`` (``built_before`` / ``extension`` / NA) and ``reason`` (NA when eligible).
    """
    if not 0 <= extended_max_share < 1:
        raise InputError(f"extended_max_share must be in [0, 1), got {extended_max_share}",
                         fix="set renovation eligibility.extension.max_share_of_households to a share "
                             "such as 0.15")
    ids = communities["feature_id"].astype(str)
    year = _years(communities)
    source = pd.Series(np.where(year.notna(), "community", None), index=communities.index, dtype="string")
    if buildings is not None and len(buildings) and "built_year" in buildings:
        dated = buildings.dropna(subset=["community_id", "built_year"])
        by_comm = dated.groupby(dated["community_id"].astype(str))["built_year"].median()
        fill = ids.map(by_comm).astype("Float64").floordiv(1).astype("Int64")
        use = year.isna() & fill.notna()
        year = year.mask(use, fill)
        source = source.mask(use, "buildings")
    households = _numeric(communities, "households").fillna(0.0)
    known = year.notna().to_numpy()
    y = year.fillna(0).to_numpy(dtype=np.int64)
    old = known & (y <= built_before)
    ext = known & (y > built_before) & (y <= extended_built_before)
    eligible = old.copy()
    reason = np.full(len(ids), None, dtype=object)
    reason[~known] = "built year unknown; supply built_year for the community or its buildings"
    last = extended_built_before if extended_max_share > 0 else built_before
    late = known & (y > max(built_before, last))
    reason[late] = [f"built {v}, after {max(built_before, last)}" for v in y[late]]
    if extended_max_share > 0 and ext.any():
        # E / (B + E) <= s  <=>  E <= s * B / (1 - s)
        cap = extended_max_share * households[old].sum() / (1 - extended_max_share)
        order = np.lexsort((ids.to_numpy()[ext], y[ext]))
        candidates = np.flatnonzero(ext)[order]
        within = np.cumsum(households.to_numpy()[candidates]) <= cap + 1e-9
        eligible[candidates[within]] = True
        refused = candidates[~within]
        reason[refused] = [f"built {v}: the {built_before}–{extended_built_before} extension is full "
                           f"({extended_max_share:.0%} of eligible households)" for v in y[refused]]
    basis = np.where(old, "built_before", np.where(eligible, "extension", None))
    return pd.DataFrame({
        "community_id": ids.to_numpy(), "built_year": year.to_numpy(), "built_year_source": source.to_numpy(),
        "eligible": eligible, "basis": pd.array(basis, dtype="string"),
        "reason": pd.array(reason, dtype="string"),
    }, index=communities.index)


def exclusion_table(communities: pd.DataFrame, eligibility: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Every community that is not an eligible member of a district, and why.

    Lists the ineligible communities with their reason (and their ``district_id`` where a
    planner put one into a district anyway), and eligible communities in no district with
    the reason :data:`LEFT_OUT`.

    Parameters
    ----------
    communities
        ``feature_id``, ``name``.
    eligibility
        Output of :func:`community_eligibility`.
    members
        Output of :func:`member_table`.

    Returns
    -------
    pandas.DataFrame
        ``EXCLUSION_COLUMNS``, in layer order.
    """
    district = eligibility["community_id"].map(
        dict(zip(members["community_id"], members["district_id"]))).astype("string")
    eligible = eligibility["eligible"].to_numpy(bool)
    listed = ~eligible | district.isna().to_numpy()
    reason = eligibility["reason"].astype("string").mask(eligible & district.isna().to_numpy(), LEFT_OUT)
    out = pd.DataFrame({
        "community_id": eligibility["community_id"], "community_name": _column(communities, "name", pd.NA)
        .astype("string"), "built_year": eligibility["built_year"], "reason": reason, "district_id": district})
    return out.loc[listed, EXCLUSION_COLUMNS].reset_index(drop=True)


def admin_groups(communities: gpd.GeoDataFrame, admin_boundaries: gpd.GeoDataFrame) -> pd.Series:
    """The admin unit (``feature_id``) that holds the largest part of each community.

    Returns
    -------
    pandas.Series
        Aligned to ``communities``; NA where a community overlaps no admin unit.
    """
    geoms = np.asarray(communities.geometry.values)
    units = np.asarray(admin_boundaries.geometry.values)
    comm, unit = shapely.STRtree(units).query(geoms, predicate="intersects")
    share = shapely.area(shapely.intersection(geoms[comm], units[unit]))
    best = pd.DataFrame({"c": comm, "u": unit, "a": share}).sort_values(["c", "a", "u"],
                                                                        ascending=[True, False, True])
    best = best.drop_duplicates("c")
    out = np.full(len(geoms), None, dtype=object)
    out[best["c"].to_numpy()] = admin_boundaries["feature_id"].astype(str).to_numpy()[best["u"].to_numpy()]
    return pd.Series(pd.array(out, dtype="string"), index=communities.index, name="admin_id")


# --------------------------------------------------------------------------- walking distances

@dataclass(frozen=True)
class WalkDistances:
    """Walking distances (m) between community centroids, for the pairs within ``limit_m``.

    A centroid joins the network by a straight connector to the nearest routable walkway; the
    distance between two communities is connector + shortest path + connector, so it is never
    shorter than the straight line.

    Attributes
    ----------
    matrix
        Sparse (n, n) matrix aligned to the communities layer with sorted indices; a stored
        entry (zero included) for every pair within ``limit_m``, the diagonal included.
    limit_m
        Pairs farther apart (or not connected) have no entry.
    """

    matrix: sp.csr_matrix
    limit_m: float

    def lookup(self, row: int, cols: np.ndarray) -> np.ndarray:
        """Distances (m) from community ``row`` to communities ``cols`` (positions); inf where unknown."""
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        idx = self.matrix.indices[start:end]
        cols = np.asarray(cols)
        if not len(idx):
            return np.where(cols == row, 0.0, np.inf)
        pos = np.minimum(np.searchsorted(idx, cols), len(idx) - 1)
        return np.where(idx[pos] == cols, self.matrix.data[start:end][pos], np.inf)


def community_walk_distances(communities: gpd.GeoDataFrame, graph: WalkGraph, *, limit_m: float,
                             chunk: int = 256, progress: Progress | None = None) -> WalkDistances:
    """Walking distances between the centroids of communities, up to ``limit_m``.

    Parameters
    ----------
    communities
        Canonical communities layer, in the CRS of ``graph``.
    graph
        Walking graph (:func:`gisplanner.analysis.network.build_walk_graph`).
    limit_m
        Largest distance kept (m); use at least the district extent limit.
    chunk
        Sources per Dijkstra call (bounds memory: chunk x nodes distances).
    progress
        Optional progress sink, one step per chunk.

    Returns
    -------
    WalkDistances
    """
    progress = ensure_progress(progress)
    xy = _centroids(communities)
    snap = snap_points(graph, xy, routable_only=True)
    routed, node = insert_points(graph, snap)
    ok = np.flatnonzero(node >= 0)
    connector = snap.distance_m
    rows, cols, vals = [np.arange(len(xy))], [np.arange(len(xy))], [np.zeros(len(xy))]
    for start in range(0, len(ok), chunk):
        progress.update(start, len(ok), "walking distances between communities")
        src = ok[start:start + chunk]
        d = network_distances(routed, node[src], min_only=False, limit_m=limit_m)[:, node[ok]]
        d = d + connector[src, None] + connector[None, ok]
        r, c = np.nonzero((d <= limit_m) & (src[:, None] != ok[None, :]))
        rows.append(src[r])
        cols.append(ok[c])
        vals.append(d[r, c])
    n = len(xy)
    matrix = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(n, n)).tocsr()
    matrix.sort_indices()
    return WalkDistances(matrix=matrix, limit_m=float(limit_m))


class _Spacing:
    """Distances between communities for the extent limit: walks when known, else straight lines.

    Works on positions in a subset (``nodes``: their positions in the communities layer).
    """

    def __init__(self, xy_all: np.ndarray, walk: WalkDistances | None, nodes: np.ndarray) -> None:
        self.xy = xy_all[nodes]
        self.walk = walk
        self.nodes = nodes

    def between(self, i: int, js: np.ndarray) -> np.ndarray:
        if self.walk is None:
            return np.hypot(*(self.xy[js] - self.xy[i]).T)
        return self.walk.lookup(int(self.nodes[i]), self.nodes[js])

    def span(self, members: np.ndarray) -> float:
        """Largest distance between two of ``members`` (m); inf when a pair is beyond the walk limit."""
        if len(members) < 2:
            return 0.0
        if self.walk is None:
            return _diameter(self.xy[members])
        return max(float(self.between(int(m), members).max()) for m in members)


# --------------------------------------------------------------------------- bundling

def bundle_communities(communities: gpd.GeoDataFrame, adjacency: pd.DataFrame, *,
                       eligible: np.ndarray | pd.Series | None = None, rules: DistrictRules | None = None,
                       groups: pd.Series | None = None, walk: WalkDistances | None = None, seed: int = 0,
                       tries: int = 4, progress: Progress | None = None) -> pd.Series:
    """Bundle eligible communities into contiguous districts (algorithm in the module docstring).

    Parameters
    ----------
    communities
        ``feature_id``, ``population`` (people; NA counts as 0), polygons in a metric CRS.
    adjacency
        Output of :func:`~gisplanner.analysis.adjacency.community_adjacency`; only pairs with
        ``adjacent`` true link communities.
    eligible
        Boolean mask aligned to ``communities``; default all.
    rules
        Population range and maximum extent.
    groups
        Admin unit per community (aligned); links between different units are dropped.
        Communities outside every unit (NA) form one group of their own.
    walk
        Walking distances for the extent limit; straight lines when None.
    seed
        Seed of the tie-breaking permutation; the same seed gives the same districts.
    tries
        Number of constructions compared.
    progress
        Optional progress sink (one step per try).

    Returns
    -------
    pandas.Series
        District number (0, 1, ...; numbered by each district's first member in layer
        order) aligned to ``communities``; -1 for communities not eligible.
    """
    progress = ensure_progress(progress)
    rules = rules or DistrictRules()
    n_all = len(communities)
    mask = np.ones(n_all, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    nodes = np.flatnonzero(mask)
    pop = _population(communities)[nodes]
    spacing = _Spacing(_centroids(communities), walk, nodes)
    grp = None if groups is None else np.asarray(groups.astype("string").fillna("").to_numpy())[nodes]
    neigh = _neighbours(communities, adjacency, nodes, grp)
    best: tuple[tuple[int, int], np.ndarray] | None = None
    for t in range(max(1, tries)):
        rng = np.random.default_rng([seed, t])
        label = _Grower(pop, spacing, neigh, rules, rng.permutation(len(nodes))).run()
        under = _under_populated(label, pop, rules.min_population)
        score = (int(under.sum()), -int(label.max(initial=-1) + 1))
        if best is None or score < best[0]:
            best = (score, label)
        progress.update(t + 1, max(1, tries), "bundling communities")
    out = np.full(n_all, -1, dtype=np.int64)
    if best is not None and len(nodes):
        out[nodes] = _renumber(best[1])
    return pd.Series(out, index=communities.index, name="district")


class _Grower:
    """One construction of the bundling heuristic over the eligible nodes."""

    def __init__(self, pop: np.ndarray, spacing: _Spacing, neigh: list[np.ndarray], rules: DistrictRules,
                 rkey: np.ndarray) -> None:
        self.pop, self.spacing, self.neigh, self.rules, self.rkey = pop, spacing, neigh, rules, rkey
        self.xy = spacing.xy
        self.label = np.full(len(pop), -1, dtype=np.int64)
        self.free_deg = np.array([len(nb) for nb in neigh], dtype=np.int64)
        self.n_regions = 0
        # Entries go stale when a node's free degree changes; a fresh one is pushed each time.
        self.heap = [(int(d), int(k), i) for i, (d, k) in enumerate(zip(self.free_deg, rkey))]
        heapq.heapify(self.heap)

    def run(self) -> np.ndarray:
        lo = self.rules.min_population
        regions: list[list[int]] = []
        while (self.label == -1).any():
            region = self._grow(self._next_seed(), lo)
            regions.append(region)
        for members in regions:
            if self.pop[members].sum() < lo:
                self._release(members)
        self._assign_enclaves()
        while (self.label == -1).any():
            self._grow(self._next_seed(), np.inf)
        self._merge_small()
        return self.label

    def _next_seed(self) -> int:
        """The free node with the fewest free neighbours (ties: rkey), from a lazily updated heap."""
        while True:
            deg, _, node = heapq.heappop(self.heap)
            if self.label[node] == -1 and deg == self.free_deg[node]:
                return node

    def _push(self, nodes: Iterable[int]) -> None:
        for nb in nodes:
            if self.label[nb] == -1:
                heapq.heappush(self.heap, (int(self.free_deg[nb]), int(self.rkey[nb]), int(nb)))

    def _take(self, node: int, region: int) -> None:
        self.label[node] = region
        self.free_deg[self.neigh[node]] -= 1
        self._push(self.neigh[node])

    def _release(self, members: list[int]) -> None:
        for node in members:
            self.label[node] = -1
            self.free_deg[self.neigh[node]] += 1
            self._push([node, *self.neigh[node]])

    def _fits(self, node: int, members: np.ndarray, pop: float) -> bool:
        if pop + self.pop[node] > self.rules.max_population:
            return False
        return bool(self.spacing.between(node, members).max(initial=0.0) <= self.rules.max_extent_m)

    def _grow(self, seed_node: int, target: float) -> list[int]:
        region = self.n_regions
        self.n_regions += 1
        members = [seed_node]
        self._take(seed_node, region)
        total = float(self.pop[seed_node])
        links: dict[int, int] = {}
        for nb in self.neigh[seed_node]:
            links[int(nb)] = links.get(int(nb), 0) + 1
        while total < target and links:
            arr = np.array(members)
            centre = self.xy[arr].mean(axis=0)
            best = None
            for cand, k in links.items():
                if self.label[cand] != -1 or not self._fits(cand, arr, total):
                    continue
                key = (-k, float(np.hypot(*(self.xy[cand] - centre))), int(self.rkey[cand]))
                if best is None or key < best[0]:
                    best = (key, cand)
            if best is None:
                break
            cand = best[1]
            members.append(cand)
            self._take(cand, region)
            total += float(self.pop[cand])
            del links[cand]
            for nb in self.neigh[cand]:
                if self.label[nb] == -1:
                    links[int(nb)] = links.get(int(nb), 0) + 1
        return members

    def _assign_enclaves(self) -> None:
        moved = True
        while moved:
            moved = False
            for node in np.flatnonzero(self.label == -1)[np.argsort(self.rkey[self.label == -1])]:
                options = []
                for r in np.unique(self.label[self.neigh[node]]):
                    if r < 0:
                        continue
                    members = np.flatnonzero(self.label == r)
                    total = float(self.pop[members].sum())
                    if self._fits(node, members, total):
                        options.append((total, int(r)))
                if options:
                    self._take(int(node), min(options)[1])
                    moved = True

    def _merge_small(self) -> None:
        lo = self.rules.min_population
        while True:
            sizes = np.bincount(self.label, weights=self.pop, minlength=self.n_regions)
            present = np.bincount(self.label, minlength=self.n_regions) > 0
            small = np.flatnonzero(present & (sizes < lo))
            merged = False
            for r in small[np.argsort(sizes[small], kind="stable")]:
                members = np.flatnonzero(self.label == r)
                touching = np.unique(self.label[np.concatenate([self.neigh[m] for m in members])])
                options = []
                for other in touching[touching != r]:
                    union = np.concatenate([members, np.flatnonzero(self.label == other)])
                    total = sizes[r] + sizes[other]
                    if total <= self.rules.max_population and self.spacing.span(union) <= self.rules.max_extent_m:
                        options.append((total, int(other)))
                if options:
                    self.label[members] = min(options)[1]
                    merged = True
                    break
            if not merged:
                return


# --------------------------------------------------------------------------- describing districts

def district_table(communities: gpd.GeoDataFrame, assignment: pd.Series, adjacency: pd.DataFrame, *,
                   rules: DistrictRules | None = None, walk: WalkDistances | None = None,
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
    rules = rules or DistrictRules()
    did = assignment.astype("string")
    inside = did.notna().to_numpy()
    comm = communities.loc[inside]
    d = did[inside].to_numpy()
    ids = comm["feature_id"].astype(str).to_numpy()
    hh = _numeric(comm, "households")
    frame = pd.DataFrame({
        "district_id": d,
        "households": hh.to_numpy(),
        "population": _population(comm),
        "population_estimated": _column(comm, "population_estimated", False).fillna(False).astype(bool)
        .to_numpy(),
        "n_buildings": _numeric(comm, "n_buildings").fillna(0).to_numpy(),
        "floor_area_m2": _numeric(comm, "floor_area_m2").to_numpy(),
    })
    year = _years(comm).reset_index(drop=True)
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
    spacing = _Spacing(_centroids(communities), walk, np.flatnonzero(inside))
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
        extents.append(_diameter(spacing.xy[rows]))
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
    names_of = np.array(list(VIOLATIONS))
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
    names = _column(communities, "name", pd.NA)
    out = pd.DataFrame({"district_id": did[inside].to_numpy(),
                        "community_id": communities["feature_id"].astype(str).to_numpy()[inside],
                        "community_name": names.astype("string").to_numpy()[inside]})
    return out.sort_values(["district_id", "community_id"], kind="stable").reset_index(drop=True)


def district_resources(districts: gpd.GeoDataFrame, resources: Mapping[str, gpd.GeoDataFrame], *,
                       reach_m: float = 100.0) -> gpd.GeoDataFrame:
    """Resources inside a district outline or within ``reach_m`` of it.

    A resource near two districts is listed for both (``n_districts`` counts them): it can
    serve either, and the plan decides which.

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
        ``RESOURCE_COLUMNS`` and the resource's geometry; ``distance_m`` is 0 for a resource
        touching or inside the outline.
    """
    frames = []
    outlines = np.asarray(districts.geometry.values)
    tree = shapely.STRtree(outlines)
    for layer, gdf in resources.items():
        if gdf is None or not len(gdf):
            continue
        geoms = np.asarray(gdf.geometry.values)
        res, dist_i = tree.query(geoms, predicate="dwithin", distance=reach_m)
        area = _numeric(gdf, "area_m2").to_numpy()
        area = np.where(np.isnan(area) & (shapely.area(geoms) > 0), shapely.area(geoms), area)
        frames.append(pd.DataFrame({
            "district_id": districts["district_id"].to_numpy()[dist_i],
            "layer": layer,
            "resource_id": gdf["feature_id"].astype(str).to_numpy()[res],
            "name": _column(gdf, "name", pd.NA).astype("string").to_numpy()[res],
            "area_m2": area[res],
            "status": _column(gdf, "status", pd.NA).astype("string").to_numpy()[res],
            "distance_m": shapely.distance(geoms[res], outlines[dist_i]),
            "geometry": geoms[res],
        }))
    if not frames:
        return gpd.GeoDataFrame(columns=[*RESOURCE_COLUMNS, "geometry"], geometry="geometry", crs=districts.crs)
    out = pd.concat(frames, ignore_index=True)
    out["n_districts"] = out.groupby(["layer", "resource_id"])["district_id"].transform("size").astype(np.int64)
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


def district_content(districts: pd.DataFrame, gaps: pd.DataFrame, *,
                     classes: Mapping[str, Sequence[str]],
                     facility_classes: Mapping[str, str] | None = None,
                     facility_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Renovation content of each district by class (基础类/完善类/提升类).

    Every district gets the items the config lists for each class (source ``standard``);
    each facility type with a life-circle gap in the district adds that type under its
    renovation class (source ``gap``).

    Parameters
    ----------
    districts
        ``district_id``.
    gaps
        Output of :func:`district_gaps`.
    classes
        Class -> items, from the renovation config.
    facility_classes
        Facility type -> renovation class, from the facility catalogue.
    facility_names
        Facility type -> the item name to list (e.g. its Chinese name); default the type key.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``renovation_class``, ``item``, ``source``.
    """
    base = [(c, item) for c, items in classes.items() for item in items]
    rows = [(d, c, item, "standard") for d in districts["district_id"] for c, item in base]
    facility_classes = facility_classes or {}
    seen = set()
    for d, ftype in zip(gaps["district_id"], gaps["facility_type"]):
        cls = facility_classes.get(ftype)
        if cls is not None and (d, ftype) not in seen:
            seen.add((d, ftype))
            rows.append((d, cls, (facility_names or {}).get(ftype, ftype), "gap"))
    out = pd.DataFrame(rows, columns=["district_id", "renovation_class", "item", "source"])
    return out.sort_values(["district_id"], kind="stable").reset_index(drop=True)


def district_costs(districts: pd.DataFrame, content: pd.DataFrame, unit_costs: pd.DataFrame | None, *,
                   file: str | None = None) -> pd.DataFrame:
    """Cost of each content item from a user-supplied unit-cost table; no default costs.

    Parameters
    ----------
    districts
        Output of :func:`district_table` (the quantities).
    content
        Output of :func:`district_content`.
    unit_costs
        Columns ``item``, ``unit`` (one of ``COST_UNITS``: m2 of floor area, household,
        building, community, district) and ``unit_cost_yuan`` (yuan per unit); None leaves
        every cost NA.
    file
        Name of the cost file, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``CONTENT_COLUMNS``; an item with no row in ``unit_costs`` keeps NA unit, quantity and
        cost.
    """
    if unit_costs is None:
        unit_costs = pd.DataFrame({"item": pd.Series(dtype=str), "unit": pd.Series(dtype=str),
                                   "unit_cost_yuan": pd.Series(dtype=float)})
    missing = {"item", "unit", "unit_cost_yuan"} - set(unit_costs.columns)
    if missing:
        raise InputError(f"unit-cost table lacks columns {sorted(missing)}", file=file,
                         fix="give the CSV the header item,unit,unit_cost_yuan")
    # Lines as the user sees them in the CSV: the header is line 1.
    bad = ~unit_costs["unit"].isin(list(COST_UNITS)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"unknown unit {unit_costs['unit'].iloc[row]!r}", file=file, feature=f"line {row + 2}",
                         fix=f"use one of {', '.join(COST_UNITS)}")
    price = pd.to_numeric(unit_costs["unit_cost_yuan"], errors="coerce")
    wrong = (price.isna() | (price < 0)).to_numpy()
    if wrong.any():
        raise InputError("unit_cost_yuan must be a number >= 0", file=file,
                         feature=f"line {int(np.flatnonzero(wrong)[0]) + 2}", fix="fill in the cost in yuan per unit")
    if unit_costs["item"].duplicated().any():
        item = unit_costs["item"][unit_costs["item"].duplicated()].iloc[0]
        raise InputError(f"item {item!r} is priced twice", file=file, fix="keep one row per item")
    costs = unit_costs.assign(unit_cost_yuan=price)[["item", "unit", "unit_cost_yuan"]]
    out = content.merge(costs, on="item", how="left")
    qty = districts.set_index("district_id")
    quantity = np.full(len(out), np.nan)
    for unit, column in COST_UNITS.items():
        sel = (out["unit"] == unit).to_numpy()
        quantity[sel] = 1.0 if column is None else qty[column].reindex(out["district_id"][sel]).to_numpy(float)
    out["quantity"] = quantity
    out["cost_yuan"] = out["quantity"] * out["unit_cost_yuan"]
    return out[CONTENT_COLUMNS]


# --------------------------------------------------------------------------- the whole plan

def describe_plan(inputs: DistrictInputs, assignment: pd.Series, *, names: Mapping[str, str] | None = None,
                  locked: Sequence[str] = ()) -> DistrictPlan:
    """All the result tables for a given assignment of communities to districts.

    Parameters
    ----------
    inputs
        What the plan is computed from.
    assignment
        ``district_id`` aligned to ``inputs.communities`` (NA: in no district).
    names, locked
        District names and locked district ids.
    """
    districts = district_table(inputs.communities, assignment, inputs.adjacency, rules=inputs.rules,
                               walk=inputs.walk, names=names, locked=locked)
    members = member_table(inputs.communities, assignment)
    resources = district_resources(districts, inputs.resources, reach_m=inputs.rules.resource_reach_m)
    gaps = district_gaps(members, inputs.gaps)
    n_res = resources.groupby("district_id").size()
    n_gap = gaps.groupby("district_id").size()
    districts["n_resources"] = districts["district_id"].map(n_res).fillna(0).astype(np.int64)
    districts["n_gaps"] = districts["district_id"].map(n_gap).fillna(0).astype(np.int64)
    content = district_content(districts, gaps, classes=inputs.classes, facility_classes=inputs.facility_classes,
                               facility_names=inputs.facility_names)
    content = district_costs(districts, content, inputs.unit_costs, file=inputs.unit_costs_file)
    # Without a cost table the total stays NA: the tool has no default costs.
    priced = content.groupby("district_id")["cost_yuan"].sum(min_count=1)
    districts["cost_yuan"] = districts["district_id"].map(priced).astype(float)
    unpriced = content["cost_yuan"].isna().groupby(content["district_id"]).sum()
    districts["n_items_unpriced"] = districts["district_id"].map(unpriced).fillna(0).astype(np.int64)
    return DistrictPlan(districts=districts, members=members, resources=resources,
                        exclusions=exclusion_table(inputs.communities, inputs.eligibility, members), gaps=gaps,
                        content=content)


def plan_districts(inputs: DistrictInputs, *, seed: int = 0, tries: int = 4, keep: DistrictPlan | None = None,
                   progress: Progress | None = None) -> DistrictPlan:
    """Bundle the eligible communities into districts and describe them.

    Parameters
    ----------
    inputs
        Communities, adjacency, eligibility, rules, resources, gaps, admin groups.
    seed, tries
        See :func:`bundle_communities`.
    keep
        A previous plan whose locked districts are kept as they are; the rest is re-bundled.
    progress
        Optional progress sink.
    """
    comm = inputs.communities
    ids = comm["feature_id"].astype(str)
    assignment = pd.Series(pd.NA, index=comm.index, dtype="string")
    names: dict[str, str] = {}
    locked: list[str] = []
    if keep is not None:
        kept = keep.districts.loc[keep.districts["locked"].astype(bool), ["district_id", "name"]]
        locked = kept["district_id"].tolist()
        names = dict(zip(kept["district_id"], kept["name"]))
        held = keep.members.loc[keep.members["district_id"].isin(locked)]
        assignment[:] = ids.map(dict(zip(held["community_id"], held["district_id"])))
    free = inputs.eligibility["eligible"].to_numpy(bool) & assignment.isna().to_numpy()
    label = bundle_communities(comm, inputs.adjacency, eligible=free, rules=inputs.rules,
                               groups=inputs.groups, walk=inputs.walk, seed=seed, tries=tries, progress=progress)
    new = label.to_numpy()
    count = int(new.max(initial=-1)) + 1
    fresh = _fresh_ids(count, set(locked), width=max(3, len(str(count + len(locked)))))
    assignment[new >= 0] = [fresh[k] for k in new[new >= 0]]
    return describe_plan(inputs, assignment, names=names, locked=locked)


# --------------------------------------------------------------------------- helpers

def _fresh_ids(count: int, taken: set[str], *, width: int) -> list[str]:
    out, k = [], 1
    while len(out) < count:
        cand = f"D{k:0{width}d}"
        if cand not in taken:
            out.append(cand)
        k += 1
    return out


def _column(frame: pd.DataFrame, name: str, default: object) -> pd.Series:
    """A column of ``frame``, or ``default`` on every row when the layer lacks it."""
    return frame[name] if name in frame else pd.Series(default, index=frame.index)


def _numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_column(frame, name, np.nan), errors="coerce").astype(float)


def _years(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(pd.array(_column(frame, "built_year", pd.NA), dtype="Int64"), index=frame.index)


def _population(frame: pd.DataFrame) -> np.ndarray:
    if "population" not in frame:
        raise InputError("communities have no population column", layer="communities",
                         fix="import communities with population (or households to estimate it)")
    return pd.to_numeric(frame["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _centroids(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(shapely.centroid(np.asarray(frame.geometry.values)))


def _neighbours(communities: pd.DataFrame, adjacency: pd.DataFrame, nodes: np.ndarray,
                groups: np.ndarray | None) -> list[np.ndarray]:
    """Neighbour lists (positions in ``nodes``) over adjacent pairs of selected communities."""
    pos = pd.Series(np.arange(len(nodes)), index=communities["feature_id"].astype(str).to_numpy()[nodes])
    adj = adjacency.loc[adjacency["adjacent"].astype(bool)]
    a = pos.reindex(adj["community_a"].astype(str)).to_numpy()
    b = pos.reindex(adj["community_b"].astype(str)).to_numpy()
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok].astype(np.int64), b[ok].astype(np.int64)
    if groups is not None:
        same = groups[a] == groups[b]
        a, b = a[same], b[same]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    bounds = np.searchsorted(src, np.arange(len(nodes) + 1))
    return [np.unique(dst[bounds[i]:bounds[i + 1]]) for i in range(len(nodes))]


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


def _diameter(xy: np.ndarray) -> float:
    """Largest distance (m) between two of the points."""
    if len(xy) < 2:
        return 0.0
    diff = xy[:, None, :] - xy[None, :, :]
    return float(np.sqrt((diff ** 2).sum(axis=-1)).max())


def _under_populated(label: np.ndarray, pop: np.ndarray, lo: float) -> np.ndarray:
    """Mask of nodes whose region is below the minimum population."""
    if not len(label):
        return np.zeros(0, dtype=bool)
    sizes = np.bincount(label, weights=pop)
    return sizes[label] < lo


def _renumber(label: np.ndarray) -> np.ndarray:
    """Number regions 0.. by the position of their first member, so labels do not depend on growth order."""
    _, first = np.unique(label, return_index=True)
    order = np.argsort(first)
    remap = np.empty(label.max() + 1, dtype=np.int64)
    remap[np.unique(label)[order]] = np.arange(len(order))
    return remap[label]
