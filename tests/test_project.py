"""The project file: round trip, atomic saves, recovery copy, format versions."""

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gisplanner.errors import InputError
from gisplanner.project import Project, recovery_path
from gisplanner.standards import Override


def communities(n=3):
    return gpd.GeoDataFrame({
        "feature_id": [f"c{i}" for i in range(n)],
        "name": [f"宣西小区{i}" for i in range(n)],
        "built_year": pd.array([1985 + i if i % 2 == 0 else None for i in range(n)], dtype="Int64"),
        "population_estimated": [bool(i % 2) for i in range(n)],
    }, geometry=[box(i * 100, 0, i * 100 + 80, 80) for i in range(n)], crs=32652)


@pytest.fixture
def project():
    p = Project(city="harbin", crs=32652, name="演示")
    p.set_layer("communities", communities(), source={"file": "a.gpkg", "layer": "residential_areas"})
    p.store_results({"gaps": pd.DataFrame({"community_id": ["c0"], "facility_type": ["kindergarten"],
                                       "shortfall_m": [120.5]})})
    p.store_results({"service_areas": gpd.GeoDataFrame({"facility_id": ["f1"]}, geometry=[Point(5, 5).buffer(50)],
                                                   crs=32652)})
    p.placed_facilities.append({"facility_type": "kindergarten", "footprint_wkt": "POINT (1 2)"})
    p.settings["levels"] = [5, 10, 15]
    p.add_override(Override("facilities.profiles.gb50180.types.kindergarten.radius_m", 500,
                            who="王工", why="地方规定"))
    return p


def test_round_trip_keeps_layers_results_and_metadata(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    loaded = Project.load(path)
    assert loaded.city == "harbin" and loaded.name == "演示"
    assert loaded.crs.equals(project.crs)
    pd.testing.assert_frame_equal(pd.DataFrame(loaded.layer("communities").drop(columns="geometry")),
                                  pd.DataFrame(project.layer("communities").drop(columns="geometry")))
    assert loaded.layer("communities").geometry.equals(project.layer("communities").geometry)
    assert isinstance(loaded.results["service_areas"], gpd.GeoDataFrame)
    assert not isinstance(loaded.results["gaps"], gpd.GeoDataFrame)
    assert loaded.results["gaps"]["shortfall_m"].tolist() == [120.5]
    assert loaded.placed_facilities == project.placed_facilities
    assert loaded.settings == {"levels": [5, 10, 15]}
    assert loaded.layer_sources["communities"]["layer"] == "residential_areas"


def test_overrides_survive_a_round_trip(project, tmp_path):
    loaded = Project.load(project.save(tmp_path / "p.gpkg"))
    (override,) = loaded.overrides
    assert (override.who, override.why, override.old_value) == ("王工", "地方规定", 300)
    assert loaded.standards().facility_type("kindergarten").radius_m == 500


def test_missing_role_names_the_role_and_the_fix(project):
    with pytest.raises(InputError, match=r"没有步行路网图层.*--role 图层名=walk_network"):
        project.layer("walk_network")


def test_layer_in_another_crs_is_refused(project):
    with pytest.raises(InputError, match="转换到项目坐标系"):
        project.set_layer("buildings", communities().to_crs(4326))


def test_save_replaces_the_file_and_leaves_no_temporary(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    project.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.gpkg"]
    assert Project.load(path).layer("communities").shape[0] == 3


def test_autosave_writes_a_recovery_copy_that_save_removes(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    project.set_layer("communities", communities(5))
    autosaved = project.autosave()
    assert autosaved == recovery_path(path)
    assert Project.load(autosaved).layer("communities").shape[0] == 5
    assert Project.load(path).layer("communities").shape[0] == 3
    project.save()
    assert not autosaved.exists()


def test_newer_format_version_is_refused_clearly(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gisplanner_meta SET value = ? WHERE key = 'format_version'", (json.dumps(99),))
    with pytest.raises(InputError, match="格式 99.*升级 gisplanner"):
        Project.load(path)


def test_truncated_file_names_the_file(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"p\.gpkg.*已损坏"):
        Project.load(path)


def test_plain_geopackage_is_not_a_project(tmp_path):
    path = tmp_path / "plain.gpkg"
    communities().to_file(path, layer="x")
    with pytest.raises(InputError, match="不是 gisplanner 项目"):
        Project.load(path)


SAVE_SCRIPT = textwrap.dedent("""
    import os, sys
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box
    from gisplanner.project import Project
    p = Project.load(sys.argv[1])
    n = 20000
    p.set_layer("buildings", gpd.GeoDataFrame({"feature_id": [str(i) for i in range(n)]},
                geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs=p.crs))
    if sys.argv[2] == "exit":
        real = pyogrio.write_dataframe
        def dying(frame, path, layer, **kw):
            real(frame, path, layer=layer, **kw)
            if layer == "buildings":
                os._exit(9)  # the process dies after writing part of the new file
        pyogrio.write_dataframe = dying
    print("saving", flush=True)
    p.save()
""")


def test_process_dying_midway_through_a_save_leaves_the_previous_file(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    result = subprocess.run([sys.executable, "-c", SAVE_SCRIPT, str(path), "exit"], capture_output=True)
    assert result.returncode == 9
    loaded = Project.load(path)
    assert "buildings" not in loaded.layers
    assert loaded.layer("communities").shape[0] == 3


def test_save_killed_by_a_signal_leaves_a_readable_file(project, tmp_path):
    path = project.save(tmp_path / "p.gpkg")
    with subprocess.Popen([sys.executable, "-c", SAVE_SCRIPT, str(path), "kill"],
                          stdout=subprocess.PIPE) as proc:
        assert proc.stdout.readline().strip() == b"saving"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    loaded = Project.load(path)  # the old file or, if the rename won the race, the complete new one
    assert loaded.layer("communities").shape[0] == 3
    assert loaded.layers.get("buildings") is None or loaded.layer("buildings").shape[0] == 20000


def test_save_creates_missing_folders(project, tmp_path):
    path = project.save(tmp_path / "new" / "folder" / "p.gpkg")
    assert Project.load(path).layer("communities").shape[0] == 3
