"""Central Harbin (the Nangang 3 km focus file) split into tiles run as dask tasks on two worker processes:
the life-circle gaps and the sill sunlight equal the single-process whole-city run. One cached run."""

import pandas as pd
import pytest

from gisplanner import batch, workflow
from gisplanner.analysis.lifecircle import life_circle_gaps, prepare_life_circle, requirements_from_standards
from gisplanner.analysis.network import build_walk_graph
from gisplanner.standards import Override

pytestmark = [pytest.mark.acceptance, pytest.mark.slow]


def plain(frame):
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def life_circle(focus, client):
    standards = focus.standards()
    settings = standards.settings
    graph = build_walk_graph(focus.layer("walk_network"), walkable_highways=settings.walkable_highways,
                             min_component_nodes=settings.small_component_nodes)
    network = prepare_life_circle(graph, focus.layer("communities"), focus.layer("facilities"),
                                  standards.category_map, tag_rules=standards.tag_rules,
                                  access_snap_m=settings.access_snap_m)
    whole = life_circle_gaps(network, focus.layer("communities"), requirements_from_standards(standards),
                             search_limit_m=settings.search_limit_m)
    tiled, facilities = batch.tiled_life_circle(focus, tile_m=1000.0, client=client)
    return whole, network.facilities.drop(columns="node"), tiled, facilities


@pytest.fixture(scope="module")
def sunlight(focus, client):
    # A 5-minute step and 6 m sill spacing keep the two runs short; both use the same settings.
    for path, value in [("sunlight.calculation.sample_spacing_m.value", 6.0),
                        ("sunlight.calculation.time_step_min.value", 5)]:
        focus.add_override(Override(path, value, who="测试", why="缩短日照计算"))
    return workflow.run(focus, "sunlight").points, batch.tiled_sunlight(focus, tile_m=750.0, client=client)


def test_tiled_life_circle_distances_equal_the_whole_city(life_circle):
    whole, _, tiled, _ = life_circle
    assert len(whole.community_access) > 5_000
    pd.testing.assert_frame_equal(plain(tiled.community_access), plain(whole.community_access),
                                  check_exact=False, rtol=1e-9)


def test_tiled_life_circle_gaps_and_coverage_equal_the_whole_city(life_circle):
    whole, _, tiled, _ = life_circle
    assert 100 < len(whole.gaps) < len(whole.community_access)
    pd.testing.assert_frame_equal(plain(tiled.gaps), plain(whole.gaps), check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(tiled.coverage, whole.coverage, check_exact=False, rtol=1e-9)


def test_tiled_facility_snaps_equal_the_whole_city(life_circle):
    _, facilities, _, tiled = life_circle
    pd.testing.assert_frame_equal(tiled, facilities, check_exact=False, rtol=1e-9)


def test_tiled_sill_hours_equal_the_whole_city(sunlight):
    whole, tiled = sunlight
    assert len(whole) > 10_000
    assert 0 < whole["passes"].mean() < 1
    pd.testing.assert_frame_equal(plain(tiled), plain(whole))
    assert tiled.geometry.geom_equals(whole.geometry).all()
