"""Life-circle analysis on the real Harbin focus file (../shared/refdata/harbin_central_osm)."""

import networkx as nx
import numpy as np
import pytest
import shapely

from gisplanner import workflow
from gisplanner.analysis.network import build_walk_graph, network_distances
from gisplanner.standards import load_standards


def walk_graph(lines, **options):
    """The walking graph with the shipped island threshold (settings.yaml) unless a test sets its own."""
    options.setdefault("min_component_nodes", load_standards().settings.small_component_nodes)
    return build_walk_graph(lines, **options)

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def results(focus):
    return workflow.run(focus, "lifecircle")


def test_graph_distances_equal_networkx_on_sampled_pairs(focus):
    settings = focus.standards().settings
    g = walk_graph(focus.layer("walk_network"), min_component_nodes=settings.small_component_nodes)
    ref = nx.Graph()
    for u, v, w in zip(g.edge_u.tolist(), g.edge_v.tolist(), g.edge_length.tolist()):
        if u != v and (not ref.has_edge(u, v) or ref[u][v]["weight"] > w):
            ref.add_edge(u, v, weight=w)
    rng = np.random.default_rng(7)
    sources = rng.choice(np.flatnonzero(g.routable[g.node_component]), 10, replace=False)
    targets = rng.choice(g.n_nodes, 200, replace=False)
    ours = network_distances(g, sources, min_only=False)
    for k, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(ref, int(s), weight="weight")
        expected = np.array([lengths.get(int(t), np.inf) for t in targets])
        assert np.allclose(ours[k, targets], expected, equal_nan=False)


def test_bridges_and_tunnels_are_not_joined_to_what_they_cross(focus):
    g = walk_graph(focus.layer("walk_network"))
    assert g.n_grade_separated > 0
    assert g.edge_length.sum() == pytest.approx(focus.layer("walk_network").query("walkable").length.sum())


def test_every_community_gets_a_row_per_type_and_level(focus, results):
    access = results["community_access"]
    n_comm = len(focus.layer("communities"))
    per = access.groupby(["facility_type", "level"]).size()
    assert (per == n_comm).all()
    assert access.groupby("community_id").size().nunique() == 1


def test_network_distance_is_never_shorter_than_the_straight_line(focus, results):
    access = results["community_access"].dropna(subset=["distance_m"])
    fac = focus.layer("facilities")
    table = results["facility_access"].set_index("facility_id")
    usable = table["status"].eq("network").to_numpy()
    comm = focus.layer("communities").set_index("feature_id").geometry
    checked = 0
    for ftype in ("kindergarten", "primary_school", "middle_school"):
        rows = access[access["facility_type"] == ftype]
        of_type = usable & table["facility_types"].str.split(",").map(lambda t, f=ftype: f in t).to_numpy()
        points = fac.geometry.to_numpy()[of_type]
        straight = np.array([shapely.distance(comm[c], points).min() for c in rows["community_id"]])
        assert (rows["distance_m"].to_numpy() >= straight - 1e-6).all()
        checked += len(rows)
    assert checked > 100


def test_plausible_figures(results):
    cov = results["coverage"].set_index(["facility_type", "level", "district"])
    share = cov.loc[("primary_school", "lc10", "all"), "share_served"]
    assert 0.2 < share < 1.0  # 22 schools in 3 km x 3 km of old town
    gaps = results["gaps"]
    assert (gaps.loc[gaps["reason"] == "beyond", "shortfall_m"] > 0).all()
    assert gaps["population"].gt(0).all()
    areas = results["service_areas"]
    assert (areas["area_m2"] > 0).all()
    # A service area is never larger than the circle of its threshold plus the band around each facility.
    assert (areas["area_m2"] <= areas["facilities"] * np.pi * (areas["threshold_m"] + 30) ** 2).all()


def test_types_missing_from_the_data_are_data_missing_not_service_gaps(results):
    cov = results["data_coverage"]
    absent = set(cov.loc[cov["facilities"] == 0, "facility_type"])
    assert {"public_toilet", "judicial_office", "community_canteen"} <= absent
    gaps = results["gaps"]
    assert (gaps.loc[gaps["facility_type"].isin(absent), "gap_kind"] == "数据缺失").all()
    assert (gaps.loc[gaps["reason"] == "no_facility", "gap_kind"] == "数据缺失").all()


def test_schools_count_only_for_the_stage_their_tags_or_names_say(results):
    table = results["facility_access"]
    schools = table[table["mapped_by"].str.startswith("school", na=False)]
    both = schools["facility_types"] == "primary_school,middle_school"
    assert (schools.loc[both, "mapped_by"] == "school_nine_year").all()
    centres = table["facility_types"].str.contains("health_center")
    assert table.loc[centres, "mapped_by"].isin(["health_center", "health_center_tag"]).all()  # not any hospital
