"""Renovation districts (片区): the inputs a plan is computed from, and the whole plan.

The jobs live in their own modules: :mod:`~gisplanner.analysis.eligibility` (who may be renovated),
:mod:`~gisplanner.analysis.district_walk` (walking distances between communities),
:mod:`~gisplanner.analysis.bundling` (the bundling heuristic and its rules),
:mod:`~gisplanner.analysis.district_tables` (what each district carries) and
:mod:`~gisplanner.analysis.renovation` (each community's renovation items, quantities and costs). This module ties
them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplanner.analysis import attributes
from gisplanner.analysis.bundling import DistrictRules, bundle_communities
from gisplanner.analysis.district_names import district_names
from gisplanner.analysis.district_tables import (
    district_content,
    district_gaps,
    district_resources,
    district_table,
    member_table,
    shortfall_reasons,
)
from gisplanner.analysis.district_walk import WalkDistances
from gisplanner.analysis.eligibility import exclusion_table
from gisplanner.analysis.renovation import community_costs
from gisplanner.progress import Progress

#: DistrictPlan field -> the name of its result on a project.
PLAN_RESULTS = {"districts": "districts", "members": "district_members", "resources": "district_resources",
                "exclusions": "district_exclusions", "gaps": "district_gaps", "content": "district_content"}


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
        Output of :func:`~gisplanner.analysis.eligibility.community_eligibility`.
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
        inside 街道/社区 boundaries; see :func:`~gisplanner.analysis.bundling.admin_groups`.
    items
        Every community's renovation items with the planner's ticks and their costs
        (:func:`gisplanner.analysis.renovation.price_items` after ``apply_choices``): a district's content and
        cost are its members' selected items; None: no content, no cost.
    walk
        Walking distances between communities; without them extents are straight lines.
    roads
        The walk network, whose street names name new districts (:mod:`~gisplanner.analysis.district_names`).
    """

    communities: gpd.GeoDataFrame
    adjacency: pd.DataFrame
    eligibility: pd.DataFrame
    rules: DistrictRules = field(default_factory=DistrictRules)
    resources: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    gaps: pd.DataFrame | None = None
    groups: pd.Series | None = None
    items: pd.DataFrame | None = None
    walk: WalkDistances | None = None
    roads: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class DistrictPlan:
    """A set of districts and the tables that describe them (the project's results)."""

    districts: gpd.GeoDataFrame
    members: pd.DataFrame
    resources: gpd.GeoDataFrame
    exclusions: pd.DataFrame
    gaps: pd.DataFrame
    content: pd.DataFrame

    @classmethod
    def from_results(cls, results: Mapping[str, pd.DataFrame]) -> DistrictPlan | None:
        """The plan stored in a project's results (names as :meth:`results` gives them); None before any."""
        if any(name not in results for name in PLAN_RESULTS.values()):
            return None
        return cls(**{field: results[name] for field, name in PLAN_RESULTS.items()})

    def results(self) -> dict[str, pd.DataFrame]:
        """The result tables by the name they carry on the project."""
        return {name: getattr(self, field) for field, name in PLAN_RESULTS.items()}


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
        District names and locked district ids; a district without a name gets a unique default one
        (:func:`~gisplanner.analysis.district_names.district_names`).
    """
    names = dict(names or {})
    unnamed = set(assignment.dropna().astype(str)) - set(names)
    if unnamed:
        names.update(district_names(inputs.communities, assignment, roads=inputs.roads, only=unnamed,
                                    taken=set(names.values())))
    districts = district_table(inputs.communities, assignment, inputs.adjacency, rules=inputs.rules,
                               walk=inputs.walk, names=names, locked=locked)
    members = member_table(inputs.communities, assignment)
    resources = district_resources(districts, inputs.resources, reach_m=inputs.rules.resource_reach_m)
    gaps = district_gaps(members, inputs.gaps)
    n_res = resources.groupby("district_id").size()
    n_gap = gaps.groupby("district_id").size()
    districts["n_resources"] = districts["district_id"].map(n_res).fillna(0).astype(np.int64)
    districts["n_gaps"] = districts["district_id"].map(n_gap).fillna(0).astype(np.int64)
    eligibility = inputs.eligibility
    districts["shortfall_reason"] = shortfall_reasons(
        districts, members, inputs.adjacency,
        eligibility.loc[eligibility["eligible"].to_numpy(bool), "community_id"].astype(str),
        dict(zip(inputs.communities["feature_id"].astype(str), attributes.population(inputs.communities),
                 strict=True)), rules=inputs.rules)
    content = district_content(members, inputs.items)
    # A district costs what its members' selected items cost; without unit costs it stays blank, never 0.
    costs = (community_costs(inputs.items) if inputs.items is not None
             else pd.DataFrame({"cost_yuan": [], "n_unpriced": []}))
    by_member = costs.reindex(members["community_id"].astype(str).to_numpy())
    by_member.index = members["district_id"].astype(str).to_numpy()
    grouped = by_member.groupby(level=0)
    ids = districts["district_id"].astype(str)
    districts["cost_yuan"] = ids.map(grouped["cost_yuan"].sum(min_count=1)).astype(float).to_numpy()
    districts["n_items_unpriced"] = ids.map(grouped["n_unpriced"].sum()).fillna(0).astype(np.int64).to_numpy()
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
        See :func:`~gisplanner.analysis.bundling.bundle_communities`.
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


def _fresh_ids(count: int, taken: set[str], *, width: int) -> list[str]:
    out, k = [], 1
    while len(out) < count:
        cand = f"D{k:0{width}d}"
        if cand not in taken:
            out.append(cand)
        k += 1
    return out
