"""Batch runs on one real dask LocalCluster (two worker processes) shared by the module: three small synthetic
cities and a broken one (one worker killed while it computes a city), a rerun after a city's override and
another's placement change, and a province's layers split by a city field. One batch run per scenario."""

import json
import os
import shutil
import signal

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gisplanner import batch, workflow
from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project
from gisplanner.export import plan_table, province
from gisplanner.ledger import TABLE, normalise
from gisplanner.project import Project
from gisplanner.standards import Override
from gisplanner.workflow import run_all

pytestmark = pytest.mark.slow

CITIES = [("jia", "甲市", (126.60, 45.70)), ("yi", "乙市", (127.00, 45.80)), ("bing", "丙市", (127.40, 45.90))]
#: Amounts each city's ledger records, 万元 (丙市 has no ledger: its districts become 储备 projects).
LEDGER_FUNDS = {"jia": {"fund_special_bonds_wan": [150.0, 0.0], "fund_residents_wan": [12.5, 7.5]},
                "yi": {"fund_special_bonds_wan": [40.0], "fund_residents_wan": [3.0]}}
OPTIONS = batch.BatchOptions(seed=0, formats=("csv",))  # the tables are what the roll-up is checked against
# Coarser sill sampling keeps the run short; the pipeline is the same.
SHORT_SUNLIGHT = [("sunlight.calculation.sample_spacing_m.value", 6.0), ("sunlight.calculation.time_step_min.value", 5)]


def small_city(seed, origin, name):
    """The west half and the northern two thirds of a demo town (about 13 communities), with the boiler room
    K001 and the idle land I001 the first two demo placements use."""
    project = build_demo_project(seed=seed, origin_lonlat=origin, name=name)
    minx, miny, maxx, maxy = project.layer("communities").total_bounds
    area = shapely.box(minx - 50, miny + (maxy - miny) / 3, (minx + maxx) / 2, maxy + 50)
    for role, layer in list(project.layers.items()):
        if role in ("walk_network", "admin_boundaries", "landuse"):
            keep = layer.intersects(area)
        else:
            keep = layer.representative_point().within(area)
        project.set_layer(role, layer[keep.to_numpy()].reset_index(drop=True))
    return project


def ledger_of(project, funds):
    """One 谋划 project per community for the first communities, with the recorded amounts of ``funds``."""
    ids = project.layer("communities")["feature_id"].astype(str).tolist()[:len(next(iter(funds.values())))]
    return normalise(pd.DataFrame({"project_id": [f"L{i + 1}" for i in range(len(ids))], "name": ids,
                                   "kind": "community", "members": ids, "phase": "planning", **funds}))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cities")
    jobs = []
    for n, (key, name, origin) in enumerate(CITIES):
        path = folder / f"{key}.gpkg"
        city = small_city(n, origin, name)
        for setting, value in SHORT_SUNLIGHT:
            city.add_override(Override(setting, value, who="测试", why="缩短日照计算"))
        if key in LEDGER_FUNDS:
            city.tables[TABLE] = ledger_of(city, LEDGER_FUNDS[key])
        city.save(path)
        jobs.append(batch.CityJob(key, name, project=str(path), placements=DEMO_PLACEMENTS[:2]))
    broken = Project(city="harbin", crs="EPSG:32652", name="丁市")
    broken.set_layer("buildings", small_city(0, CITIES[0][2], "丁市").layer("buildings"))
    broken.save(folder / "ding.gpkg")
    jobs.append(batch.CityJob("ding", "丁市", project=str(folder / "ding.gpkg")))
    return folder, jobs


@pytest.fixture(scope="module")
def run(inputs, client, tmp_path_factory):
    _, jobs = inputs
    out = tmp_path_factory.mktemp("batch")
    killed = {}
    shown = []

    def kill_one_worker(progress):
        shown.append(progress)
        if killed or not progress.running:
            return
        for address, keys in client.processing().items():
            for key in keys:
                city = key.split("-")[1]
                if (out / ".work" / f"{city}.attempts").exists():
                    pid = client.run(os.getpid, workers=[address])[address]
                    os.kill(pid, signal.SIGKILL)
                    killed["city"] = city
                    return

    report = batch.run_batch(jobs, out, options=OPTIONS, client=client, on_progress=kill_one_worker)
    return report, killed, shown


