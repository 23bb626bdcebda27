"""Coordinates checked before anything uses them: finite, in range, swapped, metres as degrees, zone-prefixed
Gauss–Krüger, outliers kept out of the CRS choice; the offset detector in bounded memory."""

import tracemalloc
import warnings

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.io import crs as crs_tools
from gisplanner.io.importer import import_layers
from gisplanner.labels import code_label
from gisplanner.project import Project
from tests.reliability.conftest import assert_refused, digest, town_layers


def _write(tmp_path, frame, name="layer"):
    path = tmp_path / f"{name}.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a layer written without CRS on purpose
        pyogrio.write_dataframe(frame, path, layer=name)
    return path


def _communities(geoms, crs):
    return gpd.GeoDataFrame({"name": [f"小区{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_coordinates_are_refused_naming_the_feature(cli, tmp_path):
    geoms = list(town_layers()["communities"].geometry)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        geoms[3] = shapely.Polygon([(126.64, 45.74), (np.nan, 45.75), (126.65, 45.75)])
    path = tmp_path / "P.gpkg"
    err = assert_refused(cli("import", _write(tmp_path, _communities(geoms, 4326), "communities"),
                             "--project", path), "NaN", "第 4 个要素", "communities")
    assert "layer.gpkg" not in err and not path.exists()


def test_swapped_lat_lon_is_named(tmp_path):
    swapped = [shapely.transform(g, lambda c: c[:, ::-1]) for g in town_layers()["communities"].geometry]
    with pytest.raises(InputError, match="经纬度顺序颠倒"):
        import_layers(Project(), [_write(tmp_path, _communities(swapped, 4326), "communities")])


def test_metres_declared_as_degrees_are_named_with_their_projection(tmp_path):
    metric = town_layers()["communities"].to_crs(4551)
    frame = gpd.GeoDataFrame(metric.drop(columns="geometry"), geometry=np.asarray(metric.geometry.values), crs=4326)
    with pytest.raises(InputError) as err:
        import_layers(Project(), [_write(tmp_path, frame, "communities")])
    assert "以米为单位" in err.value.message and "EPSG:4551" in err.value.message


def test_zone_prefixed_gauss_kruger_x_is_recognised(cli, tmp_path):
    metric = town_layers()["communities"].to_crs(4551)  # CM 126E = 3-degree zone 42
    prefixed = shapely.transform(metric.geometry.values, lambda c: c + [42_000_000, 0])
    frame = gpd.GeoDataFrame({"name": metric["name"]}, geometry=prefixed, crs=None)
    path = _write(tmp_path, frame, "communities")
    err = assert_refused(cli("import", path, "--source-crs", "EPSG:4551", "--project", tmp_path / "P.gpkg"),
                         "带号 42", "EPSG:4530")
    assert "怎么办" in err
    # declared with the zone, the same data imports where it belongs
    project = Project()
    import_layers(project, [path], source_crs="EPSG:4530")
    centre = project.layer("communities").to_crs(4326).union_all().centroid
    assert abs(centre.x - 126.64) < 0.01 and abs(centre.y - 45.74) < 0.01


def test_coordinates_of_5e8_in_a_projected_crs_are_refused(tmp_path):
    frame = _communities([shapely.box(5e8, 5e8, 5e8 + 100, 5e8 + 100)] * 3, 4551)
    with pytest.raises(InputError, match="适用范围"):
        import_layers(Project(), [_write(tmp_path, frame, "communities")])


def test_one_feature_at_zero_zero_is_an_outlier_left_out_of_the_crs_choice(tmp_path):
    communities = town_layers()["communities"]
    geoms = [*communities.geometry, shapely.box(0, 0, 0.001, 0.001)]
    project = Project()
    report = import_layers(project, [_write(tmp_path, _communities(geoms, 4326), "communities")])
    assert project.crs.to_epsg() == 4551  # CGCS2000 CM 126E, as without the stray feature
    found = [f for f in report.findings if f.code == "coordinates_outlier"]
    assert len(found) == 1 and found[0].feature == "10" and "--keep-outliers" in found[0].message
    assert len(project.layer("communities")) == 9  # refused for analysis until confirmed
    clean = Project()
    import_layers(clean, [_write(tmp_path, _communities(geoms[:-1], 4326), "clean")],
                  roles={"clean": "communities"})
    # no inflation of the areas from a projection chosen for a centre moved by the stray feature
    assert np.allclose(project.layer("communities").area, clean.layer("communities").area, rtol=1e-9)


def test_confirmed_outliers_are_imported_but_do_not_move_the_crs(tmp_path):
    geoms = [*town_layers()["communities"].geometry, shapely.box(0, 0, 0.001, 0.001)]
    project = Project()
    import_layers(project, [_write(tmp_path, _communities(geoms, 4326), "communities")], keep_outliers=True)
    assert project.crs.to_epsg() == 4551 and len(project.layer("communities")) == 10


def test_a_city_wide_layer_has_no_outliers():
    rng = np.random.default_rng(1)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(126.5 + rng.uniform(0, 0.4, 500),
                                                          45.6 + rng.uniform(0, 0.3, 500)), crs=4326)
    assert not crs_tools.robust_outliers(points).any()


def test_two_cities_in_one_layer_are_not_outliers():
    xs = np.r_[np.full(50, 126.6), np.full(50, 120.6)]
    ys = np.r_[np.full(50, 45.7), np.full(50, 31.3)]
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=4326)
    assert not crs_tools.robust_outliers(frame).any()


def test_offset_detector_stays_small_with_a_feature_at_zero_zero():
    """The GCJ-02 detector grids the robust extent: one stray feature must not allocate a continent of cells."""
    reference = [*town_layers()["walk_network"].geometry, shapely.Point(0.0, 0.0)]
    tracemalloc.start()
    try:
        ref = crs_tools.OffsetReference(reference)
        ref.detect(town_layers()["communities"].geometry.values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MiB"
    assert ref.coverage.size < 10_000_000


def test_import_with_a_stray_feature_against_a_project_keeps_the_project(cli, project_file, tmp_path):
    geoms = [*town_layers()["communities"].geometry, shapely.box(0, 0, 0.001, 0.001)]
    code, out, err = cli("import", _write(tmp_path, _communities(geoms, 4326), "communities"),
                         "--project", project_file)
    assert code == 0, err
    assert f"[{code_label('coordinates_outlier', 'finding')}]" in out  # the finding, named in Chinese
    assert Project.load(project_file).crs.to_epsg() == 4551


def test_refused_coordinates_leave_the_project_byte_identical(cli, project_file, tmp_path):
    swapped = [shapely.transform(g, lambda c: c[:, ::-1]) for g in town_layers()["communities"].geometry]
    before = digest(project_file)
    assert_refused(cli("import", _write(tmp_path, _communities(swapped, 4326), "communities"),
                       "--project", project_file), "颠倒")
    assert digest(project_file) == before


def test_a_zone_prefixed_x_declared_in_another_zone_is_refused(tmp_path):
    frame = _communities([shapely.box(41_500_000, 5_000_000, 41_500_100, 5_000_100)] * 2, 4549)
    with pytest.raises(InputError, match="带号 41.*EPSG:4529"):
        import_layers(Project(), [_write(tmp_path, frame, "communities")])
