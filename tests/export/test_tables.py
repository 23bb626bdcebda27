import csv

import numpy as np
import openpyxl
import pytest

from gisplanner.errors import InputError
from gisplanner.export import tables
from gisplanner.export.plan_table import (
    AREA_ROWS,
    INVESTMENT,
    NO_COSTS_NOTE,
    PERIODS,
    PROVINCE,
    PROVINCE_TOTAL,
)

BEFORE, AFTER, ALL = PERIODS
CITY = AREA_ROWS["city"]
TOTAL = (PROVINCE, PROVINCE_TOTAL)


def test_plan_table_of_a_plan_is_one_city_block_named_after_the_plan_city(plan):
    table = tables.plan_tables(plan).plan.table
    assert list(table.index.get_level_values(0).unique()) == [plan.city_zh, PROVINCE]
    np.testing.assert_array_equal(table.loc[plan.city_zh].to_numpy(), table.loc[PROVINCE].to_numpy())
    # by hand: c1 city 1988 420 households, c2 city 2003 300 households
    assert table.loc[(plan.city_zh, CITY), ("居民户数(户)", BEFORE)] == 420
    assert table.loc[(plan.city_zh, CITY), ("居民户数(户)", AFTER)] == 300


def test_investment_follows_the_unit_cost_table(plan, unit_costs):
    table = tables.plan_tables(plan, unit_costs=unit_costs).plan.table
    # c1 alone is city/before: 31,000 m² × 120 + 6 buildings × 500,000 + half of D1's 3,000,000 kindergarten
    assert table.loc[(PROVINCE, CITY), (INVESTMENT, BEFORE)] == pytest.approx((3_720_000 + 3_000_000 + 1_500_000) / 1e4)
    assert table.loc[TOTAL, (INVESTMENT, ALL)] == pytest.approx(
        (102_600 * 120 + 19 * 500_000 + 3_000_000) / 1e4)


def test_plan_table_investment_equals_the_priced_items(plan, unit_costs):
    result = tables.plan_tables(plan, unit_costs=unit_costs)
    assert result.plan.table.loc[TOTAL, (INVESTMENT, ALL)] == pytest.approx(result.items[INVESTMENT].sum())


def test_unit_cost_table_with_unknown_unit_is_rejected(plan, unit_costs):
    unit_costs.loc[1, "unit"] = "elevator"
    with pytest.raises(InputError, match="未知的计价单位“elevator”"):
        tables.plan_tables(plan, unit_costs=unit_costs, file="costs.csv")


def test_district_items_list_class_items_gaps_and_proposed_facilities(plan):
    items = tables.district_items(plan)
    d1 = items[items["片区编号"] == "D1"]
    gap_row = d1[d1["改造内容"] == "补齐幼儿园（生活圈缺口）"].iloc[0]
    assert gap_row["改造类别"] == "提升类"
    assert "新建幼儿园 P1 <script>alert(1)</script>" in set(d1["改造内容"])
    d2 = items[items["片区编号"] == "D2"]
    assert set(d2["来源"]) == {"改造清单"}  # D2 has no gaps and no proposed facility
    assert sorted(d2["改造内容"]) == sorted(["供水", "屋面、外墙、楼梯维修", "加装电梯"])
    assert items[INVESTMENT].isna().all()


def test_district_items_are_priced_with_district_quantities(plan, unit_costs):
    items = tables.district_items(plan, unit_costs=unit_costs)
    roof = items[(items["片区编号"] == "D2") & (items["改造内容"] == "屋面、外墙、楼梯维修")].iloc[0]
    assert roof["工程量"] == 40_100 + 9_000
    assert roof[INVESTMENT] == pytest.approx(49_100 * 120 / 1e4)
    assert np.isnan(items.loc[items["改造内容"] == "供水", INVESTMENT]).all()  # no price given


def test_gap_list_is_worst_first_with_unreachable_blank(plan):
    gaps = tables.gap_list(plan)
    assert list(gaps["小区编号"]) == ["c1", "c1", "c2"]  # c5 is in no district
    assert np.isnan(gaps["步行距离（米）"].iloc[0])  # unreachable elderly day care
    assert gaps["设施类型"].iloc[1] == "幼儿园"
    assert gaps["生活圈"].iloc[1] == "五分钟生活圈"


def test_facility_checks_have_one_row_per_verdict(plan):
    checks = tables.facility_checks(plan)
    assert dict(zip(checks["核查项"], checks["结论"])) == {
        "用地规模": "通过", "自身日照": "通过", "邻近住宅日照": "需征询居民意见", "五分钟生活圈公共绿地": "有条件",
        "用地性质": "通过"}
    assert set(checks["需征询居民意见"]) == {"是"}


def test_xlsx_has_the_plan_table_then_the_item_sheets(plan, unit_costs, tmp_path):
    result = tables.plan_tables(plan, unit_costs=unit_costs)
    book = openpyxl.load_workbook(tables.write_xlsx(result, tmp_path / "plan.xlsx", province="黑龙江省"))
    assert book.sheetnames == ["计划表", "计划表小区明细", "改造内容", "服务缺口", "设施核查"]
    sheet = book["计划表"]
    assert sheet.cell(2, 1).value == "省(区、市)：黑龙江省"
    assert sheet.cell(12 - 3, 4 + 1).value == 4  # 全省合计 小区数 合计
    assert book["服务缺口"].max_row == 1 + 3


def test_xlsx_says_when_a_table_is_empty(plan, tmp_path):
    empty = tables.PlanTables(plan=tables.plan_tables(plan).plan, items=tables.district_items(plan),
                              gaps=tables.gap_list(plan).iloc[:0], checks=tables.facility_checks(plan))
    book = openpyxl.load_workbook(tables.write_xlsx(empty, tmp_path / "p.xlsx"))
    assert book["服务缺口"].cell(2, 1).value == "（无生活圈服务缺口）"


def test_csv_has_bom_and_reads_back(plan, tmp_path):
    paths = tables.write_csv(tables.plan_tables(plan), tmp_path)
    assert paths["gaps"].read_bytes().startswith(b"\xef\xbb\xbf")
    with paths["plan"].open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][2:5] == ["小区数(个)"] * 3 and rows[0][-1] == "备注"
    assert rows[1][2:5] == list(PERIODS)
    assert rows[-3][:2] == list(TOTAL) and float(rows[-3][4]) == 4
    assert NO_COSTS_NOTE in paths["plan_notes"].read_text(encoding="utf-8")
