"""Batch inputs without a cluster: fingerprints, city lists, a province split by a city field."""

import json
import multiprocessing
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import yaml
from shapely.geometry import LineString, box

from gisplanner import batch
from gisplanner.errors import InputError
from gisplanner.project import Project
from gisplanner.standards import Override


@pytest.fixture
def city_file(tmp_path):
    path = tmp_path / "a.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=32652).to_file(path, layer="communities")
    return path


@pytest.fixture
def city_project(tmp_path):
    path = tmp_path / "jia.gpkg"
    project = Project(city="harbin", crs="EPSG:32652", name="甲市")
    project.set_layer("communities", gpd.GeoDataFrame({"feature_id": ["c1"], "households": [100.0]},
                                                      geometry=[box(0, 0, 100, 100)], crs=32652))
    project.save(path)
    return path


def test_skip_key_follows_layers_options_overrides_and_placements(city_project):
    job = batch.CityJob("a", "甲市", project=str(city_project))
    options = batch.BatchOptions()
    first, parts, _ = batch.city_key(job, options)
    assert batch.city_key(job, options).fingerprint == first
    assert batch.city_key(job, batch.BatchOptions(seed=1)).fingerprint != first
    assert parts["runs"]["districts"]["seed"] == 0
    placed = batch.CityJob("a", "甲市", project=str(city_project), placements=({"facility": "kindergarten",
                                                                               "site": "idle_land:I1"},))
    assert batch.city_key(placed, options).fingerprint != first
    project = Project.load(city_project)
    project.add_override(Override("settings.network.search_limit_m.value", 1500.0, who="王工", why="地方规定"))
    project.save()
    second, changed, _ = batch.city_key(job, options)
    assert second != first and changed["runs"]["lifecircle"]["search_limit_m"] == 1500.0
    assert "生活圈" in batch.what_changed(parts, changed) and "标准修改" in batch.what_changed(parts, changed)
    project.layers["communities"].loc[0, "households"] = 120.0
    project.save()
    third, edited, _ = batch.city_key(job, options)
    assert third != second and batch.what_changed(changed, edited) == "输入数据已变化"


def _earlier_record(key, inputs, version=None):
    """A run record as run_city writes it, with the given ``inputs`` digest in its key parts."""
    return {"key_parts": {**key.parts, "inputs": inputs}, "input_files": key.files,
            "version": version or key.parts["version"]}


def test_a_rerun_of_unchanged_files_takes_the_inputs_digest_from_the_record(city_project, monkeypatch):
    job = batch.CityJob("a", "甲市", project=str(city_project))
    key = batch.city_key(job, batch.BatchOptions())
    loads = []
    real_load = Project.load
    monkeypatch.setattr(Project, "load", classmethod(
        lambda cls, path, **kw: loads.append(kw) or real_load.__func__(cls, path, **kw)))
    again = batch.city_key(job, batch.BatchOptions(), earlier=_earlier_record(key, "from-the-record"))
    assert again.parts["inputs"] == "from-the-record"
    assert loads == [{"layers": False, "results": False}]  # the settings only: no layer read


def test_the_record_s_digest_is_not_trusted_when_the_bytes_or_the_version_differ(city_project):
    job = batch.CityJob("a", "甲市", project=str(city_project))
    key = batch.city_key(job, batch.BatchOptions())
    old_version = _earlier_record(key, "stale", version="0.0.0")
    assert batch.city_key(job, batch.BatchOptions(), earlier=old_version).parts["inputs"] == key.parts["inputs"]
    Project.load(city_project).save()  # new bytes, same content
    resaved = batch.city_key(job, batch.BatchOptions(), earlier=_earlier_record(key, "stale"))
    assert resaved.files != key.files
    assert resaved.parts["inputs"] == key.parts["inputs"]


def test_a_project_read_without_its_layers_or_results_refuses_to_save(city_project, tmp_path):
    before = city_project.read_bytes()
    for partial in (Project.load(city_project, layers=False), Project.load(city_project, results=False)):
        with pytest.raises(InputError, match="完整打开"):
            partial.save()
        with pytest.raises(InputError, match="完整打开"):
            partial.save(tmp_path / "copy.gpkg")
    assert city_project.read_bytes() == before and not (tmp_path / "copy.gpkg").exists()
    settings_only = Project.load(city_project, layers=False)
    assert settings_only.name == "甲市" and not settings_only.layers


