import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from gisplanner.errors import InputError
from gisplanner.io import crs as crs_tools
from gisplanner.io.importer import import_layers, parse_assignments, parse_field_maps, roles_of_layer
from gisplanner.project import Project


def _write(frame, path, layer=None):
    pyogrio.write_dataframe(frame, path, layer=layer)
    return path


def test_import_assigns_roles_maps_fields_and_chooses_the_metric_crs(town_gpkg, town):
    project = Project()
    report = import_layers(project, [town_gpkg], city="harbin")
    assert project.crs.to_epsg() == 4551  # CGCS2000 3-degree GK, CM 126E
    communities = project.layer("communities")
    assert len(communities) == len(town["communities"])
    assert communities["name"].tolist() == town["communities"]["小区名称"].tolist()
    assert communities["households"].tolist() == town["communities"]["户数"].tolist()
    assert not communities["households_estimated"].any() and communities["population_estimated"].all()
    assert communities["feature_id"].is_unique
    assert project.layer("walk_network")["walkable"].all()
    assert project.layer_sources["communities"]["source_crs"] == "EPSG:4326"
    assert project.layer_sources["communities"]["field_map"]["households"] == "户数"
    # areas survive the reprojection: a block is (x1 - x0 - 16) × (y1 - y0 - 16) m in the local frame
    lonlat_area = town["communities"].to_crs(project.crs).area.to_numpy()
    np.testing.assert_allclose(communities.area.to_numpy(), lonlat_area)
    assert report.of("suspected_gcj02") == []


def test_layer_without_crs_is_refused_then_accepted_with_source_crs(tmp_path, town):
    # a .dbf field name has 10 bytes: 小区名称 would be cut in the middle of a UTF-8 character
    path = _write(town["communities"].rename(columns={"小区名称": "名称"}), tmp_path / "xq.shp")
    path.with_suffix(".prj").unlink()
    project = Project()
    with pytest.raises(InputError, match="没有坐标系") as err:
        import_layers(project, [path], roles={"xq": "communities"})
    assert "--source-crs EPSG:4326" in err.value.fix
    assert project.layers == {} and project.crs is None
    report = import_layers(project, [path], roles={"xq": "communities"}, source_crs="EPSG:4326")
    assert [f.code for f in report.of("missing_crs")] == ["missing_crs"]
    assert project.crs.to_epsg() == 4551


def test_points_given_as_communities_are_refused_and_the_project_is_unchanged(tmp_path, town_gpkg):
    project = Project()
    import_layers(project, [town_gpkg])
    before = {role: frame.copy() for role, frame in project.layers.items()}
    points = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(126.64, 45.74)], crs=4326)
    path = _write(points, tmp_path / "pts.gpkg", layer="pts")
    with pytest.raises(InputError, match="points") as err:
        import_layers(project, [path], roles={"pts": "communities"})
    assert err.value.layer == "pts"
    assert set(project.layers) == set(before)
    for role, frame in before.items():
        assert_geodataframe_equal(project.layers[role], frame)


def test_failed_import_leaves_the_project_exactly_as_it_was(tmp_path, town, town_gpkg):
    project = Project()
    import_layers(project, [town_gpkg], city="harbin")
    before = ({r: f.copy() for r, f in project.layers.items()}, dict(project.layer_sources), project.crs,
              project.city)
    good = _write(town["communities"].assign(名称="x"), tmp_path / "more_communities.gpkg", layer="communities")
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(good.read_bytes()[:4096])
    with pytest.raises(InputError, match="broken.gpkg"):
        import_layers(project, [good, broken], city="beijing")
    layers, sources, crs, city = before
    assert (project.crs, project.city) == (crs, city)
    assert project.layer_sources == sources
    for role, frame in layers.items():
        assert_geodataframe_equal(project.layers[role], frame)


def test_mapping_to_a_missing_field_is_refused_naming_it(town_gpkg):
    project = Project()
    with pytest.raises(InputError, match="HU_2020"):
        import_layers(project, [town_gpkg], field_maps={"communities": {"households": "HU_2020"}})
    assert project.layers == {}


