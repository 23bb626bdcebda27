"""Never lose a project: outputs that are the project, read-only files, locks, stale save files, empty layers."""

import json
import os
import socket
import sqlite3
import subprocess
import sys

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.filelock import lock_path, project_lock
from gisplanner.labels import code_label
from gisplanner.project import Project, remove_stale_saves
from tests.reliability.conftest import assert_refused, digest, lonlat, town_layers


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lifecircle_out_equal_to_the_project_is_refused(cli, project_file):
    before = digest(project_file)
    assert_refused(cli("lifecircle", project_file, "--out", project_file, "--no-save"), "P.gpkg", "--out")
    assert digest(project_file) == before


def test_out_through_a_symlink_to_the_project_is_refused(cli, project_file, tmp_path):
    link = tmp_path / "link.gpkg"
    link.symlink_to(project_file)
    before = digest(project_file)
    assert_refused(cli("districts", project_file, "--out", link), "P.gpkg")
    assert digest(project_file) == before


def test_export_whose_plan_gpkg_is_the_project_is_refused(cli, project_file, tmp_path):
    project = tmp_path / "plan.gpkg"
    project_file.rename(project)
    before = digest(project)
    assert_refused(cli("export", project, "--out", tmp_path, "--formats", "gpkg"), "plan.gpkg")
    assert digest(project) == before


def test_lifecircle_csv_folder_on_the_project_is_refused(cli, project_file):
    before = digest(project_file)
    assert_refused(cli("lifecircle", project_file, "--out", project_file.with_name("o.gpkg"),
                       "--csv", project_file), "P.gpkg", "--csv")
    assert digest(project_file) == before


def test_read_only_project_is_refused_and_untouched(cli, project_file, town_source):
    project_file.chmod(0o444)
    before, mode = digest(project_file), project_file.stat().st_mode
    assert_refused(cli("import", town_source, "--project", project_file), "P.gpkg", "只读")
    assert digest(project_file) == before and project_file.stat().st_mode == mode


def test_read_only_project_save_is_refused(project_file):
    project = Project.load(project_file)
    project_file.chmod(0o444)
    with pytest.raises(InputError, match="只读"):
        project.save()


def test_save_keeps_the_mode_of_the_file(project_file):
    project_file.chmod(0o640)
    Project.load(project_file).save()
    assert project_file.stat().st_mode & 0o7777 == 0o640


def test_save_over_a_file_changed_by_another_program_is_refused(project_file):
    project = Project.load(project_file)
    other = Project.load(project_file)
    other.settings["changed"] = True
    other.save()
    before = digest(project_file)
    with pytest.raises(InputError, match="其他程序改过"):
        project.save()
    assert digest(project_file) == before


def test_stale_save_files_are_removed_on_open(project_file):
    stale = project_file.with_name(f".P.saving-{_dead_pid()}.gpkg")
    stale.write_bytes(b"x" * 1000)
    live = project_file.with_name(f".P.saving-{os.getpid()}.gpkg")
    live.write_bytes(b"x")
    other = project_file.with_name(f".Q.saving-{_dead_pid()}.gpkg")
    other.write_bytes(b"x")
    Project.load(project_file)
    assert not stale.exists()
    assert live.exists() and other.exists()  # a save in progress and another project's file are left alone
    assert remove_stale_saves(project_file) == []


def _hold_lock(project_file, pid, host=None):
    lock_path(project_file).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname(),
                                                   "since": "2026-01-01 08:00:00"}))


def test_a_second_writer_is_refused_naming_the_holder(project_file, monkeypatch, cli, town_source):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _hold_lock(project_file, holder.pid)
        monkeypatch.setattr("gisplanner.filelock.LOCK_WAIT_S", 0.3)
        before = digest(project_file)
        err = assert_refused(cli("import", town_source, "--project", project_file), str(holder.pid), ".lock")
        assert "正被" in err
        assert digest(project_file) == before
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_of_another_host_is_respected(project_file):
    _hold_lock(project_file, 1, host="another-machine")
    with pytest.raises(InputError, match="another-machine"), project_lock(project_file, wait_s=0.2):
        pass


def test_a_stale_lock_is_taken_over(project_file):
    _hold_lock(project_file, _dead_pid())
    project = Project.load(project_file)
    project.settings["x"] = 1
    project.save()
    assert Project.load(project_file).settings["x"] == 1
    assert not lock_path(project_file).exists()


