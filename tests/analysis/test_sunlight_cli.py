"""``gisplanner sunlight``: any building file or a project in, the sill_points layer out, bad input exits 2."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gisplanner.analysis.sunlight import sun_for, sunlight_hours
from gisplanner.cli import main
from gisplanner.project import Project
from gisplanner.standards import load_standards

CRS = "EPSG:32651"


def buildings_frame():
    """A residential row and a long 5-storey office block 20 m south of it, in UTM 51N near Suzhou."""
    x0, y0 = 300000.0, 3464000.0
    return gpd.GeoDataFrame(
        {"楼层": [3, 5], "用途": ["residential", "office"]},
        geometry=[shapely.box(x0, y0, x0 + 40, y0 + 10), shapely.box(x0 - 100, y0 - 32, x0 + 140, y0 - 20)], crs=CRS)


def engine_inputs(crs, city):
    """The same buildings as the engine sees them, with the city's requirement and the sun of 2026."""
    frame = buildings_frame().to_crs(crs)
    frame["feature_id"] = ["x0", "x1"]
    frame["height_m"] = frame["楼层"] * 3.0
    frame["use"] = frame["用途"]
    req = load_standards().sunlight.requirement(city)
    lon, lat = gpd.GeoSeries([frame.union_all().envelope.centroid], crs=crs).to_crs(4326).iloc[0].coords[0]
    return frame, req, sun_for(req, lat, lon, year=2026)


def cli_points(building_file, tmp_path, city):
    """Sill points of `gisplanner sunlight` on the building file for ``city`` (2026, floors from 楼层)."""
    out = tmp_path / "out.gpkg"
    assert main(["sunlight", str(building_file), "--city", city, "--year", "2026", "--floors-field", "楼层",
                 "--out", str(out)]) == 0
    return gpd.read_file(out, layer="sill_points")


@pytest.fixture
def building_file(tmp_path):
    """The buildings in WGS84 GeoJSON with a Chinese floors field, as a planner gets them."""
    path = tmp_path / "buildings.geojson"
    buildings_frame().to_crs(4326).to_file(path)
    return path


@pytest.fixture
def footprint_file(tmp_path):
    x0, y0 = 300000.0, 3464000.0
    path = tmp_path / "new.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(x0 + 44, y0 - 6, x0 + 54, y0 + 4)], crs=CRS).to_crs(4326).to_file(path)
    return path


def test_building_file_gives_sill_points_with_hours(building_file, tmp_path, capsys):
    out = tmp_path / "out.gpkg"
    assert main(["sunlight", str(building_file), "--city", "suzhou", "--year", "2026", "--floors-field", "楼层",
                 "--special", "elderly_housing", "--out", str(out)]) == 0
    points = gpd.read_file(out, layer="sill_points")
    assert {"building_id", "floor", "hours", "required_hours", "passes"} <= set(points.columns)
    assert (points.required_hours == 2.0).all()
    assert points.hours.between(0, 6).all()
    # Behind a 15 m block 20 m away the south sills are short of sun.
    south = points[np.isclose(points.facade_azimuth, 180.0, atol=2)]
    assert (south.hours < 2).all() and not south.passes.any()
    assert "冬至日" in capsys.readouterr().out


def test_cli_hours_equal_the_engine_on_the_same_buildings(building_file, tmp_path):
    points = cli_points(building_file, tmp_path, "suzhou")
    frame, req, sun = engine_inputs(points.crs, "suzhou")
    engine = sunlight_hours(frame, sun, req)
    np.testing.assert_allclose(np.sort(points.hours), np.sort(engine.hours), atol=1 / 60)


def test_add_reports_before_and_after(building_file, footprint_file, tmp_path):
    out = tmp_path / "out.gpkg"
    assert main(["sunlight", str(building_file), "--city", "suzhou", "--year", "2026", "--floors-field", "楼层",
                 "--day", "dongzhi", "--add", str(footprint_file), "--add-height", "9", "--out", str(out)]) == 0
    points = gpd.read_file(out, layer="sill_points")
    assert set(points.status) <= {"unaffected", "reduced", "newly_failing", "exempt"}
    changed = points.status != "unaffected"
    assert changed.any()
    assert (points[changed].hours_after < points[changed].hours_before).all()
    assert (points[~changed].hours_after == points[~changed].hours_before).all()


def test_project_results_are_stored(tmp_path):
    frame = buildings_frame()
    frame["feature_id"] = ["a", "b"]
    frame["floors"] = frame["楼层"].astype(float)
    frame["height_m"] = frame["floors"] * 3.0
    frame["use"] = frame["用途"]
    project = Project(city="suzhou", crs=CRS)
    project.set_layer("buildings", frame[["feature_id", "floors", "height_m", "use", "geometry"]])
    path = tmp_path / "p.gpkg"
    project.save(path)
    assert main(["sunlight", "--project", str(path), "--special", "elderly_housing", "--out",
                 str(tmp_path / "o.gpkg")]) == 0
    stored = Project.load(path).results["sill_points"]
    assert (stored.required_hours == 2.0).all() and len(stored) > 0


def test_neither_file_nor_project_exits_2(tmp_path, capsys):
    assert main(["sunlight", "--city", "suzhou", "--out", str(tmp_path / "o.gpkg")]) == 2
    assert "须给出建筑文件或 --project" in capsys.readouterr().err


def test_add_without_height_exits_2(building_file, footprint_file, tmp_path):
    assert main(["sunlight", str(building_file), "--city", "suzhou", "--add", str(footprint_file),
                 "--out", str(tmp_path / "o.gpkg")]) == 2


def test_city_counting_rule_sets_the_default_sweep_angle(building_file, tmp_path):
    points = cli_points(building_file, tmp_path, "beijing")
    frame, req, sun = engine_inputs(points.crs, "beijing")
    swept = sunlight_hours(frame, sun, req, sweep_deg=12.0)
    unswept = sunlight_hours(frame, sun, req, sweep_deg=0.0)
    np.testing.assert_allclose(np.sort(points.hours), np.sort(swept.hours), atol=1 / 60)
    assert points.hours.sum() < unswept.hours.sum()
