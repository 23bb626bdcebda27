"""The plan table in the shape of 建办城〔2021〕28号's 2022 plan table, checked cell by cell against a table
filled in by hand."""

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gisplanner.errors import InputError
from gisplanner.export import plan_table as pt

CITY_ROW, COUNTY_ROW = pt.AREA_ROWS["city"], pt.AREA_ROWS["county"]


def _communities(rows):
    return pd.DataFrame(rows, columns=["feature_id", "name", "area_type", "built_year", "households",
                                       "households_estimated", "n_buildings", "floor_area_m2", "plan_year"]
                        ).astype({"built_year": "Int64", "plan_year": "Int64"})


@pytest.fixture
def cities():
    """Two cities; a4 is planned for 2023, a5 was built after 2005, b2's year is unknown."""
    jia = _communities([
        ("a1", "一号院", "city", 1988, 420.0, False, 6, 31_000.0, 2022),
        ("a2", "二号院", "city", 2003, 300.4, True, 3, 0.0, 2022),  # no building data: 300 × 80 m², estimated
        ("a3", "三号院", "county", 1995, 510.5, True, 4, 40_100.0, 2022),
        ("a4", "四号院", "county", 1990, 100.0, False, 2, 9_000.0, 2023),
        ("a5", "五号院", "city", 2008, 50.0, False, 1, 4_000.0, 2022),
    ])
    yi = _communities([
        ("b1", "=HYPERLINK(\"x\")", "county", 1999, 0.3, True, 0, np.nan, 2022),  # one household, 80 m²
        ("b2", "六号院", "city", None, 200.0, False, 2, 15_000.0, 2022),
    ])
    return {"甲市": jia, "乙市": yi}


# 小区数, 居民户数, 楼栋数 (each 前/后/合计) then 住宅建筑面积 in 万平方米 (前/后/合计), filled in by hand from the
# fixture for plan year 2022 (a4 and a5 left out; b2 of unknown year in 合计 only).
HAND_2022 = {
    ("甲市", pt.CITY_SUBTOTAL): [2, 1, 3, 931, 300, 1231, 10, 3, 13, 7.11, 2.4, 9.51],
    ("甲市", CITY_ROW): [1, 1, 2, 420, 300, 720, 6, 3, 9, 3.1, 2.4, 5.5],
    ("甲市", COUNTY_ROW): [1, 0, 1, 511, 0, 511, 4, 0, 4, 4.01, 0, 4.01],
    ("乙市", pt.CITY_SUBTOTAL): [1, 0, 2, 1, 0, 201, 0, 0, 2, 0.008, 0, 1.508],
    ("乙市", CITY_ROW): [0, 0, 1, 0, 0, 200, 0, 0, 2, 0, 0, 1.5],
    ("乙市", COUNTY_ROW): [1, 0, 1, 1, 0, 1, 0, 0, 0, 0.008, 0, 0.008],
    (pt.PROVINCE, pt.PROVINCE_TOTAL): [3, 1, 5, 932, 300, 1432, 10, 3, 15, 7.118, 2.4, 11.018],
    (pt.PROVINCE, CITY_ROW): [1, 1, 3, 420, 300, 920, 6, 3, 11, 3.1, 2.4, 7.0],
    (pt.PROVINCE, COUNTY_ROW): [2, 0, 2, 512, 0, 512, 4, 0, 4, 4.018, 0, 4.018],
}


def test_table_equals_the_hand_filled_table_cell_by_cell(cities):
    table = pt.plan_table(cities, plan_year=2022).table
    assert list(table.index) == list(HAND_2022)
    for row, expected in HAND_2022.items():
        got = [table.loc[row, (metric, period)] for metric in pt.METRICS[:4] for period in pt.PERIODS]
        assert got[:9] == expected[:9], row
        assert got[9:] == pytest.approx(expected[9:], abs=1e-9), row
    assert table.loc[:, pt.INVESTMENT].isna().all().all()


def test_counts_are_integers(cities):
    table = pt.plan_table(cities, plan_year=2022).table
    for metric in pt.COUNTS:
        assert all(dtype == np.int64 for dtype in table[metric].dtypes)


def test_estimated_figures_are_marked_in_the_remarks_and_the_detail(cities):
    result = pt.plan_table(cities, plan_year=2022)
    assert result.remarks[("甲市", CITY_ROW)] == ("居民户数含估算（1个小区）；"
                                                 "住宅建筑面积含估算（1个小区无建筑数据，按80平方米/户）")
    assert result.remarks[("甲市", pt.CITY_SUBTOTAL)].startswith("居民户数含估算（2个小区）")
    assert result.remarks[("乙市", CITY_ROW)] == "建成年代不详1个小区，只计入合计"
    detail = pt.community_detail(result).set_index("小区编号")
    assert detail.loc["a2", "住宅建筑面积(平方米)"] == 24_000 and detail.loc["a2", "面积为估算"] == "是"
    assert detail.loc["a1", "面积为估算"] == "否"


def test_post_2000_share_is_checked_against_the_15_percent_cap(cities):
    notes = pt.plan_table(cities, plan_year=2022).notes
    assert any("占比 20.9%" in n and "超过上限" in n for n in notes)
    cities["甲市"].loc[1, "households"] = 100.0  # 100 / 1232 = 8.1 %
    notes = pt.plan_table(cities, plan_year=2022).notes
    assert any("占比 8.1%" in n and "未超过上限" in n for n in notes)


def test_communities_built_after_2005_are_left_out_and_counted_in_the_notes(cities):
    result = pt.plan_table(cities, plan_year=2022)
    assert "a5" not in set(result.communities["feature_id"])
    assert "1 个小区建成晚于2005年底，未计入本表。" in result.notes