def test_every_city_is_reported_none_missing(run):
    report, _, _ = run
    states = {c.key: c.state for c in report.cities}
    assert states == {"jia": "done", "yi": "done", "bing": "done", "ding": "failed"}
    record = json.loads((report.out_dir / "batch.json").read_text(encoding="utf-8"))
    assert {c["key"]: c["state"] for c in record["cities"]} == states


def test_the_failing_city_says_why_and_the_others_finish(run):
    report, _, _ = run
    ding = next(c for c in report.cities if c.key == "ding")
    assert ding.message.startswith("问题：") and "communities" in ding.message
    assert not (report.out_dir / "ding").exists()
    for key in ("jia", "yi", "bing"):
        assert (report.out_dir / key / "project.gpkg").exists()
        assert (report.out_dir / key / "plan" / "tables" / "plan_table.csv").exists()


def test_a_killed_worker_city_is_computed_again(run):
    report, killed, _ = run
    assert killed, "no city was running when the test meant to kill its worker"
    city = next(c for c in report.cities if c.key == killed["city"])
    assert city.state == "done" and city.attempts == 2
    assert "重算" in city.message


def test_progress_shows_running_and_finished_counts(run):
    _, _, shown = run
    assert any(p.running > 0 for p in shown)
    last = shown[-1]
    assert (last.done, last.failed, last.running, last.total) == (3, 1, 0, 4)
    assert "完成 3" in last.text() and "失败 1" in last.text()


def _results(path):
    return Project.load(path).results


def test_batch_results_equal_single_runs(run, inputs, tmp_path):
    report, _, _ = run
    _, jobs = inputs
    for job in jobs[:3]:
        single = Project.load(job.project)
        run_all(single, seed=OPTIONS.seed, placements=list(job.placements))
        single.save(tmp_path / f"{job.key}.gpkg")
        ours, theirs = _results(report.out_dir / job.key / "project.gpkg"), _results(tmp_path / f"{job.key}.gpkg")
        assert set(ours) == set(theirs)
        assert len(ours["districts"]) > 0 and len(ours["sill_points"]) > 100
        for name in ("districts", "district_members", "gaps", "coverage", "candidate_sites", "sill_points"):
            a, b = ours[name], theirs[name]
            pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
                                          pd.DataFrame(b.drop(columns="geometry", errors="ignore")))
            if "geometry" in a:
                assert a.geometry.geom_equals_exact(b.geometry, 1e-6).all(), name


def test_the_workers_run_without_dask_s_malloc_trim_and_stack_sampling(client):
    """Both slow the engines (batch.WORKER_CONFIG); a restarted worker keeps the setting too."""
    import dask

    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}
    assert set(client.run(lambda: dask.config.get("distributed.worker.profile.enabled")).values()) == {False}


# ---------------------------------------------------------------------------------------------- the roll-up
@pytest.fixture(scope="module")
def rollup(run):
    return batch.write_province(run[0])


def test_rollup_totals_are_the_sums_of_the_city_tables(run, rollup):
    report, _, _ = run
    table = pd.read_csv(rollup["plan_csv"], header=[0, 1], index_col=[0, 1], encoding="utf-8-sig")
    numbers = [c for c in table.columns if c[0] != plan_table.REMARK_COLUMN]
    cities = []
    for key, name, _ in CITIES:
        city = pd.read_csv(report.out_dir / key / "plan" / "tables" / "plan_table.csv", header=[0, 1],
                           index_col=[0, 1], encoding="utf-8-sig")
        # the city's own package names its block after the standards city and adds its 全省 rows
        city = city.drop(index=plan_table.PROVINCE, level=0).droplevel(0)[numbers]
        cities.append(city)
        block = table.loc[name, numbers]
        pd.testing.assert_frame_equal(block, city, check_names=False)
    whole = table.loc[(plan_table.PROVINCE, plan_table.PROVINCE_TOTAL), numbers]
    summed = sum(c.loc[plan_table.CITY_SUBTOTAL] for c in cities)
    assert whole.to_numpy() == pytest.approx(summed.to_numpy(), nan_ok=True)
    assert whole[(plan_table.HOUSEHOLDS, plan_table.TOTAL)] > 300
    assert "丁市" not in table.index.get_level_values(0)
    notes = rollup["notes"].read_text(encoding="utf-8")
    assert "丁市" in notes and "甲市、乙市、丙市" in notes


