"""The shared entry points: stage progress, the whole demo run and its plan package."""

import pytest
from shapely.geometry import box

from gisplanner import workflow
from gisplanner.cli import main
from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project
from gisplanner.errors import CancelledError, InputError
from gisplanner.progress import Progress
from gisplanner.project import Project


def test_stage_maps_its_updates_into_the_parent_range():
    seen = []
    parent = Progress(lambda done, total, message: seen.append((done / total, message)))
    parent.stage(1, 4, "生活圈").update(5, 10, "步行距离")
    assert seen == [(pytest.approx(0.375), "生活圈：步行距离")]


def test_stage_shares_the_parent_cancel():
    parent = Progress()
    child = parent.stage(0, 2, "片区")
    parent.cancel()
    with pytest.raises(CancelledError):
        child.update(1, 2)


def test_placement_needs_exactly_one_site():
    project = build_demo_project()
    with pytest.raises(InputError, match="须给出场地"):
        workflow.run(project, "placement", facility="kindergarten")
    with pytest.raises(InputError, match="须给出场地"):
        workflow.run(project, "placement", facility="kindergarten", site="boiler_rooms:K001",
                     footprint_wkt=box(0, 0, 1, 1).wkt)


def test_drawn_footprint_is_a_new_building_stored_on_the_project():
    project = build_demo_project()
    idle = project.layer("idle_land").geometry.iloc[0]
    report = workflow.run(project, "placement", facility="elderly_daycare",
                          footprint_wkt=idle.centroid.buffer(15).wkt, floors=2).report
    assert report.intervention == "new"
    assert project.placed_facilities[-1]["facility_id"] == "P1"


def test_demo_export_runs_everything_and_writes_the_package(tmp_path, capsys):
    out = tmp_path / "package"
    assert main(["demo", "--export", str(out)]) == 0
    project = Project.load(out / "demo_oldtown.gpkg")
    for name in ("districts", "district_members", "gaps", "coverage", "service_areas", "candidate_sites",
                 "sill_points", "community_eligibility"):
        assert name in project.results and len(project.results[name]), name
    assert len(project.placed_facilities) == len(DEMO_PLACEMENTS)
    in_service = next(p for p in project.placed_facilities if p.get("site") == "boiler_rooms:K003")
    assert in_service["overall"] == "refused"
    # The districts were described again once the gaps were known, so they carry them.
    assert project.results["district_gaps"]["district_id"].isin(project.results["districts"]["district_id"]).all()
    for name in ("plan.gpkg", "sheets.pdf", "webmap.html", "review.html", "plan_tables.xlsx"):
        assert (out / name).stat().st_size > 0, name
    assert f"{len(project.results['districts'])} 个片区" in capsys.readouterr().out
    eligibility = project.results["community_eligibility"]
    assert eligibility.loc[eligibility["eligible"], "basis_text"].notna().all()  # every admission says why


def test_renovation_items_of_the_demo_use_heilongjiangs_list_and_keep_the_planners_ticks(tmp_path):
    from gisplanner.catalogue import renovation_items
    from gisplanner.workflow import set_renovation_choices

    project = build_demo_project()
    items = renovation_items(project)
    assert set(items["catalogue"]) == {"heilongjiang"}
    n_communities = len(project.layer("communities"))
    assert len(items) == n_communities * items["item"].nunique()
    first = str(project.layer("communities")["feature_id"].iloc[0])
    set_renovation_choices(project, {(first, "windows"): True})
    project.save(tmp_path / "p.gpkg")
    again = renovation_items(Project.load(tmp_path / "p.gpkg"))
    row = again[(again["community_id"] == first) & (again["item"] == "windows")].iloc[0]
    assert row["selected"] and row["chosen_by_planner"]
    assert again["cost_yuan"].isna().all()  # no unit costs, no cost
