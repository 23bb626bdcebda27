"""Import of the real Harbin OSM data (../shared/refdata/harbin_central_osm); counts from its PROVENANCE.md."""


import pyogrio
import pytest

from gisplanner.io import crs as crs_tools
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance

# Resources come from OSM only where the tags say the feature is not in use: the focus window's one heating
# candidate is a power plant (in use) and none of its 155 facility polygons is disused, so neither role is set;
# centrally the 58 chimneys are boiler rooms of unknown status, and none of the 1,681 facility polygons is a
# public-building resource (富力广场, building=construction, is tagged shop=mall: a facility being built).
FOCUS_COUNTS = {"communities": 199, "buildings": 1732, "facilities": 184, "green_space": 94, "landuse": 339,
                "walk_network": 602, "admin_boundaries": 12}
CENTRAL_COUNTS = {"communities": 1635, "buildings": 16067, "facilities": 2922, "boiler_rooms": 58,
                  "green_space": 1571, "landuse": 3122, "idle_land": 92,
                  "walk_network": 10009, "admin_boundaries": 77}


@pytest.fixture(scope="module")
def focus(harbin_focus):
    project = Project()
    report = import_layers(project, [harbin_focus], city="harbin")
    return project, report


def test_focus_roles_and_counts_match_provenance(focus):
    project, _ = focus
    assert {role: len(frame) for role, frame in project.layers.items()} == FOCUS_COUNTS  # no idle land here


def test_focus_crs_is_the_cgcs2000_zone_of_harbin_and_sources_keep_wgs84(focus):
    project, _ = focus
    assert project.crs.to_epsg() == 4551
    assert {s["source_crs"] for s in project.layer_sources.values()} == {"EPSG:4326"}


def test_focus_feature_ids_are_unique_osm_ids(focus):
    project, _ = focus
    for role, frame in project.layers.items():
        assert frame["feature_id"].is_unique, role
    assert "r14874635" in set(project.layer("communities")["feature_id"])  # 宣西小区


def test_focus_households_and_floors_are_estimated_and_flagged(focus, harbin_focus):
    project, report = focus
    communities = project.layer("communities")
    assert communities["households_estimated"].all() and (communities["households"] > 0).all()
    xuanxi = communities.set_index("feature_id").loc["r14874635"]
    assert xuanxi["name"] == "宣西小区" and xuanxi["n_buildings"] > 0
    levels = pyogrio.read_dataframe(harbin_focus, layer="buildings", read_geometry=False)["levels"]
    assert project.layer("buildings")["floors_estimated"].tolist() == levels.isna().tolist()
    assert {f.layer for f in report.of("value_estimated")} >= {"residential_areas", "buildings"}


def test_focus_land_use_codes(focus):
    project, _ = focus
    landuse = project.layer("landuse")
    assert (landuse.loc[landuse["name"] == "宣西小区", "lu_code"] == "0701").all()
    assert landuse["lu_code_estimated"].all()


def test_a_gcj02_shifted_copy_of_the_communities_is_reported(harbin_focus, tmp_path):
    roads = tmp_path / "roads.gpkg"
    pyogrio.write_dataframe(pyogrio.read_dataframe(harbin_focus, layer="walk_network"), roads,
                            layer="walk_network")
    communities = pyogrio.read_dataframe(harbin_focus, layer="residential_areas")
    shifted = tmp_path / "amap.gpkg"
    pyogrio.write_dataframe(communities.set_geometry(crs_tools.from_wgs84(communities.geometry.values, "GCJ-02"),
                                                     crs=4326), shifted, layer="residential_areas")
    report = import_layers(Project(), [roads, shifted])
    assert [f.layer for f in report.of("suspected_gcj02")] == ["residential_areas"]
    assert import_layers(Project(), [roads, harbin_focus], roles={"walk_network": "skip"}
                         ).of("suspected_gcj02") == []


def test_gcj02_shifted_pois_are_reported_against_the_buildings(harbin_focus, tmp_path):
    pois = pyogrio.read_dataframe(harbin_focus, layer="pois")
    amap = tmp_path / "amap_pois.gpkg"
    pyogrio.write_dataframe(pois.set_geometry(crs_tools.from_wgs84(pois.geometry.values, "GCJ-02"), crs=4326),
                            amap, layer="pois")
    project = Project()
    # the facility polygons (schools, hospitals ...) as the facilities the shifted points are checked against
    import_layers(project, [harbin_focus], roles={"pois": "skip", "facility_areas": "facilities"},
                  field_maps={"facilities": {"category": "amenity"}})
    (finding,) = import_layers(project, [amap]).of("suspected_gcj02")
    assert finding.layer == "pois" and "GCJ-02" in finding.message
    assert import_layers(project, [harbin_focus]).of("suspected_gcj02") == []  # the true layers fit


@pytest.mark.slow
def test_central_imports_fully(harbin_central):
    # The import time is a benchmark figure (bench/), not a test assertion: a loaded CI machine must not fail it.
    project = Project()
    import_layers(project, [harbin_central])
    assert {role: len(frame) for role, frame in project.layers.items()} == CENTRAL_COUNTS
    assert project.crs.to_epsg() == 4551
    assert all(frame["feature_id"].is_unique for frame in project.layers.values())
    rooms, idle = project.layer("boiler_rooms"), project.layer("idle_land")
    assert set(rooms["status"]) == {"unknown"} and rooms["footprint_estimated"].all()
    assert idle.groupby("source_tag")["status"].first().to_dict() == {
        "landuse=brownfield": "idle", "landuse=construction": "unknown", "landuse=greenfield": "idle",
        "landuse=landfill": "unknown"}


@pytest.mark.slow
def test_pbf_gives_the_same_roles_with_counts_close_to_the_geopackage(refdata):
    """The GeoPackage was derived from this PBF with the same filters: the walk network (plain ways) must
    match exactly; communities may differ by 1% because GDAL rebuilds relations cut at the extract's edge
    and the importer drops those it cannot repair."""
    pbf = refdata / "harbin_central_osm" / "harbin_central_2024-04.osm.pbf"
    project = Project()
    report = import_layers(project, [pbf])
    # the PBF keeps other_tags (disused:*, abandoned ...), which the GeoPackage's facility_areas dropped
    assert set(project.layers) - {"public_buildings"} == set(CENTRAL_COUNTS)
    if project.has_layer("public_buildings"):
        assert set(project.layer("public_buildings")["status"]) <= {"idle", "decommissioned", "unknown"}
    assert len(project.layer("walk_network")) == CENTRAL_COUNTS["walk_network"]
    assert project.layer("walk_network")["walkable"].sum() == 9924  # PROVENANCE: walkable=1 on 9,924
    assert len(project.layer("communities")) == pytest.approx(CENTRAL_COUNTS["communities"], rel=0.01)
    assert report.of("empty_geometry_dropped")  # edge-cut rings are reported, not silently lost


def test_cli_import_and_info_on_the_focus_file(harbin_focus, tmp_path, capsys):
    import json

    from gisplanner.cli import main

    project = tmp_path / "focus.gpkg"
    assert main(["import", str(harbin_focus), "--project", str(project), "--city", "harbin", "--json"]) == 0
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert codes == {"missing_field", "value_estimated"}  # the derived file is clean
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {role: layer["features"] for role, layer in info["layers"].items()} == FOCUS_COUNTS
    assert info["crs"] == "EPSG:4551"
    assert info["layers"]["communities"]["source"]["layer"] == "residential_areas"
