import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gisplanner.errors import InputError
from gisplanner.export import tables
from gisplanner.export.tables import INVESTMENT, PERIODS, TOTAL

BEFORE, AFTER, ALL = PERIODS
CITY, COUNTY = tables.AREA_ROWS["city"], tables.AREA_ROWS["county"]


def test_plan_table_totals_equal_the_member_communities(plan):
    table = tables.plan_table(plan.communities).table
    members = plan.communities
    assert set(members["feature_id"]) == {"c1", "c2", "c3", "c4"}
    assert table.loc[TOTAL, ("小区数", ALL)] == len(members)
    assert table.loc[TOTAL, ("居民户数", ALL)] == pytest.approx(members["households"].sum())
    assert table.loc[TOTAL, ("楼栋数", ALL)] == members["n_buildings"].sum()
    assert table.loc[TOTAL, ("住宅建筑面积（万平方米）", ALL)] == pytest.approx(members["floor_area_m2"].sum() / 1e4)


def test_plan_table_splits_by_area_and_built_year(plan):
    table = tables.plan_table(plan.communities).table
    # by hand: c1 city 1988, c2 city 2003, c3 county 1995, c4 county year unknown
    assert table.loc[CITY, ("居民户数", BEFORE)] == 420.0
    assert table.loc[CITY, ("居民户数", AFTER)] == 300.0
    assert table.loc[COUNTY, ("居民户数", BEFORE)] == 510.5
    assert table.loc[COUNTY, ("小区数", AFTER)] == 0
    assert table.loc[COUNTY, ("住宅建筑面积（万平方米）", ALL)] == pytest.approx(4.91)
    assert table.loc[TOTAL, ("楼栋数", BEFORE)] == 13


def test_unknown_built_year_counts_in_total_only_and_is_noted(plan):
    result = tables.plan_table(plan.communities)
    row = result.table.loc[COUNTY]
    assert row[("小区数", BEFORE)] + row[("小区数", AFTER)] == 1
    assert row[("小区数", ALL)] == 2
    assert any("1 个小区建成年代不详" in note for note in result.notes)


def test_built_in_cutoff_year_counts_as_before():
    communities = pd.DataFrame({"area_type": ["city", "city"], "built_year": [2000, 2001], "households": [1, 2],
                                "n_buildings": [1, 1], "floor_area_m2": [100.0, 100.0]})
    table = tables.plan_table(communities).table
    assert table.loc[CITY, ("居民户数", BEFORE)] == 1
    assert table.loc[CITY, ("居民户数", AFTER)] == 2


def test_investment_is_blank_and_said_so_without_unit_costs(plan):
    result = tables.plan_table(plan.communities)
    assert result.table.loc[:, INVESTMENT].isna().all().all()
    assert tables.NO_COSTS_NOTE in result.notes


def test_investment_follows_the_unit_cost_table(plan, unit_costs):
    table = tables.plan_tables(plan, unit_costs=unit_costs).plan.table
    # c1 alone is city/before: 31,000 m² × 120 + 6 buildings × 500,000 + half of D1's 3,000,000 kindergarten
    assert table.loc[CITY, (INVESTMENT, BEFORE)] == pytest.approx((3_720_000 + 3_000_000 + 1_500_000) / 1e4)
    assert table.loc[TOTAL, (INVESTMENT, ALL)] == pytest.approx(
        (102_600 * 120 + 19 * 500_000 + 3_000_000) / 1e4)


def test_plan_table_investment_equals_the_priced_items(plan, unit_costs):
    result = tables.plan_tables(plan, unit_costs=unit_costs)
    assert result.plan.table.loc[TOTAL, (INVESTMENT, ALL)] == pytest.approx(result.items[INVESTMENT].sum())


def test_unit_cost_table_with_unknown_unit_is_rejected(plan, unit_costs):
    unit_costs.loc[1, "unit"] = "elevator"
    with pytest.raises(InputError, match="unknown unit 'elevator'"):
        tables.plan_tables(plan, unit_costs=unit_costs, file="costs.csv")


def test_area_type_outside_city_and_county_is_rejected(plan):
    communities = plan.communities.copy()
    communities.loc[communities.index[0], "area_type"] = "village"
    with pytest.raises(InputError, match="feature c1"):
        tables.plan_table(communities)


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
        "用地规模": "pass", "自身日照": "pass", "邻近住宅日照": "consult", "五分钟生活圈公共绿地": "warn",
        "用地性质": "pass"}
    assert set(checks["需征询居民意见"]) == {"是"}


def test_xlsx_reads_back_with_merged_national_header(plan, unit_costs, tmp_path):
    result = tables.plan_tables(plan, unit_costs=unit_costs)
    path = tables.write_xlsx(result, tmp_path / "plan.xlsx", title="计划表")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["计划表", "改造内容", "服务缺口", "设施核查"]
    sheet = book["计划表"]
    assert "B2:D2" in {str(r) for r in sheet.merged_cells.ranges}
    assert [sheet.cell(2, c).value for c in (2, 5, 8, 11, 14)] == list(tables.METRICS)
    assert [sheet.cell(3, c).value for c in (2, 3, 4)] == list(PERIODS)
    assert [sheet.cell(r, 1).value for r in (4, 5, 6)] == [CITY, COUNTY, TOTAL]
    assert sheet.cell(6, 4).value == 4  # 合计 小区数 合计
    assert sheet.cell(6, 7).value == pytest.approx(1350.5)
    assert book["服务缺口"].max_row == 1 + 3


def test_xlsx_says_when_a_table_is_empty(plan, tmp_path):
    empty = tables.PlanTables(plan=tables.plan_table(plan.communities), items=tables.district_items(plan),
                              gaps=tables.gap_list(plan).iloc[:0], checks=tables.facility_checks(plan))
    book = openpyxl.load_workbook(tables.write_xlsx(empty, tmp_path / "p.xlsx", title="t"))
    assert book["服务缺口"].cell(2, 1).value == "（无生活圈服务缺口）"


def test_csv_has_bom_and_reads_back(plan, tmp_path):
    paths = tables.write_csv(tables.plan_tables(plan), tmp_path)
    assert paths["gaps"].read_bytes().startswith(b"\xef\xbb\xbf")
    with paths["plan"].open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][1:4] == ["小区数"] * 3
    assert rows[1][1:4] == list(PERIODS)
    assert rows[-1][0] == TOTAL and float(rows[-1][3]) == 4
    assert tables.NO_COSTS_NOTE in paths["plan_notes"].read_text(encoding="utf-8")
