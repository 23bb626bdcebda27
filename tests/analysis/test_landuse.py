import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from gisplanner.analysis import landuse
from gisplanner.analysis.landuse import LandUseCase
from gisplanner.errors import ConfigError, InputError
from gisplanner.standards import DecisionRow, PermitRule, load_standards

CRS = "EPSG:32652"


def _row(row_id, when, outcome, checks=()):
    return DecisionRow(row_id, when, outcome, (f"src-{row_id}",), tuple(checks), "U-inference", ("S-mnr2024",))


# A small table in the shape of standards §6.2: first match decides, a catch-all closes it.
TABLE = (
    _row("equipment", {"intervention": ["equipment"], "adds_far": False}, "no_permit"),
    _row("far", {"adds_far": True}, "statutory_procedure", ["green"]),
    _row("block", {"facility_levels": ["block"], "current_code_prefix": ["0701"]}, "compatible", ["sunlight"]),
    _row("conv", {"target_code_prefix": ["0702"], "current_code_prefix": ["0701", "0702"],
                  "intervention": ["conversion"]}, "conversion_local_rule", ["sunlight"]),
    _row("rest", {}, "statutory_procedure", ["green", "sunlight"]),
)


def _case(**kw):
    facts = {"intervention": "new", "target_code": "0702", "current_code": "0701", "facility_levels": ("lc5",)}
    facts.update(kw)
    return LandUseCase(**facts)


def _parcels(rows):
    """rows: (feature_id, geometry, lu_code, lu_code_planned)."""
    return gpd.GeoDataFrame({"feature_id": [r[0] for r in rows], "lu_code": [r[2] for r in rows],
                             "lu_code_planned": [r[3] for r in rows]},
                            geometry=[r[1] for r in rows], crs=CRS)


def test_first_matching_row_decides_even_when_a_later_row_also_matches():
    # Equipment on residential land with a block level also meets "block" and "rest".
    case = _case(intervention="equipment", facility_levels=("block",))
    assert landuse.decide(TABLE, case).id == "equipment"


def test_boolean_condition_must_equal_the_fact():
    assert landuse.decide(TABLE, _case(intervention="equipment", adds_far=True)).id == "far"


def test_code_prefix_matches_finer_codes():
    assert landuse.decide(TABLE, _case(intervention="conversion", current_code="070102")).id == "conv"


def test_code_condition_fails_on_an_unknown_code():
    assert landuse.decide(TABLE, _case(intervention="conversion", current_code=None)).id == "rest"


def test_level_condition_matches_any_shared_level():
    assert landuse.decide(TABLE, _case(facility_levels=("lc5", "block"))).id == "block"


def test_table_without_a_catch_all_is_a_config_error():
    with pytest.raises(ConfigError, match="`when` 为空的兜底行"):
        landuse.decide(TABLE[:1], _case())


def test_unknown_intervention_is_an_input_error():
    with pytest.raises(InputError, match="demolition"):
        landuse.decide(TABLE, _case(intervention="demolition"))


def test_parcels_under_skips_edge_slivers_and_sorts_by_overlap():
    parcels = _parcels([("a", box(0, 0, 100, 100), "0701", None), ("b", box(100, 0, 200, 100), "1401", None),
                        ("c", box(0, 100.5, 100, 200), "2301", None)])
    under = landuse.parcels_under(parcels, box(40, 0, 120, 100.51))  # 0.6 m² on c
    assert under["feature_id"].tolist() == ["a", "b"]
    assert under["overlap_m2"].tolist() == pytest.approx([6000, 2000])


def test_parcels_under_a_point_site():
    parcels = _parcels([("a", box(0, 0, 100, 100), "0701", None)])
    assert landuse.parcels_under(parcels, Point(50, 50))["feature_id"].tolist() == ["a"]


def test_decide_site_takes_the_most_demanding_parcel_and_lists_every_basis():
    parcels = _parcels([("res", box(0, 0, 100, 100), "070102", "0702"),
                        ("park", box(100, 0, 200, 100), "1401", "1401")])
    site = landuse.decide_site(TABLE, landuse.parcels_under(parcels, box(50, 0, 150, 100)),
                               intervention="conversion", target_code="0702", facility_levels=("lc5",))
    assert [(d.parcel_id, d.outcome) for d in site.parcels] == [("res", "conversion_local_rule"),
                                                                ("park", "statutory_procedure")]
    assert site.outcome == "statutory_procedure"
    assert site.parcel_id == "park"
    assert site.basis == ("src-conv", "src-rest")
    assert site.checks == ("sunlight", "green")


def test_decide_site_flags_a_missing_local_conversion_rule():
    parcels = _parcels([("res", box(0, 0, 100, 100), "0701", "0702")])
    args = {"intervention": "conversion", "target_code": "0702", "facility_levels": ("lc5",)}
    without = landuse.decide_site(TABLE, parcels, **args)
    with_rule = landuse.decide_site(TABLE, parcels, local_conversion_rule=True, **args)
    assert without.needs_local_rule and not with_rule.needs_local_rule
    assert without.plan_conforming is True


