"""Default district names: the street that runs most along a district, else its largest community; unique."""

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, box

from gisplanner.analysis.district_names import district_names

CRS = "EPSG:32652"


def _communities():
    # four 100 m blocks in a row; 宣化小区 is the most populous of the first pair
    return gpd.GeoDataFrame({"feature_id": ["a", "b", "c", "d"], "name": ["文化小区", "宣化小区", "红军小区", "大成小区"],
                             "population": [800.0, 1200.0, 900.0, 500.0]},
                            geometry=[box(i * 100, 0, i * 100 + 90, 90) for i in range(4)], crs=CRS)


def _roads():
    return gpd.GeoDataFrame(
        {"name": ["宣化街", "小区内部道路", "红军街"], "highway": ["secondary", "residential", "footway"]},
        geometry=[LineString([(0, -10), (190, -10)]), LineString([(200, 45), (390, 45)]),
                  LineString([(200, 95), (390, 95)])], crs=CRS)


def test_named_after_the_street_along_the_district():
    names = district_names(_communities(), pd.Series(["D001", "D001", "D002", "D002"]), roads=_roads())
    assert names["D001"] == "宣化街片区"


def test_generic_and_footway_names_are_skipped_for_the_largest_community():
    names = district_names(_communities(), pd.Series(["D001", "D001", "D002", "D002"]), roads=_roads())
    assert names["D002"] == "红军片区"  # 内部道路 is generic, 红军街 a footway: 红军小区 (900) over 大成小区 (500)


def test_without_roads_the_largest_member_names_the_district():
    names = district_names(_communities(), pd.Series(["D001", "D001", "D002", "D002"]))
    assert names == {"D001": "宣化片区", "D002": "红军片区"}


def test_a_taken_name_moves_to_the_next_candidate_then_gets_an_ordinal():
    assignment = pd.Series(["D001", "D001", "D002", "D002"])
    names = district_names(_communities(), assignment, taken={"宣化片区"})
    assert names["D001"] == "文化片区"
    one = _communities().iloc[[1]]
    names = district_names(one, pd.Series(["D009"], index=one.index), taken={"宣化片区", "宣化片区二"})
    assert names == {"D009": "宣化片区三"}


def test_only_the_asked_districts_are_named():
    names = district_names(_communities(), pd.Series(["D001", "D001", "D002", "D002"]), only=["D002"])
    assert list(names) == ["D002"]


def test_demo_districts_get_unique_chinese_names():
    from gisplanner import workflow
    from gisplanner.demo import build_demo_project

    project = build_demo_project()
    workflow.run(project, "districts")
    names = project.results["districts"]["name"]
    assert names.is_unique and names.str.endswith("片区").all()
    assert not names.str.match(r"^D\\d+$").any()
