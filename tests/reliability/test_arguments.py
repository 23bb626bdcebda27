"""Values and arguments checked where they are given: years, steps, angles, sizes, cities, footprints, files."""

import json

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gisplanner import arguments, workflow
from gisplanner.errors import InputError
from gisplanner.project import Project
from tests.reliability.conftest import assert_refused, digest, lonlat, town_layers


@pytest.mark.parametrize("option, value, words", [
    ("--year", "0", "1900"), ("--year", "99999", "2100"), ("--step-min", "0", "大于 0"),
    ("--step-min", "nan", "有限"), ("--step-min", "-5", "大于 0"), ("--sweep-deg", "200", "89"),
    ("--sweep-deg", "-1", "不小于 0"),
])
def test_sunlight_arguments_are_refused_before_any_work(cli, project_file, option, value, words):
    before = digest(project_file)
    assert_refused(cli("sunlight", "--project", project_file, option, value, "--out",
                       project_file.with_name("s.gpkg")), option, words)
    assert digest(project_file) == before


def test_a_wrong_sweep_angle_keeps_the_stored_sill_points(project_file):
    project = Project.load(project_file)
    workflow.run(project, "sunlight", step_min=30)
    stored = len(project.results["sill_points"])
    assert stored > 0
    with pytest.raises(InputError, match="--sweep-deg"):
        workflow.run(project, "sunlight", sweep_deg=200)
    assert len(project.results["sill_points"]) == stored


def test_add_height_must_be_positive(cli, project_file, tmp_path):
    footprint = tmp_path / "fp.geojson"
    gpd.GeoDataFrame(geometry=[lonlat(shapely.box(160, 160, 190, 190))], crs=4326).to_file(footprint)
    assert_refused(cli("sunlight", "--project", project_file, "--add", footprint, "--add-height", "-3",
                       "--out", tmp_path / "s.gpkg"), "--add-height")


@pytest.mark.parametrize("option, value", [("--floors", "0"), ("--floors", "2.5"), ("--floors", "500"),
                                           ("--gfa", "-10"), ("--height", "inf"), ("--investment", "-1")])
def test_placement_sizes_are_checked(cli, project_file, tmp_path, option, value):
    footprint = tmp_path / "fp.geojson"
    gpd.GeoDataFrame(geometry=[lonlat(shapely.box(160, 160, 190, 190))], crs=4326).to_file(footprint)
    before = digest(project_file)
    assert_refused(cli("check", project_file, "--facility", "kindergarten", "--footprint", footprint, option, value,
                       "--out", tmp_path / "r.json"), option)
    assert digest(project_file) == before


@pytest.mark.parametrize("options, words", [
    (["--min-population", "-1"], "--min-population"), (["--max-population", "0"], "--max-population"),
    (["--min-population", "9000", "--max-population", "100"], "不大于"), (["--max-extent", "nan"], "--max-extent")])
def test_district_bounds_are_checked(cli, project_file, options, words):
    assert_refused(cli("districts", project_file, *options, "--out", project_file.with_name("d.gpkg")), words)


def test_an_unknown_city_is_refused_at_import(cli, tmp_path, town_source):
    project = tmp_path / "P.gpkg"
    assert_refused(cli("import", town_source, "--project", project, "--city", "atlantis"), "atlantis", "harbin")
    assert not project.exists()


def test_an_unknown_city_is_refused_for_a_building_file(cli, tmp_path, town_source):
    assert_refused(cli("sunlight", town_source, "--city", "atlantis", "--out", tmp_path / "s.gpkg"), "atlantis")


def test_six_points_are_no_kindergarten_footprint(cli, project_file, tmp_path):
    points = tmp_path / "six.geojson"
    gpd.GeoDataFrame(geometry=[lonlat(shapely.Point(160 + 5 * i, 160)) for i in range(6)], crs=4326).to_file(points)
    before = digest(project_file)
    assert_refused(cli("check", project_file, "--facility", "kindergarten", "--footprint", points,
                       "--out", tmp_path / "r.json"), "six.geojson", "points")
    assert digest(project_file) == before


def test_a_self_intersecting_footprint_is_named(cli, project_file, tmp_path):
    bowtie = tmp_path / "bowtie.geojson"
    shape = shapely.Polygon([(160, 160), (200, 200), (200, 160), (160, 200)])
    bowtie.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(lonlat(shape))}]}))
    assert_refused(cli("check", project_file, "--facility", "kindergarten", "--footprint", bowtie,
                       "--out", tmp_path / "r.json"), "bowtie.geojson", "自相交")


def test_the_engine_checks_sizes_the_app_passes(project_file):
    project = Project.load(project_file)
    with pytest.raises(InputError, match="层数"):
        workflow.run(project, "placement", facility="kindergarten", footprint_wkt=shapely.box(0, 0, 10, 10).wkt,
                     floors=0)


def test_a_shapefile_without_dbf_is_an_error(cli, tmp_path):
    shp = tmp_path / "communities.shp"
    pyogrio.write_dataframe(town_layers()["communities"], shp)
    shp.with_suffix(".dbf").unlink()
    assert_refused(cli("import", shp, "--project", tmp_path / "P.gpkg"), "communities.shp", ".dbf")


def test_a_folder_of_gbk_shapefiles_imports_without_mojibake(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    layers = town_layers()
    pyogrio.write_dataframe(layers["communities"], folder / "communities.shp", encoding="GBK")
    pyogrio.write_dataframe(layers["walk_network"], folder / "roads.shp", encoding="GBK")
    for cpg in folder.glob("*.cpg"):
        cpg.unlink()
    project = Project()
    from gisplanner.io.importer import import_layers

    report = import_layers(project, [folder])
    assert project.layer("communities")["name"].tolist() == layers["communities"]["name"].tolist()
    assert "encoding_guessed" in report.codes()


def test_check_number_accepts_the_range_ends():
    assert arguments.check_number("x", 1900, 1900, 2100) == 1900.0
    assert arguments.check_number("x", None, 0, 1) is None
    with pytest.raises(InputError, match="不是有限"):
        arguments.check_number("x", True, 0, 1)
