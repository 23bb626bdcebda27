"""Batch runs on a real dask LocalCluster (two worker processes) over three small synthetic cities and one
broken one; one worker is killed while it computes a city. One shared run for the module."""

import json
import os
import signal

import pandas as pd
import pytest

from gisplanner import batch
from gisplanner.demo import DEMO_PLACEMENTS, build_demo_project
from gisplanner.export import plan_table, province
from gisplanner.project import Project
from gisplanner.standards import Override
from gisplanner.workflow import run_all

pytestmark = pytest.mark.slow

CITIES = [("jia", "甲市", (126.60, 45.70)), ("yi", "乙市", (127.00, 45.80)), ("bing", "丙市", (127.40, 45.90))]
FUNDING = {"jia": {"中央补助": 1200.0, "地方财政": 300.0}, "yi": {"中央补助": 800.0}, "bing": {}}
OPTIONS = batch.BatchOptions(seed=0, formats=("gpkg", "csv"))
# Coarser sill sampling keeps the run short; the pipeline is the same.
SHORT_SUNLIGHT = [("sunlight.calculation.sample_spacing_m.value", 6.0), ("sunlight.calculation.time_step_min.value", 5)]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cities")
    jobs = []
    for n, (key, name, origin) in enumerate(CITIES):
        path = folder / f"{key}.gpkg"
        city = build_demo_project(seed=n, origin_lonlat=origin, name=name)
        for setting, value in SHORT_SUNLIGHT:
            city.add_override(Override(setting, value, who="测试", why="缩短日照计算"))
        city.save(path)
        jobs.append(batch.CityJob(key, name, project=str(path), placements=DEMO_PLACEMENTS[:2],
                                  funding=FUNDING[key]))
    broken = Project(city="harbin", crs="EPSG:32652", name="丁市")
    broken.set_layer("buildings", build_demo_project().layer("buildings"))
    broken.save(folder / "ding.gpkg")
    jobs.append(batch.CityJob("ding", "丁市", project=str(folder / "ding.gpkg")))
    return folder, jobs


@pytest.fixture(scope="module")
def run(inputs, tmp_path_factory):
    from distributed import Client, LocalCluster

    _, jobs = inputs
    out = tmp_path_factory.mktemp("batch")
    killed = {}
    shown = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:

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


def test_every_city_is_reported_none_missing(run, inputs):
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
        for name in ("districts", "district_members", "gaps", "coverage", "candidate_sites", "sill_points"):
            a, b = ours[name], theirs[name]
            pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry", errors="ignore")),
                                          pd.DataFrame(b.drop(columns="geometry", errors="ignore")))
            if "geometry" in a:
                assert a.geometry.geom_equals_exact(b.geometry, 1e-6).all(), name


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
    assert whole[(plan_table.HOUSEHOLDS, plan_table.TOTAL)] > 1000
    assert "丁市" not in table.index.get_level_values(0)
    notes = rollup["notes"].read_text(encoding="utf-8")
    assert "丁市" in notes and "甲市、乙市、丙市" in notes


def test_the_xlsx_has_001s_plan_sheet_and_the_summaries(rollup):
    from openpyxl import load_workbook

    book = load_workbook(rollup["xlsx"])
    assert book.sheetnames[:2] == ["计划表", "计划表小区明细"] and "省级汇总" in book.sheetnames
    names = [c.value for c in book["计划表"]["A"] if c.value]
    assert "甲市" in names and plan_table.PROVINCE in names


def test_provincial_summary_funding_by_source_and_unknowns(run):
    report, _, _ = run
    dirs = [report.out_dir / key for key, _, _ in CITIES]
    summaries = province.read_city_summaries(dirs)
    plan = province.provincial_plan_table(summaries)
    summary = province.provincial_summary(summaries, plan).set_index("城市")
    assert summary.loc["甲市", "资金来源：中央补助（万元）"] == 1200.0
    assert summary.loc["甲市", "资金合计（万元）"] == 1500.0
    # 丙市 gave no funding table: its figures and the province's total are unknown, not 0
    assert pd.isna(summary.loc["丙市", "资金合计（万元）"])
    assert pd.isna(summary.loc[plan_table.PROVINCE_TOTAL, "资金合计（万元）"])
    assert summary.loc[plan_table.PROVINCE_TOTAL, "居民户数"] == pytest.approx(summary["居民户数"].iloc[:3].sum())


def test_overview_map_is_written(rollup):
    paths = rollup
    assert paths["map_png"].stat().st_size > 20_000 and paths["map_pdf"].exists()


def test_a_rerun_skips_unchanged_cities_without_a_cluster(run, inputs):
    report, _, _ = run
    _, jobs = inputs
    again = batch.run_batch(jobs[:3], report.out_dir, options=OPTIONS, client=object())  # never used
    assert [c.state for c in again.cities] == ["skipped"] * 3
    assert all(c.summary["districts"] > 0 for c in again.cities)
