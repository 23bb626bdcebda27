"""Chinese-format numbers and years, each with how far it can be trusted, and the plausibility limits."""

import pandas as pd
import pytest

from gisplanner.io.values import implausible, parse_number, parse_numbers, parse_year, parse_years
from gisplanner.standards import load_standards

LIMITS = load_standards().settings.plausibility  # 1900, 100 floors, 600 m, 2–8 m per storey, 30 ha


@pytest.mark.parametrize(("text", "value"), [
    ("1,200", 1200.0), ("12,000,000", 12e6), ("1.2万", 12000.0), ("三百户", 300.0), ("一千二百", 1200.0),
    ("两万", 20000.0), ("１２００", 1200.0), ("6层", 6.0), ("18.5米", 18.5), ("3.5万平方米", 35000.0),
    (12, 12.0), ("-50", -50.0),
])
def test_stated_numbers_are_read_exactly(text, value):
    parsed = parse_number(text)
    assert (parsed.value, parsed.flag) == (value, "exact")


@pytest.mark.parametrize("text", ["约300户", "300余户", "300多户", "300户左右", "近300户", "300+"])
def test_approximate_numbers_are_estimates(text):
    parsed = parse_number(text)
    assert (parsed.value, parsed.flag) == (300.0, "estimated")
    assert parsed.note


def test_a_range_is_an_estimate_at_its_midpoint():
    parsed = parse_number("300-400户")
    assert (parsed.value, parsed.flag, parsed.low, parsed.high) == (350.0, "estimated", 300.0, 400.0)


def test_area_units_are_converted_to_square_metres():
    assert parse_number("2.3公顷").value == pytest.approx(23000.0)
    assert parse_number("15亩").value == pytest.approx(10000.0)


def test_a_comma_that_does_not_group_thousands_is_ambiguous():
    assert parse_number("12,5").flag == "ambiguous"
    assert parse_number("12,5").value is None


def test_two_numbers_in_one_cell_are_ambiguous():
    assert parse_number("1,200户（2019年）").flag == "ambiguous"


@pytest.mark.parametrize(("text", "flag"), [("无", "missing"), ("不详", "missing"), ("—", "missing"),
                                            (None, "missing"), (float("nan"), "missing"), ("abc", "unparseable"),
                                            (True, "unparseable")])
def test_placeholders_are_missing_and_text_without_digits_unparseable(text, flag):
    assert parse_number(text).flag == flag
    assert parse_number(text).value is None


@pytest.mark.parametrize("text", ["1985", "1985年", "1985-05-01", "1985.05", "198505", "一九八五年", 1985,
                                  1985.0, "1985年建成"])
def test_stated_years_are_read_exactly(text):
    parsed = parse_year(text, now_year=2026)
    assert (parsed.value, parsed.flag) == (1985.0, "exact")


@pytest.mark.parametrize(("text", "year"), [("85年", 1985.0), ("八五年", 1985.0), (85, 1985.0), ("05年", 2005.0),
                                            ("约1985年", 1985.0), ("1998年前后", 1998.0)])
def test_two_digit_and_approximate_years_are_estimates(text, year):
    parsed = parse_year(text, now_year=2026)
    assert (parsed.value, parsed.flag) == (year, "estimated")


@pytest.mark.parametrize(("text", "low", "high"), [
    ("八十年代", 1980, 1989), ("2000年代", 2000, 2009), ("90年代", 1990, 1999), ("1980年代", 1980, 1989),
    ("1980s", 1980, 1989), ("上世纪80年代", 1980, 1989), ("二十世纪九十年代", 1990, 1999), ("80年代初", 1980, 1983),
    ("90年代末", 1997, 1999),
])
def test_a_decade_is_never_read_as_a_year(text, low, high):
    parsed = parse_year(text, now_year=2026)
    assert (parsed.value, parsed.flag, parsed.low, parsed.high) == (None, "ambiguous", low, high)


def test_a_year_range_and_phases_are_ambiguous_with_their_span():
    assert parse_year("1985-1990年").flag == "ambiguous"
    phases = parse_year("1985年、1992年")
    assert (phases.value, phases.low, phases.high) == (None, 1985.0, 1992.0)


def test_a_bound_keeps_its_open_side():
    before = parse_year("2000年以前")
    after = parse_year("2001年以后")
    assert (before.flag, before.low, before.high) == ("ambiguous", None, 2000.0)
    assert (after.flag, after.low, after.high) == ("ambiguous", 2001.0, None)


def test_implausible_years_are_read_as_written():
    assert parse_year("2099年").value == 2099.0


def test_columns_are_parsed_row_by_row_keeping_the_index():
    frame = parse_numbers(pd.Series(["1,200", "约300户", None, "x"], index=[10, 11, 12, 13]))
    assert frame.index.tolist() == [10, 11, 12, 13]
    assert frame["value"].tolist()[:2] == [1200.0, 300.0]
    assert frame["flag"].tolist() == ["exact", "estimated", "missing", "unparseable"]


def test_year_columns_leave_decades_empty_with_their_range():
    frame = parse_years(pd.Series(["1985年", "2000年代", 1990.0]), now_year=2026)
    assert frame["value"].isna().tolist() == [False, True, False]
    assert frame.loc[1, ["low", "high"]].tolist() == [2000.0, 2009.0]


def test_a_future_or_early_built_year_is_implausible():
    frame = pd.DataFrame({"built_year": [1985, 2099, 1850, None]})
    found = implausible(frame, LIMITS, now_year=2026)
    assert found["row"].tolist() == [1, 2]
    assert "晚于今年" in found["message"][0] and "1900" in found["message"][1]


def test_negative_counts_are_implausible():
    found = implausible(pd.DataFrame({"households": [-50, 300], "population": [10, -1]}), LIMITS)
    assert sorted(zip(found["field"], found["row"], strict=True)) == [("households", 0), ("population", 1)]


def test_more_than_a_hundred_floors_is_implausible():
    found = implausible(pd.DataFrame({"floors": [6, 101, 333333]}), LIMITS)
    assert found["row"].tolist() == [1, 2]


def test_height_and_floors_that_disagree_are_implausible():
    # 18 m / 6 floors = 3 m (fine); 60 m / 6 floors = 10 m; 6 m / 6 floors = 1 m.
    found = implausible(pd.DataFrame({"floors": [6, 6, 6], "height_m": [18.0, 60.0, 6.0]}), LIMITS)
    assert found["row"].tolist() == [1, 2]
    assert "平均层高10.0米" in found["message"][0]


def test_a_huge_height_is_reported_once_not_also_as_a_disagreement():
    found = implausible(pd.DataFrame({"floors": [6], "height_m": [1e6]}), LIMITS)
    assert found["field"].tolist() == ["height_m"]


def test_a_community_larger_than_the_limit_is_implausible():
    frame = pd.DataFrame({"households": [300, 13629]})
    found = implausible(frame, LIMITS, area_m2=pd.Series([50_000.0, 910_000.0]))
    assert found["row"].tolist() == [1] and "91.0公顷" in found["message"][0]


def test_plausible_values_give_an_empty_frame_with_the_columns():
    found = implausible(pd.DataFrame({"built_year": [1990], "floors": [6], "height_m": [18.0]}), LIMITS)
    assert found.empty and list(found.columns) == ["row", "field", "value", "message"]


def test_the_limits_come_from_the_standards_settings():
    limits = load_standards().settings.plausibility
    assert (limits.built_year_min, limits.floors_max) == (1900, 100)
    assert limits.community_area_max_m2 == 300_000
