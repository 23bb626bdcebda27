"""Central Harbin (the Nangang 3 km focus file) split into tiles run as dask tasks on two worker processes:
the life-circle results (gaps, coverage, facility snaps, candidate sites; service areas up to their 2 m line
simplification) and the sill sunlight equal the single-process whole-city run. One cached run."""

import pandas as pd
import pytest

from gisplanner import batch, workflow
from gisplanner.standards import Override

pytestmark = [pytest.mark.acceptance, pytest.mark.slow]


def plain(frame):
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


@pytest.fixture(scope="module")
def life_circle(focus, client):
    """The whole life circle (gaps, coverage, service areas, candidate sites) in one process, and tiled.

    The focus file has no idle land: its small land-use parcels (300–3,000 m²) stand in as idle plots, so the
    candidate sites are chosen on the real network."""
    landuse = focus.layer("landuse")
    plots = landuse[landuse.area.between(300, 3000).to_numpy()].head(40)
    focus.set_layer("idle_land", plots[["feature_id", "lu_code", "geometry"]].assign(
        name="测试闲置地", area_m2=plots.area.to_numpy(), status="idle", ownership="unknown"))
    whole = workflow.run(focus, "lifecircle")
    return whole, batch.tiled_life_circle(focus, tile_m=1500.0, client=client)


@pytest.fixture(scope="module")
def sunlight(focus, client):
    # A 5-minute step and 6 m sill spacing keep the two runs short; both use the same settings.
    for path, value in [("sunlight.calculation.sample_spacing_m.value", 6.0),
                        ("sunlight.calculation.time_step_min.value", 5)]:
        focus.add_override(Override(path, value, who="测试", why="缩短日照计算"))
    return workflow.run(focus, "sunlight").points, batch.tiled_sunlight(focus, tile_m=750.0, client=client)


def test_tiled_life_circle_distances_equal_the_whole_city(life_circle):
    whole, tiled = life_circle
    assert len(whole["community_access"]) > 5_000
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
    assert (a.geometry.symmetric_difference(b.geometry).area <= 1e-3 * a.area).all()
    assert max(x.hausdorff_distance(y) for x, y in zip(a.geometry, b.geometry)) <= 2.0 + 1e-6


def test_tiled_sill_hours_equal_the_whole_city(sunlight):
    whole, tiled = sunlight
    assert len(whole) > 10_000
    assert 0 < whole["passes"].mean() < 1
    pd.testing.assert_frame_equal(plain(tiled), plain(whole))
    assert tiled.geometry.geom_equals(whole.geometry).all()
