"""The catalogue and its contract: defaults only from the standards, run records, one run of each analysis,
results in their own places, every output exported."""

import dataclasses

import pandas as pd
import pyogrio
import pytest
import shapely
import yaml

from gisplanner import catalogue, workflow
from gisplanner.analysis import district_edit
from gisplanner.analysis.bundling import DistrictRules
from gisplanner.analysis.checks import service
from gisplanner.analysis.placement import PlacementInput, check_placement
from gisplanner.cli import main
from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project
from gisplanner.export.package import export_plan_package
from gisplanner.project import Project
from gisplanner.standards import STANDARDS_DIR, EstimationParams, Override

#: settings.yaml keys read by the importer (estimates, plausibility), not by an analysis of the catalogue;
#: tests/io covers them.
IMPORT_SECTIONS = ("estimation", "plausibility")


def settings_keys() -> list[str]:
    raw = yaml.safe_load((STANDARDS_DIR / "settings.yaml").read_text(encoding="utf-8"))
    return [f"{section}.{key}" for section, entries in raw.items() for key in entries]


def changed(value):
    """A different value of the same shape: numbers grow, lists lose their last item."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return [value[0] + 1, value[1] + 1]
    return value[:-1]


def override(project, path, value):
    project.add_override(Override(path, value, who="测试", why="检查覆盖值是否生效"))


@pytest.mark.parametrize("key", [k for k in settings_keys() if k.split(".")[0] not in IMPORT_SECTIONS])
def test_every_settings_key_once_overridden_reaches_an_analysis(key):
    path = f"settings.{key}"
    readers = [(a.key, f.name, f.metadata["index"]) for a in catalogue.ANALYSES.values()
               for f in dataclasses.fields(a.params) if catalogue.standard_path(f) == path]
    assert readers, f"no analysis reads {path}"
    project = Project(city="harbin")
    old = project.standards().raw["settings"][key.split(".")[0]][key.split(".")[1]]["value"]
    override(project, f"{path}.value", changed(old))
    for analysis, name, index in readers:
        value = getattr(workflow.params(project, analysis), name)
        expected = changed(old) if index is None else changed(old)[index]
        assert list(value) == expected if isinstance(value, tuple) else value == expected, (analysis, name)


def test_the_service_check_builds_its_graph_with_the_configured_island_size(monkeypatch):
    project = build_demo_project()
    override(project, "settings.network.small_component_nodes.value", 7)
    seen = []
    real = service.network.build_walk_graph
    monkeypatch.setattr(service.network, "build_walk_graph",
                        lambda *a, **kw: seen.append(kw["min_component_nodes"]) or real(*a, **kw))
    idle = project.layer("idle_land").geometry.iloc[0]
    check_placement(PlacementInput("kindergarten", idle.centroid.buffer(20), floors=2), project.layers,
                    project.standards(), city=project.city)
    assert seen == [7]


def test_the_old_share_of_a_district_follows_the_configured_year():
    project = build_demo_project()
    before = workflow.run(project, "districts").districts["share_built_before_2000"]
    years = project.layer("communities")["built_year"].dropna()
    override(project, "renovation.eligibility.built_before_end_of.value", int(years.min()))
    after = workflow.run(project, "districts").districts["share_built_before_2000"]
    assert after.sum() < before.sum()


def test_library_classes_have_no_defaults_of_their_own():
    with pytest.raises(TypeError):
        DistrictRules()
    with pytest.raises(TypeError):
        EstimationParams()


def test_a_change_that_is_no_parameter_is_refused():
    with pytest.raises(Exception, match="不属于这项分析"):
        workflow.run(build_demo_project(), "districts", min_pop=1000)


# --------------------------------------------------------------------------------------------- run records
def test_a_run_record_is_saved_with_the_project(tmp_path):
    project = build_demo_project()
    override(project, "settings.districts.max_extent_m.value", 900)
    workflow.run(project, "districts", min_population=1000, max_population=3000)
    loaded = Project.load(project.save(tmp_path / "p.gpkg"))
    record = loaded.runs["districts"]
    assert record.outputs == tuple(catalogue.ANALYSES["districts"].output_names)
    assert record.overrides[0]["path"] == "settings.districts.max_extent_m.value"
    params = workflow.recorded_params(loaded, "districts")
    assert (params.min_population, params.max_population, params.max_extent_m) == (1000, 3000, 900)


def test_the_cli_and_the_app_give_the_same_result_for_the_same_run_record(tmp_path):
    demo = build_demo_project()
    path = demo.save(tmp_path / "cli.gpkg")
    demo.save(tmp_path / "app.gpkg")
    assert main(["districts", str(path), "--out", str(tmp_path / "d.gpkg"), "--min-population", "1000",
                 "--max-population", "3000", "--seed", "3"]) == 0
    cli = Project.load(path)
    # The app's worker calls workflow.run_with; here with the parameters the CLI recorded.
    app = Project.load(tmp_path / "app.gpkg")
    workflow.run_with(app, "districts", workflow.recorded_params(cli, "districts"))
    app = Project.load(app.save())
    assert app.runs["districts"].params == cli.runs["districts"].params
    for name in catalogue.ANALYSES["districts"].output_names:
        left = pd.DataFrame(cli.results[name]).drop(columns="geometry", errors="ignore")
        right = pd.DataFrame(app.results[name]).drop(columns="geometry", errors="ignore")
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                      check_dtype=False, obj=name)


# --------------------------------------------------------------------------------------------- acceptance
def test_an_edit_keeps_the_rules_the_plan_was_bundled_with():
    project = build_demo_project()
    plan = workflow.run(project, "districts", min_population=1000, max_population=3000)
    flags = dict(zip(plan.districts["district_id"], plan.districts["violations"]))
    # Nearly every district is below the YAML's 5,000: an edit judged against it would flag them all.
    assert (plan.districts["population"] < 5000).sum() > 10 and sum(bool(v) for v in flags.values()) <= 1
    # Move one community of the largest district into its neighbour, as the panel's 加入 does.
    members = plan.members
    source = members.groupby("district_id").size().idxmax()
    moved = members.loc[members["district_id"] == source, "community_id"].iloc[0]
    target = next(d for d in flags if d != source)
    after, change = district_edit.add_communities(plan, target, [moved],
                                                  inputs=workflow.district_inputs_of_plan(project))
    new_flags = dict(zip(after.districts["district_id"], after.districts["violations"]))
    untouched = set(flags) - {source, target}
    assert {d: new_flags[d] for d in untouched} == {d: flags[d] for d in untouched}
    assert sum("below_min_population" in v for v in new_flags.values()) <= 3


def test_a_standards_override_clears_the_cached_district_inputs():
    project = build_demo_project()
    workflow.run(project, "districts")
    inputs = workflow.district_inputs_of_plan(project)
    assert workflow.district_inputs_of_plan(project).eligibility is inputs.eligibility  # cached
    override(project, "renovation.eligibility.built_before_end_of.value", 1990)
    assert workflow.district_inputs_of_plan(project).eligibility is not inputs.eligibility


def test_placement_keeps_its_after_state_apart_from_the_baseline_sunlight():
    project = build_demo_project()
    baseline = workflow.run(project, "sunlight").points
    # a building drawn over the whole idle parcel shades the dwellings north of it
    whole_parcel = project.layer("idle_land").geometry.iloc[0].wkt
    run = workflow.run(project, "placement", facility="elderly_daycare", footprint_wkt=whole_parcel, floors=2)
    assert project.results[catalogue.SILL_POINTS] is baseline
    assert "status" not in project.results[catalogue.SILL_POINTS]
    impact = project.results[catalogue.PLACEMENT_IMPACT]
    assert impact is run.impact and len(impact) and (impact["status"] != "unaffected").all()
    assert project.runs["sunlight"].params["add_wkt"] is None


def test_placement_impact_equals_the_whole_city_before_and_after_run():
    """The placement computes only the sills in its shadow's reach; the whole-city sunlight run with the same
    building gives the same sills, hours before and after."""
    project = build_demo_project()
    whole_parcel = project.layer("idle_land").geometry.iloc[0].wkt
    run = workflow.run(project, "placement", facility="elderly_daycare", footprint_wkt=whole_parcel, floors=2)
    height = 2 * float(project.standards().sunlight.calculation["floor_height_m"].value)
    whole = workflow.run(project, "sunlight", add_wkt=whole_parcel, add_height_m=height).points
    affected = whole[whole["status"] != "unaffected"].set_index("sill_id").sort_index()
    impact = run.impact.set_index("sill_id").sort_index()
    assert len(impact) > 10 and list(impact.index) == list(affected.index)
    for column in ("hours_before", "hours_after"):
        assert impact[column].to_numpy() == pytest.approx(affected[column].to_numpy(), abs=1e-9), column
    assert (impact["hours_before"].to_numpy() == pytest.approx(affected["hours"].to_numpy(), abs=1e-9))
    assert (impact["status"].astype(str) == affected["status"].astype(str)).all()


def test_a_sunlight_run_with_a_proposed_building_leaves_the_baseline_alone():
    project = build_demo_project()
    baseline = workflow.run(project, "sunlight").points
    idle = project.layer("idle_land").geometry.iloc[0]
    workflow.run(project, "sunlight", add_wkt=idle.centroid.buffer(15).wkt, add_height_m=30.0)
    assert project.results[catalogue.SILL_POINTS] is baseline
    assert {"hours_before", "hours_after", "status"} <= set(project.results[catalogue.SUNLIGHT_IMPACT].columns)


def test_the_project_tells_its_listeners_what_changed():
    project = build_demo_project()
    heard = []
    project.subscribe(lambda event, details: heard.append((event, dict(details))))
    workflow.run(project, "districts")
    override(project, "settings.districts.max_extent_m.value", 800)
    project.set_city("suzhou")
    assert [e for e, _ in heard] == ["results", "standards", "standards"]
    assert heard[0][1]["analysis"] == "districts" and catalogue.DISTRICTS in heard[0][1]["names"]


# --------------------------------------------------------------------------------------------- run_all
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    calls = {"graph": 0, "bundle": 0}
    with pytest.MonkeyPatch.context() as mp:
        graph, bundle = catalogue.build_walk_graph, catalogue.plan_districts

        def counted(name, fn):
            def wrapper(*args, **kwargs):
                calls[name] += 1
                return fn(*args, **kwargs)
            return wrapper

        mp.setattr(catalogue, "build_walk_graph", counted("graph", graph))
        mp.setattr(catalogue, "plan_districts", counted("bundle", bundle))
        project = build_demo_project()
        workflow.run_all(project, placements=DEMO_PLACEMENTS)
    out = tmp_path_factory.mktemp("package")
    export_plan_package(project, out, formats=["gpkg"])
    return project, calls, out / "plan.gpkg"


def test_run_all_bundles_once_and_builds_the_walking_graph_once(demo_run):
    _, calls, _ = demo_run
    assert calls == {"graph": 1, "bundle": 1}


def test_run_all_gives_the_districts_their_gaps(demo_run):
    project, _, _ = demo_run
    assert len(project.results[catalogue.DISTRICT_GAPS])
    assert project.results[catalogue.DISTRICTS]["n_gaps"].sum() == len(project.results[catalogue.DISTRICT_GAPS])


def test_every_output_of_the_run_is_exported(demo_run):
    project, _, gpkg = demo_run
    layers = set(pyogrio.list_layers(gpkg)[:, 0])
    produced = [o for o in catalogue.OUTPUTS.values() if o.name in project.results]
    assert {o.name for o in produced} >= set(catalogue.OUTPUTS) - {catalogue.SUNLIGHT_IMPACT}
    for output in produced:
        assert output.export in layers, output.name


def test_a_placement_footprint_is_a_parameter_in_plain_text():
    project = build_demo_project()
    footprint = project.layer("idle_land").geometry.iloc[0].centroid.buffer(15)
    workflow.run(project, "placement", facility="elderly_daycare", footprint_wkt=footprint.wkt, floors=2)
    assert shapely.from_wkt(project.runs["placement"].params["footprint_wkt"]).equals(footprint)
