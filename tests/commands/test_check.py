import json
from html.parser import HTMLParser

import geopandas as gpd
import pytest
from shapely import box

from gisplanner.cli import main
from gisplanner.project import Project

CRS = "EPSG:32652"


@pytest.fixture
def project_path(tmp_path):
    project = Project(city="harbin", crs=CRS)
    project.set_layer("communities", gpd.GeoDataFrame(
        {"feature_id": ["c1"], "name": ["宣西小区"], "population": [800.0]},
        geometry=[box(0, 0, 200, 200)], crs=CRS))
    project.set_layer("green_space", gpd.GeoDataFrame(
        {"feature_id": ["g1"], "name": ["<script>x</script>园"], "is_public": [True], "green_type": ["park"]},
        geometry=[box(120, 120, 190, 190)], crs=CRS))
    project.set_layer("landuse", gpd.GeoDataFrame(
        {"feature_id": ["l1"], "lu_code": ["1305"], "lu_code_planned": ["0702"], "name": [""]},
        geometry=[box(0, 0, 100, 100)], crs=CRS))
    project.set_layer("boiler_rooms", gpd.GeoDataFrame(
        {"feature_id": ["k1", "k2"], "name": ["一号锅炉房", "二号锅炉房"], "status": ["in_service", "decommissioned"],
         "area_m2": [600.0, 600.0]},
        geometry=[box(10, 10, 40, 30), box(50, 10, 80, 30)], crs=CRS))
    path = tmp_path / "p.gpkg"
    project.save(path)
    return path


def _run(project_path, tmp_path, *extra):
    out = tmp_path / "r.json"
    code = main(["check", str(project_path), "--facility", "elderly_daycare", "--out", str(out), *extra])
    return code, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def test_check_refuses_a_boiler_room_in_service_and_stores_the_facility(project_path, tmp_path):
    code, report = _run(project_path, tmp_path, "--site", "boiler_rooms:k1", "--gfa", "500")
    assert code == 0
    assert report["overall"] == "refused"
    assert report["intervention"] == "conversion"  # a building site defaults to conversion
    site = next(c for c in report["checks"] if c["key"] == "site_status")
    assert "“在用”" in site["message"]
    (placed,) = Project.load(project_path).placed_facilities
    assert (placed["facility_id"], placed["site"], placed["verdicts"]["site_status"]) == \
        ("P1", "boiler_rooms:k1", "fail")


def test_facility_ids_stay_unique_after_one_is_removed(project_path, tmp_path):
    for _ in range(2):
        _run(project_path, tmp_path, "--site", "boiler_rooms:k2")
    project = Project.load(project_path)
    project.placed_facilities.pop(0)
    project.save()
    _run(project_path, tmp_path, "--site", "boiler_rooms:k2")
    assert [p["facility_id"] for p in Project.load(project_path).placed_facilities] == ["P2", "P3"]


def test_check_of_a_decommissioned_boiler_room_defers_the_change_of_land_use(project_path, tmp_path):
    # 国办发〔2020〕23号 五（四）: an idle boiler room may house a public service without changing the land records.
    code, report = _run(project_path, tmp_path, "--site", "boiler_rooms:k2", "--no-store")
    land = next(c for c in report["checks"] if c["key"] == "land_use")
    assert (code, land["numbers"]["row"], land["numbers"]["plan_conforming"]) == (0, "idle_building_conversion",
                                                                                 True)
    assert land["numbers"]["action"] == "暂不办理变更手续"
    assert Project.load(project_path).placed_facilities == []


def test_check_writes_an_html_page_without_script_elements(project_path, tmp_path):
    page = tmp_path / "r.html"
    _run(project_path, tmp_path, "--site", "boiler_rooms:k2", "--html", str(page), "--no-store",
         "--attribution", "© OpenStreetMap contributors")
    tags = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append(tag)
    parser.feed(page.read_text(encoding="utf-8"))
    assert "svg" in tags and "script" not in tags
    assert "© OpenStreetMap contributors" in page.read_text(encoding="utf-8")


def test_check_reads_a_drawn_footprint_in_another_crs(project_path, tmp_path):
    drawn = gpd.GeoDataFrame(geometry=[box(130, 130, 150, 150)], crs=CRS).to_crs("EPSG:4326")
    path = tmp_path / "fp.geojson"
    drawn.to_file(path)
    code, report = _run(project_path, tmp_path, "--footprint", str(path), "--no-store")
    park = next(c for c in report["checks"] if c["key"] == "park")
    assert code == 0 and report["intervention"] == "new"
    assert park["numbers"]["parks"][0]["area_before_m2"] == pytest.approx(4900)
    assert park["numbers"]["parks"][0]["area_after_m2"] == pytest.approx(4500, rel=1e-4)


def test_bad_site_id_exits_2_with_the_fix(project_path, tmp_path, capsys):
    code, report = _run(project_path, tmp_path, "--site", "boiler_rooms:nope")
    assert (code, report) == (2, None)
    assert "gisplanner info" in capsys.readouterr().err


def test_site_without_an_id_exits_2(project_path, tmp_path, capsys):
    code, _ = _run(project_path, tmp_path, "--site", "boiler_rooms")
    assert code == 2
    assert "图层:编号" in capsys.readouterr().err