def test_the_xlsx_has_001s_plan_sheet_and_the_summaries(rollup):
    from openpyxl import load_workbook

    book = load_workbook(rollup["xlsx"])
    assert book.sheetnames[:2] == ["计划表", "计划表小区明细"] and "省级汇总" in book.sheetnames
    names = [c.value for c in book["计划表"]["A"] if c.value]
    assert "甲市" in names and plan_table.PROVINCE in names


@pytest.fixture(scope="module")
def summary(run):
    report, _, _ = run
    summaries = province.read_city_summaries([report.out_dir / key for key, _, _ in CITIES])
    return province.provincial_summary(summaries, province.provincial_plan_table(summaries)).set_index("城市")


def test_funding_by_source_comes_from_each_city_s_ledger(summary):
    bonds, residents = "资金来源：专项债（万元）", "资金来源：居民出资（万元）"
    assert summary.loc["甲市", bonds] == 150.0 and summary.loc["甲市", residents] == 20.0
    assert summary.loc["乙市", bonds] == 40.0
    # 丙市 has no ledger: its districts are 储备 projects with nothing recorded
    assert summary.loc["丙市", bonds] == 0.0


def test_province_funding_by_source_is_the_sum_of_the_cities(summary):
    sources = [c for c in summary.columns if c.startswith("资金来源：")]
    assert {"资金来源：中央补助（万元）", "资金来源：市县财政（万元）", "资金来源：专项债（万元）"} <= set(sources)
    cities = summary.drop(index=plan_table.PROVINCE_TOTAL)
    for column in [*sources, "资金合计（万元）"]:
        total = summary.loc[plan_table.PROVINCE_TOTAL, column]
        if cities[column].isna().any():
            assert pd.isna(total), column  # a province total over an unknown city would be read as complete
        else:
            assert total == pytest.approx(cities[column].sum()), column
    assert summary.loc[plan_table.PROVINCE_TOTAL, "资金来源：专项债（万元）"] == 190.0


def test_a_city_without_prices_leaves_its_local_share_unknown(summary):
    # the demo cities have no unit-cost table: 市县财政 pays "the rest" of an unknown investment
    assert summary["资金来源：市县财政（万元）"].isna().all()
    assert pd.isna(summary.loc[plan_table.PROVINCE_TOTAL, "资金合计（万元）"])
    assert summary.loc[plan_table.PROVINCE_TOTAL, "居民户数"] == pytest.approx(summary["居民户数"].iloc[:3].sum())


def test_overview_map_is_written(rollup):
    assert rollup["map_png"].stat().st_size > 20_000 and rollup["map_pdf"].exists()


# ---------------------------------------------------------------------------------------------- reruns
def test_a_rerun_skips_unchanged_cities_without_a_cluster(run, inputs):
    report, _, _ = run
    _, jobs = inputs
    again = batch.run_batch(jobs[:3], report.out_dir, options=OPTIONS, client=object())  # never used
    assert [c.state for c in again.cities] == ["skipped"] * 3
    assert all(c.summary["districts"] > 0 for c in again.cities)


def test_the_skip_key_holds_the_run_records_of_the_finished_city(run):
    report, _, _ = run
    record = json.loads((report.out_dir / "jia" / batch.RUN_RECORD).read_text(encoding="utf-8"))
    finished = Project.load(report.out_dir / "jia" / "project.gpkg")
    for key in workflow.RUN_ALL_ORDER:
        recorded = json.loads(json.dumps(dict(finished.runs[key].params)))
        assert record["key_parts"]["runs"][key] == recorded, key
    assert record["key_parts"]["overrides"] == [dict(o) for o in finished.runs["sunlight"].overrides]
    assert record["key_parts"]["placements"][-1] == json.loads(json.dumps(dict(finished.runs["placement"].params)))


