"""The bundled demo project: deterministic, plausible, complete."""

import geopandas as gpd
import pandas as pd
import pytest

from gisplanner.demo import build_demo_project, default_demo_path
from gisplanner.project import Project


@pytest.fixture(scope="module")
def demo():
    return build_demo_project()


def frames_equal(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")).reset_index(drop=True),
                                  pd.DataFrame(b.drop(columns="geometry")).reset_index(drop=True),
                                  check_dtype=False)
    assert a.geometry.reset_index(drop=True).geom_equals_exact(b.geometry.reset_index(drop=True), 1e-6).all()


def test_same_seed_same_town(demo):
    again = build_demo_project()
    for role, frame in demo.layers.items():
        frames_equal(frame, again.layer(role))


def test_other_seed_other_town(demo):
    other = build_demo_project(seed=1)
    assert not demo.layer("communities")["built_year"].equals(other.layer("communities")["built_year"])


def test_about_forty_old_walk_up_communities(demo):
    communities = demo.layer("communities")
    assert 35 <= len(communities) <= 45
    assert (communities["built_year"] <= 2000).mean() > 0.7
    floors = demo.layer("buildings").query("use == 'residential'")["floors"]
    assert floors.between(3, 7).all()
    assert communities["households"].gt(0).all() and communities["population"].gt(0).all()


def test_estimated_populations_are_flagged(demo):
    communities = demo.layer("communities")
    assert communities["population_estimated"].sum() == len(communities) - 2
    surveyed = communities[~communities["population_estimated"]]
    assert surveyed["population"].tolist() == [858.0, 754.0]


def test_boiler_rooms_some_decommissioned(demo):
    statuses = demo.layer("boiler_rooms")["status"]
    assert 3 <= len(statuses) <= 5
    assert {"decommissioned", "in_service"} <= set(statuses)


def test_some_facility_types_missing_on_purpose(demo):
    mapped = {t for c in demo.layer("facilities")["category"] for t in demo.standards().category_map[c]}
    assert "kindergarten" in mapped
    assert not {"elderly_daycare", "wet_market"} & mapped


def test_road_grid_has_arterials_and_a_footbridge(demo):
    network = demo.layer("walk_network")
    assert {"primary", "secondary", "residential", "footway"} <= set(network["highway"])
    bridge = network[network["bridge"]]
    assert len(bridge) == 1 and bridge["layer"].iloc[0] == 1
    arterials = network[network["highway"] == "primary"]
    assert arterials.geometry.crosses(bridge.geometry.iloc[0]).any()


def test_every_layer_has_unique_feature_ids_in_the_metric_crs(demo):
    for role, frame in demo.layers.items():
        assert frame["feature_id"].is_unique, role
        assert frame.crs.to_epsg() == 32652, role
        assert frame.is_valid.all() and not frame.is_empty.any(), role


def test_the_town_sits_in_harbin(demo):
    lon, lat = demo.lonlat_center()
    assert 126.5 < lon < 126.8 and 45.65 < lat < 45.83


def test_land_use_codes_are_2023_codes(demo):
    standards = demo.standards()
    for code in demo.layer("landuse")["lu_code"]:
        standards.landuse.name(code)


def test_bundled_file_matches_the_builder(demo):
    path = default_demo_path()
    if not path.exists():
        pytest.fail(f"{path} is missing: run `gisplanner demo` and commit it")
    bundled = Project.load(path)
    assert sorted(bundled.layers) == sorted(demo.layers)
    for role, frame in demo.layers.items():
        frames_equal(gpd.GeoDataFrame(frame), bundled.layer(role))


def test_towns_repeat_the_pattern_under_one_road_grid(demo):
    big = build_demo_project(towns=(2, 1), seed=5)
    communities = big.layer("communities")
    assert len(communities) == 2 * len(demo.layer("communities"))
    assert communities["feature_id"].is_unique and communities["name"].is_unique
    for role in ("facilities", "boiler_rooms", "idle_land", "admin_boundaries"):
        assert len(big.layer(role)) == 2 * len(demo.layer(role)), role
    width = demo.layer("communities").total_bounds[2] - demo.layer("communities").total_bounds[0]
    assert communities.total_bounds[2] - communities.total_bounds[0] == pytest.approx(width + 1600)
    # one east–west arterial runs through both towns
    arterial = big.layer("walk_network").query("highway == 'primary'").length
    assert arterial.max() == pytest.approx(3200)


def test_a_town_elsewhere_sits_there():
    other = build_demo_project(origin_lonlat=(127.0, 46.0), name="乙市")
    lon, lat = other.lonlat_center()
    assert 127.0 < lon < 127.05 and 46.0 < lat < 46.02 and other.name == "乙市"