def test_self_intersecting_and_empty_geometries_are_repaired_or_dropped(tmp_path):
    bowtie = shapely.Polygon([(126.640, 45.740), (126.642, 45.742), (126.642, 45.740), (126.640, 45.742)])
    frame = gpd.GeoDataFrame({"name": ["bow", "none", "ok"]},
                             geometry=[bowtie, None, shapely.box(126.65, 45.74, 126.651, 45.741)], crs=4326)
    path = _write(frame, tmp_path / "communities.gpkg", layer="communities")
    project = Project()
    report = import_layers(project, [path])
    assert project.layer("communities")["name"].tolist() == ["bow", "ok"]
    assert project.layer("communities").is_valid.all()
    assert [(f.code, f.feature) for f in report.findings if f.code != "missing_field"
            and f.code != "value_estimated"] == [("invalid_geometry_repaired", "0"), ("empty_geometry_dropped", "1")]


def test_gcj02_shifted_layer_is_reported_and_converted_back_on_request(tmp_path, town):
    roads = _write(town["walk_network"], tmp_path / "roads.gpkg", layer="walk_network")
    shifted = town["communities"].set_geometry(crs_tools.from_wgs84(town["communities"].geometry.values,
                                                                    "GCJ-02"), crs=4326)
    amap = _write(shifted, tmp_path / "amap.gpkg", layer="communities")
    project = Project()
    report = import_layers(project, [roads, amap])
    (finding,) = report.of("suspected_gcj02")
    assert finding.layer == "communities" and "--source-crs GCJ-02" in finding.message

    fixed = Project()
    import_layers(fixed, [roads])
    report = import_layers(fixed, [amap], source_crs="GCJ-02")
    assert report.of("suspected_gcj02") == []
    truth = town["communities"].to_crs(fixed.crs).geometry.values
    got = fixed.layer("communities").geometry.values
    assert float(np.max(shapely.hausdorff_distance(truth, got))) < 3.0
    assert fixed.layer_sources["communities"]["source_crs"] == "GCJ-02"


def test_buildings_get_their_community_and_feed_its_households(tmp_path, town):
    block = town["communities"].geometry.iloc[0]
    c = block.centroid
    buildings = gpd.GeoDataFrame({"Floor": [5]}, geometry=[shapely.box(c.x - 1e-4, c.y - 1e-4, c.x + 1e-4,
                                                                       c.y + 1e-4)], crs=4326)
    path = tmp_path / "b.gpkg"
    pyogrio.write_dataframe(town["communities"].drop(columns="户数"), path, layer="communities")
    pyogrio.write_dataframe(buildings, path, layer="buildings")
    project = Project()
    import_layers(project, [path])
    b, xq = project.layer("buildings"), project.layer("communities")
    assert b["community_id"].tolist() == [xq["feature_id"].iloc[0]]
    assert b["floors"].tolist() == [5.0] and not b["floors_estimated"].any()
    assert xq["households"].iloc[0] == pytest.approx(b.area.iloc[0] * 5 / 80)
    assert xq["n_buildings"].tolist()[:2] == [1, 0]


def test_two_layers_for_one_role_are_refused(tmp_path, town):
    a = _write(town["communities"], tmp_path / "a.gpkg", layer="communities")
    b = _write(town["communities"], tmp_path / "b.gpkg", layer="communities")
    with pytest.raises(InputError, match="两个图层都是 communities"):
        import_layers(Project(), [a, b])


def test_roles_of_layer_names():
    assert roles_of_layer("pois") == [("facilities", None), ("boiler_rooms", ("man_made", "chimney"))]
    assert roles_of_layer("suzhou_gusu_buildings") == [("buildings", None)]
    assert roles_of_layer("x", {"x": "skip"}) == []
    with pytest.raises(InputError, match="--role layer7=角色"):
        roles_of_layer("layer7")


def test_parse_field_maps():
    assert parse_field_maps(["communities.households=户数", "buildings.floors=CS"]) == {
        "communities": {"households": "户数"}, "buildings": {"floors": "CS"}}
    with pytest.raises(InputError):
        parse_field_maps(["households=户数"])


