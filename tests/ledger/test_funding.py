"""Funding by source with the provincial subsidies, and the fiscal-capacity check."""

import ledger_data as fx
import numpy as np
import pandas as pd
import pytest

from gisplanner.funding import fiscal_check, funding_split, project_investment
from gisplanner.ledger import households_by_project
from gisplanner.workflow import set_renovation_choices


def split(standards, ledger, investment, province):
    households = households_by_project(ledger, fx.communities())
    return funding_split(ledger, households, investment, standards, province=province).set_index("project_id")


def test_qinghai_pays_15000_yuan_per_household_and_150000_per_elevator(standards):
    ledger = fx.ledger({(0, "fund_residents_wan"): 50.0})
    result = split(standards, ledger, pd.Series({"D1": 2000.0, "D2": 1000.0, "D3": 100.0}), "qinghai")
    d1 = result.loc["D1"]
    assert d1["central"] == pytest.approx(700 * 1.5)  # 700 households × 1.5万
    assert d1["provincial"] == pytest.approx(2 * 15.0)  # 2 elevators × 15万
    assert d1["residents"] == pytest.approx(50.0)
    assert d1["local"] == pytest.approx(2000 - 1050 - 30 - 50)
    assert "700户 × 1.5万元" in d1["note"] and "2部 × 15万元" in d1["note"]


def test_a_centrally_funded_project_gets_no_household_subsidy_again(standards):
    ledger = fx.ledger({(0, "central_subsidy_before"): True})
    d1 = split(standards, ledger, pd.Series({"D1": 2000.0, "D2": 1.0, "D3": 1.0}), "qinghai").loc["D1"]
    assert d1["central"] == 0.0 and d1["provincial"] == pytest.approx(30.0)
    assert "已纳入过中央补助" in d1["note"]


def test_heilongjiang_has_no_configured_subsidy(standards):
    result = split(standards, fx.ledger(), pd.Series({"D1": 500.0, "D2": 300.0, "D3": 100.0}), "heilongjiang")
    assert result["local"].tolist() == [500.0, 300.0, 100.0]
    assert (result[["central", "provincial"]] == 0).all().all()


def test_without_prices_local_money_and_total_stay_blank(standards):
    result = split(standards, fx.ledger(), None, "qinghai")
    assert result["local"].isna().all() and result["total_wan"].isna().all()
    assert result.loc["D2", "central"] == pytest.approx(1050.0)  # subsidies need no prices


def test_sources_above_the_investment_leave_local_at_zero_and_say_so(standards):
    result = split(standards, fx.ledger(), pd.Series({"D1": 100.0, "D2": 100.0, "D3": 100.0}), "qinghai")
    assert result.loc["D1", "local"] == 0.0
    assert "超出预计投资额" in result.loc["D1", "note"]


def test_fiscal_check_over_budget_names_the_excess(standards):
    result = split(standards, fx.ledger(), pd.Series({"D1": 500.0, "D2": 300.0, "D3": 100.0}), "heilongjiang")
    check = fiscal_check(result.reset_index(), standards, budget_wan=600.0)
    assert check.within is False
    assert check.verdict == "市县财政出资 900.00 万元，超出承受额度 600.00 万元 300.00 万元"
    by_source = dict(zip(check.by_source["source"], check.by_source["amount_wan"]))
    assert by_source["市县财政"] == 900.0 and by_source["合计"] == 900.0


def test_fiscal_check_without_prices_says_data_missing(standards):
    check = fiscal_check(split(standards, fx.ledger(), None, "qinghai").reset_index(), standards, budget_wan=600.0)
    assert check.within is None and check.verdict.startswith("数据缺失") and np.isnan(check.local_wan)


WATER = pd.DataFrame({"item": ["供水"], "unit": ["household"], "unit_cost_yuan": [1000.0]})


def _tick_water(project, ids):
    set_renovation_choices(project, {(c, "water_supply"): True for c in ids})


def test_project_investment_sums_the_members_selected_items(project):
    _tick_water(project, ["c1", "c2", "c3", "c4", "c5"])
    investment = project_investment(project, project.tables["ledger"], WATER)
    # households × 1,000 yuan: D1 (400 + 300) → 70万, D2 (500 + 200) → 70万, D3 (c5: 200) → 20万
    assert investment.to_dict() == pytest.approx({"D1": 70.0, "D2": 70.0, "D3": 20.0})
    assert project_investment(project, project.tables["ledger"], None) is None


def test_a_project_with_an_unpriced_member_is_left_blank_with_its_reason(project):
    _tick_water(project, ["c1", "c2", "c3", "c4", "c5"])
    ledger = fx.ledger({(2, "members"): "c5;c6"})  # nothing is ticked for c6: its cost is unknown, not 0
    investment = project_investment(project, ledger, WATER)
    assert np.isnan(investment["D3"]) and investment["D1"] == pytest.approx(70.0)
    d3 = split(project.standards(), ledger, investment, "heilongjiang").loc["D3"]
    assert np.isnan(d3["local"]) and "没有已选改造内容" in d3["note"]
