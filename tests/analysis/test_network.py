"""Walking graph: noding with bridges/tunnels, snapping, inserted points and Dijkstra distances."""

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from gisplanner.analysis.network import (
    build_walk_graph,
    distance_at,
    distances_from_points,
    insert_points,
    line_levels,
    network_distances,
    same_edge_distances,
    snap_points,
)
from gisplanner.errors import CancelledError, InputError
from gisplanner.progress import Progress
from gisplanner.standards import load_standards


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)


def walk(lines, **columns):
    n = len(lines)
    data = {"highway": ["footway"] * n, "walkable": [True] * n, "bridge": [False] * n, "tunnel": [False] * n,
            "layer": [0] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=list(lines), crs="EPSG:32652")


def node_at(graph, x, y):
    d = np.hypot(graph.node_xy[:, 0] - x, graph.node_xy[:, 1] - y)
    assert d.min() < 1e-6, f"no node at ({x}, {y})"
    return int(d.argmin())


def to_networkx(graph):
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    for u, v, w in zip(graph.edge_u, graph.edge_v, graph.edge_length):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > w):
            g.add_edge(int(u), int(v), weight=float(w))
    return g


def test_lines_crossing_without_a_shared_vertex_are_joined():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]))
    assert (g.n_nodes, g.n_edges, g.n_components) == (5, 4, 1)
    d = network_distances(g, [node_at(g, 0, 0)])
    assert d[node_at(g, 50, 50)] == pytest.approx(100.0)


def test_bridge_over_a_road_is_not_joined_to_it():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])],
                              bridge=[False, True]))
    assert g.n_components == 2
    assert g.n_grade_separated == 1
    assert np.isinf(network_distances(g, [node_at(g, 0, 0)])[node_at(g, 50, 50)])


def test_bridge_ends_land_on_the_roads_they_touch():
    # A footbridge from the road at y=-50 to the road at y=50, over the road at y=0.
    lines = [LineString([(0, -50), (100, -50)]), LineString([(0, 0), (100, 0)]), LineString([(0, 50), (100, 50)]),
             LineString([(50, -50), (50, 50)])]
    g = walk_graph(walk(lines, bridge=[False, False, False, True]))
    d = network_distances(g, [node_at(g, 0, -50)])
    assert d[node_at(g, 0, 50)] == pytest.approx(50 + 100 + 50)
    assert np.isinf(d[node_at(g, 0, 0)])


def test_a_road_ending_under_a_bridge_span_is_not_joined():
    lines = [LineString([(50, -50), (50, 50)]), LineString([(0, 0), (50, 0)])]
    g = walk_graph(walk(lines, bridge=[True, False]))
    assert g.n_components == 2


def test_tunnels_and_layers_separate_and_equal_layers_join():
    cross = [LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]
    assert walk_graph(walk(cross, tunnel=[False, True])).n_components == 2
    assert walk_graph(walk(cross, bridge=[True, True], layer=[1, 2])).n_components == 2
    assert walk_graph(walk(cross, bridge=[True, True], layer=[1, 1])).n_components == 1


def test_line_levels_default_bridge_and_tunnel():
    frame = walk([LineString([(0, 0), (1, 0)])] * 4, bridge=[True, False, False, True],
                 tunnel=[False, True, False, False], layer=[0, 0, 0, 3])
    assert line_levels(frame).tolist() == [1, -1, 0, 3]


def test_t_junction_splits_the_through_line():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)]), LineString([(30, 0), (30, 40)])]))
    assert g.n_edges == 3
    assert sorted(g.edge_length.round(6)) == [30.0, 40.0, 70.0]


def test_undershoot_within_tolerance_is_joined_and_beyond_is_not():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(30, 0.4), (30, 40)])]
    assert walk_graph(walk(lines), tolerance_m=0.5).n_components == 1
    assert walk_graph(walk(lines), tolerance_m=0.3).n_components == 2


