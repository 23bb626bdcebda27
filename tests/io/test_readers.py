import geopandas as gpd
import pyogrio
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.io.readers import guess_encoding, list_layers, read_layers

NAMES = ["宣西小区", "三辅小区", "四史小区"]


@pytest.fixture
def gbk_shapefile(tmp_path):
    frame = gpd.GeoDataFrame({"名称": NAMES, "户数": [120, 80, 95]},
                             geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs=4326)
    path = tmp_path / "小区.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    return path


def test_shapefile_with_cpg_is_read_in_its_declared_encoding(gbk_shapefile):
    (layer,) = read_layers(gbk_shapefile)
    assert list(layer.frame["名称"]) == NAMES
    assert layer.findings == []


def test_gbk_shapefile_without_cpg_is_detected_and_reported(gbk_shapefile):
    gbk_shapefile.with_suffix(".cpg").unlink()
    (layer,) = read_layers(gbk_shapefile)
    assert list(layer.frame["名称"]) == NAMES
    assert [f.code for f in layer.findings] == ["encoding_guessed"]
    assert "GB18030" in layer.findings[0].message


def test_utf8_shapefile_without_cpg_is_read_as_utf8(tmp_path):
    frame = gpd.GeoDataFrame({"name": NAMES}, geometry=[shapely.Point(i, 0) for i in range(3)], crs=4326)
    path = tmp_path / "pts.shp"
    pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    (layer,) = read_layers(path)
    assert list(layer.frame["name"]) == NAMES
    assert "UTF-8" in layer.findings[0].message


@pytest.mark.parametrize(("values", "expected"), [
    (["宣西小区".encode("gbk")], "GB18030"), (["宣西小区".encode()], "UTF-8"),
    ([b"Xuanxi"], None), (["宣西小区".encode()[:-1]], "UTF-8"),  # cut inside the last character
    (["名称".encode("gbk"), b"ok"], "GB18030")])
def test_guess_encoding(values, expected):
    assert guess_encoding(values) == expected


def test_gbk_field_names_alone_are_enough_to_detect_the_encoding(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["a", "b"]}, geometry=[shapely.Point(0, 0)] * 2, crs=4326)
    path = tmp_path / "ascii_values.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    (layer,) = read_layers(path)
    assert list(layer.frame.columns[:1]) == ["名称"]
    assert [f.code for f in layer.findings] == ["encoding_guessed"]


def test_truncated_dbf_is_refused_naming_it(gbk_shapefile):
    gbk_shapefile.with_suffix(".cpg").unlink()
    dbf = gbk_shapefile.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-20])
    with pytest.raises(InputError, match="dbf"):
        read_layers(gbk_shapefile)


def test_geopackage_layers_are_listed_and_read(tmp_path):
    path = tmp_path / "two.gpkg"
    for name in ("buildings", "pois"):
        pyogrio.write_dataframe(gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0)], crs=4326),
                                path, layer=name)
    assert list_layers(path) == ["buildings", "pois"]
    assert [layer.name for layer in read_layers(path, ["pois"])] == ["pois"]


def test_truncated_geopackage_is_refused_naming_the_file(tmp_path, town):
    path = tmp_path / "town.gpkg"
    pyogrio.write_dataframe(town["communities"], path, layer="communities")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="town.gpkg") as err:
        read_layers(path)
    assert err.value.file == str(path) and err.value.fix


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="不存在"):
        read_layers(tmp_path / "absent.gpkg")


def test_unknown_layer_is_refused_listing_the_layers(tmp_path, town):
    path = tmp_path / "town.gpkg"
    pyogrio.write_dataframe(town["communities"], path, layer="communities")
    with pytest.raises(InputError, match="communities"):
        read_layers(path, ["roads"])


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="45.740" lon="126.640" version="1"/>
  <node id="2" lat="45.740" lon="126.642" version="1"/>
  <node id="3" lat="45.742" lon="126.642" version="1"/>
  <node id="4" lat="45.742" lon="126.640" version="1"/>
  <node id="5" lat="45.741" lon="126.641" version="1"><tag k="amenity" v="kindergarten"/></node>
  <node id="6" lat="45.739" lon="126.639" version="1"><tag k="man_made" v="chimney"/></node>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="landuse" v="residential"/><tag k="name" v="宣西小区"/></way>
  <way id="11" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
  <way id="13" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="service"/>
    <tag k="access" v="private"/></way>
</osm>
"""


def test_osm_file_gives_the_planning_layers_with_tag_filters(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    layers = {layer.name: layer.frame for layer in read_layers(path)}
    assert list(layers["residential_areas"]["name"]) == ["宣西小区"]
    assert list(layers["residential_areas"]["osm_ref"]) == ["10"]
    walk = layers["walk_network"].set_index("highway")["walkable"]
    assert walk.to_dict() == {"footway": 1, "motorway": 0, "service": 0}
    assert sorted(layers["pois"]["category"]) == ["boiler_or_heating_candidate", "kindergarten"]
    assert list(layers["landuse"]["idle_candidate"]) == [0]


def test_truncated_osm_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "cut.osm"
    path.write_text(OSM_XML[: len(OSM_XML) // 2], encoding="utf-8")
    with pytest.raises(InputError, match="cut.osm"):
        read_layers(path)
