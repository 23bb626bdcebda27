"""``gisplanner districts``: layers written to OUT, results stored in the project, bad input exits 2."""

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, box

from gisplanner.cli import main
from gisplanner.project import Project

CRS = "EPSG:32652"
STEP = 110.0


@pytest.fixture
def project_file(tmp_path):
    """2 x 4 grid of 3,000-person communities (one built in 2010), a primary road between columns 1 and 2,
    an idle plot beside column 0."""
    cells = [(r, c) for r in range(2) for c in range(4)]
    comm = gpd.GeoDataFrame({
        "feature_id": [f"r{r}c{c}" for r, c in cells], "name": [f"小区{r}{c}" for r, c in cells],
        "households": 1000.0, "population": 3000.0, "households_estimated": False, "population_estimated": False,
        "built_year": pd.array([2010] + [1990] * 7, dtype="Int64"), "area_type": "city",
        "n_buildings": 5, "floor_area_m2": 60000.0, "pipes_old": True,  # each community needs 供水 (per household)
    }, geometry=[box(c * STEP, r * STEP, c * STEP + 100, r * STEP + 100) for r, c in cells], crs=CRS)
    walk = gpd.GeoDataFrame({"feature_id": ["w1"], "highway": ["primary"], "walkable": [True], "bridge": [False],
                             "tunnel": [False], "layer": [0], "name": ["中山路"]},
                            geometry=[LineString([(2 * STEP - 5, -100), (2 * STEP - 5, 400)])], crs=CRS)
    idle = gpd.GeoDataFrame({"feature_id": ["i1"], "name": ["空地"], "area_m2": [900.0], "lu_code": ["2301"]},
                            geometry=[box(-60, 0, -30, 30)], crs=CRS)
    project = Project(city="harbin", crs=CRS)
    project.set_layer("communities", comm)
    project.set_layer("walk_network", walk)
    project.set_layer("idle_land", idle)
    path = tmp_path / "p.gpkg"
    project.save(path)
    return path


def test_writes_the_district_layers(project_file, tmp_path, capsys):
    out = tmp_path / "out.gpkg"
    assert main(["districts", str(project_file), "--out", str(out), "--min-population", "5000",
                 "--max-population", "12000"]) == 0
    assert {"districts", "district_members", "district_resources", "district_exclusions"} <= {
        name for name, _ in pyogrio.list_layers(out)}
    members = pyogrio.read_dataframe(out, layer="district_members")
    districts = pyogrio.read_dataframe(out, layer="districts").set_index("district_id")
    side = members["community_id"].str[-1].astype(int) >= 2
    assert (side.groupby(members["district_id"]).nunique() == 1).all()
    assert sorted(members["community_id"]) == sorted(f"r{r}c{c}" for r in range(2) for c in range(4))[1:]
    assert districts["population"].between(5000, 12000).all()
    resources = pyogrio.read_dataframe(out, layer="district_resources")
    assert resources[["layer", "resource_id"]].values.tolist() == [["idle_land", "i1"]]
    excluded = pyogrio.read_dataframe(out, layer="district_exclusions")
    assert excluded[["community_id", "reason"]].values.tolist() == [["r0c0", "2010年建成，晚于2005年底"]]
    assert "个片区，共 7 个小区" in capsys.readouterr().out


def test_results_are_stored_in_the_project(project_file, tmp_path):
    assert main(["districts", str(project_file), "--out", str(tmp_path / "o.gpkg")]) == 0
    project = Project.load(project_file)
    assert {"districts", "district_members", "district_resources", "district_exclusions"} <= set(project.results)


def test_no_save_leaves_the_project_alone(project_file, tmp_path):
    assert main(["districts", str(project_file), "--out", str(tmp_path / "o.gpkg"), "--no-save"]) == 0
    assert "districts" not in Project.load(project_file).results


def test_unit_costs_give_costs(project_file, tmp_path):
    costs = tmp_path / "costs.csv"
    costs.write_text("item,unit,unit_cost_yuan\n供水,household,1200\n", encoding="utf-8-sig")
    out = tmp_path / "o.gpkg"
    assert main(["districts", str(project_file), "--out", str(out), "--unit-costs", str(costs)]) == 0
    districts = pyogrio.read_dataframe(out, layer="districts")
    # the members' 供水 item: their households × 1,200 yuan
    assert (districts["cost_yuan"] == districts["households"] * 1200).all()


def test_bad_unit_cost_file_exits_2_naming_the_file(project_file, tmp_path, capsys):
    costs = tmp_path / "costs.csv"
    costs.write_text("item,unit,unit_cost_yuan\n供水,per_km,1200\n", encoding="utf-8")
    assert main(["districts", str(project_file), "--out", str(tmp_path / "o.gpkg"),
                 "--unit-costs", str(costs)]) == 2
    err = capsys.readouterr().err
    assert "costs.csv" in err and "第 2 行" in err and "per_km" in err


def test_within_admin_without_boundaries_exits_2(project_file, tmp_path, capsys):
    assert main(["districts", str(project_file), "--out", str(tmp_path / "o.gpkg"), "--within-admin"]) == 2
    assert "admin_boundaries" in capsys.readouterr().err


def test_missing_built_years_are_pointed_out(project_file, tmp_path, capsys):
    project = Project.load(project_file)
    comm = project.layer("communities").copy()
    comm["built_year"] = pd.array([None] * len(comm), dtype="Int64")
    project.set_layer("communities", comm)
    project.save()
    assert main(["districts", str(project_file), "--out", str(tmp_path / "o.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "0 个片区" in out and "8 个小区没有建成年份" in out
