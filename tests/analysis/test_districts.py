"""District bundling: contiguity, barriers, population bounds, islands, determinism."""

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from gisplanner.analysis.adjacency import barrier_lines, community_adjacency
from gisplanner.analysis.bundling import DistrictRules, admin_groups, bundle_communities
from gisplanner.analysis.districts import DistrictInputs, plan_districts
from gisplanner.analysis.eligibility import community_eligibility, eligibility_rules
from gisplanner.errors import CancelledError, InputError
from gisplanner.progress import Progress
from gisplanner.standards import load_standards

STANDARDS = load_standards()

CRS = "EPSG:32652"
SIDE, STREET = 100.0, 10.0
STEP = SIDE + STREET


def grid(rows, cols, population=1000.0, x0=0.0):
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({
        "feature_id": [f"r{r}c{c}" for r, c in cells],
        "name": [f"小区{r}-{c}" for r, c in cells],
        "population": population, "households": population / 2.5,
        "built_year": pd.array([1990] * len(cells), dtype="Int64"),
        "row": [r for r, _ in cells], "col": [c for _, c in cells],
    }, geometry=[box(x0 + c * STEP, r * STEP, x0 + c * STEP + SIDE, r * STEP + SIDE) for r, c in cells], crs=CRS)


def arterial_between_columns(col, height=2000.0):
    x = (col + 1) * STEP - STREET / 2
    return gpd.GeoDataFrame({"feature_id": ["a1"], "highway": ["primary"], "bridge": [False], "tunnel": [False]},
                            geometry=[LineString([(x, -100), (x, height)])], crs=CRS)


def adjacency_graph(adj):
    g = nx.Graph()
    g.add_edges_from(adj.loc[adj["adjacent"], ["community_a", "community_b"]].itertuples(index=False))
    return g


def plan(comm, rules, *, barriers=None, seed=0, groups=None):
    adj = community_adjacency(comm, barriers=barriers, gap_m=rules.adjacency_gap_m)
    inputs = DistrictInputs(comm, adj, community_eligibility(comm, **eligibility_rules(STANDARDS)), rules=rules, groups=groups)
    return plan_districts(inputs, seed=seed), adj


RULES = DistrictRules.from_standards(STANDARDS, min_population=3000, max_population=5000, max_extent_m=1000)


@pytest.fixture(scope="module")
def split_grid():
    """A 4 x 6 grid of 1,000-person communities, an arterial road between columns 2 and 3."""
    comm = grid(4, 6)
    result, adj = plan(comm, RULES, barriers=barrier_lines(arterial_between_columns(2)))
    return comm, result, adj


def test_no_district_crosses_the_arterial(split_grid):
    comm, result, _ = split_grid
    side = dict(zip(comm["feature_id"], comm["col"] >= 3))
    sides = result.members.assign(east=result.members["community_id"].map(side)).groupby("district_id")["east"]
    assert (sides.nunique() == 1).all()


def test_every_community_is_in_exactly_one_district(split_grid):
    comm, result, _ = split_grid
    assert sorted(result.members["community_id"]) == sorted(comm["feature_id"])


def test_every_district_is_contiguous_in_the_adjacency_graph(split_grid):
    _, result, adj = split_grid
    g = adjacency_graph(adj)
    for _, grp in result.members.groupby("district_id"):
        assert nx.is_connected(g.subgraph(grp["community_id"]))
    assert result.districts["contiguous"].all()


def test_population_bounds_hold_when_they_can(split_grid):
    _, result, _ = split_grid
    # 12 communities of 1,000 people on each side: 3-5 per district is always reachable
    assert result.districts["population"].between(3000, 5000).all()
    assert (result.districts["violations"] == "").all()


def test_same_seed_same_districts():
    comm = grid(5, 5, population=np.random.default_rng(3).integers(500, 2500, 25).astype(float))
    first, _ = plan(comm, RULES, seed=7)
    again, _ = plan(comm, RULES, seed=7)
    pd.testing.assert_frame_equal(first.members, again.members)


def test_island_community_is_its_own_flagged_district():
    comm = pd.concat([grid(3, 3), grid(1, 1, x0=5000).assign(feature_id="island")], ignore_index=True)
    result, _ = plan(comm, RULES)
    island = result.members.loc[result.members["community_id"] == "island", "district_id"].item()
    row = result.districts.set_index("district_id").loc[island]
    assert row["n_communities"] == 1
    assert row["violations"] == "below_min_population"