@pytest.fixture(scope="module")
def rerun(run, inputs, client, tmp_path_factory):
    """The batch again on copies: 乙市's project gets an override, 丙市's second placement another floor count."""
    report, _, _ = run
    folder, jobs = inputs
    copies = tmp_path_factory.mktemp("changed")
    out = copies / "out"
    shutil.copytree(report.out_dir, out)
    changed = []
    for job in jobs[:3]:
        path = copies / f"{job.key}.gpkg"
        shutil.copy(job.project, path)
        placements = job.placements
        if job.key == "yi":
            city = Project.load(path)
            city.add_override(Override("settings.districts.max_extent_m.value", 400.0, who="测试", why="片区更小"))
            city.save()
        if job.key == "bing":
            placements = (placements[0], {**placements[1], "floors": 3})
        changed.append(batch.CityJob(job.key, job.name, project=str(path), placements=placements))
    return batch.run_batch(changed, out, options=OPTIONS, client=client)


def test_changing_an_override_or_a_placement_reruns_that_city_only(rerun):
    states = {c.key: c.state for c in rerun.cities}
    assert states == {"jia": "skipped", "yi": "done", "bing": "done"}
    yi, bing = (next(c for c in rerun.cities if c.key == k) for k in ("yi", "bing"))
    assert "标准修改" in yi.message and "自动划分片区" in yi.message
    assert "拟建设施" in bing.message and "标准修改" not in bing.message
    districts = Project.load(rerun.out_dir / "yi" / "project.gpkg").runs["districts"]
    assert districts.params["max_extent_m"] == 400.0


def test_a_project_saved_again_with_results_keeps_its_key(inputs, tmp_path):
    _, jobs = inputs
    job = jobs[0]
    key = batch.city_key(job, OPTIONS).fingerprint
    city = Project.load(job.project)
    workflow.run(city, "districts")  # results and a run record with its time, layers untouched
    city.save(tmp_path / "jia.gpkg")
    assert batch.city_key(batch.CityJob(job.key, job.name, project=str(tmp_path / "jia.gpkg"),
                                        placements=job.placements), OPTIONS).fingerprint == key


# ---------------------------------------------------------------------------------------------- split mode
@pytest.fixture(scope="module")
def province_run(client, tmp_path_factory):
    """Two cities' layers in one province file (communities carry their city), split by that field into
    projects, then the whole pipeline per city as tasks, then the roll-up."""
    folder = tmp_path_factory.mktemp("province")
    source = folder / "province.gpkg"
    counts = {}
    layers: dict[str, list] = {}
    for n, (name, origin) in enumerate([("戊市", (126.60, 45.70)), ("己市", (127.00, 45.80))]):
        city = small_city(n, origin, name)
        counts[name] = len(city.layer("communities"))
        for role, layer in city.layers.items():
            layer = layer.to_crs(4326)
            if role == "communities":
                layer = layer.assign(city=name)
            layers.setdefault("用地现状" if role == "landuse" else role, []).append(layer)
    for role, parts in layers.items():
        pd.concat(parts, ignore_index=True).pipe(gpd.GeoDataFrame, crs=4326).to_file(source, layer=role)
    jobs = batch.split_by_field([source], "city", folder / "out", margin_m=500.0)
    report = batch.run_batch(jobs, folder / "out", options=batch.BatchOptions(formats=("csv",), city="harbin"),
                             client=client)
    return report, counts, batch.write_province(report, province="测试省")


def test_a_province_split_by_city_runs_every_city_end_to_end(province_run):
    report, counts, _ = province_run
    assert {c.name: c.state for c in report.cities} == {"戊市": "done", "己市": "done"}
    for city in report.cities:
        finished = Project.load(report.out_dir / city.key / "project.gpkg")
        assert len(finished.layer("communities")) == counts[city.name]  # nothing of the other city came along
        for result in ("districts", "gaps", "candidate_sites", "sill_points"):
            assert len(finished.results[result]) > 0, result
        assert (report.out_dir / city.key / "plan" / "tables" / "plan_table.csv").exists()


def test_the_split_province_rolls_up_both_cities(province_run):
    report, counts, paths = province_run
    table = pd.read_csv(paths["plan_csv"], header=[0, 1], index_col=[0, 1], encoding="utf-8-sig")
    assert {"戊市", "己市"} <= set(table.index.get_level_values(0))
    subtotals = [table.loc[(name, plan_table.CITY_SUBTOTAL), (plan_table.COMMUNITIES, plan_table.TOTAL)]
                 for name in counts]
    assert table.loc[(plan_table.PROVINCE, plan_table.PROVINCE_TOTAL),
                     (plan_table.COMMUNITIES, plan_table.TOTAL)] == sum(subtotals) > 0
