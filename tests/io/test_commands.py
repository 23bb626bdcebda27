import json

import geopandas as gpd
import pyogrio
import shapely

from gisplanner.cli import main
from gisplanner.project import Project


def test_import_creates_the_project_then_adds_to_it(tmp_path, town_gpkg, capsys):
    project = tmp_path / "p.gpkg"
    assert main(["import", str(town_gpkg), "--project", str(project), "--role", "walk_network=skip",
                 "--city", "harbin"]) == 0
    assert sorted(Project.load(project).layers) == ["communities"]
    assert main(["import", str(town_gpkg), "--project", str(project), "--role", "communities=skip"]) == 0
    loaded = Project.load(project)
    assert sorted(loaded.layers) == ["communities", "walk_network"]
    assert loaded.crs.to_epsg() == 4551 and loaded.city == "harbin"


def test_import_json_prints_the_findings(tmp_path, town_gpkg, capsys):
    assert main(["import", str(town_gpkg), "--project", str(tmp_path / "p.gpkg"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] and set(report["findings"][0]) == {"code", "layer", "feature", "message"}
    assert {f["code"] for f in report["findings"]} <= {"missing_field", "value_estimated"}


def test_field_option_maps_a_source_field(tmp_path, town_gpkg):
    project = tmp_path / "p.gpkg"
    assert main(["import", str(town_gpkg), "--project", str(project),
                 "--field", "communities.population=户数"]) == 0
    communities = Project.load(project).layer("communities")
    assert (communities["population"] == communities["households"]).all()


def test_bad_input_exits_with_2_and_a_message_leaving_the_project_file_alone(tmp_path, town_gpkg, capsys):
    project = tmp_path / "p.gpkg"
    main(["import", str(town_gpkg), "--project", str(project)])
    before = project.read_bytes()
    points = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(126.64, 45.74)], crs=4326)
    pts = tmp_path / "pts.gpkg"
    pyogrio.write_dataframe(points, pts, layer="pts")
    capsys.readouterr()
    assert main(["import", str(pts), "--project", str(project), "--role", "pts=communities"]) == 2
    err = capsys.readouterr().err
    assert "pts" in err and "communities" in err
    assert project.read_bytes() == before


def test_info_lists_roles_counts_crs_and_first_ids(tmp_path, town_gpkg, town, capsys):
    project = tmp_path / "p.gpkg"
    main(["import", str(town_gpkg), "--project", str(project)])
    capsys.readouterr()
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["crs"] == "EPSG:4551" and info["city"] == "harbin"
    assert info["layers"]["communities"]["features"] == len(town["communities"])
    assert info["layers"]["communities"]["first_ids"] == ["1", "2", "3", "4", "5"]
    assert "households" in info["layers"]["communities"]["fields"]
    assert info["results"] == {}
    assert main(["info", str(project)]) == 0
    assert f"小区（communities）：{len(town['communities'])} 个要素" in capsys.readouterr().out


def test_info_on_a_missing_file_exits_with_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "none.gpkg")]) == 2
    assert "none.gpkg" in capsys.readouterr().err
