"""Adjacency of communities: distance within the gap, barriers that separate."""

import itertools

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from gisplanner.analysis.adjacency import barrier_lines, community_adjacency, street_lines
from gisplanner.errors import InputError

CRS = "EPSG:32652"
SIDE, STREET = 100.0, 10.0


def grid(rows=3, cols=3):
    """rows x cols squares of 100 m, 10 m streets between them; ids 'r<row>c<col>'."""
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    step = SIDE + STREET
    return gpd.GeoDataFrame({"feature_id": [f"r{r}c{c}" for r, c in cells]},
                            geometry=[box(c * step, r * step, c * step + SIDE, r * step + SIDE) for r, c in cells],
                            crs=CRS)


def roads(*lines, highway="primary", **cols):
    n = len(lines)
    data = {"feature_id": [f"w{i}" for i in range(n)], "highway": [highway] * n,
            "bridge": [False] * n, "tunnel": [False] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=list(lines), crs=CRS)


def pairs(adj, adjacent=True):
    sel = adj[adj["adjacent"] == adjacent]
    return {frozenset(p) for p in zip(sel["community_a"], sel["community_b"])}


# x of the street between columns 1 and 2 (its centre line)
MID_X = 2 * SIDE + 1.5 * STREET


def test_grid_neighbours_are_the_eight_neighbourhood():
    adj = community_adjacency(grid(), gap_m=30)
    # rook neighbours are 10 m apart, diagonal ones 10*sqrt(2) m: all within 30 m
    expected = {frozenset((f"r{r1}c{c1}", f"r{r2}c{c2}"))
                for (r1, c1), (r2, c2) in itertools.combinations(itertools.product(range(3), range(3)), 2)
                if max(abs(r1 - r2), abs(c1 - c2)) == 1}
    assert pairs(adj) == expected


def test_gap_is_the_boundary_distance():
    adj = community_adjacency(grid(1, 2), gap_m=30)
    assert adj["gap_m"].tolist() == pytest.approx([STREET])


def test_gap_beyond_threshold_is_not_a_pair():
    assert community_adjacency(grid(), gap_m=9.9).empty
    diag = community_adjacency(grid(), gap_m=12)
    assert frozenset(("r0c0", "r1c1")) not in pairs(diag)
    assert frozenset(("r0c0", "r0c1")) in pairs(diag)


def test_arterial_road_separates_the_columns_it_runs_between():
    road = roads(LineString([(MID_X, -50), (MID_X, 400)]))
    adj = community_adjacency(grid(), barriers=barrier_lines(road), gap_m=30)
    blocked = pairs(adj, adjacent=False)
    expected = {frozenset((f"r{r1}c1", f"r{r2}c2")) for r1 in range(3) for r2 in range(3) if abs(r1 - r2) <= 1}
    assert blocked == expected
    row = adj[~adj["adjacent"]].iloc[0]
    assert (row["barrier"], row["barrier_id"]) == ("highway:primary", "w0")
    assert frozenset(("r0c0", "r0c1")) in pairs(adj)


def test_road_stub_ending_half_way_does_not_separate():
    # runs only along the lower half of the gap between r0c1 and r0c2
    stub = roads(LineString([(MID_X, -50), (MID_X, 40)]))
    adj = community_adjacency(grid(1, 3), barriers=barrier_lines(stub), gap_m=30)
    assert frozenset(("r0c1", "r0c2")) in pairs(adj)


def test_minor_road_class_is_not_a_barrier():
    street = roads(LineString([(MID_X, -50), (MID_X, 400)]), highway="residential")
    assert barrier_lines(street).empty
    assert not pairs(community_adjacency(grid(), barriers=barrier_lines(street)), adjacent=False)


def test_barrier_classes_come_from_the_parameter():
    street = roads(LineString([(MID_X, -50), (MID_X, 400)]), highway="secondary")
    adj = community_adjacency(grid(1, 3), barriers=barrier_lines(street, barrier_highways=("secondary",)))
    assert pairs(adj, adjacent=False) == {frozenset(("r0c1", "r0c2"))}


def test_bridge_and_tunnel_sections_are_not_barriers():
    line = LineString([(MID_X, -50), (MID_X, 400)])
    net = roads(line, line, line, bridge=[True, False, False], tunnel=[False, True, False])
    assert barrier_lines(net)["barrier_id"].tolist() == ["w2"]


