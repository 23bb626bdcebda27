"""Annual plan selection: phases, preconditions, priority, budget, the post-2000 cap, the plan table."""

import ledger_data as fx
import pandas as pd
import pytest

from gisplanner.annual_plan import priority_inputs, select_plan, write_plan
from gisplanner.export.plan_table import COMMUNITIES, HOUSEHOLDS, INVESTMENT, PROVINCE, PROVINCE_TOTAL, TOTAL


def select(standards, ledger, **kwargs):
    kwargs.setdefault("city", "harbin")
    return select_plan(ledger, fx.communities(), standards, year=2025, gaps=fx.gaps(), **kwargs)


def reasons(plan):
    return dict(zip(plan.selection["project_id"], plan.selection["reason"]))


def test_unmet_precondition_keeps_project_out_with_the_reason(standards):
    plan = select(standards, fx.ledger({(0, "owners_committee_formed"): False, (2, "consent_share"): 0.5}))
    assert plan.selected_ids == ["D2"]
    assert reasons(plan)["D1"] == "前提条件未满足：业委会（物管会）未组建"
    assert reasons(plan)["D3"].startswith("前提条件未满足：居民改造意愿未达到67%")


def test_reserve_completed_and_other_years_stay_out(standards):
    plan = select(standards, fx.ledger({(0, "phase"): "reserve", (1, "phase"): "completed", (2, "plan_year"): 2026}))
    assert plan.selected_ids == []
    assert reasons(plan) == {"D1": "项目阶段为储备，需先转入谋划", "D2": "项目阶段为完工", "D3": "计划年度为2026年"}


def test_priority_inputs_are_gaps_households_and_weighted_age():
    inputs = priority_inputs(fx.ledger(), fx.communities(), fx.gaps(), year=2025)
    assert inputs["gaps"].tolist() == [3, 1, 0]
    assert inputs["households"].tolist() == [700.0, 700.0, 200.0]
    # D1: (1985·400 + 1990·300) / 700 = 1987.142857…
    assert inputs["age_years"].tolist() == pytest.approx([2025 - 1987.142857, 2025 - 1995.857143, 22.0])


def test_priority_is_the_weighted_sum_of_scaled_inputs(standards):
    plan = select(standards, fx.ledger(), city="xining")
    priority = dict(zip(plan.selection["project_id"], plan.selection["priority"]))
    age_d2 = (29.142857 - 22.0) / (37.857143 - 22.0)
    assert priority["D1"] == pytest.approx(1.0)
    assert priority["D2"] == pytest.approx(0.4 / 3 + 0.3 + 0.3 * age_d2, abs=1e-4)
    assert priority["D3"] == pytest.approx(0.0)


def test_budget_takes_projects_in_priority_order(standards):
    investment = pd.Series({"D1": 500.0, "D2": 300.0, "D3": 100.0})
    plan = select(standards, fx.ledger(), investment_wan=investment, budget_wan=850.0)
    assert plan.selected_ids == ["D1", "D2"]
    assert reasons(plan)["D3"] == "超出财政承受能力：市县财政需 100.00 万元，额度余 50.00 万元"
    assert plan.fiscal.within is True and plan.fiscal.local_wan == pytest.approx(800.0)


def test_post_2000_households_are_capped_at_15_percent(standards):
    # D2 + D3: c5 (2003) holds 200 of 900 households = 22 % > 15 %, so D3 (lowest priority) leaves
    plan = select(standards, fx.ledger({(0, "resident_funding_agreed"): False}))
    assert plan.selected_ids == ["D2"]
    assert "15%" in reasons(plan)["D3"]
    assert plan.post2000_share == 0.0
    # with D1 in: 200 of 1600 households = 12.5 %, within the cap
    plan = select(standards, fx.ledger())
    assert plan.selected_ids == ["D1", "D2", "D3"] and plan.post2000_share == pytest.approx(0.125)


def test_plan_table_counts_the_selected_communities(standards):
    plan = select(standards, fx.ledger({(2, "phase"): "reserve"}), investment_wan=pd.Series(
        {"D1": 500.0, "D2": 300.0, "D3": 100.0}))
    row = plan.plan_table.table.loc[(PROVINCE, PROVINCE_TOTAL)]
    assert row[(COMMUNITIES, TOTAL)] == 4
    assert row[(HOUSEHOLDS, TOTAL)] == 1400
    assert row[(INVESTMENT, TOTAL)] == pytest.approx(800.0)
    assert plan.plan_table.title == "2025年城镇老旧小区改造计划表"


def test_written_plan_has_the_plan_table_selection_funding_and_chart(standards, tmp_path):
    import openpyxl

    plan = select(standards, fx.ledger(), budget_wan=100.0)
    written = write_plan(plan, tmp_path, standards, title="测试")
    book = openpyxl.load_workbook(written["xlsx"])
    assert book.sheetnames == ["计划表", "计划表小区明细", "项目遴选", "资金筹措", "财政承受能力"]
    assert book["计划表"]["A1"].value == "2025年城镇老旧小区改造计划表"
    verdicts = [c.value for c in book["财政承受能力"]["A"] if c.value]
    assert verdicts[-1].startswith("数据缺失")
    assert written["chart"].stat().st_size > 10_000
