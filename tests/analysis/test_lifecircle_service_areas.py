"""Service areas: reached network parts, buffered and unioned, against hand-built geometry."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from gisplanner.analysis.lifecircle import prepare_life_circle
from gisplanner.analysis.network import build_walk_graph, network_distances
from gisplanner.analysis.service_areas import reached_segments, service_areas
from gisplanner.errors import CancelledError
from gisplanner.progress import Progress
from gisplanner.standards import load_standards


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)

CRS = "EPSG:32652"
REQ = pd.DataFrame({"facility_type": ["kindergarten", "elderly_daycare"], "level": ["lc5", "lc5"],
                    "threshold_m": [300.0, 300.0]})


def road(length=1000.0):
    return gpd.GeoDataFrame({"highway": ["residential"], "walkable": [True]},
                            geometry=[LineString([(0, 0), (length, 0)])], crs=CRS)


def prepared(points):
    fac = gpd.GeoDataFrame({"feature_id": [f"K{i}" for i in range(len(points))],
                            "category": ["kindergarten"] * len(points)},
                           geometry=[Point(p) for p in points], crs=CRS)
    comm = gpd.GeoDataFrame({"feature_id": ["C1"]}, geometry=[shapely.box(0, 10, 50, 60)], crs=CRS)
    return prepare_life_circle(walk_graph(road()), comm, fac, {"kindergarten": ["kindergarten"]})


def test_area_is_the_band_around_the_reached_stretch():
    net = prepared([(500, -5)])
    areas = service_areas(net, REQ, buffer_m=30)
    geom = areas.geometry.item()
    # 5 m connector, then 295 m each way along the road.
    expected = shapely.buffer(LineString([(205, 0), (795, 0)]), 30, quad_segs=1)
    assert shapely.symmetric_difference(geom, expected).area < 1e-6
    assert areas["area_m2"].item() == pytest.approx(expected.area)


def test_types_without_facilities_give_no_row():
    areas = service_areas(prepared([(500, -5)]), REQ)
    assert areas["facility_type"].tolist() == ["kindergarten"]
    assert areas.crs == CRS


def test_partial_edges_are_clipped_from_both_ends():
    g = walk_graph(road(100.0))
    d = network_distances(g, [0, 1])  # both ends of the 100 m road
    start, end, _ = reached_segments(g, d, 30.0)
    assert np.hypot(*(end - start).T).sum() == pytest.approx(60.0)
    start, end, _ = reached_segments(g, d, 60.0)
    assert np.hypot(*(end - start).T).sum() == pytest.approx(100.0)


def test_per_facility_areas_union_to_the_type_area():
    net = prepared([(200, -5), (700, -5)])
    per = service_areas(net, REQ, buffer_m=30, per_facility=True)
    assert sorted(per["facility_id"]) == ["K0", "K1"]
    whole = service_areas(net, REQ, buffer_m=30).geometry.item()
    union = shapely.union_all(per.geometry.to_numpy())
    assert shapely.symmetric_difference(whole, union).area < 1e-6
    assert per["area_m2"].sum() > whole.area  # the two bands overlap between x=405 and x=495


def test_cancel_stops_the_service_areas():
    progress = Progress()
    progress.cancel()
    with pytest.raises(CancelledError):
        service_areas(prepared([(500, -5)]), REQ, progress=progress)


def test_per_facility_can_be_limited_to_a_selection():
    per = service_areas(prepared([(200, -5), (700, -5)]), REQ, per_facility=True, facility_ids=["K1"])
    assert per["facility_id"].tolist() == ["K1"]
    assert per.geometry.item().centroid.x == pytest.approx(700.0)


def street_grid():
    """400 m grid of streets every 80 m, a winding footway across it and a dead-end lane."""
    lines = [LineString([(0, y), (400, y)]) for y in range(0, 401, 80)]
    lines += [LineString([(x, 0), (x, 400)]) for x in range(0, 401, 80)]
    t = np.linspace(0, 1, 60)
    lines.append(LineString(np.c_[40 + 320 * t, 40 + 320 * t + 25 * np.sin(12 * t)]))
    lines.append(LineString([(400, 200), (520, 260)]))
    return gpd.GeoDataFrame({"highway": ["footway"] * len(lines), "walkable": [True] * len(lines)},
                            geometry=lines, crs=CRS)


def grid_network(points, categories):
    fac = gpd.GeoDataFrame({"feature_id": [f"F{i}" for i in range(len(points))], "category": categories},
                           geometry=[Point(p) for p in points], crs=CRS)
    comm = gpd.GeoDataFrame({"feature_id": ["C1"]}, geometry=[shapely.box(100, 100, 140, 140)], crs=CRS)
    cmap = {"kindergarten": ["kindergarten", "nursery"], "clinic": ["nursery"]}
    return prepare_life_circle(walk_graph(street_grid()), comm, fac, cmap)


def reference_band(net, facility_type, radius_m, buffer_m, quad_segs):
    """Buffers of every reached edge part, one by one: networkx distances, shapely substrings, one union."""
    nx = pytest.importorskip("networkx")
    from shapely.ops import substring
    edges = net.graph.edges_frame()
    g = nx.Graph()
    for u, v, length in zip(edges["u"], edges["v"], edges["length_m"]):
        if not g.has_edge(u, v) or g[u][v]["weight"] > length:
            g.add_edge(int(u), int(v), weight=float(length))
    fac = net.facilities[net.uses(facility_type)]
    for i, (node, conn) in enumerate(zip(fac["node"], fac["connector_m"])):
        g.add_edge(("facility", i), int(node), weight=float(conn))
    dist = nx.multi_source_dijkstra_path_length(g, {("facility", i) for i in range(len(fac))})
    parts = []
    for u, v, length, line in zip(edges["u"], edges["v"], edges["length_m"], edges.geometry):
        a = radius_m - dist.get(int(u), np.inf)             # reached from u up to here
        b = length - (radius_m - dist.get(int(v), np.inf))  # reached from v from here
        if a >= b or a >= length or b <= 0:
            parts.append(line)
            continue
        if a > 0:
            parts.append(substring(line, 0, a))
        if b < length:
            parts.append(substring(line, b, length))
    return shapely.union_all(shapely.buffer(parts, buffer_m, quad_segs=quad_segs))


@pytest.mark.parametrize("radius_m", [150.0, 300.0])
def test_band_matches_an_independent_buffer_union(radius_m):
    # Documented tolerance: the merged, simplified lines give the same band as buffering every reached
    # edge part on its own within 1% of the area (symmetric difference), the same chamfered outline.
    net = grid_network([(200, 205), (330, 90)], ["kindergarten", "kindergarten"])
    req = pd.DataFrame({"facility_type": ["kindergarten"], "level": ["lc5"], "threshold_m": [radius_m]})
    geom = service_areas(net, req, buffer_m=30).geometry.item()
    ref = reference_band(net, "kindergarten", radius_m, 30, quad_segs=1)
    assert shapely.symmetric_difference(geom, ref).area < 0.01 * ref.area
    # The chamfered outline (1 segment a quarter circle) lies within the round one, up to the 3 m
    # simplification of the lines.
    round_ref = reference_band(net, "kindergarten", radius_m, 30, quad_segs=8)
    assert shapely.difference(geom, round_ref).area < 0.01 * geom.area
    assert round_ref.area > geom.area


def test_a_superset_of_facilities_reuses_the_smaller_set_polygon():
    # nursery is fed by both facilities, kindergarten by the first only: nursery's band is built as
    # kindergarten's plus the second facility's, and must equal the band built on its own.
    net = grid_network([(200, 205), (330, 90)], ["kindergarten", "clinic"])
    both = pd.DataFrame({"facility_type": ["kindergarten", "nursery"], "level": ["lc5", "lc5"],
                         "threshold_m": [300.0, 300.0]})
    areas = service_areas(net, both, buffer_m=30).set_index("facility_type")
    alone = service_areas(net, both.iloc[[1]], buffer_m=30).geometry.item()
    assert areas.loc["nursery", "facilities"] == 2
    assert shapely.symmetric_difference(areas.loc["nursery", "geometry"], alone).area < 1e-4 * alone.area
    assert areas.loc["nursery", "area_m2"] > areas.loc["kindergarten", "area_m2"]
    ref = reference_band(net, "nursery", 300.0, 30, quad_segs=1)
    assert shapely.symmetric_difference(areas.loc["nursery", "geometry"], ref).area < 0.01 * ref.area
