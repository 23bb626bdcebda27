"""What a district carries: stats, outline, flags, resources, gaps, content and costs."""

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from gisplanner.analysis.adjacency import community_adjacency
from gisplanner.analysis.bundling import DistrictRules
from gisplanner.analysis.district_tables import (
    district_content,
    district_gaps,
    district_resources,
    district_table,
    member_table,
    shortfall_reasons,
)
from gisplanner.analysis.districts import DistrictInputs, describe_plan
from gisplanner.analysis.eligibility import community_eligibility, eligibility_rules
from gisplanner.analysis.renovation import check_unit_costs, price_items
from gisplanner.errors import InputError
from gisplanner.standards import load_standards

STANDARDS = load_standards()

CRS = "EPSG:32652"


@pytest.fixture
def comm():
    """Three 100 m squares in a row, 10 m apart, and one far away."""
    geoms = [box(0, 0, 100, 100), box(110, 0, 210, 100), box(220, 0, 320, 100), box(2000, 0, 2100, 100)]
    return gpd.GeoDataFrame({
        "feature_id": ["a", "b", "c", "d"], "name": ["甲", "乙", "丙", "丁"],
        "households": [100.0, 300.0, np.nan, 50.0], "population": [250.0, 750.0, 500.0, 125.0],
        "population_estimated": [False, True, False, False],
        "built_year": pd.array([1985, 2003, None, 1990], dtype="Int64"),
        "n_buildings": [4, 6, 2, 1], "floor_area_m2": [8000.0, 24000.0, 5000.0, 4000.0],
    }, geometry=geoms, crs=CRS)


RULES = DistrictRules.from_standards(STANDARDS, min_population=500, max_population=1500, max_extent_m=500)


def table(comm, assignment, rules=RULES):
    return district_table(comm, pd.Series(assignment, index=comm.index, dtype="string"),
                          community_adjacency(comm), rules=rules).set_index("district_id")


def test_stats_are_sums_over_members(comm):
    d = table(comm, ["D1", "D1", "D2", None]).loc["D1"]
    assert (d["n_communities"], d["households"], d["population"]) == (2, 400.0, 1000.0)
    assert (d["n_buildings"], d["floor_area_m2"]) == (10, 32000.0)
    assert d["population_estimated"]


def test_share_built_before_2000_is_by_households_of_members_with_a_year(comm):
    d = table(comm, ["D1", "D1", "D1", None]).loc["D1"]
    # a (100 households, 1985) is old, b (300, 2003) is not, c has no year
    assert d["share_built_before_2000"] == pytest.approx(100 / 400)


def test_outline_closes_the_street_between_members(comm):
    d = table(comm, ["D1", "D1", None, None]).loc["D1"]
    assert d.geometry.geom_type == "Polygon"
    assert d.geometry.area == pytest.approx(210 * 100)


def test_extent_is_the_largest_centroid_distance(comm):
    d = table(comm, ["D1", "D1", "D1", None]).loc["D1"]
    assert d["extent_m"] == pytest.approx(220.0)


def test_flags_report_each_broken_constraint(comm):
    t = table(comm, ["D1", "D1", "D1", "D1"])
    # a far community makes it non-contiguous, 1,975 m wide and 1,625 people
    assert t.loc["D1", "violations"] == "above_max_population;extent_exceeded;not_contiguous"
    small = table(comm, ["D1", None, None, None])
    assert small.loc["D1", "violations"] == "below_min_population"


def test_members_table_lists_names(comm):
    members = member_table(comm, pd.Series(["D2", "D1", None, "D1"], dtype="string"))
    assert members.values.tolist() == [["D1", "b", "乙"], ["D1", "d", "丁"], ["D2", "a", "甲"]]


def test_resources_inside_and_within_reach(comm):
    districts = district_table(comm, pd.Series(["D1", "D1", None, None], dtype="string"),
                               community_adjacency(comm), rules=RULES)
    idle = gpd.GeoDataFrame({"feature_id": ["in", "near", "far"], "name": ["x", "y", "z"],
                             "area_m2": [np.nan, 400.0, 100.0], "status": [None, None, None]},
                            geometry=[box(10, 10, 30, 30), box(50, 160, 70, 180), box(50, 300, 60, 310)], crs=CRS)
    boilers = gpd.GeoDataFrame({"feature_id": ["b1"], "name": ["锅炉房"], "area_m2": [np.nan],
                                "status": ["decommissioned"]}, geometry=[Point(-80, 50)], crs=CRS)
    res = district_resources(districts, {"idle_land": idle, "boiler_rooms": boilers}, reach_m=100)
    got = res.set_index("resource_id")
    assert sorted(got.index) == ["b1", "in", "near"]
    assert got.loc["in", "distance_m"] == 0.0 and got.loc["in", "area_m2"] == pytest.approx(400.0)
    assert got.loc["near", "distance_m"] == pytest.approx(60.0)
    assert got.loc["b1", "distance_m"] == pytest.approx(80.0)
    assert np.isnan(got.loc["b1", "area_m2"]) and got.loc["b1", "status"] == "decommissioned"