def test_cancelling_stops_the_import_before_the_project_changes(town_gpkg):
    from gisplanner.errors import CancelledError
    from gisplanner.progress import Progress

    seen = []
    progress = Progress(lambda done, total, message: (seen.append(message), progress.cancel()))
    project = Project()
    with pytest.raises(CancelledError):
        import_layers(project, [town_gpkg], progress=progress)
    assert seen == ["读取 town.gpkg"] and project.layers == {} and project.crs is None


def test_boiler_room_status_words_are_normalised(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["一号锅炉房", "二号锅炉房", "三号锅炉房"], "状态": ["在用", "已停用", "?"]},
                             geometry=[shapely.Point(126.64 + i * 1e-3, 45.74) for i in range(3)], crs=4326)
    path = _write(frame, tmp_path / "锅炉房.gpkg", layer="锅炉房")
    project = Project()
    import_layers(project, [path])
    rooms = project.layer("boiler_rooms")
    assert rooms["status"].tolist() == ["in_service", "decommissioned", "unknown"]
    assert rooms["status_reason"].tolist()[1] == "现状字段“已停用”：停用"


def test_a_point_boiler_room_gets_a_footprint_of_its_stated_area_or_a_flagged_default(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["一号锅炉房", "二号锅炉房"], "占地面积": ["900平方米", None]},
                             geometry=[shapely.Point(126.64 + i * 1e-3, 45.74) for i in range(2)], crs=4326)
    project = Project()
    report = import_layers(project, [_write(frame, tmp_path / "锅炉房.gpkg", layer="锅炉房")])
    rooms = project.layer("boiler_rooms")
    assert rooms.geom_type.tolist() == ["Polygon", "Polygon"]
    assert rooms.area.tolist() == pytest.approx([900.0, 400.0])  # 400 m²: settings estimation default
    assert rooms["footprint_estimated"].tolist() == [False, True]
    assert len(report.of("footprint_estimated")) == 1


def test_numeric_land_use_codes_get_their_leading_zero_back(tmp_path):
    frame = gpd.GeoDataFrame({"用地代码": [701, 80403, 1401, 9]},
                             geometry=[shapely.box(126.64 + i * 1e-3, 45.74, 126.6405 + i * 1e-3, 45.7405)
                                       for i in range(4)], crs=4326)
    path = _write(frame, tmp_path / "用地.gpkg", layer="用地现状")
    project = Project()
    import_layers(project, [path])
    landuse = project.layer("landuse")
    assert landuse["lu_code"].tolist() == ["0701", "080403", "1401", "09"]
    assert not landuse["lu_code_estimated"].any()


def test_area_type_reads_county_and_defaults_to_city(tmp_path, town):
    frame = town["communities"].head(3).assign(区域类型=["县城", None, "城市建成区"])
    path = _write(frame, tmp_path / "xq.gpkg", layer="小区")
    project = Project()
    import_layers(project, [path])
    assert project.layer("communities")["area_type"].tolist() == ["county", "city", "city"]


def _one_building_in_block(town, block=0, floors=5):
    c = town["communities"].geometry.iloc[block].centroid
    return gpd.GeoDataFrame({"Floor": [floors]}, geometry=[shapely.box(c.x - 1e-4, c.y - 1e-4, c.x + 1e-4,
                                                                       c.y + 1e-4)], crs=4326)


def test_buildings_imported_later_re_estimate_only_the_estimated_households(tmp_path, town):
    surveyed = town["communities"].assign(户数=[120.0] + [None] * (len(town["communities"]) - 1))
    project = Project()
    import_layers(project, [_write(surveyed, tmp_path / "xq.gpkg", layer="communities")])
    before = project.layer("communities").copy()
    new = _write(_one_building_in_block(town, block=1), tmp_path / "b.gpkg", layer="buildings")
    import_layers(project, [new])
    after, building = project.layer("communities"), project.layer("buildings")
    assert after["households"].iloc[0] == 120.0  # surveyed: kept
    assert after["households"].iloc[1] == pytest.approx(building.area.iloc[0] * 5 / 80)  # now from the building
    assert after["households"].iloc[1] != pytest.approx(before["households"].iloc[1])
    assert after["households"].iloc[2] == pytest.approx(before["households"].iloc[2])  # no building: as before
    assert after["n_buildings"].tolist()[:3] == [0, 1, 0]
    assert project.layer_sources["communities"]["layer"] == "communities"  # its source is unchanged