def test_a_city_s_peak_memory_starts_afresh():
    big = np.ones(300 * 2**20 // 8)  # 300 MB, written
    del big
    high = batch.peak_memory_mb()
    batch.reset_peak_memory()
    if batch.peak_memory_mb() == high:
        pytest.skip("this system has no resettable memory high-water mark")
    assert high - batch.peak_memory_mb() > 250


def test_a_worker_started_by_a_large_client_reports_its_own_peak():
    big = np.ones(400 * 2**20 // 8)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        child = pool.apply(batch.peak_memory_mb)
    assert child < batch.peak_memory_mb() - 350
    del big


def test_a_placement_with_an_unknown_parameter_fails_its_city_before_any_task(tmp_path, city_project):
    job = batch.CityJob("a", "甲市", project=str(city_project), placements=({"facility": "kindergarten",
                                                                             "storeys": 2},))
    report = batch.run_batch([job], tmp_path / "out", client=object())
    assert report.cities[0].state == "failed" and "storeys" in report.cities[0].message


def test_a_finished_run_counts_only_with_its_fingerprint_and_summary(tmp_path):
    (tmp_path / batch.RUN_RECORD).write_text(json.dumps({"fingerprint": "abc", "state": "done"}))
    assert batch.finished_run(tmp_path, "abc") is None  # no city summary: the run did not finish
    (tmp_path / batch.CITY_SUMMARY).write_text("{}")
    assert batch.finished_run(tmp_path, "abc") is not None
    assert batch.finished_run(tmp_path, "abd") is None


def test_city_list_paths_are_relative_to_the_list(tmp_path, city_file):
    listing = tmp_path / "cities.json"
    listing.write_text(json.dumps({"cities": [{"name": "甲市", "project": "a.gpkg"},
                                              {"key": "yi", "name": "乙市", "sources": ["b.shp"]}]}),
                       encoding="utf-8")
    jobs = batch.read_city_list(listing)
    assert jobs[0].key == "甲市" and jobs[0].project == str(city_file.resolve())
    assert jobs[1].sources == (str((tmp_path / "b.shp").resolve()),)


def test_a_city_entry_without_data_names_the_entry(tmp_path):
    listing = tmp_path / "cities.json"
    listing.write_text(json.dumps({"cities": [{"name": "甲市"}]}), encoding="utf-8")
    with pytest.raises(InputError, match="第 1 项"):
        batch.read_city_list(listing)


def test_a_city_list_with_funding_is_refused_and_points_to_the_ledger(tmp_path, city_file):
    listing = tmp_path / "cities.json"
    listing.write_text(json.dumps({"cities": [{"name": "甲市", "project": "a.gpkg", "funding": {"中央补助": 5}}]}),
                       encoding="utf-8")
    with pytest.raises(InputError, match="台账"):
        batch.read_city_list(listing)


def test_duplicate_or_unsafe_keys_are_refused(tmp_path, city_file):
    job = batch.CityJob("a", "甲市", project=str(city_file))
    with pytest.raises(InputError, match="重复"):
        batch.run_batch([job, job], tmp_path / "out", client=object())
    with pytest.raises(InputError, match="文件夹名"):
        batch.run_batch([batch.CityJob("../a", "甲市", project=str(city_file))], tmp_path / "out", client=object())


def test_a_missing_input_fails_that_city_before_any_task(tmp_path, city_file):
    jobs = [batch.CityJob("gone", "丙市", project=str(tmp_path / "gone.gpkg"))]
    report = batch.run_batch(jobs, tmp_path / "out", client=object())
    assert report.cities[0].state == "failed" and "gone.gpkg" in report.cities[0].message


def test_province_layers_split_by_city_field(tmp_path):
    """Communities carry the city; roads are cut to each city's extent plus the margin."""
    crs = 32652
    x0, y0 = 500_000, 5_000_000
    communities = gpd.GeoDataFrame({"city": ["甲市", "甲市", "乙市"], "name": ["a", "b", "c"]},
                                   geometry=[box(x0, y0, x0 + 100, y0 + 100), box(x0 + 200, y0, x0 + 300, y0 + 100),
                                             box(x0 + 20_000, y0, x0 + 20_100, y0 + 100)], crs=crs)
    roads = gpd.GeoDataFrame({"highway": ["residential"] * 3},
                             geometry=[LineString([(x0 - 50, y0 - 10), (x0 + 350, y0 - 10)]),
                                       LineString([(x0 + 1_500, y0 - 10), (x0 + 1_600, y0 - 10)]),
                                       LineString([(x0 + 20_000, y0 - 10), (x0 + 20_200, y0 - 10)])], crs=crs)
    source = tmp_path / "province.gpkg"
    communities.to_file(source, layer="communities")
    roads.to_file(source, layer="roads")
    jobs = batch.split_by_field([source], "city", tmp_path / "out", margin_m=1000.0)
    assert [j.name for j in jobs] == ["乙市", "甲市"]
    jia = {name: gpd.read_file(jobs[1].sources[0], layer=name) for name in ("communities", "roads")}
    assert sorted(jia["communities"]["name"]) == ["a", "b"]
    assert len(jia["roads"]) == 1  # the road 1.2 km east of the city is beyond the 1 km margin
    yi = gpd.read_file(jobs[0].sources[0], layer="roads")
    assert len(yi) == 1 and yi.total_bounds[0] > x0 + 19_000


def test_split_needs_the_field(tmp_path):
    source = tmp_path / "p.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=32652).to_file(source, layer="communities")
    with pytest.raises(InputError, match="county"):
        batch.split_by_field([source], "county", tmp_path / "out")


def test_cli_reports_each_city_in_chinese_and_fails_when_one_fails(tmp_path, capsys):
    from gisplanner.cli import main

    listing = tmp_path / "cities.json"
    listing.write_text(json.dumps({"cities": [{"key": "gone", "name": "丙市", "project": "gone.gpkg"}]}),
                       encoding="utf-8")
    assert main(["batch", "--cities", str(listing), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "丙市（gone）：失败" in out and "没有完成的城市" in out


def test_cli_layers_need_the_split_field(tmp_path, capsys):
    from gisplanner.cli import main

    assert main(["batch", "--layers", str(tmp_path / "p.gpkg"), "--out", str(tmp_path / "out")]) == 2
    assert "--split-by" in capsys.readouterr().err


def test_the_worker_config_file_for_other_clusters_is_the_local_cluster_s():
    def dotted(tree, prefix=""):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from dotted(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", value

    path = Path(__file__).resolve().parents[1] / "docs" / "dask-worker.yaml"
    assert dict(dotted(yaml.safe_load(path.read_text(encoding="utf-8")))) == batch.WORKER_CONFIG
