"""Workflows in the real main window: open the demo, run analyses, cancel, bundle with undo, place, export."""

import os
import re
import time

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from gisplanner.project import Project, recovery_path
from gisplanner.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, settings, demo_file):
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    assert w.open_path(demo_file)
    # pytest-qt closes the window before fixtures tear down; with unsaved edits closing asks, so answer
    # without a modal box.
    w.ask = lambda title, text: True
    yield w
    w.cancel()


def run(qtbot, window, start, timeout=60_000):
    """Start a worker through the window and wait for it to end (finished, failed or cancelled)."""
    worker = start()
    assert worker is not None
    qtbot.waitUntil(lambda: window.worker is None, timeout=timeout)
    return worker


def test_demo_opens_with_every_role_layer_on_the_map(window):
    project = window.store.project
    assert set(window.store.names) == set(project.layers)
    assert window.store.active == "communities"
    assert window.table.model.rowCount() == len(project.layer("communities"))
    assert "demo.gpkg" in window.windowTitle()


@pytest.mark.parametrize(("key", "layers"), [("districts", {"districts", "district_resources"}),
                                             ("lifecircle", {"gaps", "service_areas"}),
                                             ("sunlight", {"sill_points"})])
def test_each_analysis_runs_to_completion_and_shows_its_results(qtbot, window, key, layers):
    with qtbot.waitSignal(window.store.modified_changed, timeout=60_000):
        run(qtbot, window, lambda: window.run_analysis(key))
    assert window.last_error is None
    assert layers <= set(window.store.names)
    for name in layers:
        assert window.store.layer(name).frame is window.store.project.results[name]
    assert window.windowTitle().startswith("*")


def test_life_circle_fills_the_coverage_chart(qtbot, window):
    run(qtbot, window, lambda: window.run_analysis("lifecircle"))
    coverage = window.store.project.results["coverage"]
    level = window.coverage.level.currentData()
    shown = coverage[(coverage["level"] == level) & (coverage["district"] == "all")]
    assert window.coverage.bars is not None
    assert len(window.coverage.bars.opts["width"]) == len(shown) > 0
    assert sorted(window.coverage.bars.opts["width"]) == sorted(shown["share_served"])


def test_cancel_midway_leaves_no_result(qtbot, window):
    progressed = []
    worker = window.run_analysis("sunlight")
    worker.signals.progressed.connect(lambda *a: progressed.append(a))
    assert not window.districts.isEnabled() and not window.actions["lifecircle"].isEnabled()
    with qtbot.waitSignal(worker.signals.cancelled, timeout=60_000):
        qtbot.waitUntil(lambda: len(progressed) > 0, timeout=30_000)
        window.cancel()
    qtbot.waitUntil(lambda: window.worker is None)
    assert "sill_points" not in window.store.project.results
    assert "sill_points" not in window.store
    assert not window.progress_bar.isVisible()
    assert window.districts.isEnabled() and window.actions["lifecircle"].isEnabled()


def test_districts_bundle_edit_undo_redo(qtbot, window):
    run(qtbot, window, lambda: window.run_analysis("districts"))
    panel, stack, results = window.districts, window.undo_stack, window.store.project.results
    auto = results["districts"].copy()
    assert stack.count() == 1 and panel.table.rowCount() == len(auto)
    headers = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    row = {h: panel.table.item(0, c).text() for c, h in enumerate(headers)}
    assert re.fullmatch(r"[\d,]+ m", row["范围"]) and re.fullmatch(r"[\d,]+ 人", row["人口"])
    assert re.fullmatch(r"[\d,]+ 户", row["户数"])

    members = results["district_members"]
    first = members.groupby("district_id").size().loc[lambda n: n > 1].index[0]  # a district to split
    taken = members.loc[members["district_id"] == first, "community_id"].iloc[:1].tolist()
    panel.split(first, taken)
    split = results["districts"]
    assert len(split) == len(auto) + 1
    assert split["n_communities"].sum() == auto["n_communities"].sum()

    panel.rename(first, "改名测试片区")
    assert results["districts"].set_index("district_id").loc[first, "name"] == "改名测试片区"

    stack.undo()
    stack.undo()
    assert_geodataframe_equal(results["districts"], auto)
    assert window.store.layer("districts").frame is results["districts"]
    stack.redo()
    assert len(results["districts"]) == len(auto) + 1
    stack.undo()
    stack.undo()  # the auto-bundle itself
    assert "districts" not in results and "districts" not in window.store


def test_create_district_from_the_map_selection(qtbot, window):
    communities = window.store.layer("communities").frame
    window.store.select("communities", [0, 1])
    window.districts.buttons["create"].click()
    districts = window.store.project.results["districts"]
    members = window.store.project.results["district_members"]
    assert len(districts) == 1
    assert sorted(members["community_id"]) == sorted(communities["feature_id"].iloc[[0, 1]])
    window.undo_stack.undo()
    assert "districts" not in window.store.project.results


