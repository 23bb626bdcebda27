"""``gisplanner check --site idle_land:ID``: the facility is a building of GFA ÷ floors inside the parcel."""

import json

import geopandas as gpd
import pyproj
import pytest
import shapely
from shapely import box

from gisplanner.analysis.sunlight import shadow_sweep, sun_for
from gisplanner.cli import main
from gisplanner.project import Project
from gisplanner.standards import load_standards

CRS = "EPSG:32652"
X0, Y0 = 317_000, 5_069_000  # central Harbin in UTM 52N, so the sun is Harbin's


def at(x0, y0, x1, y1):
    """A box in metres from (X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


PARCEL = at(100, 20, 200, 80)  # 6,000 m²
FLATS = at(100, 85, 145, 97)  # six storeys of flats north of the parcel's west half


@pytest.fixture
def project_path(tmp_path):
    project = Project(city="harbin", crs=CRS)
    project.set_layer("communities", gpd.GeoDataFrame(
        {"feature_id": ["c1"], "name": ["宣西小区"], "population": [800.0]}, geometry=[at(0, 0, 300, 300)], crs=CRS))
    project.set_layer("idle_land", gpd.GeoDataFrame(
        {"feature_id": ["L1", "L2"], "name": ["废弃厂区", "边角地"], "area_m2": [6000.0, 400.0],
         "status": ["idle", "idle"]}, geometry=[PARCEL, at(0, 250, 20, 270)], crs=CRS))
    project.set_layer("buildings", gpd.GeoDataFrame(
        {"feature_id": ["b1"], "floors": [6.0], "height_m": [18.0], "use": ["residential"]},
        geometry=[FLATS], crs=CRS))
    path = tmp_path / "p.gpkg"
    project.save(path)
    return path


def _check(project_path, tmp_path, *extra):
    out = tmp_path / "r.json"
    code = main(["check", str(project_path), "--facility", "elderly_daycare", "--out", str(out), "--no-store",
                 *extra])
    return code, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def test_a_facility_on_a_parcel_is_a_building_of_gfa_over_floors_inside_it(project_path, tmp_path, capsys):
    page = tmp_path / "r.html"
    code, report = _check(project_path, tmp_path, "--site", "idle_land:L1", "--gfa", "700", "--floors", "2",
                          "--html", str(page))
    assert code == 0
    footprint = shapely.from_wkt(report["footprint_wkt"])
    assert footprint.area == pytest.approx(350.0)
    assert footprint.within(PARCEL.buffer(1e-6))
    used = report["footprint_used"]
    floor_height = float(load_standards().sunlight.calculation["floor_height_m"].value)
    assert (used["area_m2"], used["floors"], used["height_m"]) == (pytest.approx(350.0), 2.0, 2 * floor_height)
    assert (used["centre_x"], used["centre_y"]) == pytest.approx(tuple(footprint.centroid.coords[0]))
    # the site-size check still weighs the parcel, the floor-area check the GFA
    size = {c["key"]: c["numbers"]["value_m2"] for c in report["checks"] if c["key"] in ("size_site", "size_gfa")}
    assert size == {"size_site": pytest.approx(6000.0), "size_gfa": pytest.approx(700.0)}
    printed = capsys.readouterr().out
    assert "建筑占地：" in printed and "占地350平方米" in printed and "遮挡最少" in printed
    assert "占地350平方米" in page.read_text(encoding="utf-8")


def test_the_building_on_the_parcel_keeps_clear_of_the_flats_to_its_north(project_path, tmp_path):
    _, report = _check(project_path, tmp_path, "--site", "idle_land:L1", "--gfa", "1200", "--floors", "4")
    used = report["footprint_used"]
    assert used["chosen_by"] == "least_shadow"
    # Harbin's 大寒 sun, swept again here: the chosen spot leaves the flats unshaded, the naive north-west
    # corner of the parcel would not
    standards = load_standards()
    lon, lat = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True).transform(X0 + 150, Y0 + 50)
    sun = sun_for(standards.sunlight.requirement("harbin"), lat, lon, step_min=5)
    chosen = shapely.from_wkt(report["footprint_wkt"])
    corner = at(100, 80 - used["depth_m"], 100 + used["width_m"], 80)
    assert used["height_m"] == 4 * float(standards.sunlight.calculation["floor_height_m"].value)
    shade = [shapely.intersection(shadow_sweep(f, used["height_m"], sun), FLATS).area for f in (chosen, corner)]
    assert shade[0] == pytest.approx(used["shaded_m2"], abs=1.0) and shade[0] < 1.0 < shade[1]


def test_without_a_gfa_the_catalogue_lower_bound_is_used_and_said(project_path, tmp_path):
    low = load_standards().facility_type("elderly_daycare").gfa_m2[0]
    _, report = _check(project_path, tmp_path, "--site", "idle_land:L1", "--floors", "1")
    assert shapely.from_wkt(report["footprint_wkt"]).area == pytest.approx(low)
    assert report["footprint_used"]["gfa_from_catalogue"] is True
    assert "设施目录建筑面积下限" in report["footprint_used"]["text"]


def test_a_parcel_too_small_for_the_footprint_exits_2_naming_it_and_the_fix(project_path, tmp_path, capsys):
    code, report = _check(project_path, tmp_path, "--site", "idle_land:L2", "--gfa", "1200", "--floors", "2")
    assert (code, report) == (2, None)
    err = capsys.readouterr().err
    assert "地块“L2”" in err and "600" in err and "400" in err
    assert "--floors" in err and "--gfa" in err
