"""Automatic bundling of eligible communities into renovation districts (片区).

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
are checked again afterwards (:func:`~gisplanner.analysis.district_tables.district_table`) and violations are reported per district.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis import attributes
from gisplanner.analysis.district_walk import CommunitySpacing, WalkDistances
from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress

if TYPE_CHECKING:
    from gisplanner.standards import Standards


@dataclass(frozen=True)
class DistrictRules:
    """The constraints and reaches used to bundle and describe districts.

    Parameters
    ----------
    min_population, max_population
        Population range of a district (people).
    max_extent_m
        Largest distance (m) between two member communities' centroids: the walk between them
        when walking distances are given (:func:`~gisplanner.analysis.district_walk.community_walk_distances`),
        else the straight line (a lower bound of the walk).
    resource_reach_m
        Resources within this distance (m) of a district outline belong to it.
    adjacency_gap_m
        The gap used for adjacency (m); the outline closes gaps up to this width.
    street_gap_m
        The largest gap (m) across a street at which communities are still neighbours (named in the reasons).
    built_before
        A community built in or before this year is old (the policy's 2000年底前).

    Every value comes from the standards (:meth:`from_standards`); there are no defaults here.
    """

    min_population: float
    max_population: float
    max_extent_m: float
    resource_reach_m: float
    adjacency_gap_m: float
    street_gap_m: float
    built_before: int

    def __post_init__(self) -> None:
        if not 0 <= self.min_population <= self.max_population:
            raise InputError(f"片区人口范围 {self.min_population}–{self.max_population} 无效",
                             fix="人口下限须不小于 0 且不大于上限")
        if self.max_extent_m <= 0 or self.resource_reach_m < 0:
            raise InputError("片区最大范围须大于 0 m，资源归属距离须不小于 0 m",
                             fix="检查“片区最大步行范围”和“资源归属距离”两个参数")

    @classmethod
    def from_standards(cls, standards: Standards, **changes: Any) -> DistrictRules:
        """The rules of ``settings.yaml`` (districts) and ``renovation.yaml`` (eligibility year), with ``changes``."""
        settings = standards.settings
        lo, hi = settings.district_population
        values = {"min_population": lo, "max_population": hi, "max_extent_m": settings.district_max_extent_m,
                  "resource_reach_m": settings.resource_reach_m, "adjacency_gap_m": settings.adjacency_gap_m,
                  "street_gap_m": settings.street_gap_max_m,
                  "built_before": standards.renovation.eligibility.built_before_end_of}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"DistrictRules has no {', '.join(sorted(unknown))}")
        return cls(**{**values, **{k: v for k, v in changes.items() if v is not None}})


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


def bundle_communities(communities: gpd.GeoDataFrame, adjacency: pd.DataFrame, *,
                       eligible: np.ndarray | pd.Series | None = None, rules: DistrictRules,
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
    n_all = len(communities)
    mask = np.ones(n_all, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    nodes = np.flatnonzero(mask)
    pop = attributes.population(communities)[nodes]
    spacing = CommunitySpacing(attributes.centroid_xy(communities), walk, nodes)
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
        progress.update(t + 1, max(1, tries), "组合小区")
    out = np.full(n_all, -1, dtype=np.int64)
    if best is not None and len(nodes):
        out[nodes] = _renumber(best[1])
    return pd.Series(out, index=communities.index, name="district")


class _Grower:
    """One construction of the bundling heuristic over the eligible nodes."""

    def __init__(self, pop: np.ndarray, spacing: CommunitySpacing, neigh: list[np.ndarray], rules: DistrictRules,
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