def test_refused_edit_shows_what_to_do(qtbot, window):
    window.districts.buttons["merge"].click()  # nothing selected
    assert window.last_error is not None
    assert "怎么办" in window.last_error.details


def test_place_a_facility_on_a_boiler_room(qtbot, window):
    boilers = window.store.layer("boiler_rooms").frame
    window.store.set_active("boiler_rooms")
    window.store.select("boiler_rooms", [0])
    window.placement.use_selection()
    assert window.placement.site == f"boiler_rooms:{boilers['feature_id'].iloc[0]}"
    assert window.placement.site_label.text() == f"锅炉房 {boilers['feature_id'].iloc[0]} {boilers['name'].iloc[0]}"
    window.placement.floors.setValue(2)
    run(qtbot, window, lambda: window.check_placement(window.placement.request()), timeout=120_000)
    assert window.last_error is None
    placed = window.store.project.placed_facilities
    assert len(placed) == 1 and placed[0]["site"] == window.placement.site
    assert "placement" in window.store
    assert window.store.layer("placement").frame["overall"].iloc[0] == placed[0]["overall"]
    # The shadow of the 2-storey facility covers its footprint and falls north of it (winter sun in the south).
    footprint = window.store.layer("placement").frame.geometry.iloc[0]
    shadow = window.store.layer("placement_shadow").frame.geometry.iloc[0]
    assert shadow.buffer(1e-6).contains(footprint)
    assert shadow.bounds[3] > footprint.bounds[3] and shadow.bounds[1] == pytest.approx(footprint.bounds[1])
    assert "通过" in window.placement.report.toPlainText() or "意见" in window.placement.report.toPlainText()


def test_drawn_footprint_goes_to_the_placement_panel(qtbot, window):
    window.set_tool("draw")
    x0, y0, _, _ = window.store.layer("idle_land").frame.total_bounds
    for x, y in ((x0 + 10, y0 + 10), (x0 + 40, y0 + 10), (x0 + 40, y0 + 30)):
        window.canvas.feed("press", x, y)
    window.canvas.feed("key", "Return")
    assert window.placement.footprint.area == pytest.approx(30 * 20 / 2)
    assert window.tabs.currentWidget() is window.placement
    assert type(window.canvas.tool).__name__ == "Tool"


def test_export_writes_the_plan_package(qtbot, window, tmp_path):
    run(qtbot, window, lambda: window.run_analysis("districts"))
    out = tmp_path / "out"
    run(qtbot, window, lambda: window.export(out_dir=str(out), formats=["gpkg", "csv"]), timeout=120_000)
    assert window.last_error is None
    assert (out / "plan.gpkg").exists()
    assert any(out.rglob("*.csv"))


def test_save_and_reopen_keep_the_results(qtbot, window, tmp_path):
    run(qtbot, window, lambda: window.run_analysis("districts"))
    target = tmp_path / "saved.gpkg"
    assert window.save(target)
    assert not window.store.modified
    reopened = Project.load(target)
    assert len(reopened.results["districts"]) == len(window.store.project.results["districts"])
    assert window.recent_files()[0] == str(target.resolve())


def test_recovery_prompt_offers_a_newer_autosave(qtbot, window, demo_file):
    run(qtbot, window, lambda: window.run_analysis("districts"))
    assert window.autosave() == recovery_path(demo_file)
    later = time.time() + 10
    os.utime(recovery_path(demo_file), (later, later))
    questions = []
    window.ask = lambda title, text: questions.append(title) or True
    assert window.open_path(demo_file)
    assert questions == ["恢复自动保存"]
    assert "districts" in window.store.project.results
    assert window.store.project.path == demo_file.resolve()
    assert window.store.modified


def test_unreadable_file_is_an_error_dialog_not_a_crash(window, tmp_path):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage")
    before = window.store.project
    assert not window.open_path(bad)
    assert window.store.project is before
    assert "怎么办" in window.last_error.details and "broken.gpkg" in window.last_error.details


def test_name_search_selects_and_the_table_follows(window):
    communities = window.store.layer("communities").frame
    name = communities["name"].iloc[3]
    window.select_by_name(name)
    expected = [i for i, n in enumerate(communities["name"]) if name in n]
    assert window.store.selected("communities").tolist() == expected
    shown = {i.row() for i in window.table.view.selectionModel().selectedRows()}
    assert len(shown) == len(expected)


def test_standards_override_is_recorded_with_its_reason(window):
    rows = {r.path: r for r in window.store.project.standards().rows()}
    path = next(p for p, r in rows.items() if p.endswith("walk_distance_m") and isinstance(r.value, int | float))
    window.apply_standards("harbin", [(path, rows[path].value + 100, "本地规划要求")])
    override = window.store.project.overrides[-1]
    assert override.path == path and override.why == "本地规划要求"
    assert override.old_value == rows[path].value
    assert pd.notna(override.when)