def test_gaps_are_counted_per_type_and_level():
    members = pd.DataFrame({"district_id": ["D1", "D1", "D2"], "community_id": ["a", "b", "c"]})
    gaps = pd.DataFrame({"community_id": ["a", "b", "c", "b", "x"],
                         "facility_type": ["kindergarten", "kindergarten", "kindergarten", "clinic", "clinic"],
                         "level": ["lc5", "lc5", "lc5", "lc15", "lc15"],
                         "shortfall_m": [120.0, np.nan, 10.0, 300.0, 5.0],
                         "population": [250.0, 750.0, 500.0, 750.0, 9.0]})
    out = district_gaps(members, gaps)
    # b reaches no kindergarten at all (shortfall NA): counted, but not in the largest shortfall
    assert out.values.tolist() == [["D1", "clinic", "lc15", 1, 0, 750.0, 300.0],
                                   ["D1", "kindergarten", "lc5", 2, 1, 1000.0, 120.0],
                                   ["D2", "kindergarten", "lc5", 1, 0, 500.0, 10.0]]


def test_no_gap_analysis_gives_an_empty_table():
    assert district_gaps(pd.DataFrame({"district_id": ["D1"], "community_id": ["a"]}), None).empty


def _items(unit_costs=None):
    """Renovation items of communities a and b, ticked and priced as the planner's would be."""
    items = pd.DataFrame(
        [("a", "基础类", "roof", "屋面维修", "roof_m2", 1000.0, False, True),
         ("b", "基础类", "roof", "屋面维修", "roof_m2", 500.0, True, True),
         ("a", "基础类", "water_supply", "供水", "household", 200.0, False, True),
         ("b", "基础类", "water_supply", "供水", "household", 200.0, False, False),
         ("a", "提升类", "community_service", "社区综合服务设施", "community", 1.0, False, False)],
        columns=["community_id", "class_zh", "item", "item_zh", "unit", "quantity", "quantity_estimated",
                 "selected"])
    return price_items(items, unit_costs)


ROOF_ONLY = pd.DataFrame({"item": ["屋面维修"], "unit": ["roof_m2"], "unit_cost_yuan": [150.0]})


def test_content_sums_the_members_selected_items_by_item():
    members = pd.DataFrame({"district_id": ["D1", "D1"], "community_id": ["a", "b"]})
    content = district_content(members, _items(ROOF_ONLY)).set_index("item")
    assert list(content.index) == ["roof", "water_supply"]  # the unticked community_service is left out
    assert content.loc["roof", ["quantity", "n_communities", "cost_yuan"]].tolist() == [1500.0, 2, 1500 * 150.0]
    assert content.loc["roof", "quantity_estimated"]  # b's roof is an estimate
    assert content.loc["water_supply", "quantity"] == 200.0 and np.isnan(content.loc["water_supply", "cost_yuan"])


def test_unknown_cost_unit_is_refused_with_the_row():
    costs = pd.DataFrame({"item": ["供水"], "unit": ["per_km"], "unit_cost_yuan": [1.0]})
    with pytest.raises(InputError, match=r"第 2 行\] 未知的计价单位“per_km”"):
        check_unit_costs(costs, file="costs.csv")


def test_cost_table_without_its_columns_is_refused():
    with pytest.raises(InputError, match="item,unit,unit_cost_yuan"):
        check_unit_costs(pd.DataFrame({"item": ["供水"]}))


def test_outline_is_valid(comm):
    d = table(comm, ["D1", "D1", "D1", "D2"])
    assert shapely.is_valid(d.geometry.values).all()


def test_plan_cost_is_its_members_selected_items_and_blank_without_unit_costs(comm):
    base = DistrictInputs(comm, community_adjacency(comm), community_eligibility(comm, **eligibility_rules(STANDARDS)),
                          rules=RULES, items=_items())
    assignment = pd.Series(["D1", "D1", None, None], dtype="string")
    unpriced = describe_plan(base, assignment).districts.iloc[0]
    assert np.isnan(unpriced["cost_yuan"]) and unpriced["n_items_unpriced"] == 3  # a: roof, 供水; b: roof
    priced = describe_plan(dataclasses.replace(base, items=_items(ROOF_ONLY)), assignment).districts.iloc[0]
    # a: 1,000 m² × 150 (its 供水 has no price), b: 500 m² × 150
    assert priced["cost_yuan"] == 1000 * 150.0 + 500 * 150.0
    assert priced["n_items_unpriced"] == 1