def test_oversized_community_is_its_own_district_flagged_above_max():
    comm = grid(2, 3)
    comm.loc[comm["feature_id"] == "r0c0", "population"] = 9000.0
    result, _ = plan(comm, RULES)
    big = result.members.loc[result.members["community_id"] == "r0c0", "district_id"].item()
    row = result.districts.set_index("district_id").loc[big]
    assert (row["n_communities"], row["violations"]) == (1, "above_max_population")


def test_extent_limit_holds():
    comm = grid(1, 12, population=500.0)
    rules = DistrictRules.from_standards(STANDARDS, min_population=1500, max_population=10000, max_extent_m=250)
    result, _ = plan(comm, rules)
    # centroids 110 m apart: three in a row span 220 m, four would span 330 m
    assert result.districts["extent_m"].max() <= 250
    assert result.districts["n_communities"].tolist() == [3, 3, 3, 3]


def test_bundling_stays_inside_admin_boundaries():
    comm = grid(4, 4)
    admin = gpd.GeoDataFrame({"feature_id": ["west", "east"]},
                             geometry=[box(-50, -50, 2 * STEP - 5, 1000), box(2 * STEP - 5, -50, 1000, 1000)],
                             crs=CRS)
    groups = admin_groups(comm, admin)
    assert groups.tolist() == ["west" if c < 2 else "east" for c in comm["col"]]
    result, _ = plan(comm, RULES, groups=groups)
    unit = dict(zip(comm["feature_id"], groups))
    assert (result.members["community_id"].map(unit).groupby(result.members["district_id"]).nunique() == 1).all()


def test_ineligible_communities_are_left_out_and_listed():
    comm = grid(3, 3)
    comm.loc[comm["feature_id"] == "r1c1", "built_year"] = 2012
    result, _ = plan(comm, RULES)
    assert "r1c1" not in set(result.members["community_id"])
    assert result.exclusions["community_id"].tolist() == ["r1c1"]


def test_locked_district_is_kept_when_rebundling():
    comm = grid(3, 4)
    adj = community_adjacency(comm)
    inputs = DistrictInputs(comm, adj, community_eligibility(comm, **eligibility_rules(STANDARDS)), rules=RULES)
    first = plan_districts(inputs, seed=0)
    target = first.districts["district_id"].iloc[-1]
    held = first.districts.assign(locked=first.districts["district_id"] == target)
    first = dataclasses.replace(first, districts=held)
    again = plan_districts(inputs, seed=99, keep=first)
    keep_members = set(first.members.loc[first.members["district_id"] == target, "community_id"])
    assert set(again.members.loc[again.members["district_id"] == target, "community_id"]) == keep_members
    assert again.districts.set_index("district_id").loc[target, "locked"]
    assert again.members["community_id"].is_unique


def test_bundle_labels_follow_layer_order():
    comm = grid(2, 8)
    label = bundle_communities(comm, community_adjacency(comm), rules=RULES)
    first_seen = pd.unique(label.to_numpy())
    assert first_seen.tolist() == list(range(len(first_seen)))


def test_empty_population_range_is_refused():
    with pytest.raises(InputError, match="片区人口范围"):
        DistrictRules.from_standards(STANDARDS, min_population=6000, max_population=5000)


def test_cancel_stops_bundling():
    progress = Progress()
    progress.cancel()
    comm = grid(2, 2)
    with pytest.raises(CancelledError):
        bundle_communities(comm, community_adjacency(comm), rules=RULES, progress=progress)


def test_admin_unit_is_the_one_holding_most_of_the_community():
    comm = grid(1, 3)
    admin = gpd.GeoDataFrame({"feature_id": ["A", "B"]},
                             geometry=[box(-10, -10, 150, 150), box(150, -10, 250, 150)], crs=CRS)
    # r0c0 lies inside A; r0c1 (x 110-210) has 40 m in A and 60 m in B; r0c2 (x 220-320) 30 m in B
    groups = admin_groups(comm, admin)
    assert groups.tolist() == ["A", "B", "B"]
    assert admin_groups(grid(1, 1, x0=1000), admin).isna().all()


def test_no_communities_gives_an_empty_plan_with_its_columns():
    comm = grid(1, 1).iloc[:0]
    result, _ = plan(comm, RULES)
    assert result.districts.empty and result.members.empty and result.exclusions.empty
    assert {"district_id", "population", "violations", "walk_extent_m"} <= set(result.districts.columns)
