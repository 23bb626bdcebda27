import datetime as dt
from html.parser import HTMLParser

import fiona
import openpyxl
import pandas as pd
import plan_data as fx
import pyogrio
import pytest
from pypdf import PdfReader

from gisplanner import cli
from gisplanner.errors import CancelledError, InputError
from gisplanner.export import package
from gisplanner.export.layers import OSM_ATTRIBUTION
from gisplanner.progress import Progress
from gisplanner.project import Project

DAY = dt.date(2026, 11, 23)
SPATIAL = ["districts", "communities", "gaps", "service_areas", "resources", "candidate_sites",
           "proposed_facilities", "sunlight"]


@pytest.fixture
def project() -> Project:
    """The plan of plan_data.py as a project with its results, as the engines store them."""
    p = Project(city="harbin", crs=fx.CRS, name="测试")
    p.set_layer("communities", fx.communities(), source={"file": "/data/harbin_central_osm/x.gpkg"})
    for role, layer in fx.resource_layers().items():
        p.set_layer(role, layer)
    for name, frame in (("districts", fx.districts()), ("district_members", fx.members()), ("gaps", fx.gaps()),
                        ("district_resources", fx.resources()), ("service_areas", fx.service_areas()),
                        ("sill_points", fx.sunlight())):
        p.store_results({name: frame})
    p.placed_facilities = fx.placed()
    return p


def test_every_output_opens_with_an_independent_reader(project, tmp_path):
    written = package.export_plan_package(project, tmp_path, when=DAY)
    assert set(written) == set(package.FORMATS)
    gpkg = written["gpkg"][0]
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(SPATIAL) | {"plan_table", "district_items", "facility_checks"} == set(layers)
    with fiona.open(gpkg, layer="communities") as src:
        assert len(src) == 4
    # index, districts and resources, a gap sheet per level (居住街坊, 5, 10, 15 min), facilities, D1, D2
    assert len(PdfReader(written["pdf"][0]).pages) == 9
    assert all(p.stat().st_size > 10_000 for p in written["png"])
    for page in written["html"]:
        HTMLParser().feed(page.read_text(encoding="utf-8"))
    assert pd.read_csv(tmp_path / "tables" / "gaps.csv", encoding="utf-8-sig").shape[0] == 3
    assert openpyxl.load_workbook(written["xlsx"][0])["计划表"]["B9"].value == "全省(区、市)合计:"


def test_geopackage_holds_members_with_items_and_checked_facilities(project, tmp_path):
    gpkg = package.export_plan_package(project, tmp_path, formats=["gpkg"])["gpkg"][0]
    communities = pyogrio.read_dataframe(gpkg, layer="communities")
    assert sorted(communities["feature_id"]) == ["c1", "c2", "c3", "c4"]
    c1 = communities.set_index("feature_id").loc["c1"]
    # D1's members have a kindergarten gap: the catalogue's 幼儿园 item (its gap rule) and the proposed one
    assert {"幼儿园", "新建幼儿园 P1 <script>alert(1)</script>"} <= set(c1["改造内容_提升类"].split("；"))
    facilities = pyogrio.read_dataframe(gpkg, layer="proposed_facilities")
    assert facilities.loc[0, "check_sunlight_neighbours"] == "consult"
    assert facilities.loc[0, "name"] == fx.XSS_NAME
    gaps = pyogrio.read_dataframe(gpkg, layer="gaps")
    assert gaps["distance_m"].isna().sum() == 1  # unreachable: written as null, not inf
    plan = pyogrio.read_dataframe(gpkg, layer="plan_table")
    total = plan.set_index(["地级以上城市", "分类"]).loc[("全省(区、市)", "全省(区、市)合计:")]
    assert total["居民户数(户)_合计"] == 1351  # 510.5 households counted as 511


