"""Converting a facility in use removes its supply: the life-circle gaps that opens, hand-computed on a toy."""

import geopandas as gpd
import pytest
from shapely import LineString, box

from gisplanner.analysis.placement import PlacementInput, check_placement, site_footprint
from gisplanner.standards import load_standards
from gisplanner.ui.placement_panel import report_html

CRS = "EPSG:32652"
STANDARDS = load_standards()


@pytest.fixture(scope="module")
def layers():
    # Two blocks along one street (y = -5). The kindergarten K1 stands in the west block's south-east corner,
    # some 20–60 m from 宣西 by the street: within its 300 m (lc5). 三辅 begins 500 m further east, out of
    # K1's reach, and is served by K2 at its own corner. Without K1 the nearest kindergarten for 宣西 is K2,
    # 600 m away: 宣西 — and only 宣西 — loses its 5-minute kindergarten.
    communities = gpd.GeoDataFrame(
        {"feature_id": ["c1", "c2"], "name": ["宣西小区", "三辅小区"], "population": [1200.0, 900.0]},
        geometry=[box(0, 0, 200, 200), box(700, 0, 900, 200)], crs=CRS)
    walk = gpd.GeoDataFrame(
        {"feature_id": ["w1"], "highway": "footway", "walkable": True, "bridge": False, "tunnel": False,
         "layer": 0, "name": ""}, geometry=[LineString([(-50, -5), (1000, -5)])], crs=CRS)
    facilities = gpd.GeoDataFrame(
        {"feature_id": ["K1", "K2"], "category": ["kindergarten", "kindergarten"], "name": ["一幼", "二幼"],
         "status": ["in_service", "in_service"]},
        geometry=[box(150, 5, 190, 40), box(800, 5, 840, 40)], crs=CRS)
    return {"communities": communities, "walk_network": walk, "facilities": facilities}


def _convert(layers, facility_type):
    site = site_footprint(layers["facilities"], "facilities", "K1")
    placement = PlacementInput(facility_type=facility_type, footprint=site.footprint, intervention="conversion",
                               site_layer="facilities", site_id="K1", site_status=site.status, floors=1)
    return check_placement(placement, layers, STANDARDS, city="harbin")


def test_converting_the_only_kindergarten_in_reach_opens_that_gap(layers):
    check = _convert(layers, "elderly_daycare").check("service_lost")
    assert check.verdict == "warn"
    assert [r["facility_id"] for r in check.numbers["removed"]] == ["K1"]
    assert "幼儿园" in check.numbers["removed"][0]["types"]
    # every type a facility of category kindergarten supplies (the category map), at its one level lc5, for 宣西
    supplied = set(STANDARDS.category_map["kindergarten"])
    assert "kindergarten" in supplied
    opened = check.numbers["opened"]
    assert {(o["community_id"], o["facility_type"], o["level"]) for o in opened} == {
        ("c1", t, "lc5") for t in supplied}
    for o in opened:
        # by the street: from 宣西's boundary to K1 before; to K2 (x ≥ 800, 600 m from x = 200) after
        assert o["distance_before_m"] < 300 < o["distance_after_m"]
        assert o["distance_after_m"] == pytest.approx(600.0 + 5 + 5 + 5, abs=20.0)
    assert check.numbers["population_losing"] == pytest.approx(1200.0)
    assert "宣西小区失去五分钟生活圈居住区的幼儿园" in check.message


def test_converting_it_into_a_kindergarten_again_opens_no_gap(layers):
    check = _convert(layers, "kindergarten").check("service_lost")
    assert (check.verdict, check.numbers["gaps_opened"]) == ("pass", 0)


def test_a_site_without_a_facility_on_it_is_not_concerned(layers):
    placement = PlacementInput(facility_type="elderly_daycare", footprint=box(40, 100, 80, 140), floors=1)
    check = check_placement(placement, layers, STANDARDS, city="harbin").check("service_lost")
    assert check.verdict == "not_applicable"


def test_the_panel_shows_which_community_loses_which_service(layers):
    shown = report_html(_convert(layers, "elderly_daycare"))
    assert "在用设施改建" in shown and "宣西小区失去五分钟生活圈居住区的幼儿园" in shown


def test_check_prints_writes_and_pages_the_gaps_it_opens(layers, tmp_path, capsys):
    import json

    from gisplanner.cli import main
    from gisplanner.project import Project

    project = Project(city="harbin", crs=CRS)
    for role, frame in layers.items():
        project.set_layer(role, frame)
    path, out, page = tmp_path / "p.gpkg", tmp_path / "r.json", tmp_path / "r.html"
    project.save(path)
    code = main(["check", str(path), "--facility", "elderly_daycare", "--site", "facilities:K1", "--floors", "1",
                 "--out", str(out), "--html", str(page), "--no-store"])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["intervention"] == "conversion"  # an existing facility is a building to convert
    lost = next(c for c in report["checks"] if c["key"] == "service_lost")
    assert {o["community_id"] for o in lost["numbers"]["opened"]} == {"c1"}
    assert "宣西小区失去五分钟生活圈居住区的幼儿园" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    assert "改建后步行距离（m）" in html and "宣西小区" in html


def test_a_building_in_a_corner_of_a_facility_leaves_it_in_service(layers):
    corner = box(150, 5, 160, 15)  # 100 m² of K1's 1,400 m²
    placement = PlacementInput(facility_type="elderly_daycare", footprint=corner, floors=1)
    check = check_placement(placement, layers, STANDARDS, city="harbin").check("service_lost")
    assert check.verdict == "not_applicable"
