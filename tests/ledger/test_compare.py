"""Comparing two district plans: districts changed, households, gaps closed, cost, the table and the map."""

import geopandas as gpd
import ledger_data as fx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from gisplanner.compare import community_change, compare_plans, plan_summary, write_comparison
from gisplanner.errors import InputError


@pytest.fixture
def plan_b():
    """c2 moves from D1 to D2, D3 (c5) is dropped, D4 (c6) is new; districts priced."""
    p = fx.project()
    p.store_results({"district_members": pd.DataFrame({"district_id": ["D1", "D2", "D2", "D2", "D4"],
                                                       "community_id": ["c1", "c2", "c3", "c4", "c6"]})})
    p.store_results({"districts": gpd.GeoDataFrame(
        {"district_id": ["D1", "D2", "D4"], "name": ["和平", "奋斗", "芦家"], "cost_yuan": [1e6, 2e6, 5e5]},
        geometry=[box(fx.X0, fx.Y0, fx.X0 + 100, fx.Y0 + 100), box(fx.X0 + 110, fx.Y0, fx.X0 + 430, fx.Y0 + 100),
                  box(fx.X0 + 550, fx.Y0, fx.X0 + 650, fx.Y0 + 100)], crs=fx.CRS)})
    return p


@pytest.fixture
def comparison(project, plan_b):
    return compare_plans(plan_summary(project, "修改前"), plan_summary(plan_b, "修改后"))


def test_metrics_side_by_side(comparison):
    m = comparison.metrics.set_index("指标")
    assert m.loc["片区数"].tolist() == [3.0, 3.0, 0.0]
    assert m.loc["覆盖小区数"].tolist() == [5.0, 5.0, 0.0]
    assert m.loc["覆盖居民户数"].tolist() == [1600.0, 1550.0, -50.0]
    assert m.loc["补齐缺口数"].tolist() == [4.0, 4.0, 0.0]  # c1: 3, c3: 1 in both plans
    assert np.isnan(m.loc["预计投资额（万元）", "方案A"]) and m.loc["预计投资额（万元）", "方案B"] == 350.0


def test_districts_are_matched_by_id(comparison):
    d = comparison.districts.set_index("片区编号")
    assert d["状态"].to_dict() == {"D1": "调整", "D2": "调整", "D3": "取消", "D4": "新增"}
    assert d.loc["D1", "移出的小区"] == "c2" and d.loc["D2", "增加的小区"] == "c2"
    assert d.loc["D2", ["方案A户数", "方案B户数"]].tolist() == [700.0, 1000.0]


def test_community_changes_are_listed_and_coloured(comparison):
    c = comparison.communities.set_index("小区编号")["变化"].to_dict()
    assert c == {"c2": "换了片区", "c5": "移出", "c6": "新纳入"}
    assert community_change(comparison).to_dict() == {"c1": "同一片区", "c2": "换了片区", "c3": "同一片区",
                                                      "c4": "同一片区", "c5": "移出", "c6": "新纳入"}


def test_written_table_and_map(comparison, tmp_path):
    written = write_comparison(comparison, tmp_path)
    book = openpyxl.load_workbook(written["xlsx"])
    assert book.sheetnames == ["指标对比", "片区变化", "小区变化"]
    notes = [r[0] for r in book["指标对比"].iter_rows(values_only=True)]
    assert "方案A：修改前" in notes and any(n and "数据缺失" in n for n in notes)
    assert written["map"].stat().st_size > 20_000


def test_a_project_without_districts_is_refused(project):
    del project.results["districts"]
    with pytest.raises(InputError, match="没有片区方案"):
        plan_summary(project, "A")