def test_district_with_no_gaps_exports_cleanly(project, tmp_path):
    written = package.export_plan_package(project, tmp_path, district="D2", paper="A4", when=DAY)
    assert set(written) == set(package.FORMATS)
    gpkg = written["gpkg"][0]
    assert len(pyogrio.read_dataframe(gpkg, layer="gaps")) == 0
    assert len(pyogrio.read_dataframe(gpkg, layer="proposed_facilities")) == 0
    assert len(pyogrio.read_dataframe(gpkg, layer="resources")) == 2
    assert "无生活圈服务缺口" in written["html"][1].read_text(encoding="utf-8")


def test_district_with_no_resources_exports_cleanly(project, tmp_path):
    written = package.export_plan_package(project, tmp_path, district="D1", paper="A4", when=DAY)
    assert set(written) == set(package.FORMATS)
    gpkg = written["gpkg"][0]
    assert len(pyogrio.read_dataframe(gpkg, layer="resources")) == 0
    assert sorted(pyogrio.read_dataframe(gpkg, layer="communities")["feature_id"]) == ["c1", "c2"]
    assert "本片区无可利用资源" in PdfReader(written["pdf"][0]).pages[1].extract_text()


def test_project_without_any_results_exports_cleanly(tmp_path):
    p = Project(city="harbin", crs=fx.CRS)
    p.set_layer("communities", fx.communities())
    written = package.export_plan_package(p, tmp_path, formats=["gpkg", "xlsx", "md"])
    assert len(pyogrio.read_dataframe(written["gpkg"][0], layer="communities")) == 5
    assert len(pyogrio.read_dataframe(written["gpkg"][0], layer="districts")) == 0
    assert "尚无拟建设施" in written["md"][0].read_text(encoding="utf-8")


def test_osm_sources_get_the_attribution(project):
    assert package.osm_attribution(project) == OSM_ATTRIBUTION
    project.layer_sources = {"communities": {"file": "/data/gusu_buildings.geojson"}}
    assert package.osm_attribution(project) is None
    project.settings["attribution"] = "© 某市规划院"
    assert package.osm_attribution(project) == "© 某市规划院"


def test_unknown_format_is_refused(project, tmp_path):
    with pytest.raises(InputError, match="unknown export format 'docx'"):
        package.export_plan_package(project, tmp_path, formats=["docx"])


def test_cli_exports_a_saved_project(project, tmp_path, capsys):
    path = project.save(tmp_path / "p.gpkg")
    assert cli.main(["export", str(path), "--out", str(tmp_path / "out"), "--formats", "gpkg,md"]) == 0
    assert (tmp_path / "out" / "plan.gpkg").exists() and (tmp_path / "out" / "review.md").exists()
    assert cli.main(["export", str(path), "--out", str(tmp_path / "out"), "--district", "D9"]) == 2
    assert "no district 'D9'" in capsys.readouterr().err


def test_cancel_stops_between_outputs(project, tmp_path):
    progress = Progress(lambda done, total, message: progress.cancel() if done == 1 else None)
    with pytest.raises(CancelledError):
        package.export_plan_package(project, tmp_path, formats=["gpkg", "xlsx", "md"], progress=progress)
    assert (tmp_path / "plan.gpkg").exists()
    assert not (tmp_path / "plan_tables.xlsx").exists()


def test_a_placement_stored_before_verdicts_carried_their_basis_is_marked_for_a_new_check(project, tmp_path):
    old = {k: v for k, v in fx.placed()[0].items() if k != "basis"}  # as projects saved it before the basis
    project.placed_facilities = [old]
    loaded = Project.load(project.save(tmp_path / "old.gpkg"))
    review = package.export_plan_package(loaded, tmp_path / "out", formats=["md"])["md"][0].read_text("utf-8")
    section = review[review.index("核查结论及依据"):]
    section = section[:section.find("\n#", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| P1 ")]
    assert len(rows) == len(old["verdicts"])
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3].startswith("需重新检查") and cells[4] not in ("", "—") and cells[5] not in ("", "—")
