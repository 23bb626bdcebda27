"""The ledger: preconditions per province, the .xlsx round trip with findings, storage in the project."""

import ledger_data as fx
import openpyxl
import pandas as pd
import pytest

from gisplanner.errors import InputError
from gisplanner.ledger import (
    COLUMNS,
    check_preconditions,
    households_by_project,
    normalise,
    project_ledger,
    read_ledger_xlsx,
    seed_from_districts,
    write_ledger_xlsx,
)
from gisplanner.project import Project


def unmet(ledger, standards, city="harbin"):
    check = check_preconditions(ledger, fx.communities(), standards, city=city)
    return dict(zip(check.table["project_id"], check.table["unmet"]))


def test_all_preconditions_met_leave_nothing_unmet(standards):
    assert set(unmet(fx.ledger(), standards).values()) == {""}


def test_heilongjiang_requires_owners_committee_funding_and_management(standards):
    ledger = fx.ledger({(0, "owners_committee_formed"): False, (1, "resident_funding_agreed"): False,
                          (2, "management_model"): None})
    reasons = unmet(ledger, standards)
    assert reasons["D1"] == "业委会（物管会）未组建"
    assert reasons["D2"] == "居民出资未落实"
    assert reasons["D3"] == "后续管理模式未确定"


def test_qinghai_applies_only_the_national_preconditions(standards):
    ledger = fx.ledger({(0, "owners_committee_formed"): False, (1, "resident_funding_agreed"): False})
    assert set(unmet(ledger, standards, city="xining").values()) == {""}


def test_consent_below_the_configured_share_is_unmet(standards):
    share = standards.ledger.consent_min_share
    ledger = fx.ledger({(0, "consent_share"): share - 0.01, (1, "consent_share"): share,
                          (2, "consent_date"): None})
    reasons = unmet(ledger, standards, city="xining")
    assert reasons["D1"].startswith("居民改造意愿未达到67%")
    assert reasons["D2"] == ""
    assert reasons["D3"].startswith("居民改造意愿")  # a share without the date of the consultation is not proof


def test_prior_central_subsidy_and_post_2005_community_are_unmet(standards):
    ledger = fx.ledger({(0, "central_subsidy_before"): True, (1, "members"): "c3;c6"})
    reasons = unmet(ledger, standards, city="xining")
    assert reasons["D1"] == "已纳入过中央补助，不得重复申报"
    assert reasons["D2"] == "含2005年底后建成的小区"


def test_households_sum_the_member_communities():
    households = households_by_project(fx.ledger(), fx.communities())
    assert households.to_dict() == {"D1": 700.0, "D2": 700.0, "D3": 200.0}


def test_a_project_without_a_ledger_starts_with_its_districts_in_reserve(project):
    del project.tables["ledger"]
    ledger = project_ledger(project)
    assert ledger["project_id"].tolist() == ["D1", "D2", "D3"]
    assert ledger["members"].tolist() == ["c1;c2", "c3;c4", "c5"]
    assert set(ledger["phase"]) == {"reserve"}
    assert len(seed_from_districts(None, None)) == 0


def test_xlsx_round_trip_keeps_every_value(standards, tmp_path):
    ledger = fx.ledger({(1, "start_date"): "2025-05-01", (1, "notes"): "=SUM(A1)", (2, "fund_residents_wan"): 12.5})
    path = write_ledger_xlsx(ledger, tmp_path / "台账.xlsx", standards,
                             households=households_by_project(ledger, fx.communities()))
    back = read_ledger_xlsx(path, standards, community_ids=fx.communities()["feature_id"])
    assert back.findings == ()
    pd.testing.assert_frame_equal(back.ledger, ledger)


def test_headers_are_chinese_and_formula_text_stays_text(standards, tmp_path):
    ledger = fx.ledger({(0, "notes"): "=HYPERLINK(\"x\")"})
    path = write_ledger_xlsx(ledger, tmp_path / "台账.xlsx", standards)
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[1]] == list(COLUMNS.values())
    notes = sheet.cell(2, list(COLUMNS).index("notes") + 1)
    assert notes.data_type == "s" and notes.value == '=HYPERLINK("x")'


def write_rows(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目编号", "项目名称", "包含小区编号", "项目阶段", "计划年度", "居民改造意愿（同意户数占比%）",
                  "意愿征询日期", "居民出资已落实", "加装电梯（部）"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_chinese_cells_are_read(standards, tmp_path):
    path = write_rows(tmp_path / "t.xlsx", [["D1", "和平片区", "c1、c2", "谋划", "2025年", "85%", "2025年3月1日", "是", "2部"]])
    row = read_ledger_xlsx(path, standards).ledger.iloc[0]
    assert (row["phase"], row["plan_year"], row["consent_share"], row["consent_date"]) == (
        "planning", 2025, pytest.approx(0.85), "2025-03-01")
    assert row["members"] == "c1、c2" and row["kind"] == "district"
    assert bool(row["resident_funding_agreed"]) and row["elevators"] == 2


def test_bad_rows_are_reported_and_bad_cells_left_blank(standards, tmp_path):
    path = write_rows(tmp_path / "t.xlsx", [
        ["D1", "和平片区", "c1;c9", "实施中", 2025, 120, "2025-13-01", "也许", 1],
        [None, "无编号", "c3", "谋划", 2025, 80, None, "是", 0],
        ["D1", "重复", "c3", "谋划", 2025, 80, None, "是", 0],
    ])
    result = read_ledger_xlsx(path, standards, community_ids=fx.communities()["feature_id"])
    assert result.ledger["project_id"].tolist() == ["D1"]
    row = result.ledger.iloc[0]
    assert row["phase"] == "reserve" and pd.isna(row["consent_share"]) and row["consent_date"] is None
    assert row["resident_funding_agreed"] is pd.NA
    messages = [f.message for f in result.findings]
    codes = [f.code for f in result.findings]
    assert codes.count("bad_value") == 6 and "missing_field" in codes and "duplicate_id" in codes
    assert any("项目阶段" in m and "实施中" in m for m in messages)
    assert any("c9" in m for m in messages)


def test_a_sheet_without_the_id_column_is_refused(standards, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["名称"])
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="项目编号"):
        read_ledger_xlsx(tmp_path / "t.xlsx", standards)


def test_ledger_survives_save_and_load(project, tmp_path):
    project.save(tmp_path / "p.gpkg")
    back = Project.load(tmp_path / "p.gpkg")
    pd.testing.assert_frame_equal(normalise(back.tables["ledger"]), project.tables["ledger"])
