"""Walking distances between communities and the walking extent limit of districts."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from gisplanner.analysis.adjacency import community_adjacency
from gisplanner.analysis.bundling import DistrictRules, bundle_communities
from gisplanner.analysis.district_tables import district_table
from gisplanner.analysis.district_walk import community_walk_distances
from gisplanner.analysis.network import build_walk_graph
from gisplanner.standards import load_standards

STANDARDS = load_standards()


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)

CRS = "EPSG:32652"


def row_of(n, population=1000.0):
    """n squares of 100 m in a row, 10 m apart; centroids at x = 50, 160, 270, ... and y = 50."""
    return gpd.GeoDataFrame({"feature_id": [f"c{i}" for i in range(n)], "population": population},
                            geometry=[box(i * 110, 0, i * 110 + 100, 100) for i in range(n)], crs=CRS)


def walkways(*lines):
    n = len(lines)
    return gpd.GeoDataFrame({"feature_id": [f"w{i}" for i in range(n)], "highway": ["footway"] * n,
                             "walkable": [True] * n, "bridge": [False] * n, "tunnel": [False] * n,
                             "layer": [0] * n}, geometry=list(lines), crs=CRS)


# a footway 20 m south of the row: every centroid is 70 m from it
SOUTH = LineString([(-50, -20), (600, -20)])


def distances(comm, *lines, limit_m=1000.0):
    return community_walk_distances(comm, walk_graph(walkways(*lines), min_component_nodes=1),
                                    limit_m=limit_m)


def test_walk_is_connector_path_connector():
    walk = distances(row_of(3), SOUTH)
    # 70 m down to the footway, along it, 70 m up
    assert walk.lookup(0, np.array([0, 1, 2])) == pytest.approx([0.0, 70 + 110 + 70, 70 + 220 + 70])
    assert walk.lookup(2, np.array([0])) == pytest.approx([360.0])


def test_pairs_beyond_the_limit_are_unknown():
    walk = distances(row_of(3), SOUTH, limit_m=300)
    assert walk.lookup(0, np.array([1, 2])).tolist() == [250.0, np.inf]


def test_communities_on_separate_walkways_are_not_connected():
    west = LineString([(-50, -20), (180, -20)])
    east = LineString([(250, -20), (400, -20)])
    walk = distances(row_of(3), west, east)
    # c0 and c1 snap to the western walkway, c2 to the eastern one (70 m apart, not joined)
    assert np.isinf(walk.lookup(0, np.array([2]))[0])
    assert walk.lookup(0, np.array([1]))[0] == pytest.approx(250.0)


def test_bundling_respects_the_walking_extent():
    comm = row_of(3)
    adj = community_adjacency(comm)
    rules = DistrictRules.from_standards(STANDARDS, min_population=3000, max_population=9000, max_extent_m=300)
    straight = bundle_communities(comm, adj, rules=rules)
    walked = bundle_communities(comm, adj, rules=rules, walk=distances(comm, SOUTH))
    # straight: 220 m end to end, one district; walking: 360 m, so the three cannot be together
    assert straight.nunique() == 1
    assert walked.nunique() == 2


def test_table_reports_the_walk_extent_and_checks_it():
    comm = row_of(3)
    rules = DistrictRules.from_standards(STANDARDS, min_population=0, max_population=9000, max_extent_m=300)
    table = district_table(comm, pd.Series(["D1", "D1", "D1"], dtype="string"), community_adjacency(comm),
                           rules=rules, walk=distances(comm, SOUTH)).iloc[0]
    assert table["extent_m"] == pytest.approx(220.0)
    assert table["walk_extent_m"] == pytest.approx(360.0)
    assert table["violations"] == "extent_exceeded"


def test_walk_extent_beyond_the_limit_is_na_and_a_violation():
    comm = row_of(3)
    rules = DistrictRules.from_standards(STANDARDS, min_population=0, max_population=9000, max_extent_m=300)
    table = district_table(comm, pd.Series(["D1", "D1", "D1"], dtype="string"), community_adjacency(comm),
                           rules=rules, walk=distances(comm, SOUTH, limit_m=320)).iloc[0]
    assert np.isnan(table["walk_extent_m"])
    assert table["violations"] == "extent_exceeded"
