"""Life-circle gaps on a hand-built town whose distances are worked out by hand."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from gisplanner.analysis.lifecircle import (
    ACCESS_BOUNDARY,
    ACCESS_GATES,
    ACCESS_ISLAND,
    ACCESS_NEAREST,
    boundary_samples,
    check_requirements,
    life_circle_gaps,
    prepare_life_circle,
    requirements_from_standards,
)
from gisplanner.analysis.network import build_walk_graph, distance_at
from gisplanner.errors import CancelledError, ConfigError, InputError
from gisplanner.progress import Progress
from gisplanner.standards import load_standards


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)

CRS = "EPSG:32652"
CATEGORIES = {"kindergarten": ["kindergarten"], "school": ["primary_school", "middle_school"]}
REQUIREMENTS = pd.DataFrame({"facility_type": ["kindergarten", "primary_school", "middle_school"],
                             "level": ["lc5", "lc10", "lc15"], "threshold_m": [300.0, 500.0, 1000.0]})


def town_network():
    """A main road y=0 (x 0..1000), a cross street x=500 (y -300..300), and a 40 m footway island."""
    lines = [LineString([(0, 0), (1000, 0)]), LineString([(500, -300), (500, 300)]),
             LineString([(280, 495), (320, 495)])]
    return gpd.GeoDataFrame({"highway": ["residential", "residential", "footway"], "walkable": True,
                             "bridge": False, "tunnel": False, "layer": 0}, geometry=lines, crs=CRS)


def town_communities():
    """80 m squares: C1, C2, C5 10 m north of the road, C3 beside the island, C4 60 m north of the road."""
    boxes = {"C1": (100, 10), "C2": (700, 10), "C3": (260, 505), "C4": (850, 60), "C5": (300, 10)}
    return gpd.GeoDataFrame({
        "feature_id": list(boxes), "name": [f"小区{k}" for k in boxes],
        "population": [1000.0, 2000.0, 500.0, 300.0, 700.0],
        "population_estimated": [False, True, False, False, False],
    }, geometry=[shapely.box(x, y, x + 80, y + 80) for x, y in boxes.values()], crs=CRS)


def town_facilities(kindergarten=True):
    rows = [("S1", "school", Point(505, 250))]
    if kindergarten:
        rows.append(("K1", "kindergarten", Point(150, -5)))
    rows.append(("X1", "bank", Point(600, -5)))
    return gpd.GeoDataFrame({"feature_id": [r[0] for r in rows], "category": [r[1] for r in rows]},
                            geometry=[r[2] for r in rows], crs=CRS)


def gates():
    return gpd.GeoDataFrame({"feature_id": ["G1"]}, geometry=[Point(340, 90)], crs=CRS)


def run(facilities=None, requirements=REQUIREMENTS, districts=None):
    comm = town_communities()
    net = prepare_life_circle(walk_graph(town_network()), comm, town_facilities() if facilities is None else facilities,
                              CATEGORIES, gates=gates())
    return net, life_circle_gaps(net, comm, requirements, districts=districts)


def distance(result, community, ftype):
    a = result.community_access
    return a.loc[(a["community_id"] == community) & (a["facility_type"] == ftype), "distance_m"].item()


def test_distances_count_both_connectors_and_the_walk():
    _, res = run()
    # K1 is 5 m south of the road at x=150; C1's boundary sample at x=150 is 10 m north of it.
    assert distance(res, "C1", "kindergarten") == pytest.approx(5 + 10)
    # To C2's nearest boundary sample at x=710.
    assert distance(res, "C2", "kindergarten") == pytest.approx(5 + 560 + 10)
    # S1 is 5 m east of the cross street, 250 m up it; to C1's corner sample at x=170.
    assert distance(res, "C1", "middle_school") == pytest.approx(5 + 250 + 330 + 10)


def test_every_community_gets_a_row_per_requirement():
    _, res = run()
    assert len(res.community_access) == 5 * 3
    assert res.community_access.groupby("community_id").size().eq(3).all()


def test_served_and_gaps_follow_each_threshold():
    _, res = run()
    a = res.community_access.set_index(["community_id", "facility_type"])
    assert a.loc[("C2", "primary_school"), "served"]  # 5 + 250 + 210 + 10 = 475 <= 500
    assert not a.loc[("C1", "primary_school"), "served"]  # 595 > 500
    gap = res.gaps.set_index(["community_id", "facility_type"]).loc[("C2", "kindergarten")]
    assert gap["shortfall_m"] == pytest.approx(575 - 300)
    assert gap["population"] == 2000.0
    assert gap["population_estimated"]
    assert gap["reason"] == "beyond"


def test_levels_do_not_nest():
    # Without a kindergarten, the school next door fills no 5-minute kindergarten gap.
    _, res = run(facilities=town_facilities(kindergarten=False))
    k = res.community_access[res.community_access["facility_type"] == "kindergarten"]
    assert not k["served"].any()
    assert k["distance_m"].isna().all()
    assert set(res.gaps.loc[res.gaps["facility_type"] == "kindergarten", "reason"]) == {"no_facility"}
    assert res.community_access.loc[res.community_access["facility_type"] == "middle_school", "served"].sum() == 4


def test_a_type_listed_at_two_levels_is_tested_at_each():
    req = pd.DataFrame({"facility_type": ["kindergarten", "kindergarten"], "level": ["lc5", "lc10"],
                        "threshold_m": [300.0, 600.0]})
    _, res = run(requirements=req)
    c2 = res.community_access[res.community_access["community_id"] == "C2"].set_index("level")
    assert (c2.loc["lc5", "served"], c2.loc["lc10", "served"]) == (False, True)


def test_community_on_an_island_is_unreachable_not_zero():
    net, res = run()
    assert net.community_access[2] == ACCESS_ISLAND
    c3 = res.community_access[res.community_access["community_id"] == "C3"]
    assert c3["distance_m"].isna().all()
    assert not c3["served"].any()
    assert set(res.gaps.loc[res.gaps["community_id"] == "C3", "reason"]) == {"unreachable"}


def test_community_beyond_snap_reaches_the_nearest_point_and_is_flagged():
    net, res = run()
    assert net.community_access[3] == ACCESS_NEAREST
    assert net.community_access_m[3] == pytest.approx(60.0)
    # S1: 5 + 250 up the cross street, 360 along the road to x=860, 60 to the boundary.
    assert distance(res, "C4", "middle_school") == pytest.approx(5 + 250 + 360 + 60)


def test_gates_replace_boundary_access():
    net, res = run()
    assert net.community_access[4] == ACCESS_GATES
    assert net.community_access[0] == ACCESS_BOUNDARY
    # The gate sits on the north side, 90 m from the road: K1 -> x=340 -> gate.
    assert distance(res, "C5", "kindergarten") == pytest.approx(5 + 190 + 90)


def test_facility_on_an_island_or_unmapped_is_reported_not_used():
    fac = town_facilities()
    fac.loc[len(fac)] = ["K2", "kindergarten", Point(300, 500)]
    net, res = run(facilities=fac)
    status = net.facilities.set_index("facility_id")["status"]
    assert status["K2"] == "island"
    assert status["X1"] == "unmapped"
    assert status["K1"] == "network"
    assert np.isnan(distance(res, "C3", "kindergarten"))  # K2 shares C3's island, yet C3 stays unreachable


def test_coverage_is_population_weighted_overall_and_per_district():
    districts = pd.Series({"C1": "D1", "C2": "D1", "C5": "D2"})
    _, res = run(districts=districts)
    cov = res.coverage.set_index(["facility_type", "district"])
    k = cov.loc[("kindergarten", "all")]
    assert k["population_served"] == 1000 + 700  # C1 at 15 m, C5 at 285 m
    assert k["share_served"] == pytest.approx(1700 / 4500)
    assert cov.loc[("kindergarten", "D1"), "share_served"] == pytest.approx(1000 / 3000)
    assert cov.loc[("kindergarten", "D2"), "communities"] == 1


def test_search_limit_nulls_farther_distances():
    _, res = run(requirements=REQUIREMENTS.iloc[:1])
    assert not np.isnan(distance(res, "C2", "kindergarten"))
    comm = town_communities()
    net = prepare_life_circle(walk_graph(town_network()), comm, town_facilities(), CATEGORIES)
    short = life_circle_gaps(net, comm, REQUIREMENTS.iloc[:1], search_limit_m=100)
    c2 = short.community_access.loc[short.community_access["community_id"] == "C2", "distance_m"]
    assert c2.isna().all()  # 575 m > the 300 m threshold and the 100 m limit
    reasons = short.gaps.set_index("community_id")["reason"]
    assert (reasons["C2"], reasons["C3"]) == ("beyond_search_limit", "unreachable")


def test_requirements_from_the_standards_catalogue():
    std = load_standards()
    req = requirements_from_standards(std)
    row = req.set_index("facility_type").loc["kindergarten"]
    assert (row["level"], row["threshold_m"]) == ("lc5", std.facility_types()["kindergarten"].radius_m)
    types = std.facility_types()
    assert not any(not types[t].gap_analysis for t in req["facility_type"])
    # A type without its own radius takes its level's walk distance.
    clinic = req.set_index("facility_type").loc["clinic"]
    assert clinic["threshold_m"] == std.levels[clinic["level"]].walk_distance_m
    assert set(requirements_from_standards(std, levels=["lc5"])["level"]) == {"lc5"}


def test_bad_requirements_raise_config_errors():
    with pytest.raises(ConfigError):
        check_requirements(REQUIREMENTS.drop(columns="threshold_m"))
    with pytest.raises(ConfigError, match="须为正"):
        check_requirements(REQUIREMENTS.assign(threshold_m=[300.0, -1.0, 1000.0]))


def test_facilities_without_category_are_an_input_error():
    comm = town_communities()
    with pytest.raises(InputError, match="设施类别"):
        prepare_life_circle(walk_graph(town_network()), comm, town_facilities().drop(columns="category"), CATEGORIES)


def test_boundary_samples_are_spaced_along_rings_and_points_kept():
    xy, owner = boundary_samples(np.array([shapely.box(0, 0, 100, 100), Point(5, 5)]), 20.0)
    assert owner.tolist().count(0) == 20 and owner.tolist().count(1) == 1
    ring = shapely.box(0, 0, 100, 100).boundary
    assert np.allclose(shapely.distance(shapely.points(xy[owner == 0]), ring), 0)


def test_cancel_stops_the_gap_analysis():
    comm = town_communities()
    net = prepare_life_circle(walk_graph(town_network()), comm, town_facilities(), CATEGORIES)
    progress = Progress()
    progress.cancel()
    with pytest.raises(CancelledError):
        life_circle_gaps(net, comm, REQUIREMENTS, progress=progress)


def test_dropping_dominated_access_points_keeps_every_distance():
    comm = town_communities()
    net = prepare_life_circle(walk_graph(town_network()), comm, town_facilities(), CATEGORIES, gates=gates())
    for ftype in ("kindergarten", "middle_school"):
        d = net.type_distances(ftype)
        every = distance_at(net.graph, d, net.access_snap)
        brute = np.full(len(comm), np.inf)
        np.minimum.at(brute, net.access_community, every)
        assert np.array_equal(net.community_distance(d, len(comm)), brute)
    assert len(net._access_groups[0]) < len(net.access_community)


def test_progress_of_preparation_runs_forward_to_the_end():
    seen = []
    prepare_life_circle(walk_graph(town_network()), town_communities(), town_facilities(), CATEGORIES,
                        progress=Progress(lambda done, total, message: seen.append(done / total)))
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert len(seen) > 2  # snapping the facilities, then the access points


def test_a_facility_polygon_is_reached_from_its_nearer_edge_as_networkx_finds():
    """A school block between two parallel streets 200 m apart, a community on the far side of the second.

    Reached from one snapped point (its nearest boundary point, on the first street) the school would be
    200 m farther than from its edge on the second street, which the community faces."""
    import networkx as nx

    crs = "EPSG:32652"
    streets = gpd.GeoDataFrame({"highway": ["residential"] * 3, "walkable": [True] * 3},
                               geometry=[LineString([(0, 0), (600, 0)]), LineString([(0, 200), (600, 200)]),
                                         LineString([(0, 0), (0, 200)])], crs=crs)
    school = shapely.box(300, 3, 400, 190)  # 3 m from the first street (its nearest point), 10 m from the second
    comm = gpd.GeoDataFrame({"feature_id": ["C"], "population": [100.0]},
                            geometry=[shapely.box(300, 210, 400, 290)], crs=crs)
    fac = gpd.GeoDataFrame({"feature_id": ["S"], "category": ["school"]}, geometry=[school], crs=crs)
    req = pd.DataFrame({"facility_type": ["primary_school"], "level": ["lc10"], "threshold_m": [500.0]})
    net = prepare_life_circle(walk_graph(streets), comm, fac, {"school": ["primary_school"]})
    ours = life_circle_gaps(net, comm, req).community_access["distance_m"].iloc[0]
    # networkx: the graph's own edges, the school's access points as a source node, the community's as targets
    g = nx.Graph()
    matrix = net.graph.matrix.tocoo()
    g.add_weighted_edges_from(zip(matrix.row.tolist(), matrix.col.tolist(), matrix.data.tolist()))
    for node, c in zip(net.facility_points["node"], net.facility_points["connector_m"], strict=True):
        g.add_edge("school", int(node), weight=float(c))
    lengths = nx.single_source_dijkstra_path_length(g, "school")
    snap = net.access_snap
    edge_u, edge_v = net.graph.edge_u[snap.edge], net.graph.edge_v[snap.edge]
    length = net.graph.edge_length[snap.edge]
    reference = min(min(lengths.get(int(u), np.inf) + a, lengths.get(int(v), np.inf) + (L - a)) + d
                    for u, v, a, L, d in zip(edge_u, edge_v, snap.offset_m, length, snap.distance_m, strict=True))
    assert ours == pytest.approx(reference)
    # across the second street, edge to edge (10 + 10 m, plus at most one 20 m sample spacing along it), not
    # from the nearest point round by the first street and the west end (over 800 m)
    assert 20 <= ours <= 40