def test_plan_conformity_compares_planned_and_target_codes():
    parcels = _parcels([("a", box(0, 0, 10, 10), "0701", "08"), ("b", box(10, 0, 20, 10), "0701", "1401")])
    site = landuse.decide_site(TABLE, parcels, intervention="new", target_code="080404")
    assert [d.plan_conforming for d in site.parcels] == [True, False]
    assert site.plan_conforming is False


def test_plan_conformity_is_unknown_without_a_planned_code():
    parcels = _parcels([("a", box(0, 0, 10, 10), "0701", pd.NA)])
    assert landuse.decide_site(TABLE, parcels, intervention="new", target_code="0702").plan_conforming is None


def test_decide_site_without_parcels_uses_rows_blind_to_the_current_code():
    empty = _parcels([])
    assert landuse.decide_site(TABLE, empty, intervention="equipment", target_code=None).outcome == "no_permit"
    assert landuse.decide_site(TABLE, empty, intervention="conversion", target_code="0702").row_id == "rest"


HLJ = PermitRule("heilongjiang", ("harbin",), max_new_floor_area_m2=500, max_investment_wan_yuan=100,
                 status="U-local", source=("S-hlj",))


@pytest.mark.parametrize(("area", "investment", "required"), [
    (500, None, False), (501, 100, False), (501, 101, True), (501, None, None)])
def test_permit_threshold_is_area_or_investment(area, investment, required):
    result = landuse.construction_permit(HLJ, new_floor_area_m2=area, investment_wan_yuan=investment)
    assert result.required is required
    assert result.rule_id == "heilongjiang"


def test_no_permit_rule_means_unknown():
    assert landuse.construction_permit(None, new_floor_area_m2=10).required is None


def test_permit_rule_applies_only_to_its_cities():
    assert landuse.permit_rule_for([HLJ], "harbin") is HLJ
    assert landuse.permit_rule_for([HLJ], "suzhou") is None


@pytest.mark.parametrize(("status", "shown"), [("in_service", "在用"), ("unknown", "未知（需核实现状）"),
                                               (None, "不详"), (pd.NA, "不详")])
def test_boiler_room_not_out_of_use_is_refused_with_its_status(status, shown):
    assert f"锅炉房状态为“{shown}”，尚未停用" in landuse.decommission_refusal(status)


@pytest.mark.parametrize("status", ["decommissioned", "idle"])
def test_decommissioned_or_idle_boiler_room_is_not_refused(status):
    assert landuse.decommission_refusal(status) is None


# The shipped table (gisplanner/resources/standards/landuse.yaml) against the cases of standards §6.2: one case per row,
# each reaching its row through every row above it.
SHIPPED_CASES = [
    ("equipment", "no_permit", _case(intervention="equipment", target_code="0701", facility_levels=("block",))),
    ("elevator", "compatible", _case(intervention="elevator", target_code=None, facility_levels=())),
    ("adds_far_or_land", "statutory_procedure", _case(target_code="080404", adds_far=True)),
    ("new_construction_land", "statutory_procedure", _case(intervention="conversion",
                                                            new_construction_land=True)),
    ("idle_building_conversion", "defer_change", _case(intervention="conversion", current_code="1305",
                                                        site_kind="idle_boiler_room")),
    ("open_land_inside_community", "no_land_premium", _case(current_code="1401", inside_community=True)),
    ("green_or_square", "statutory_procedure", _case(current_code="1401", target_code="0702")),
    ("heating_conversion", "statutory_procedure", _case(intervention="conversion", current_code="1305",
                                                         target_code="080404")),
    ("block_service_in_housing", "compatible", _case(intervention="conversion", current_code="070102",
                                                      target_code="0701", facility_levels=("block",))),
    ("community_service_conversion", "conversion_local_rule", _case(intervention="conversion",
                                                                     current_code="070102")),
    ("idle_land_new", "statutory_procedure", _case(current_code="2301")),
    ("change_of_use", "statutory_procedure", _case(intervention="conversion", current_code="090101",
                                                    target_code="080404")),
]


@pytest.fixture(scope="module")
def shipped():
    return load_standards().landuse.decisions


def test_every_shipped_row_has_a_case(shipped):
    assert [row.id for row in shipped] == [case[0] for case in SHIPPED_CASES]


@pytest.mark.parametrize(("row_id", "outcome", "case"), SHIPPED_CASES, ids=[c[0] for c in SHIPPED_CASES])
def test_shipped_table_decides_each_case_of_the_spec(shipped, row_id, outcome, case):
    row = landuse.decide(shipped, case)
    assert (row.id, row.outcome) == (row_id, outcome)


def test_shipped_boiler_room_conversion_triggers_the_decommission_check(shipped):
    row = landuse.decide(shipped, _case(intervention="conversion", current_code="1305"))
    assert "decommissioned" in row.checks


def test_shipped_green_conversion_triggers_the_green_check(shipped):
    assert "green" in landuse.decide(shipped, _case(current_code="1402")).checks
