import csv

import numpy as np
import openpyxl
import pytest
from plan_data import items

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


def test_plan_table_of_a_plan_is_one_city_block_named_after_the_plan_city(plan, unpriced):
    table = tables.plan_tables(plan, unpriced).plan.table
    assert list(table.index.get_level_values(0).unique()) == [plan.city_zh, PROVINCE]
    np.testing.assert_array_equal(table.loc[plan.city_zh].to_numpy(), table.loc[PROVINCE].to_numpy())
    # by hand: c1 city 1988 420 households, c2 city 2003 300 households
    assert table.loc[(plan.city_zh, CITY), ("居民户数(户)", BEFORE)] == 420
    assert table.loc[(plan.city_zh, CITY), ("居民户数(户)", AFTER)] == 300


def test_plan_table_investment_cell_by_cell_from_the_communities_selected_items(plan, priced):
    """By hand, 万元 (roof 150 元/m², elevator 400,000 元/unit, 供水 unpriced; plan_data.ITEM_ROWS):
    c1 city 1988: 5,000 × 150 + 6 × 400,000 = 3,150,000 (its 供水 unpriced);  c2 city 2003: 3,000 × 150 = 450,000
    (its 供水 not ticked); c3 county 1995: 6,000 × 150 + 4 × 400,000 = 2,500,000; c4 county, year unknown: only
    供水, unpriced -> blank, not 0."""
    table = tables.plan_tables(plan, priced).plan.table
    county = AREA_ROWS["county"]
    expected = {
        (plan.city_zh, "全市小计:"): [565.0, 45.0, 610.0],
        (plan.city_zh, CITY): [315.0, 45.0, 360.0],
        (plan.city_zh, county): [250.0, np.nan, 250.0],
        TOTAL: [565.0, 45.0, 610.0],
        (PROVINCE, CITY): [315.0, 45.0, 360.0],
        (PROVINCE, county): [250.0, np.nan, 250.0],
    }
    for row, values in expected.items():
        np.testing.assert_allclose(table.loc[row, INVESTMENT].to_numpy(dtype=float), values, err_msg=str(row))
    detail = tables.plan_tables(plan, priced).plan.communities.set_index("feature_id")["investment_yuan"]
    assert detail[["c1", "c2", "c3"]].tolist() == [3_150_000.0, 450_000.0, 2_500_000.0]
    assert np.isnan(detail["c4"])


def test_plan_table_notes_say_where_costs_come_from(plan, priced):
    notes = "".join(tables.plan_tables(plan, priced, cost_source="costs.csv").plan.notes)
    assert "costs.csv" in notes and "没有工具默认单价" in notes
    assert "1 项没有单价，未计入投资额：供水" in notes
    assert "1 个小区没有已选改造内容或其已选改造内容均无单价，投资额留空" in notes  # c4
    assert "1 个小区的计价工程量（加装电梯单元（个））为估算" in notes  # c3's elevator units


def test_plan_table_investment_is_blank_without_unit_costs(plan, unpriced):
    result = tables.plan_tables(plan, unpriced)
    assert np.isnan(result.plan.table[INVESTMENT].to_numpy(dtype=float)).all()
    assert NO_COSTS_NOTE in result.plan.notes
    assert result.items[INVESTMENT].isna().all()


def test_plan_table_investment_equals_the_district_items(plan, priced):
    result = tables.plan_tables(plan, priced)
    assert result.plan.table.loc[TOTAL, (INVESTMENT, ALL)] == pytest.approx(result.items[INVESTMENT].sum())


def test_district_items_sum_the_members_selected_items_then_proposed_facilities(plan, priced):
    items = tables.district_items(plan, priced)
    d1 = items[items["片区编号"] == "D1"].set_index("改造内容")
    # c1 and c2 both ticked the roof: 8,000 m²; only c1 ticked 供水
    assert d1.loc["屋面维修", ["工程量", "涉及小区数"]].tolist() == [8_000.0, 2]
    assert d1.loc["屋面维修", INVESTMENT] == pytest.approx(8_000 * 150 / 1e4)
    assert d1.loc["供水", "工程量"] == 420.0 and np.isnan(d1.loc["供水", INVESTMENT])
    assert d1.loc["新建幼儿园 P1 <script>alert(1)</script>", "来源"] == "拟建设施"
    d2 = items[items["片区编号"] == "D2"].set_index("改造内容")
    assert d2.loc["有条件的楼栋加装电梯", ["单位", "工程量含估算"]].tolist() == ["加装电梯单元（个）", "是"]
    assert "c5" not in set(items["片区编号"])  # c5 is in no district


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


def test_xlsx_has_the_plan_table_then_the_item_sheets(plan, priced, tmp_path):
    result = tables.plan_tables(plan, priced)
    book = openpyxl.load_workbook(tables.write_xlsx(result, tmp_path / "plan.xlsx", province="黑龙江省"))
    assert book.sheetnames == ["计划表", "计划表小区明细", "改造内容", "服务缺口", "设施核查"]
    sheet = book["计划表"]
    assert sheet.cell(2, 1).value == "省(区、市)：黑龙江省"
    assert sheet.cell(12 - 3, 4 + 1).value == 4  # 全省合计 小区数 合计
    assert book["服务缺口"].max_row == 1 + 3


def test_xlsx_says_when_a_table_is_empty(plan, tmp_path):
    empty = tables.PlanTables(plan=tables.plan_tables(plan, items()).plan, items=tables.district_items(plan, items()),
                              gaps=tables.gap_list(plan).iloc[:0], checks=tables.facility_checks(plan))
    book = openpyxl.load_workbook(tables.write_xlsx(empty, tmp_path / "p.xlsx"))
    assert book["服务缺口"].cell(2, 1).value == "（无生活圈服务缺口）"


def test_csv_has_bom_and_reads_back(plan, tmp_path):
    paths = tables.write_csv(tables.plan_tables(plan, items()), tmp_path)
    assert paths["gaps"].read_bytes().startswith(b"\xef\xbb\xbf")
    with paths["plan"].open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][2:5] == ["小区数(个)"] * 3 and rows[0][-1] == "备注"
    assert rows[1][2:5] == list(PERIODS)
    assert rows[-3][:2] == list(TOTAL) and float(rows[-3][4]) == 4
    assert NO_COSTS_NOTE in paths["plan_notes"].read_text(encoding="utf-8")
