"""``gisplanner lifecircle``: layers written to OUT and CSV, results stored in the project, bad input exits 2."""

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point

from gisplanner import workflow
from gisplanner.cli import main
from gisplanner.commands.lifecircle import parse_levels
from gisplanner.progress import Progress
from gisplanner.project import Project

CRS = "EPSG:32652"


@pytest.fixture
def project_file(tmp_path):
    """A 1 km road, two communities 10 m north of it, a kindergarten at x=150 and an idle plot at x=700."""
    walk = gpd.GeoDataFrame({"feature_id": ["w1"], "highway": ["residential"], "walkable": [True],
                             "bridge": [False], "tunnel": [False], "layer": [0], "name": ["路"]},
                            geometry=[LineString([(0, 0), (1000, 0)])], crs=CRS)
    comm = gpd.GeoDataFrame({"feature_id": ["C1", "C2"], "name": ["甲小区", "乙小区"], "population": [1000.0, 2000.0],
                             "population_estimated": [False, False]},
                            geometry=[shapely.box(100, 10, 180, 90), shapely.box(700, 10, 780, 90)], crs=CRS)
    fac = gpd.GeoDataFrame({"feature_id": ["K1"], "category": ["kindergarten"], "name": ["幼儿园"]},
                           geometry=[Point(150, -5)], crs=CRS)
    idle = gpd.GeoDataFrame({"feature_id": ["I1"], "name": ["空地"], "area_m2": [6000.0], "lu_code": ["2301"],
                             "status": ["idle"]},
                            geometry=[shapely.box(720, -60, 800, -10)], crs=CRS)
    project = Project(city="harbin", crs=CRS)
    for role, frame in (("walk_network", walk), ("communities", comm), ("facilities", fac), ("idle_land", idle)):
        project.set_layer(role, frame)
    path = tmp_path / "p.gpkg"
    project.save(path)
    return path


def test_writes_layers_csv_and_stores_results(project_file, tmp_path, capsys):
    out = tmp_path / "lc.gpkg"
    code = main(["lifecircle", str(project_file), "--out", str(out), "--csv", str(tmp_path / "csv"),
                 "--levels", "5", "--types", "kindergarten,nursery", "--sites", "1"])
    assert code == 0
    assert "个候选站点" in capsys.readouterr().out
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"community_access", "gaps", "coverage", "service_areas", "candidate_sites"} <= layers
    access = pyogrio.read_dataframe(out, layer="community_access").set_index(["community_id", "facility_type"])
    assert access.loc[("C1", "kindergarten"), "distance_m"] == pytest.approx(5 + 10)
    assert len(access) == 2 * 2
    sites = pd.read_csv(tmp_path / "csv" / "candidate_sites.csv")
    chosen = sites[(sites["facility_type"] == "kindergarten") & (sites["rank"] == 1)]
    assert chosen["site_id"].tolist() == ["I1"]
    assert Project.load(project_file).results["gaps"]["community_id"].tolist() == ["C2", "C2"]


def test_unknown_level_exits_2(project_file, tmp_path, capsys):
    assert main(["lifecircle", str(project_file), "--out", str(tmp_path / "o.gpkg"), "--levels", "7"]) == 2
    assert "lc7" in capsys.readouterr().err


def test_missing_facilities_layer_exits_2(project_file, tmp_path, capsys):
    project = Project.load(project_file)
    project.remove_layer("facilities")
    project.save()
    assert main(["lifecircle", str(project_file), "--out", str(tmp_path / "o.gpkg")]) == 2
    assert "facilities" in capsys.readouterr().err


def test_parse_levels_accepts_minutes_and_keys():
    assert parse_levels("5,10, block") == ["lc5", "lc10", "block"]


def test_coverage_per_district_when_the_project_has_districts(project_file):
    project = Project.load(project_file)
    project.store_results({"district_members": pd.DataFrame({"district_id": ["D1"], "community_id": ["C1"],
                                                         "community_name": ["甲小区"]})})
    cov = workflow.run(project, "lifecircle", levels=["lc5"], types=["kindergarten"])["coverage"]
    by = cov.set_index("district")
    assert set(by.index) == {"all", "D1"}
    assert by.loc["D1", "share_served"] == 1.0  # C1 is 15 m from the kindergarten
    assert by.loc["all", "share_served"] == pytest.approx(1000 / 3000)


def test_unknown_facility_id_for_per_facility_areas_exits_2(project_file, tmp_path, capsys):
    assert main(["lifecircle", str(project_file), "--out", str(tmp_path / "o.gpkg"), "--per-facility", "K9"]) == 2
    assert "K9" in capsys.readouterr().err


def test_progress_runs_forward_through_the_stages(project_file):
    seen = []
    workflow.run(Project.load(project_file), "lifecircle", levels=["lc5"], types=["kindergarten"],
                        progress=Progress(lambda done, total, message: seen.append(done / total)))
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