def test_closed_ring_joins_its_ends():
    ring = LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])
    g = walk_graph(walk([ring]))
    assert g.n_nodes == 1  # a single self-loop edge from and to the ring's start
    assert g.edge_length.sum() == pytest.approx(400.0)


def test_multilinestrings_are_split_into_their_parts():
    mls = MultiLineString([[(0, 0), (10, 0)], [(20, 0), (30, 0)]])
    g = walk_graph(walk([mls]))
    assert (g.n_edges, g.n_components) == (2, 2)
    assert g.line_feature.tolist() == [0, 0]


def test_unwalkable_lines_are_dropped_and_highways_filter_without_walkable_column():
    lines = [LineString([(0, 0), (10, 0)]), LineString([(0, 5), (10, 5)])]
    assert walk_graph(walk(lines, walkable=[True, False])).n_edges == 1
    frame = walk(lines, highway=["footway", "motorway"]).drop(columns="walkable")
    assert walk_graph(frame, walkable_highways=["footway"]).n_edges == 1


def test_non_line_geometry_is_an_input_error():
    frame = walk([LineString([(0, 0), (10, 0)]), shapely.Point(0, 0)])
    with pytest.raises(InputError, match="walk_network"):
        walk_graph(frame)


def test_small_component_is_an_island():
    main = [LineString([(x, 0), (x + 10, 0)]) for x in range(0, 100, 10)]  # 11 nodes in a chain
    island = [LineString([(0, 500), (10, 500)])]
    g = walk_graph(walk(main + island), min_component_nodes=5)
    assert g.n_components == 2
    assert g.routable.sum() == 1
    assert not g.routable[g.node_component[node_at(g, 0, 500)]]


def test_cancel_stops_the_build():
    progress = Progress()
    progress.cancel()
    with pytest.raises(CancelledError):
        walk_graph(walk([LineString([(0, 0), (10, 0)])]), progress=progress)


