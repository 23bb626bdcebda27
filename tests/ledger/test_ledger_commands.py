"""The ledger, plan, notice, review and compare commands on a saved project."""

import ledger_data as fx
import openpyxl
import pytest

from gisplanner import cli
from gisplanner.project import Project


@pytest.fixture
def saved(project, tmp_path):
    return project.save(tmp_path / "p.gpkg")


def test_ledger_export_edit_import(saved, tmp_path, capsys):
    out = tmp_path / "台账.xlsx"
    assert cli.main(["ledger", str(saved), "--export", str(out)]) == 0
    assert "已导出台账：3 个项目（0 个有未满足的前提条件）" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("业委会（物管会）已组建") + 1, "否")
    sheet.cell(3, header.index("计划年度") + 1, "明年")
    book.save(out)
    assert cli.main(["ledger", str(saved), "--import", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "已导入台账：3 个项目，1 条提示" in printed and "“计划年度”的值 '明年' 无法识别" in printed
    ledger = Project.load(saved).tables["ledger"]
    assert not ledger.loc[0, "owners_committee_formed"]


def test_plan_prints_who_is_out_and_why(saved, tmp_path, capsys):
    project = Project.load(saved)
    project.tables["ledger"] = fx.ledger({(0, "owners_committee_formed"): False})
    project.save()
    assert cli.main(["plan", str(saved), "--year", "2025", "--budget", "500", "--out", str(tmp_path / "plan")]) == 0
    printed = capsys.readouterr().out
    assert "D1 和平片区：前提条件未满足：业委会（物管会）未组建" in printed
    assert "数据缺失" in printed
    assert (tmp_path / "plan" / "年度计划_2025.xlsx").exists() and (tmp_path / "plan" / "资金来源_2025.png").exists()


def test_notice_writes_the_pdf(saved, tmp_path, capsys):
    out = tmp_path / "公示_D2.pdf"
    assert cli.main(["notice", str(saved), "--project", "D2", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000 and "D2 的公示牌" in capsys.readouterr().out
    assert cli.main(["notice", str(saved), "--project", "D9", "--out", str(out)]) == 2


def test_review_import_attaches_and_counts(saved, tmp_path, capsys):
    assert cli.main(["export", str(saved), "--out", str(tmp_path / "pkg"), "--formats", "xlsx"]) == 0
    book = openpyxl.load_workbook(tmp_path / "pkg" / "review_form.xlsx")
    sheet = book["审查意见表"]
    sheet["G2"], sheet["H2"], sheet["I2"] = "请补充停车测算", "已补充", "采纳"
    sheet["G3"], sheet["I3"] = "户数需核实", "待定"
    book.save(tmp_path / "filled.xlsx")
    capsys.readouterr()
    assert cli.main(["review", str(saved), "--import", str(tmp_path / "filled.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "已挂接 2 条审查意见（采纳 1 条，不采纳 0 条，待定 1 条）" in printed and "已处理 1 条" in printed
    assert len(Project.load(saved).tables["review_comments"]) == 2


def test_compare_writes_table_and_map(saved, tmp_path, capsys):
    other = Project.load(saved)
    other.results["district_members"] = other.results["district_members"].iloc[:4]
    other.save(tmp_path / "b.gpkg")
    assert cli.main(["compare", str(saved), str(tmp_path / "b.gpkg"), "--out", str(tmp_path / "cmp")]) == 0
    printed = capsys.readouterr().out
    assert "覆盖居民户数：A 1,600，B 1,400，变化 -200" in printed
    assert (tmp_path / "cmp" / "方案比较.png").exists()