def test_resource_beside_two_districts_is_listed_once_as_shared(comm):
    districts = district_table(comm, pd.Series(["D1", None, "D2", None], dtype="string"),
                               community_adjacency(comm), rules=RULES)
    # 50 m north of b (in no district), as far from a's corner (100, 100) as from c's (220, 100)
    boiler = gpd.GeoDataFrame({"feature_id": ["k1"], "status": ["decommissioned"]}, geometry=[Point(160, 150)],
                              crs=CRS)
    res = district_resources(districts, {"boiler_rooms": boiler}, reach_m=100)
    assert res[["district_id", "n_districts", "shared_with", "sharing"]].values.tolist() == [["D1", 2, "D2", "共享"]]
    assert res["distance_m"].tolist() == pytest.approx([np.hypot(60, 50)])


def test_a_resource_belongs_to_the_district_it_lies_in_before_a_nearer_outline(comm):
    districts = district_table(comm, pd.Series(["D1", "D2", None, None], dtype="string"),
                               community_adjacency(comm), rules=RULES)
    # mostly inside a (D1), poking into b (D2)
    parcel = gpd.GeoDataFrame({"feature_id": ["p1"]}, geometry=[box(60, 20, 110, 40)], crs=CRS)
    res = district_resources(districts, {"idle_land": parcel}, reach_m=100)
    assert res[["district_id", "shared_with"]].values.tolist() == [["D1", "D2"]]


def test_outline_covers_members_with_acute_corners():
    spike = Polygon([(0, 0), (100, 0), (100, 8)])   # a 4.6-degree corner at the origin
    comm = gpd.GeoDataFrame({"feature_id": ["s", "q"], "population": [1.0, 1.0]},
                            geometry=[spike, box(110, 0, 210, 100)], crs=CRS)
    d = district_table(comm, pd.Series(["D1", "D1"], dtype="string"), community_adjacency(comm), rules=RULES)
    assert d.geometry.iloc[0].covers(spike) and d.geometry.iloc[0].covers(box(110, 0, 210, 100))


def _adj(rows):
    """Adjacency rows (a, b, adjacent, barrier, barrier_name)."""
    return pd.DataFrame([{"community_a": a, "community_b": b, "gap_m": 20.0, "adjacent": ok, "barrier": kind,
                          "barrier_name": name} for a, b, ok, kind, name in rows])


def _reasons(adjacency, members, population, eligible=("a", "b", "c", "d")):
    rules = DistrictRules.from_standards(STANDARDS, min_population=5000, max_population=12000, street_gap_m=60)
    districts = pd.DataFrame({"district_id": sorted(set(members.values())),
                              "population": [sum(population[c] for c, d in members.items() if d == k)
                                             for k in sorted(set(members.values()))]})
    member_rows = pd.DataFrame({"district_id": list(members.values()), "community_id": list(members)})
    return dict(zip(districts["district_id"], shortfall_reasons(districts, member_rows, adjacency, eligible,
                                                                population, rules=rules), strict=True))


def test_a_small_district_cut_off_by_an_arterial_names_it():
    adjacency = _adj([("a", "b", False, "highway:primary", "红军街")])
    reasons = _reasons(adjacency, {"a": "D1", "b": "D2"}, {"a": 3000.0, "b": 9000.0})
    assert reasons == {"D1": "与相邻的符合条件小区被城市主干道红军街隔开", "D2": ""}


def test_a_small_district_without_eligible_neighbours_says_how_far_it_looked():
    reasons = _reasons(_adj([("a", "b", True, None, None)]), {"a": "D1"}, {"a": 3000.0, "b": 9000.0},
                       eligible=("a",))
    assert reasons["D1"].startswith("周边60米内") and "没有其他符合改造条件的小区" in reasons["D1"]


def test_a_small_neighbourhood_says_how_many_people_it_holds():
    reasons = _reasons(_adj([("a", "b", True, None, None)]), {"a": "D1", "b": "D2"}, {"a": 2000.0, "b": 1500.0})
    assert reasons["D1"] == "与其相连的符合条件小区合计只有3,500人，低于片区人口下限5,000人"


def test_a_small_district_beside_full_ones_names_them():
    reasons = _reasons(_adj([("a", "b", True, None, None)]), {"a": "D1", "b": "D2"}, {"a": 2000.0, "b": 11000.0})
    assert reasons["D1"].startswith("相邻片区（D2）并入后会超过人口上限12,000人")