def test_communities_imported_later_link_the_project_buildings(tmp_path, town):
    project = Project()
    import_layers(project, [_write(_one_building_in_block(town), tmp_path / "b.gpkg", layer="buildings")])
    assert project.layer("buildings")["community_id"].isna().all()
    blocks = town["communities"].drop(columns="户数")
    import_layers(project, [_write(blocks, tmp_path / "xq.gpkg", layer="communities")])
    b, xq = project.layer("buildings"), project.layer("communities")
    assert b["community_id"].tolist() == [xq["feature_id"].iloc[0]]
    assert xq["households"].iloc[0] == pytest.approx(b.area.iloc[0] * 5 / 80)


def test_a_role_for_a_layer_the_files_do_not_have_is_refused(town_gpkg):
    with pytest.raises(InputError, match="roads") as err:
        import_layers(Project(), [town_gpkg], roles={"roads": "walk_network"})
    assert "walk_network" in str(err.value)  # the layers that exist are listed


def test_osm_facilities_in_use_are_not_public_building_resources():
    from gisplanner.io.status import osm_public_building_mask, osm_resource_status

    tags = pd.DataFrame({"amenity": ["school", "fuel", "parking", None, None, "school", None],
                         "building": [None, None, None, "construction", None, None, "industrial"],
                         "landuse": [None, None, None, None, "brownfield", "construction", None],
                         "man_made": [None, None, None, None, None, None, "chimney"],
                         "other_tags": [None, '"disused:amenity"=>"fuel"', None, None, None, None, None]})
    status, source_tag, reason = osm_resource_status(tags)
    assert status.tolist()[:6] == [pd.NA, "decommissioned", pd.NA, "unknown", "idle", pd.NA]
    assert source_tag.iloc[4] == "landuse=brownfield" and "棕地" in reason.iloc[4]
    assert osm_public_building_mask(tags).tolist() == [False, True, False, True, True, False, False]


def test_condition_eligibility_and_plan_year_fields_are_kept_three_valued(tmp_path, town):
    communities = town["communities"].head(3).copy()
    communities["屋面破损"] = ["是", "否", None]
    communities["拟拆除新建"] = ["否", "是", "不详"]
    communities["计划年度"] = ["2022年", "2023", None]
    project = Project()
    import_layers(project, [_write(communities, tmp_path / "xq.gpkg")], roles={"xq": "communities"})
    got = project.layer("communities")
    assert list(got["roof_poor"].astype(object)) == [True, False, pd.NA]
    assert list(got["demolish_rebuild"].astype(object)) == [False, True, pd.NA]
    assert list(got["plan_year"].astype(object)) == [2022, 2023, pd.NA]
    assert "facade_poor" not in got  # absent in the source: absent, not false


def test_a_landuse_layer_without_idle_marks_feeds_landuse_only(tmp_path, town):
    parcels = town["communities"][["geometry"]].assign(landuse="residential")
    path = _write(parcels, tmp_path / "own.gpkg", layer="landuse")
    project = Project()
    import_layers(project, [path])
    assert len(project.layers["landuse"]) == len(parcels) and "idle_land" not in project.layers


def test_role_alone_names_the_role_of_a_file_s_only_layer(tmp_path, town):
    path = _write(town["communities"], tmp_path / "xiaoqu.gpkg", layer="xq2024")
    project = Project()
    import_layers(project, [path], roles=parse_assignments(["communities"], what="--role"))
    assert len(project.layers["communities"]) == len(town["communities"])


def test_role_alone_is_refused_for_a_file_of_many_layers(town_gpkg):
    with pytest.raises(InputError, match="只能导入一个图层"):
        import_layers(Project(), [town_gpkg], roles=parse_assignments(["communities"], what="--role"))