def test_line_on_a_shared_boundary_separates_touching_communities():
    touching = gpd.GeoDataFrame({"feature_id": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
                                crs=CRS)
    road = roads(LineString([(100, -50), (100, 150)]))
    adj = community_adjacency(touching, barriers=barrier_lines(road))
    assert adj["gap_m"].tolist() == [0.0]
    assert not adj["adjacent"].any()


def test_railway_and_river_polygon_separate():
    two = grid(1, 2)
    x = SIDE + STREET / 2
    rail = gpd.GeoDataFrame({"feature_id": ["r1"]}, geometry=[LineString([(x, -50), (x, 150)])], crs=CRS)
    river = gpd.GeoDataFrame({"feature_id": ["h1"]}, geometry=[box(x - 3, -50, x + 3, 150)], crs=CRS)
    by_rail = community_adjacency(two, barriers=barrier_lines(railways=rail))
    by_river = community_adjacency(two, barriers=barrier_lines(rivers=river))
    assert by_rail[["adjacent", "barrier"]].values.tolist() == [[False, "railway"]]
    assert by_river[["adjacent", "barrier"]].values.tolist() == [[False, "river"]]


def test_separating_barrier_is_named_not_a_crossing_stub():
    cross_stub = LineString([(SIDE, 50), (SIDE + STREET, 50)])   # pokes across the gap, ends inside it
    along = LineString([(SIDE + STREET / 2, -50), (SIDE + STREET / 2, 150)])
    adj = community_adjacency(grid(1, 2), barriers=barrier_lines(roads(cross_stub, along)))
    assert adj["barrier_id"].tolist() == ["w1"]


def test_geographic_crs_is_refused():
    with pytest.raises(InputError, match="地理坐标系"):
        community_adjacency(grid().to_crs("EPSG:4326"))


def test_pairs_are_listed_once_in_layer_order():
    adj = community_adjacency(grid())
    ids = grid()["feature_id"].tolist()
    pos = np.array([[ids.index(a), ids.index(b)] for a, b in zip(adj["community_a"], adj["community_b"])])
    assert (pos[:, 0] < pos[:, 1]).all()
    assert len(pairs(adj)) == len(adj)


def across(street=None, gap=40.0):
    """Two 100 m blocks ``gap`` m apart (x from 100 to 100 + gap), and a north–south way in the gap."""
    comm = gpd.GeoDataFrame({"feature_id": ["w", "e"]},
                            geometry=[box(0, 0, 100, 100), box(100 + gap, 0, 200 + gap, 100)], crs=CRS)
    mid = 100 + gap / 2
    ways = None if street is None else gpd.GeoDataFrame(
        {"feature_id": ["s1"], "highway": [street], "name": ["花园街"], "walkable": [True], "bridge": [False],
         "tunnel": [False]}, geometry=[LineString([(mid, -50), (mid, 150)])], crs=CRS)
    return comm, ways


def test_communities_facing_each_other_across_a_local_street_are_adjacent():
    comm, ways = across("residential")
    adj = community_adjacency(comm, barriers=barrier_lines(ways), gap_m=30, streets=street_lines(ways),
                              street_gap_m=60)
    assert adj[["adjacent", "via", "street_name"]].values.tolist() == [[True, "street", "花园街"]]
    assert adj["gap_m"].iloc[0] == pytest.approx(40.0)


def test_without_a_street_between_a_wide_gap_makes_no_neighbours():
    comm, _ = across(None)
    assert community_adjacency(comm, gap_m=30, streets=None, street_gap_m=60).empty


def test_a_street_wider_than_the_limit_makes_no_neighbours():
    comm, ways = across("residential", gap=70)
    assert community_adjacency(comm, gap_m=30, streets=street_lines(ways), street_gap_m=60).empty


def test_an_arterial_between_stays_a_barrier_and_is_named():
    comm, ways = across("primary")
    adj = community_adjacency(comm, barriers=barrier_lines(ways), gap_m=30, streets=street_lines(ways),
                              street_gap_m=60)
    assert adj[["adjacent", "barrier", "barrier_name"]].values.tolist() == [[False, "highway:primary", "花园街"]]