def test_auto_bundle_uses_the_panel_parameters(qtbot, window):
    panel = window.districts
    panel.min_population.setValue(1000)
    panel.max_population.setValue(3000)
    panel.seed.setValue(7)
    panel.auto.click()
    worker = window.worker
    assert worker.args[1:] == ("districts",) and worker.kwargs == {"min_population": 1000.0, "max_population": 3000.0,
                             "max_extent_m": panel.max_extent.value(), "seed": 7}
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)
    districts = window.store.project.results["districts"]
    assert (districts["population"] <= 3000).all()  # the panel's maximum, not the default 12,000
    small = districts["population"] < 1000
    assert districts.loc[small, "violations"].astype(str).str.contains("below_min_population").all()
    assert districts.loc[small, "shortfall_reason"].str.len().gt(0).all()
    assert window.undo_stack.count() == 1 and window.undo_stack.undoText() == "自动划分片区"


def bundle_from_panel(qtbot, window, low, high):
    """Bundle with the population range typed into the district panel, as a planner does."""
    window.districts.min_population.setValue(low)
    window.districts.max_population.setValue(high)
    window.districts.auto.click()
    qtbot.waitUntil(lambda: window.worker is None, timeout=60_000)


def test_an_edit_after_auto_bundling_keeps_the_panel_rules(qtbot, window):
    bundle_from_panel(qtbot, window, 1000, 3000)
    results = window.store.project.results
    before = dict(zip(results["districts"]["district_id"], results["districts"]["violations"]))
    assert (results["districts"]["population"] < 5000).sum() > 10 and sum(map(bool, before.values())) <= 1
    members = results["district_members"]
    source = members.groupby("district_id").size().idxmax()
    target = next(d for d in before if d != source)
    window.districts.add(target, members.loc[members["district_id"] == source, "community_id"].iloc[:1].tolist())
    after = dict(zip(results["districts"]["district_id"], results["districts"]["violations"]))
    untouched = set(before) - {source, target}
    assert {d: after[d] for d in untouched} == {d: before[d] for d in untouched}


def test_a_standards_override_reaches_the_next_edit(qtbot, window):
    run(qtbot, window, lambda: window.run_analysis("districts"))
    inputs = window.districts.inputs()
    window.apply_standards("harbin", [("renovation.eligibility.built_before_end_of.value", 1990, "测试")])
    assert window.districts.inputs().eligibility is not inputs.eligibility


def test_placement_leaves_the_baseline_sunlight_alone(qtbot, window):
    run(qtbot, window, lambda: window.run_analysis("sunlight"))
    baseline = window.store.project.results["sill_points"]
    window.store.set_active("idle_land")
    window.store.select("idle_land", [0])
    window.placement.use_selection()
    window.placement.floors.setValue(6)
    run(qtbot, window, lambda: window.check_placement(window.placement.request()), timeout=120_000)
    results = window.store.project.results
    assert results["sill_points"] is baseline and window.store.layer("sill_points").frame is baseline
    assert "placement_impact" in results and window.store.layer("placement_impact").frame is results[
        "placement_impact"]


def test_undoing_a_rebundle_brings_back_the_rules_of_the_plan_it_restores(qtbot, window):
    bundle_from_panel(qtbot, window, 1000, 3000)
    run(qtbot, window, lambda: window.run_analysis("districts"))  # the standards' 5,000–12,000
    project = window.store.project
    assert project.runs["districts"].params["min_population"] == 5000
    window.undo_stack.undo()
    assert project.runs["districts"].params["min_population"] == 1000
    window.undo_stack.undo()
    assert "districts" not in project.runs and "districts" not in project.results


def test_a_parcel_chosen_in_the_placement_panel_gets_a_building_of_gfa_over_floors(qtbot, window):
    parcel = window.store.layer("idle_land").frame.geometry.iloc[0]
    window.store.set_active("idle_land")
    window.store.select("idle_land", [0])
    window.placement.use_selection()
    window.placement.floors.setValue(2)
    window.placement.gfa.setValue(round(parcel.area / 5))  # a footprint of a tenth of the parcel
    assert window.placement.request()["gfa_m2"] == round(parcel.area / 5)
    run(qtbot, window, lambda: window.check_placement(window.placement.request()), timeout=120_000)
    assert window.last_error is None
    footprint = window.store.layer("placement").frame.geometry.iloc[0]
    assert footprint.area == pytest.approx(round(parcel.area / 5) / 2)
    assert footprint.within(parcel.buffer(1e-6))
    shown = window.placement.report.toPlainText()
    assert "建筑占地" in shown and f"占地{round(parcel.area / 5) / 2:,.0f}平方米" in shown
