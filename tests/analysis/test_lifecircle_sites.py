"""Candidate sites: newly served population, size filter and the greedy choice, on a road of known lengths."""

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from gisplanner.analysis.lifecircle import life_circle_gaps, prepare_life_circle
from gisplanner.analysis.network import build_walk_graph
from gisplanner.analysis.sites import candidate_sites, site_table
from gisplanner.standards import load_standards


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)

CRS = "EPSG:32652"
REQ = pd.DataFrame({"facility_type": ["kindergarten"], "level": ["lc5"], "threshold_m": [300.0],
                    "site_min_m2": [200.0], "site_max_m2": [800.0]})


def town():
    network = gpd.GeoDataFrame({"highway": ["residential"], "walkable": [True]},
                               geometry=[LineString([(0, 0), (2000, 0)])], crs=CRS)
    # 80 m squares 10 m north of the road; boundary samples every 20 m, from x0+10 to x0+70 on the south side.
    comm = gpd.GeoDataFrame({"feature_id": ["C1", "C2", "C3"], "population": [100.0, 100.0, 150.0]},
                            geometry=[shapely.box(x, 10, x + 80, 90) for x in (60, 560, 1060)], crs=CRS)
    fac = gpd.GeoDataFrame({"feature_id": ["B1"], "category": ["bank"]}, geometry=[Point(0, -5)], crs=CRS)
    net = prepare_life_circle(walk_graph(network), comm, fac, {"kindergarten": ["kindergarten"]})
    return net, comm, life_circle_gaps(net, comm, REQ)


def idle(areas=(400.0, 400.0, 400.0), status=("idle", "idle", "decommissioned")):
    # A at x=350 reaches C1 and C2 (5 + 220 + 10 m each); B at x=850 reaches C2 and C3; C at x=1100 only C3.
    return gpd.GeoDataFrame({"feature_id": ["A", "B", "C"], "name": ["甲", "乙", "丙"], "area_m2": list(areas),
                             "status": list(status)},
                            geometry=[Point(350, -5), Point(850, -5), Point(1100, -5)], crs=CRS)


def choose(sites, k=3):
    net, comm, gaps = town()
    return candidate_sites(net, comm, gaps.community_access, REQ, site_table({"idle_land": sites}), k=k)


def test_greedy_choice_by_newly_served_population():
    out = choose(idle()).set_index("site_id")
    assert out.loc["B", "population_alone"] == 250.0 and out.loc["A", "population_alone"] == 200.0
    assert (out.loc["B", "rank"], out.loc["A", "rank"]) == (1, 2)
    assert out.loc["A", "population_new"] == 100.0  # C2 is already served by B
    assert out.loc["A", "communities_new"] == "C1"
    assert pd.isna(out.loc["C", "rank"])  # adds nobody once B is chosen


def test_k_limits_the_choice():
    out = choose(idle(), k=1)
    assert out["rank"].notna().sum() == 1
    assert out.iloc[0]["site_id"] == "B"


def test_sites_below_the_size_range_are_dropped_unknown_and_larger_kept():
    out = choose(idle(areas=(100.0, float("nan"), 5000.0))).set_index("site_id")
    assert "A" not in out.index
    assert out.loc["B", "size_check"] == "unknown"
    assert out.loc["C", "size_check"] == "larger"


def test_sites_of_unknown_status_are_listed_to_verify_never_chosen():
    out = choose(idle(status=("idle", "unknown", "idle"))).set_index("site_id")
    assert pd.isna(out.loc["B", "rank"]) and out.loc["B", "note"] == "需核实现状"
    assert (out.loc["A", "rank"], out.loc["C", "rank"]) == (1, 2)  # B would serve most, but nobody has looked
    assert out.index.tolist()[-1] == "B"


def test_resources_in_use_are_not_candidates_in_any_layer():
    buildings = gpd.GeoDataFrame({"feature_id": ["P1", "P2"], "status": ["in_service", "idle"]},
                                 geometry=[Point(0, 0)] * 2, crs=CRS)
    assert site_table({"public_buildings": buildings})["site_id"].tolist() == ["P2"]


def test_boiler_rooms_in_service_are_not_candidates():
    boilers = gpd.GeoDataFrame({"feature_id": ["K1", "K2", "K3"], "status": ["in_service", "decommissioned", None]},
                               geometry=[Point(0, 0)] * 3, crs=CRS)
    table = site_table({"boiler_rooms": boilers, "idle_land": None})
    assert table["site_id"].tolist() == ["K2", "K3"]
    assert table["area_m2"].isna().all()


def test_no_gap_gives_an_empty_table():
    net, comm, gaps = town()
    served = gaps.community_access.assign(served=True)
    out = candidate_sites(net, comm, served, REQ, site_table({"idle_land": idle()}))
    assert out.empty and "rank" in out.columns


def test_distance_to_a_site_counts_its_connector():
    sites = idle()
    sites.loc[0, "geometry"] = Point(350, -70)  # 70 m off the road: 70 + 220 + 10 = 300, still within
    out = choose(sites).set_index("site_id")
    assert out.loc["A", "population_alone"] == 200.0
    sites.loc[0, "geometry"] = Point(350, -80)
    assert "A" not in choose(sites).set_index("site_id").index


def test_listed_keeps_the_chosen_then_the_best_of_the_rest():
    out = choose(idle(), k=1)
    assert len(out) == 3
    net, comm, gaps = town()
    short = candidate_sites(net, comm, gaps.community_access, REQ, site_table({"idle_land": idle()}), k=1, listed=2)
    assert short["site_id"].tolist() == ["B", "A"]  # B chosen, then A (200) before C (150)


def test_no_requirement_rows_give_an_empty_table():
    net, comm, gaps = town()
    out = candidate_sites(net, comm, gaps.community_access, REQ.iloc[0:0], site_table({"idle_land": idle()}))
    assert out.empty and "note" in out.columns
