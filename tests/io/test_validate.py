import re

import geopandas as gpd
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.io.validate import assign_feature_ids, check_geometry_type, check_required, repair_geometries

BOWTIE = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-intersecting; two unit triangles


def test_self_intersecting_polygon_is_repaired_into_its_polygonal_part():
    frame = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[BOWTIE, shapely.box(5, 5, 6, 6)], crs=32652)
    out, findings = repair_geometries(frame, "communities", layer="xq")
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(2.0)  # two triangles of 1 m² each
    assert out.geometry.iloc[0].geom_type == "MultiPolygon"
    assert [(f.code, f.feature) for f in findings] == [("invalid_geometry_repaired", "0")]
    assert "Self-intersection" in findings[0].message


def test_empty_and_missing_geometries_are_dropped_with_a_finding_each():
    frame = gpd.GeoDataFrame({"n": [1, 2, 3]}, geometry=[shapely.box(0, 0, 1, 1), shapely.Polygon(), None],
                             crs=32652)
    out, findings = repair_geometries(frame, "communities", layer="xq")
    assert list(out["n"]) == [1]
    assert [(f.code, f.feature) for f in findings] == [("empty_geometry_dropped", "1"),
                                                      ("empty_geometry_dropped", "2")]


def test_points_given_as_communities_are_refused_naming_layer_and_fix():
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0)], crs=32652)
    with pytest.raises(InputError, match="1 个要素中有 1 个是点，而小区（communities）需要面要素") as err:
        check_geometry_type(frame, "communities", layer="pts")
    assert err.value.layer == "pts" and "--role pts=" in err.value.fix


def test_points_are_accepted_as_facilities():
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0)], crs=32652)
    check_geometry_type(frame, "facilities", layer="pts")


def test_feature_ids_come_from_osm_refs_with_their_type_prefix():
    frame = gpd.GeoDataFrame({"osm_type": ["way", "relation"], "osm_ref": ["10", "10"]},
                             geometry=[shapely.Point(0, 0)] * 2)
    out, findings = assign_feature_ids(frame, layer="x")
    assert list(out["feature_id"]) == ["w10", "r10"] and findings == []


def test_duplicate_ids_are_reported_once_per_value_and_made_unique():
    frame = gpd.GeoDataFrame({"ID": [7, 7, 8, 7]}, geometry=[shapely.Point(0, 0)] * 4)
    out, findings = assign_feature_ids(frame, layer="x")
    assert list(out["feature_id"]) == ["7", "7-2", "8", "7-3"]
    assert [(f.code, f.feature) for f in findings] == [("duplicate_id", "7")]


def test_rows_are_numbered_when_there_is_no_id_field():
    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(0, 0)] * 2)
    assert list(assign_feature_ids(frame, layer="x")[0]["feature_id"]) == ["1", "2"]


def test_facilities_without_a_category_field_are_refused():
    with pytest.raises(InputError, match="category"):
        check_required({"name": "名称"}, "facilities", layer="poi", columns=["名称"])


def test_each_missing_canonical_column_is_reported():
    findings = check_required({"name": "n", "households": "h"}, "communities", layer="xq", columns=["n", "h"])
    assert {re.search(r"（(communities\.\w+)）", f.message)[1] for f in findings} == {
        "communities.population", "communities.built_year", "communities.area_type", "communities.n_buildings",
        "communities.floor_area_m2", "communities.subdistrict", "communities.shequ"}
    assert all(f.code == "missing_field" for f in findings)


def test_an_id_field_with_one_value_for_all_is_replaced_by_row_numbers():
    frame = gpd.GeoDataFrame({"Id": [0, 0, 0]}, geometry=[shapely.Point(0, 0)] * 3)
    out, findings = assign_feature_ids(frame, layer="x")
    assert list(out["feature_id"]) == ["1", "2", "3"]
    assert [(f.code, f.feature) for f in findings] == [("duplicate_id", "0")]
    assert "不能作编号" in findings[0].message
