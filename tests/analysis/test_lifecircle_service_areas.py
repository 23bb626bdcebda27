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
    return prepare_life_circle(road(), comm, fac, {"kindergarten": ["kindergarten"]})


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
    g = build_walk_graph(road(100.0))
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