@pytest.mark.slow
def test_two_imports_at_once_keep_both_layers(tmp_path, town_source):
    layers = town_layers()
    green = gpd.GeoDataFrame({"green_type": ["park"]}, geometry=[lonlat(shapely.box(160, 160, 190, 190))], crs=4326)
    landuse = gpd.GeoDataFrame({"lu_code": ["0701"]}, geometry=[lonlat(shapely.box(0, 0, 600, 600))], crs=4326)
    project = tmp_path / "P.gpkg"
    pyogrio.write_dataframe(layers["communities"], tmp_path / "c.gpkg", layer="communities")
    subprocess.run([sys.executable, "-m", "gisplanner.cli", "import", str(tmp_path / "c.gpkg"), "--project",
                    str(project)], check=True, capture_output=True)
    pyogrio.write_dataframe(green, tmp_path / "g.gpkg", layer="green_space")
    pyogrio.write_dataframe(landuse, tmp_path / "l.gpkg", layer="parcels")
    procs = [subprocess.Popen([sys.executable, "-m", "gisplanner.cli", "import", str(tmp_path / f), "--project",
                               str(project), *role], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for f, role in (("g.gpkg", []), ("l.gpkg", ["--role", "parcels=landuse"]))]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert {"communities", "green_space", "landuse"} <= set(Project.load(project).layers)


def test_an_empty_layer_never_replaces_populated_communities(cli, project_file, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    before = digest(project_file)
    assert_refused(cli("import", empty, "--role", "empty=communities", "--project", project_file), "empty",
                   "--replace")
    assert digest(project_file) == before


def test_a_layer_of_null_geometries_never_replaces_populated_communities(cli, project_file, tmp_path):
    nulls = tmp_path / "nulls.geojson"
    nulls.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"x{i}"}, "geometry": None} for i in range(3)]}))
    before = digest(project_file)
    assert_refused(cli("import", nulls, "--role", "nulls=communities", "--project", project_file), "nulls")
    assert digest(project_file) == before


def test_replace_empties_the_role_and_reports_it(cli, project_file, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    code, out, _ = cli("import", empty, "--role", "empty=communities", "--project", project_file, "--replace")
    assert code == 0
    assert f"[{code_label('role_replaced', 'finding')}]" in out and "9 个要素" in out
    assert len(Project.load(project_file).layer("communities")) == 0


def test_every_role_replacement_is_reported(cli, project_file, town_source):
    code, out, _ = cli("import", town_source, "--project", project_file, "--json")
    assert code == 0
    replaced = [f for f in json.loads(out)["findings"] if f["code"] == "role_replaced"]
    assert sorted(f["layer"] for f in replaced) == ["buildings", "communities", "walk_network"]


@pytest.mark.parametrize("key, value, entry", [
    ("settings", "{not json", "settings"),
    ("crs", json.dumps("EPSG:999999"), "crs"),
    ("crs", json.dumps("EPSG:4326"), "crs"),
    ("overrides", json.dumps([{"nonsense": 1}]), "overrides[0]"),
    ("roles", json.dumps(["communities", "spaceships"]), "roles"),
    ("layer_sources", json.dumps([1, 2]), "layer_sources"),
])
def test_a_corrupt_meta_entry_is_named(cli, project_file, key, value, entry):
    with sqlite3.connect(project_file) as db:
        db.execute("UPDATE gisplanner_meta SET value = ? WHERE key = ?", (value, key))
    before = digest(project_file)
    with pytest.raises(InputError) as err:
        Project.load(project_file)
    assert err.value.feature == entry and err.value.layer == "gisplanner_meta"
    assert_refused(cli("info", project_file), entry, "P.gpkg")
    assert digest(project_file) == before


def test_an_override_of_an_unknown_standard_is_named(cli, project_file):
    bad = [{"path": "no.such.key", "value": 1, "who": "王工", "why": "试", "when": "2026-01-01"}]
    with sqlite3.connect(project_file) as db:
        db.execute("UPDATE gisplanner_meta SET value = ? WHERE key = 'overrides'", (json.dumps(bad),))
    assert_refused(cli("info", project_file), "no.such.key")


def test_a_project_missing_a_recorded_layer_is_named(cli, project_file):
    with sqlite3.connect(project_file) as db:
        roles = json.loads(db.execute("SELECT value FROM gisplanner_meta WHERE key='roles'").fetchone()[0])
        db.execute("UPDATE gisplanner_meta SET value = ? WHERE key = 'roles'", (json.dumps([*roles, "gates"]),))
    assert_refused(cli("info", project_file), "gates")
