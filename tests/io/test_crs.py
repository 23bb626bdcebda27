import numpy as np
import pyproj
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.io import crs


def _central_meridian(c: pyproj.CRS) -> float:
    return next(p.value for p in c.coordinate_operation.params if p.name == "Longitude of natural origin")


@pytest.mark.parametrize(("lon", "lat", "cm"), [(126.64, 45.74, 126), (120.61, 31.30, 120), (116.40, 39.91, 117)])
def test_metric_crs_in_china_is_the_cgcs2000_3_degree_zone_of_the_nearest_meridian(lon, lat, cm):
    chosen = crs.metric_crs(lon, lat)
    assert chosen.name.startswith("CGCS2000 / 3-degree Gauss-Kruger CM")
    assert _central_meridian(chosen) == cm
    assert abs(lon - cm) <= 1.5


@pytest.mark.parametrize(("lon", "lat", "epsg"), [(2.35, 48.86, 32631), (151.2, -33.9, 32756)])
def test_metric_crs_outside_china_is_the_utm_zone(lon, lat, epsg):
    assert crs.metric_crs(lon, lat).to_epsg() == epsg


# Reference values computed with the independent eviltransform 0.1.1 package (wgs2gcj, gcj2bd).
EVILTRANSFORM = [
    # (wgs lon, wgs lat, gcj lon, gcj lat, bd lon, bd lat)
    (126.6213, 45.7682, 126.62723097427654, 45.77012056987193, 126.63372043736184, 45.77617881665398),
    (120.607, 31.30, 120.61117021268592, 31.29781422433846, 120.6175741646027, 31.30411130609968),
    (114.06, 22.54, 114.06511624182532, 22.537286172963395, 114.07166323158808, 22.542952584774305),
]


def _metres(lon_a, lat_a, lon_b, lat_b):
    geod = pyproj.Geod(ellps="WGS84")
    return geod.inv(lon_a, lat_a, lon_b, lat_b)[2]


def test_gcj02_and_bd09_forward_agree_with_an_independent_implementation():
    ref = np.array(EVILTRANSFORM)
    glon, glat = crs.wgs84_to_gcj02(ref[:, 0], ref[:, 1])
    blon, blat = crs.wgs84_to_bd09(ref[:, 0], ref[:, 1])
    assert np.max(_metres(glon, glat, ref[:, 2], ref[:, 3])) < 0.5
    assert np.max(_metres(blon, blat, ref[:, 4], ref[:, 5])) < 0.5


def test_gcj02_offset_in_harbin_is_a_few_hundred_metres():
    lon, lat = crs.wgs84_to_gcj02(126.6213, 45.7682)
    assert 300 < _metres(126.6213, 45.7682, lon, lat) < 700


@pytest.mark.parametrize(("forward", "inverse"), [(crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
                                                  (crs.wgs84_to_bd09, crs.bd09_to_wgs84)])
def test_round_trip_stays_within_one_metre(forward, inverse):
    lon, lat = np.meshgrid(np.linspace(75, 134, 25), np.linspace(18, 53, 25))
    back_lon, back_lat = inverse(*forward(lon.ravel(), lat.ravel()))
    assert np.max(_metres(lon.ravel(), lat.ravel(), back_lon, back_lat)) < 1.0


def test_points_outside_china_are_not_offset():
    lon, lat = crs.wgs84_to_gcj02([2.35, -74.0], [48.86, 40.7])
    np.testing.assert_array_equal(lon, [2.35, -74.0])
    np.testing.assert_array_equal(lat, [48.86, 40.7])


def test_parse_source_crs_names_offset_systems_and_refuses_nonsense():
    assert crs.parse_source_crs("gcj02") == "GCJ-02"
    assert crs.parse_source_crs("BD-09") == "BD-09"
    assert crs.parse_source_crs("EPSG:4490").to_epsg() == 4490
    with pytest.raises(InputError, match="not-a-crs"):
        crs.parse_source_crs("not-a-crs")


def test_detect_offset_reports_a_gcj02_shifted_layer(town):
    streets = town["walk_network"].geometry.values
    blocks = crs.from_wgs84(town["communities"].geometry.values, "GCJ-02")
    found = crs.detect_offset(blocks, streets)
    assert found is not None and found.system == "GCJ-02"
    assert 300 < found.shift_m < 700
    assert found.fit > found.fit_raw


def test_detect_offset_is_silent_for_an_aligned_layer(town):
    assert crs.detect_offset(town["communities"].geometry.values, town["walk_network"].geometry.values) is None


def test_converting_a_shifted_layer_brings_it_back_within_a_metre(town):
    truth = town["communities"].geometry.values
    restored = crs.to_wgs84(crs.from_wgs84(truth, "GCJ-02"), "GCJ-02")
    a, b = shapely.get_coordinates(truth), shapely.get_coordinates(restored)
    assert np.max(_metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1])) < 1.0


def test_detect_offset_finds_shifted_points_by_the_buildings_they_fall_in():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(126.63, 126.65, 300), rng.uniform(45.73, 45.75, 300)
    buildings = shapely.box(x, y, x + 3e-4, y + 2e-4)  # about 23 m × 22 m, scattered
    shops = shapely.point_on_surface(buildings)
    found = crs.detect_offset(crs.from_wgs84(shops, "GCJ-02"), buildings)
    assert found is not None and (found.system, found.measure) == ("GCJ-02", "inside")
    assert found.fit == 1.0 and found.fit_raw < 0.2
    assert crs.detect_offset(shops, buildings) is None


def test_detect_offset_names_bd09(town):
    blocks = crs.from_wgs84(town["communities"].geometry.values, "BD-09")
    found = crs.detect_offset(blocks, town["walk_network"].geometry.values)
    assert found is not None and found.system == "BD-09" and found.shift_m > 700
