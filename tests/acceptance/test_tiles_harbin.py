"""Central Harbin (../shared/refdata/harbin_central_osm, 1,635 communities) split into tiles run as dask
tasks on two worker processes: the life-circle results (access, gaps, coverage, facility snaps, candidate
sites; service areas up to their 2 m line simplification) and the sill sunlight equal the single-process
whole-city run. One cached run of each."""

import pandas as pd
import pytest
import shapely

from gisplanner import batch, workflow
from gisplanner.io.importer import import_layers
from gisplanner.project import Project
from gisplanner.standards import Override

pytestmark = [pytest.mark.acceptance, pytest.mark.slow]


def plain(frame):
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


@pytest.fixture(scope="module")
def central(harbin_central):
    project = Project()
    import_layers(project, [harbin_central], city="harbin")
    return project


@pytest.fixture(scope="module")
def life_circle(central, client):
    """The whole life circle (access, gaps, coverage, service areas, candidate sites) in one process, and on
    3 km tiles (each with the 1,310 m reach around it)."""
    whole = workflow.run(central, "lifecircle")
    return whole, batch.tiled_life_circle(central, tile_m=3000.0, client=client)


@pytest.fixture(scope="module")
def sunlight(central, client):
    # A 5-minute step and 6 m sill spacing keep the two runs short; both use the same settings.
    for path, value in [("sunlight.calculation.sample_spacing_m.value", 6.0),
                        ("sunlight.calculation.time_step_min.value", 5)]:
        central.add_override(Override(path, value, who="测试", why="缩短日照计算"))
    return workflow.run(central, "sunlight").points, batch.tiled_sunlight(central, tile_m=1500.0, client=client)


def test_tiled_life_circle_distances_equal_the_whole_city(life_circle):
    whole, tiled = life_circle
    assert len(whole["community_access"]) > 40_000
    pd.testing.assert_frame_equal(plain(tiled["community_access"]), plain(whole["community_access"]),
                                  check_exact=False, rtol=1e-9)


def test_tiled_life_circle_gaps_and_coverage_equal_the_whole_city(life_circle):
    whole, tiled = life_circle
    assert 100 < len(whole["gaps"]) < len(whole["community_access"])
    for name in ("gaps", "coverage", "data_coverage"):
        pd.testing.assert_frame_equal(plain(tiled[name]), plain(whole[name]), check_exact=False, rtol=1e-9)


def test_tiled_facility_snaps_equal_the_whole_city(life_circle):
    whole, tiled = life_circle
    pd.testing.assert_frame_equal(plain(tiled["facility_access"]), plain(whole["facility_access"]),
                                  check_exact=False, rtol=1e-9)


def test_tiled_candidate_sites_equal_the_whole_city(life_circle):
    whole, tiled = life_circle
    assert whole["candidate_sites"]["rank"].notna().sum() > 5
    pd.testing.assert_frame_equal(plain(tiled["candidate_sites"]), plain(whole["candidate_sites"]),
                                  check_exact=False, rtol=1e-9)


def test_tiled_service_areas_equal_the_whole_city(life_circle):
    """Up to the 2 m simplification of the reached lines before the 30 m band is drawn."""
    whole, tiled = life_circle
    a, b = whole["service_areas"], tiled["service_areas"]
    assert len(a) > 10
    pd.testing.assert_frame_equal(plain(b).drop(columns="area_m2"), plain(a).drop(columns="area_m2"))
    differ = shapely.symmetric_difference(a.geometry.to_numpy(), b.geometry.to_numpy())
    assert (shapely.area(differ) <= 1e-3 * a.area.to_numpy()).all()
    # every piece of the difference is at most 2 m wide (a Hausdorff distance takes minutes on city polygons)
    assert shapely.is_empty(shapely.buffer(differ, -1.0 - 1e-6)).all()


def test_tiled_sill_hours_equal_the_whole_city(sunlight):
    whole, tiled = sunlight
    assert len(whole) > 300_000
    assert 0 < whole["passes"].mean() < 1
    pd.testing.assert_frame_equal(plain(tiled), plain(whole))
    assert tiled.geometry.geom_equals(whole.geometry).all()
