"""Renovation content per province and per community, on small hand-made communities."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from gisplanner.analysis import renovation
from gisplanner.errors import InputError
from gisplanner.standards import load_standards


@pytest.fixture(scope="module")
def standards():
    return load_standards()


def _catalogue(standards, city):
    return renovation.load_catalogue(standards.raw["renovation"], standards.raw["sources"]["quotes"], city)


@pytest.fixture(scope="module")
def harbin(standards):
    return _catalogue(standards, "harbin")


def _names(catalogue):
    return {item.zh for item in catalogue.items}


def test_harbin_uses_heilongjiangs_own_items(harbin):
    assert harbin.key == "heilongjiang" and harbin.province_zh == "黑龙江省"
    assert {"外墙保温及粉刷", "屋面保温及防水", "楼梯间窗更换", "广电", "5G设施", "应急避难场所"} <= _names(harbin)
    basic = {i.zh for i in harbin.items if i.renovation_class == "basic"}
    assert "楼梯间窗更换" in basic and "5G设施" not in basic
    assert harbin.items[0].quotes[0][:2] == ("D000", "三（一）")


def test_each_province_gets_its_document_and_others_the_national_list(standards):
    assert _catalogue(standards, "xining").key == "qinghai"
    assert "托幼" in _names(_catalogue(standards, "xining"))
    assert "“+海绵”设施改造" in _names(_catalogue(standards, "hangzhou"))
    national = _catalogue(standards, "beijing")
    assert national.key == "national" and national.province_zh is None
    assert "广电" not in _names(national) and "外墙维修" in _names(national)


def test_building_quantities_of_a_walk_up_by_hand():
    b = gpd.GeoDataFrame({"floors": [6.0]}, geometry=[box(0, 0, 40, 10)], crs=32652)
    q = renovation.building_quantities(b, floor_height_m=3.0, unit_length_m=13.0)
    row = q.iloc[0]
    assert row["roof_m2"] == pytest.approx(400.0)
    assert row["facade_m2"] == pytest.approx(100.0 * 18.0)  # perimeter × 6 floors × 3 m
    assert row["units"] == 3 and row["units_estimated"]  # 40 m ÷ 13 m, rounded


def test_recorded_units_are_used_as_given():
    b = gpd.GeoDataFrame({"floors": [5.0], "height_m": [16.0], "units": [4]}, geometry=[box(0, 0, 40, 10)], crs=32652)
    row = renovation.building_quantities(b).iloc[0]
    assert row["units"] == 4 and not row["units_estimated"]
    assert row["facade_m2"] == pytest.approx(100.0 * 16.0)


@pytest.fixture
def estate():
    communities = pd.DataFrame({"feature_id": ["c1", "c2"], "households": [72.0, 30.0], "n_buildings": [2, 1],
                                "roof_poor": [True, False]})
    buildings = gpd.GeoDataFrame({
        "community_id": ["c1", "c1", "c2"], "floors": [6.0, 3.0, 6.0], "use": "residential",
        "has_elevator": pd.array([False, False, pd.NA], dtype="boolean")},
        geometry=[box(0, 0, 40, 10), box(0, 20, 26, 30), box(100, 0, 126, 10)], crs=32652)
    return communities, buildings


def _item(items, community, key):
    return items[(items["community_id"] == community) & (items["item"] == key)].iloc[0]


def test_condition_fields_decide_items_and_say_why(harbin, estate):
    items = renovation.community_items(*estate[:1], harbin, buildings=estate[1])
    roof = _item(items, "c1", "roof")
    assert roof["needed"] is True and roof["reason"] == "屋面破损、漏水或无保温：是"
    assert roof["quantity"] == pytest.approx(400.0 + 260.0) and roof["unit"] == "roof_m2"
    assert _item(items, "c2", "roof")["needed"] is False
    facade = _item(items, "c1", "facade")  # no facade_poor field
    assert facade["needed"] is None and facade["needed_zh"] == "待核实"
    assert "facade_poor" in facade["reason"]
    assert roof["basis"] == "D000 三（一）" and "屋面保温及防水" in roof["quote"]


def test_elevator_need_comes_from_floors_without_elevator(harbin, estate):
    items = renovation.community_items(estate[0], harbin, buildings=estate[1])
    lift = _item(items, "c1", "elevator")
    assert lift["needed"] is True and lift["reason"] == "1栋4层及以上住宅无电梯"
    assert lift["quantity"] == 3  # the 6-floor building's three stairwells; the 3-floor one needs none
    unknown = _item(items, "c2", "elevator")
    assert unknown["needed"] is None and "未记录是否有电梯" in unknown["reason"]


def test_upgrade_items_follow_life_circle_gaps(harbin, estate):
    gaps = pd.DataFrame({"community_id": ["c2"], "facility_type": ["kindergarten"]})
    items = renovation.community_items(estate[0], harbin, buildings=estate[1], gaps=gaps)
    assert _item(items, "c2", "education")["needed"] is True
    assert _item(items, "c1", "education")["needed"] is False
    assert _item(renovation.community_items(estate[0], harbin), "c1", "education")["needed"] is None


def test_costs_stay_blank_without_prices_and_follow_quantities_with_them(harbin, estate):
    items = renovation.community_items(estate[0], harbin, buildings=estate[1])
    assert renovation.price_items(items, None)["cost_yuan"].isna().all()
    costs = pd.DataFrame({"item": ["屋面保温及防水"], "unit": ["roof_m2"], "unit_cost_yuan": [150.0]})
    priced = renovation.price_items(items, costs)
    assert _item(priced, "c1", "roof")["cost_yuan"] == pytest.approx(660.0 * 150.0)
    assert np.isnan(_item(priced, "c1", "facade")["cost_yuan"])


def test_price_with_the_wrong_unit_is_a_clear_error(harbin, estate):
    items = renovation.community_items(estate[0], harbin, buildings=estate[1])
    costs = pd.DataFrame({"item": ["roof"], "unit": ["household"], "unit_cost_yuan": [150.0]})
    with pytest.raises(InputError, match="roof_m2"):
        renovation.price_items(items, costs, file="costs.csv")


def test_planner_ticks_override_the_rule(harbin, estate):
    items = renovation.community_items(estate[0], harbin, buildings=estate[1])
    chosen = renovation.apply_choices(items, {("c1", "roof"): False, ("c1", "facade"): True})
    assert not _item(chosen, "c1", "roof")["selected"] and _item(chosen, "c1", "facade")["selected"]
    assert not _item(chosen, "c2", "roof")["selected"]  # not needed and not ticked
    assert _item(chosen, "c1", "roof")["chosen_by_planner"]


def test_building_count_comes_from_the_residential_buildings(harbin, estate):
    communities, buildings = estate
    items = renovation.community_items(communities, harbin, buildings=buildings)
    assert _item(items, "c1", "fire_safety")["quantity"] == 2 and _item(items, "c2", "fire_safety")["quantity"] == 1
    without = renovation.community_items(communities, harbin)
    assert _item(without, "c1", "fire_safety")["quantity"] == 2  # n_buildings
    assert not _item(items, "c1", "fire_safety")["quantity_estimated"]
    assert _item(items, "c1", "stairwell")["quantity_estimated"]  # stairwells from building length


def _slab(**columns):
    """One 40 × 10 m, 6-floor block b1 of community c1 with a 20 × 10 m, 6-floor neighbour b2."""
    return gpd.GeoDataFrame({"feature_id": ["b1", "b2"], "floors": [6.0, 6.0], "community_id": ["c1", "c1"],
                             **columns}, geometry=[box(0, 0, 40, 10), box(0, 30, 20, 40)], crs=32652)


#: 5 sills on floor 1 (10 m of wall at 2 m spacing) and 20 on floor 2 (40 m) of b1.
SILLS = pd.DataFrame({"building_id": ["b1"] * 25, "floor": [1] * 5 + [2] * 20})


def test_affected_dwellings_from_recorded_households_are_exact():
    # 24 户 over 6 floors: 4 a floor sharing 40 m, 10 m each -> floor 1: 10 m -> 1; floor 2: 40 m -> 4
    assert renovation.affected_dwellings(SILLS, _slab(households=[24.0, 12.0]), spacing_m=2.0) == (
        1 + 4, ("households",))


def test_affected_dwellings_from_units_times_floors_times_dwellings_per_landing():
    # 2 单元 × 2 户 a landing: 4 a floor, 10 m each, as with 24 recorded households
    assert renovation.affected_dwellings(SILLS, _slab(units=[2.0, 1.0]), spacing_m=2.0,
                                         households_per_unit_floor=2.0) == (1 + 4, ("units",))


def test_affected_dwellings_share_the_community_households_by_floor_area():
    communities = pd.DataFrame({"feature_id": ["c1"], "households": [72.0]})
    # b1 2,400 m² of 3,600 m² -> 48 户, 8 a floor, 5 m each: floor 1: 10 m -> 2; floor 2: 40 m -> 8
    assert renovation.affected_dwellings(SILLS, _slab(), communities, spacing_m=2.0) == (2 + 8, ("community",))


def test_affected_dwellings_fall_back_to_the_frontage_default_only_without_data():
    # no 户数, 单元数 or community households: 40 m ÷ 13 m -> 3 units × 2 = 6 a floor, 6.67 m each
    # floor 1: 10 m -> 2; floor 2: 40 m -> 6
    communities = pd.DataFrame({"feature_id": ["c9"], "households": [72.0]})  # another community's
    assert renovation.affected_dwellings(SILLS, _slab(), communities, spacing_m=2.0) == (2 + 6, ("frontage",))
    assert renovation.affected_dwellings(SILLS.iloc[:0], _slab(), spacing_m=2.0) == (0, ())


def test_building_dwellings_take_the_best_data_building_by_building():
    b = _slab(households=[24.0, np.nan], units=[np.nan, 1.0])
    q = renovation.building_dwellings(b, pd.DataFrame({"feature_id": ["c1"], "households": [72.0]}))
    assert list(q["method"]) == ["households", "units"]
    assert list(q["dwellings"]) == [24.0, 1 * 6 * 2]
