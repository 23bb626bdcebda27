"""The ledger and review panels: filters, edits with the unmet preconditions, the year's plan in a worker,
review comments with their map markers."""

import datetime as dt

import ledger_data as fx
import openpyxl
import pytest
from PyQt6.QtGui import QColor

from gisplanner.export.package import export_plan_package
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.ledger_panel import UNMET, LedgerPanel
from gisplanner.ui.main_window import MainWindow
from gisplanner.ui.review_panel import MARKERS, ReviewPanel


@pytest.fixture
def store():
    project = fx.project()
    project.tables["ledger"] = fx.ledger({(0, "owners_committee_formed"): False, (2, "plan_year"): 2026})
    return LayerStore(project)


@pytest.fixture
def panel(qtbot, store):
    widget = LedgerPanel(store)
    qtbot.addWidget(widget)
    return widget


def column(panel, header):
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    return headers.index(header)


def test_rows_show_the_unmet_preconditions_in_red(panel):
    assert panel.table.rowCount() == 3
    unmet = panel.table.item(0, column(panel, UNMET))
    assert unmet.text() == "业委会（物管会）未组建"
    assert unmet.foreground().color() == QColor("#b30000")
    assert panel.table.item(1, column(panel, UNMET)).text() == ""
    assert "3 个项目；1 个有未满足的前提条件（黑龙江省规则）" == panel.summary.text()


def test_filters_by_year_and_street(panel):
    panel.year_box.setCurrentText("2026")
    assert panel.visible_ids() == ["D3"]
    panel.year_box.setCurrentText("全部")
    panel.street_box.setCurrentText("和平街道")
    assert panel.visible_ids() == ["D1", "D3"]
    panel.phase_box.setCurrentText("储备")
    assert panel.visible_ids() == []


def test_editing_a_cell_updates_the_project_and_the_check(panel, store):
    panel.table.item(0, column(panel, "业委会（物管会）已组建")).setText("是")
    assert bool(store.project.tables["ledger"].loc[0, "owners_committee_formed"])
    assert panel.table.item(0, column(panel, UNMET)).text() == ""
    assert store.modified


def test_a_bad_edit_is_refused_and_the_value_put_back(qtbot, panel, store):
    with qtbot.waitSignal(panel.failed) as failed:
        panel.table.item(1, column(panel, "计划年度")).setText("明年")
    assert "计划年度" in str(failed.args[0])
    assert store.project.tables["ledger"].loc[1, "plan_year"] == 2025
    assert panel.table.item(1, column(panel, "计划年度")).text() == "2025"


def test_year_plan_runs_in_a_worker_and_lists_who_is_out(qtbot, settings, tmp_path):
    window = MainWindow(fx.project(), settings=settings)
    qtbot.addWidget(window)
    window.store.project.tables["ledger"] = fx.ledger({(0, "owners_committee_formed"): False})
    window.ledger.refresh()
    window.ledger.year.setValue(2025)
    window.ledger.request_plan(tmp_path / "plan")
    qtbot.waitUntil(lambda: window.worker is None and "2025年计划" in window.ledger.plan_view.toPlainText(),
                    timeout=60_000)
    text = window.ledger.plan_view.toPlainText()
    assert "✘ D1 和平片区：前提条件未满足：业委会（物管会）未组建" in text
    assert (tmp_path / "plan" / "年度计划_2025.xlsx").exists()


@pytest.fixture
def filled_form(tmp_path):
    written = export_plan_package(fx.project(), tmp_path / "pkg", formats=["xlsx"], when=dt.date(2026, 12, 1))
    book = openpyxl.load_workbook(next(p for p in written["xlsx"] if p.name == "review_form.xlsx"))
    sheet = book["审查意见表"]
    sheet["G2"], sheet["H2"], sheet["I2"] = "道路应纳入", "已纳入", "采纳"
    sheet["G3"], sheet["I3"] = "户数需核实", "待定"
    sheet["G5"], sheet["I5"] = "日照影响需征询", "待定"
    book.save(tmp_path / "filled.xlsx")
    return tmp_path / "filled.xlsx"


def test_review_panel_attaches_comments_and_marks_them_on_the_map(qtbot, store, filled_form):
    panel = ReviewPanel(store)
    qtbot.addWidget(panel)
    assert panel.table.rowCount() == 0
    assert panel.import_form(filled_form) == []
    assert panel.table.rowCount() == 3
    assert panel.summary.text().startswith("审查意见 3 条：已处理 1 条，未处理 2 条")
    markers = store.layer(MARKERS).frame
    assert sorted(zip(markers["target_kind"], markers["target_id"])) == [
        ("check", "P1"), ("district", "D1"), ("district", "D2")]
    d1 = markers[markers["target_id"] == "D1"].geometry.iloc[0]
    assert fx.districts().geometry.iloc[0].contains(d1)
    with qtbot.waitSignal(panel.zoom_requested) as zoom:
        panel.table.selectRow(0)
    x0, y0, x1, y1 = zoom.args[0]
    assert x0 < d1.x < x1 and y0 < d1.y < y1


def test_selected_communities_become_single_community_projects(panel, store):
    store.select("communities", [5, 0])  # c6 is new; c1 is a member of D1 but its own id is not a project yet
    panel.add_selected_communities()
    ledger = store.project.tables["ledger"]
    assert ledger["project_id"].tolist() == ["D1", "D2", "D3", "c1", "c6"]
    c6 = ledger.iloc[4]
    assert (c6["kind"], c6["members"], c6["phase"], c6["name"]) == ("community", "c6", "reserve", "芦家小区")
    # c6 was built in 2008: the ledger says at once why it cannot enter a plan
    assert "含2005年底后建成的小区" in panel.table.item(4, column(panel, UNMET)).text()
    panel.add_selected_communities()
    assert len(store.project.tables["ledger"]) == 5


def test_removing_the_selected_project(panel, store):
    panel.table.selectRow(1)
    panel.remove_selected()
    assert store.project.tables["ledger"]["project_id"].tolist() == ["D1", "D3"]
    assert panel.table.rowCount() == 2