def jittered_grid(n=6, step=100.0, seed=3):
    """Streets of an n x n grid drawn as separate lines with no shared vertices, some with bends."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        c = i * step + rng.uniform(-10, 10)
        bend = rng.uniform(-15, 15)
        lines.append(LineString([(-20, c), ((n - 1) * step / 2, c + bend), ((n - 1) * step + 20, c)]))
        lines.append(LineString([(c, -20), (c + bend, (n - 1) * step / 2), (c, (n - 1) * step + 20)]))
    return walk(lines)


def test_distances_equal_networkx_on_a_noded_grid():
    g = walk_graph(jittered_grid())
    ref = nx.single_source_dijkstra_path_length(to_networkx(g), 0, weight="weight")
    d = network_distances(g, [0])
    assert np.allclose([d[k] for k in sorted(ref)], [ref[k] for k in sorted(ref)])
    assert g.n_nodes == 36 + 4 * 6  # crossings plus the two dangling ends of every line


def test_edge_lengths_add_up_to_the_lines():
    frame = jittered_grid()
    g = walk_graph(frame)
    assert g.edge_length.sum() == pytest.approx(frame.length.sum())
    assert g.piece_length.sum() == pytest.approx(frame.length.sum())


def test_snap_projects_onto_the_nearest_edge():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)])]))
    s = snap_points(g, np.array([[30.0, 12.0], [130.0, 0.0], [50.0, 40.0]]), max_distance_m=35)
    assert s.edge.tolist() == [0, 0, -1]
    offset = np.where(g.edge_u[0] == node_at(g, 0, 0), s.offset_m[:2], 100 - s.offset_m[:2])
    assert offset == pytest.approx([30.0, 100.0])
    assert s.distance_m[:2] == pytest.approx([12.0, 30.0])


def test_snap_routable_only_skips_islands():
    main = [LineString([(x, 0), (x + 10, 0)]) for x in range(0, 100, 10)]
    g = walk_graph(walk(main + [LineString([(0, 20), (10, 20)])]), min_component_nodes=5)
    s = snap_points(g, np.array([[5.0, 18.0]]), routable_only=True)
    assert s.distance_m[0] == pytest.approx(18.0)


def test_inserted_point_splits_its_edge_and_keeps_distances():
    frame = jittered_grid(n=4)
    g = walk_graph(frame)
    pts = np.array([[150.0, 90.0], [37.0, 210.0]])
    s = snap_points(g, pts)
    g2, nodes = insert_points(g, s)
    assert g2.n_nodes == g.n_nodes + 2
    d_before = network_distances(g, [0])
    d_after = network_distances(g2, [0])
    assert np.allclose(d_after[:g.n_nodes], d_before)
    assert d_after[nodes] == pytest.approx(distance_at(g, d_before, s) - s.distance_m)


def test_inserted_points_keep_the_routable_flags_the_graph_was_given():
    """A tile of a city marks a component routable from the whole network although it is small in the tile;
    inserting access points on it must not turn it back into an island."""
    main = [LineString([(x, 0), (x + 10, 0)]) for x in range(0, 100, 10)]
    g = walk_graph(walk(main + [LineString([(0, 20), (10, 20)])]), min_component_nodes=5)
    assert not g.routable.all()
    given = dataclasses.replace(g, routable=np.ones(g.n_components, dtype=bool))
    g2, nodes = insert_points(given, snap_points(given, np.array([[5.0, 21.0], [55.0, 1.0]])))
    assert (nodes >= 0).all() and g2.routable.all()
    g3, _ = insert_points(g, snap_points(g, np.array([[5.0, 21.0]])))
    assert g3.routable.sum() == g.routable.sum()  # computed flags stay as they were


def test_source_offsets_add_the_connector():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)])]))
    a, b = node_at(g, 0, 0), node_at(g, 100, 0)
    d = network_distances(g, [a, b], source_offset_m=np.array([25.0, 0.0]))
    assert d[a] == pytest.approx(25.0)  # its own connector; the other end is 100 m away
    assert d[b] == pytest.approx(0.0)


def test_distances_from_points_match_inserting_them():
    g = walk_graph(jittered_grid(n=4))
    src = snap_points(g, np.array([[120.0, 95.0], [260.0, 180.0]]))
    dst = snap_points(g, np.array([[180.0, 110.0], [20.0, 300.0], [130.0, 104.0]]))
    d = distance_at(g, distances_from_points(g, src), dst)
    i, j, direct = same_edge_distances(src, dst)
    np.minimum.at(d, (i, j), direct)
    g2, nodes = insert_points(g, src)
    dst2 = snap_points(g2, np.array([[180.0, 110.0], [20.0, 300.0], [130.0, 104.0]]))
    ref = np.stack([distance_at(g2, network_distances(g2, [n]), dst2) + src.distance_m[k]
                    for k, n in enumerate(nodes)])
    assert np.allclose(d, ref)


def test_same_edge_pairs_are_measured_along_the_edge():
    g = walk_graph(walk([LineString([(0, 0), (300, 0)]), LineString([(150, -50), (150, 50)])]))
    src = snap_points(g, np.array([[40.0, 10.0]]))
    dst = snap_points(g, np.array([[100.0, 5.0], [200.0, 5.0]]))
    i, j, direct = same_edge_distances(src, dst)
    assert (i.tolist(), j.tolist()) == ([0], [0])
    assert direct == pytest.approx([10 + 60 + 5])
    via_nodes = distance_at(g, distances_from_points(g, src), dst)
    assert via_nodes.ravel() == pytest.approx([10 + 40 + 100 + 5, 10 + 110 + 50 + 5])


def test_edges_frame_geometry_matches_lengths():
    g = walk_graph(jittered_grid(n=3))
    edges = g.edges_frame(crs="EPSG:32652")
    assert np.allclose(edges.length.to_numpy(), edges["length_m"].to_numpy())
    assert len(edges) == g.n_edges


def test_unbounded_snap_reaches_far_points():
    g = walk_graph(walk([LineString([(0, 0), (100, 0)])]))
    s = snap_points(g, np.array([[50.0, 1500.0], [0.0, -3.0]]))
    assert s.distance_m == pytest.approx([1500.0, 3.0])
