"""The joint-review round trip: form out, filled form in, every comment attached, the next export lists them."""

import datetime as dt

import openpyxl
import pytest

from gisplanner.errors import InputError
from gisplanner.export.package import export_plan_package, project_plan_layers
from gisplanner.export.review_form import (
    TABLE,
    addressed,
    attach_comments,
    form_rows,
    read_review_form,
    write_review_form,
)
from gisplanner.project import Project

COMMENTS = {"D1": ("片区东侧道路应纳入改造", "已将道路纳入基础类", "采纳"),
            "D2": ("户数需核实", None, "待定"),
            "D3": ("2003年建成小区比例偏高", "比例在15%以内，不调整", "不采纳")}


def fill(path, out, *, check_comment=("日照影响需征询居民", "已安排征询", "采纳"), extra=()):
    book = openpyxl.load_workbook(path)
    sheet = book["审查意见表"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header}
    for row in range(2, sheet.max_row + 1):
        kind, target = sheet.cell(row, col["对象类型"]).value, sheet.cell(row, col["对象编号"]).value
        values = COMMENTS.get(target) if kind == "片区" else check_comment
        for name, value in zip(("审查意见", "处理意见", "状态"), values):
            sheet.cell(row, col[name], value)
    for row in extra:
        sheet.append(row)
    book.save(out)
    return out


@pytest.fixture
def form(project, tmp_path):
    written = export_plan_package(project, tmp_path / "pkg", formats=["xlsx"], when=dt.date(2026, 12, 1))
    return next(p for p in written["xlsx"] if p.name == "review_form.xlsx")


def test_form_has_a_row_per_district_and_per_placement_check(project, form):
    rows = list(openpyxl.load_workbook(form)["审查意见表"].iter_rows(values_only=True))
    assert rows[0] == ("对象类型", "对象编号", "名称", "核查项", "核查项代码", "结论", "审查意见", "处理意见", "状态")
    assert [r[1] for r in rows[1:4]] == ["D1", "D2", "D3"]
    checks = [r for r in rows[1:] if r[0] == "设施核查"]
    assert len(checks) == len(project.placed_facilities[0]["verdicts"])
    assert {r[4] for r in checks} == {"check_size_site", "check_sunlight_neighbours", "check_land_use"}


def test_filled_form_round_trips_with_every_comment_attached(project, form, tmp_path):
    filled = fill(form, tmp_path / "filled.xlsx")
    result = read_review_form(filled, project_plan_layers(project))
    assert result.findings == ()
    table = attach_comments(None, result.comments, when=dt.datetime(2026, 12, 2, 9))
    assert len(table) == 3 + 3
    by_target = {(r.target_kind, r.target_id, r.check): r for r in table.itertuples()}
    for district, (comment, response, status) in COMMENTS.items():
        row = by_target[("district", district, "")]
        assert (row.comment, row.response) == (comment, response)
        assert row.status == {"采纳": "adopted", "待定": "pending", "不采纳": "rejected"}[status]
    assert by_target[("check", "P1", "check_sunlight_neighbours")].comment == "日照影响需征询居民"
    assert set(table["round"]) == {1}

    project.tables[TABLE] = table
    project.save(tmp_path / "p.gpkg")
    reloaded = Project.load(tmp_path / "p.gpkg")
    assert sorted(reloaded.tables[TABLE]["comment"]) == sorted(table["comment"])


def test_next_export_prefills_the_form_and_lists_what_was_addressed(project, form, tmp_path):
    comments = read_review_form(fill(form, tmp_path / "filled.xlsx"), project_plan_layers(project)).comments
    project.tables[TABLE] = attach_comments(None, comments)
    again = write_review_form(project_plan_layers(project), project.tables[TABLE], tmp_path / "again.xlsx")
    book = openpyxl.load_workbook(again)
    d1 = next(r for r in book["审查意见表"].iter_rows(values_only=True) if r[1] == "D1")
    assert d1[6:] == COMMENTS["D1"]
    handled = {(r[2], r[4] or ""): r[8] for r in book["意见处理情况"].iter_rows(min_row=2, values_only=True)}
    assert handled[("D1", "")] == "已处理"  # 采纳 with a response
    assert handled[("D2", "")] == "未处理"  # 待定
    assert handled[("D3", "")] == "已处理"  # 不采纳 with a reason
    assert addressed(project.tables[TABLE]).sum() == 2 + 3


def test_a_second_round_updates_answers_and_adds_new_comments(project, form, tmp_path):
    layers = project_plan_layers(project)
    first = attach_comments(None, read_review_form(fill(form, tmp_path / "a.xlsx"), layers).comments)
    COMMENTS_2 = {**COMMENTS, "D2": ("户数需核实", "已按房产登记核实", "采纳")}
    second_form = write_review_form(layers, first, tmp_path / "b.xlsx")
    book = openpyxl.load_workbook(second_form)
    sheet = book["审查意见表"]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "D2":
            row[7].value, row[8].value = COMMENTS_2["D2"][1], "采纳"
        if row[1].value == "D3":
            row[6].value, row[7].value, row[8].value = "请补充停车位测算", None, "待定"
    book.save(tmp_path / "b_filled.xlsx")
    second = attach_comments(first, read_review_form(tmp_path / "b_filled.xlsx", layers).comments)
    d2 = second[second["target_id"] == "D2"]
    assert len(d2) == 1 and d2.iloc[0]["status"] == "adopted" and d2.iloc[0]["round"] == 1
    d3 = second[second["target_id"] == "D3"].sort_values("round")
    assert d3["comment"].tolist() == ["2003年建成小区比例偏高", "请补充停车位测算"]
    assert d3["round"].tolist() == [1, 2]


def test_unknown_targets_and_bad_status_are_reported(project, form, tmp_path):
    filled = fill(form, tmp_path / "f.xlsx", check_comment=("意见", None, "同意"),
                  extra=[("片区", "D9", "不存在", "片区划定与改造内容", None, None, "请说明", None, "待定")])
    result = read_review_form(filled, project_plan_layers(project))
    messages = [f.message for f in result.findings]
    assert sum("状态“同意”" in m for m in messages) == 3
    assert any("D9" in m and "未挂接" in m for m in messages)
    assert "D9" not in set(result.comments["target_id"])
    assert set(result.comments.loc[result.comments["target_kind"] == "check", "status"]) == {"pending"}


def test_a_workbook_without_the_form_sheet_is_refused(project, tmp_path):
    book = openpyxl.Workbook()
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="审查意见表"):
        read_review_form(tmp_path / "x.xlsx", project_plan_layers(project))


def test_form_rows_follow_the_plan(project):
    rows = form_rows(project_plan_layers(project))
    assert rows["target_kind"].value_counts().to_dict() == {"district": 3, "check": 3}
