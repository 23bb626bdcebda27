import pandas as pd
import pytest

from gisplanner.errors import InputError
from gisplanner.io.fields import detect_fields, parse_flag


def test_chinese_community_fields_are_detected():
    mapping = detect_fields(["OBJECTID", "小区名称", "户数", "人口", "建成年代"], "communities")
    assert mapping == {"name": "小区名称", "households": "户数", "population": "人口", "built_year": "建成年代"}


@pytest.mark.parametrize("source", ["Floor", "层数", "building:levels", "levels"])
def test_floor_fields_are_detected_in_any_spelling(source):
    assert detect_fields(["id", source], "buildings")["floors"] == source


def test_user_mapping_overrides_the_guess():
    mapping = detect_fields(["name", "户数", "HU_2020"], "communities", overrides={"households": "HU_2020"})
    assert mapping["households"] == "HU_2020"


def test_mapping_to_a_missing_field_names_it_and_lists_the_fields():
    with pytest.raises(InputError, match="HU_2020") as err:
        detect_fields(["name", "户数"], "communities", overrides={"households": "HU_2020"}, layer="xq")
    assert "户数" in str(err.value) and err.value.layer == "xq"


def test_mapping_an_unknown_canonical_column_is_refused():
    with pytest.raises(InputError, match="colour"):
        detect_fields(["name"], "communities", overrides={"colour": "name"})


def test_parse_flag_reads_osm_truth_values():
    assert parse_flag(pd.Series(["yes", "no", None, "1", "viaduct", "是"])).tolist() == [
        True, False, False, True, True, True]


def test_the_national_table_headers_are_detected():
    columns = ["序号", "所属街道", "所属社区", "小区名称", "居民户数", "楼栋数", "住宅建筑面积", "竣工年份"]
    assert detect_fields(columns, "communities") == {
        "subdistrict": "所属街道", "shequ": "所属社区", "name": "小区名称", "households": "居民户数",
        "n_buildings": "楼栋数", "floor_area_m2": "住宅建筑面积", "built_year": "竣工年份"}


@pytest.mark.parametrize("role", ["boiler_rooms", "public_buildings", "idle_land"])
def test_resource_status_and_ownership_fields_are_detected(role):
    mapping = detect_fields(["名称", "现状", "产权单位"], role)
    assert (mapping["status"], mapping["ownership"]) == ("现状", "产权单位")