def test_without_a_plan_year_every_eligible_community_counts_and_the_title_says_so(cities):
    cities["甲市"]["eligible"] = [True, True, True, True, False]
    result = pt.plan_table(cities)
    assert result.table.loc[(pt.PROVINCE, pt.PROVINCE_TOTAL), (pt.COMMUNITIES, pt.TOTAL)] == 6  # a4 now in
    assert "未设定计划年度" in result.title
    assert any("不是某一年度的计划任务" in n for n in result.notes)
    assert "1 个小区不符合改造条件，未计入本表。" in result.notes


def test_plan_year_without_the_field_is_a_clear_error(cities):
    cities["乙市"] = cities["乙市"].drop(columns="plan_year")
    with pytest.raises(InputError, match="乙市.*plan_year"):
        pt.plan_table(cities, plan_year=2022)


def test_area_type_outside_city_and_county_names_the_feature(cities):
    cities["甲市"].loc[0, "area_type"] = "village"
    with pytest.raises(InputError, match="要素 a1"):
        pt.plan_table(cities, plan_year=2022)


def test_investment_sums_in_wan_yuan_and_is_blank_without_prices(cities):
    cities["甲市"]["investment_yuan"] = [1_000_000.0, 500_000.0, np.nan, 0.0, 0.0]
    result = pt.plan_table(cities, plan_year=2022)
    table = result.table
    assert table.loc[("甲市", CITY_ROW), (pt.INVESTMENT, pt.BEFORE)] == 100.0
    assert table.loc[("甲市", CITY_ROW), (pt.INVESTMENT, pt.AFTER)] == 50.0
    assert table.loc[(pt.PROVINCE, pt.PROVINCE_TOTAL), (pt.INVESTMENT, pt.TOTAL)] == 150.0
    assert any("3 个小区无造价" in n for n in result.notes)  # a3 and both of 乙市
    assert pt.NO_COSTS_NOTE in pt.plan_table({"甲市": cities["乙市"]}, plan_year=2022).notes


def test_xlsx_has_the_header_rows_and_row_structure_of_001(cities, tmp_path):
    result = pt.plan_table(cities, plan_year=2022)
    path = pt.write_plan_xlsx(result, tmp_path / "plan.xlsx", province="黑龙江省")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["计划表", "计划表小区明细"]
    sheet = book["计划表"]
    assert sheet.cell(1, 1).value == "2022年城镇老旧小区改造计划表"
    assert sheet.cell(2, 1).value == "省(区、市)：黑龙江省"
    assert sheet.cell(3, 1).value == "联系人及电话："
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A4:A5", "B4:B5", "C4:E4", "F4:H4", "I4:K4", "L4:N4", "O4:Q4", "R4:R5",
            "A6:A8", "A9:A11", "A12:A14"} <= merged
    assert [sheet.cell(4, c).value for c in (1, 2, 3, 6, 9, 12, 15, 18)] == [
        "地级以上城市", "分类", "小区数(个)", "居民户数(户)", "楼栋数(栋)", "住宅建筑面积(万平方米)", "预计投资额(万元)",
        "备注"]
    assert [sheet.cell(5, c).value for c in range(3, 18)] == ["2000年底前", "2000年底后", "合计"] * 5
    assert [sheet.cell(r, 1).value for r in (6, 9, 12)] == ["甲市", "乙市", "全省(区、市)"]
    assert [sheet.cell(r, 2).value for r in range(6, 15)] == [
        "全市小计:", "1. 城市(建成区)", "2. 县城(城关镇)"] * 2 + ["全省(区、市)合计:", "1. 城市(建成区)", "2. 县城(城关镇)"]
    for r, expected in enumerate(HAND_2022.values(), start=6):
        assert [sheet.cell(r, c).value for c in range(3, 12)] == expected[:9]
        assert [sheet.cell(r, c).value for c in range(12, 15)] == pytest.approx(expected[9:], abs=1e-9)
        assert all(sheet.cell(r, c).value is None for c in range(15, 18))  # no unit costs: blank
    assert sheet.cell(7, 18).value.startswith("居民户数含估算")
    texts = [sheet.cell(r, 1).value for r in range(15, sheet.max_row + 1)]
    assert "省级财政部门盖章" in texts


def test_xlsx_writes_formula_like_names_as_text(cities, tmp_path):
    path = pt.write_plan_xlsx(pt.plan_table(cities, plan_year=2022), tmp_path / "plan.xlsx")
    detail = openpyxl.load_workbook(path)["计划表小区明细"]
    names = {detail.cell(r, 3).value: detail.cell(r, 3).data_type for r in range(2, detail.max_row + 1)}
    assert names['=HYPERLINK("x")'] == "s"


def test_empty_selection_gives_zero_rows_not_an_error(cities):
    result = pt.plan_table(cities, plan_year=1999)
    total = result.table.loc[(pt.PROVINCE, pt.PROVINCE_TOTAL)]
    assert total[(pt.COMMUNITIES, pt.TOTAL)] == 0
    assert math.isnan(total[(pt.INVESTMENT, pt.TOTAL)])


def test_detail_sheet_says_why_a_post_2000_community_is_in_the_plan(cities):
    cities["甲市"]["eligibility_basis"] = [None, "2003年建成，根据相邻小区、周边地区联动改造需要纳入", None, None, None]
    detail = pt.community_detail(pt.plan_table(cities, plan_year=2022)).set_index("小区编号")
    assert detail.loc["a2", "计入"] == pt.AFTER
    assert detail.loc["a2", "纳入依据"].endswith("联动改造需要纳入")
