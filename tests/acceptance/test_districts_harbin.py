"""Districts on real OpenStreetMap data of central Harbin (../shared/refdata, ODbL).

OSM has no construction year, so each test project gets a synthetic ``built_year`` shaped like a city's
老旧小区底数: Harbin grew outward from its historic centre, so the year grows with the distance from St. Sophia
Cathedral (126.6213 E, 45.7682 N) by 4 years per km from 1972, plus a per-community spread drawn from
``numpy.random.default_rng(2024).normal(0, 6)`` in layer order (rounded, clipped to 1950–2023). About 58 % of
the communities are then built by the end of 2000, mostly within 7 km of the centre, with newer estates mixed
in at the fringe. Population and households are the importer's estimates.
"""

import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from gisplanner import workflow
from gisplanner.analysis.districts import plan_districts
from gisplanner.catalogue import district_inputs
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance
CENTRE_LONLAT = (126.6213, 45.7682)  # St. Sophia Cathedral


def with_synthetic_years(path):
    project = Project(city="harbin")
    import_layers(project, [path])
    comm = project.layer("communities").copy()
    xy = shapely.get_coordinates(shapely.centroid(comm.geometry.values))
    cx, cy = pyproj.Transformer.from_crs(4326, comm.crs, always_xy=True).transform(*CENTRE_LONLAT)
    km = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) / 1000
    spread = np.random.default_rng(2024).normal(0, 6, len(comm))
    comm["built_year"] = pd.array(np.clip(np.round(1972 + 4 * km + spread), 1950, 2023).astype(int), dtype="Int64")
    project.set_layer("communities", comm)
    return project


@pytest.fixture(scope="module")
def central(harbin_central):
    project = with_synthetic_years(harbin_central)
    inputs = district_inputs(project, workflow.params(project, "districts"))
    return project, inputs, plan_districts(inputs, seed=1)


def test_every_eligible_community_is_in_one_district_or_has_a_reason(central):
    project, inputs, plan = central
    ids = set(project.layer("communities")["feature_id"])
    assert len(ids) == 1635
    members = plan.members["community_id"]
    assert members.is_unique
    excluded = plan.exclusions.set_index("community_id")
    assert set(members) | set(excluded.index) == ids
    assert not set(members) & set(excluded.index)
    assert excluded["reason"].str.len().gt(0).all()
    eligible = set(inputs.eligibility.loc[inputs.eligibility["eligible"], "community_id"])
    assert set(members) == eligible


def test_every_harbin_district_is_contiguous_without_crossing_a_barrier(central):
    _, inputs, plan = central
    adj = inputs.adjacency
    g = nx.Graph()
    g.add_edges_from(adj.loc[adj["adjacent"], ["community_a", "community_b"]].itertuples(index=False))
    blocked = {frozenset(p) for p in adj.loc[~adj["adjacent"], ["community_a", "community_b"]].itertuples(index=False)}
    assert blocked, "the arterial roads of central Harbin block some pairs"
    for _, grp in plan.members.groupby("district_id"):
        ids = list(grp["community_id"])
        if len(ids) > 1:
            assert nx.is_connected(g.subgraph(ids))
    assert plan.districts["contiguous"].all()


def test_harbin_constraints_hold_or_are_reported(central):
    _, inputs, plan = central
    d = plan.districts
    rules = inputs.rules
    # the walking extent bounds the straight one, and the bundler keeps both within the limit
    assert (d["extent_m"] <= d["walk_extent_m"] + 1e-6).all()
    assert (d["walk_extent_m"] <= rules.max_extent_m).all()
    over = d["population"] > rules.max_population
    # only a single community larger than the maximum may exceed it, and it is flagged
    assert (d.loc[over, "n_communities"] == 1).all()
    assert d.loc[over, "violations"].str.contains("above_max_population").all()
    under = d["population"] < rules.min_population
    assert d.loc[under, "violations"].str.contains("below_min_population").all()
    assert (d.loc[~over & ~under, "violations"] == "").all()


def test_harbin_resources_lie_within_reach(central):
    _, inputs, plan = central
    res = plan.resources
    assert len(res) > 0
    assert (res["distance_m"] <= inputs.rules.resource_reach_m + 1e-6).all()
    assert set(res["layer"]) <= {"idle_land", "boiler_rooms", "public_buildings"}


def test_focus_area_within_subdistricts(harbin_focus):
    project = with_synthetic_years(harbin_focus)
    inputs = district_inputs(project, workflow.params(project, "districts", within_admin=True))
    plan = plan_districts(inputs, seed=0)
    unit = dict(zip(project.layer("communities")["feature_id"], inputs.groups))
    spans = plan.members["community_id"].map(unit).groupby(plan.members["district_id"]).nunique(dropna=False)
    assert (spans == 1).all()


@pytest.fixture(scope="module")
def plans_by_seed(central):
    """The plan of each seed the acceptance holds for (seed 1 is the module's own)."""
    _, inputs, plan = central
    return {seed: plan if seed == 1 else plan_districts(inputs, seed=seed) for seed in (0, 1, 2)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_few_eligible_communities_are_left_in_single_community_districts(central, plans_by_seed, seed):
    """Communities facing each other across local streets are neighbours: at most a fifth of the eligible
    communities end alone, whatever the seed (19.3–19.5 % measured; 45 % with the 30 m gap alone), no district
    reaches across an arterial, and those below the floor say why."""
    _, inputs, _ = central
    plan = plans_by_seed[seed]
    size = plan.members.groupby("district_id").size()
    eligible = int(inputs.eligibility["eligible"].sum())
    assert (size == 1).sum() / eligible <= 0.20
    adj = inputs.adjacency
    linked = nx.Graph(adj.loc[adj["adjacent"], ["community_a", "community_b"]].itertuples(index=False))
    for _, grp in plan.members.groupby("district_id"):
        if len(grp) > 1:  # held together by neighbour links alone, none of which crosses a barrier
            members = nx.Graph(linked.subgraph(grp["community_id"]).edges)
            assert set(members) == set(grp["community_id"]) and nx.is_connected(members)
    d = plan.districts
    under = d["population"] < inputs.rules.min_population
    assert d.loc[under, "shortfall_reason"].str.len().gt(0).all()
    assert (d.loc[~under, "shortfall_reason"] == "").all()
    assert d.loc[under, "shortfall_reason"].str.contains("城市主干道|城市快速路|铁路|河流").any()


def test_no_resource_is_counted_twice(central):
    _, _, plan = central
    res = plan.resources
    assert not res.duplicated(["layer", "resource_id"]).any()
    assert plan.districts["n_resources"].sum() == len(res)
    shared = res[res["n_districts"] > 1]
    assert (shared["sharing"] == "共享").all() and shared["shared_with"].str.len().gt(0).all()
