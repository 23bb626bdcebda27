import pandas as pd
import pytest

from gisplanner.errors import InputError
from gisplanner.io.fields import detect_fields, parse_flag, parse_number, parse_year


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


def test_parse_year_reads_years_out_of_text():
    years = parse_year(pd.Series(["1987", "1990年代", "2003-05-01", None, 1995.0]))
    assert years.tolist()[:3] == [1987, 1990, 2003]
    assert years.isna().tolist() == [False, False, False, True, False]


def test_parse_number_reads_numbers_out_of_text():
    assert parse_number(pd.Series(["6", "6层", "18.5 m", "x"])).tolist()[:3] == [6.0, 6.0, 18.5]


def test_parse_flag_reads_osm_truth_values():
    assert parse_flag(pd.Series(["yes", "no", None, "1", "viaduct", "是"])).tolist() == [
        True, False, False, True, True, True]
