"""Offline basemaps: a GeoTIFF and an MBTiles package built here, rendered onto grids of the project's CRS."""

import io
import math
import sqlite3

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from pyproj import Transformer

from gisplanner.basemap import TILE_PX, WORLD_HALF_M, _zoom_for, open_basemap
from gisplanner.errors import InputError

UTM = "EPSG:32652"
X0, Y0 = 315_000.0, 5_070_000.0
RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def write_geotiff(path, crs, origin, pixel, halves=(RED, BLUE), size=100):
    """A ``size`` square RGB GeoTIFF, left half ``halves[0]``, right half ``halves[1]``."""
    data = np.zeros((3, size, size), np.uint8)
    for k in range(3):
        data[k, :, : size // 2] = halves[0][k]
        data[k, :, size // 2:] = halves[1][k]
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs=crs,
                       transform=Affine(pixel, 0, origin[0], 0, -pixel, origin[1])) as dst:
        dst.write(data)
    return path


def colour_at(picture, x, y):
    x0, x1, y0, y1 = picture.extent
    h, w = picture.rgba.shape[:2]
    col = int((x - x0) / (x1 - x0) * w)
    row = int((y1 - y) / (y1 - y0) * h)
    return tuple(int(v) for v in picture.rgba[row, col])


def test_geotiff_in_the_project_crs_lands_where_it_is(tmp_path):
    # 100 px of 10 m from (X0, Y0 + 1000): red west of X0 + 500, blue east of it
    basemap = open_basemap(write_geotiff(tmp_path / "ortho.tif", UTM, (X0, Y0 + 1000), 10.0))
    picture = basemap.render(UTM, (X0 - 500, Y0, X0 + 1500, Y0 + 1000), (200, 100))
    assert colour_at(picture, X0 - 250, Y0 + 500)[3] == 0  # outside the image: transparent
    assert colour_at(picture, X0 + 250, Y0 + 500) == (*RED, 255)
    assert colour_at(picture, X0 + 750, Y0 + 500) == (*BLUE, 255)
    assert colour_at(picture, X0 + 1250, Y0 + 500)[3] == 0


def test_geotiff_in_degrees_is_warped_to_the_project_crs(tmp_path):
    # 0.001° pixels from (126.60 E, 45.80 N): the colours change at 126.65 E
    basemap = open_basemap(write_geotiff(tmp_path / "wgs84.tif", "EPSG:4326", (126.60, 45.80), 0.001))
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    split_x, mid_y = to_utm.transform(126.65, 45.75)
    picture = basemap.render(UTM, (split_x - 1000, mid_y - 1000, split_x + 1000, mid_y + 1000), (400, 400))
    # 0.001° of longitude is 78 m here: bilinear resampling blends one source pixel either side
    assert colour_at(picture, split_x - 120, mid_y) == (*RED, 255)
    assert colour_at(picture, split_x + 120, mid_y) == (*BLUE, 255)
    assert colour_at(picture, split_x, mid_y)[:3] not in (RED, BLUE)  # the blend is at the split


def write_mbtiles(path, zoom, columns, xyz_rows, colour_of):
    """An MBTiles package with one PNG tile per (column, XYZ row), stored with TMS rows as the spec says."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "测试"), ("format", "png")])
        for column in columns:
            for row in xyz_rows:
                buffer = io.BytesIO()
                Image.new("RGB", (TILE_PX, TILE_PX), colour_of(column, row)).save(buffer, format="PNG")
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           (zoom, column, 2 ** zoom - 1 - row, buffer.getvalue()))
    return path


def tile_of(lon, lat, zoom):
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(lon, lat)
    size = 2 * WORLD_HALF_M / 2 ** zoom
    return int((x + WORLD_HALF_M) // size), int((WORLD_HALF_M - y) // size)


def test_mbtiles_rows_count_from_the_south(tmp_path):
    zoom = 14
    column, row = tile_of(126.63, 45.75, zoom)
    # the northern row of tiles green, the southern red: a flipped TMS row would swap them
    path = write_mbtiles(tmp_path / "tiles.mbtiles", zoom, [column - 1, column, column + 1], [row - 1, row],
                         lambda c, r: GREEN if r == row - 1 else RED)
    size = 2 * WORLD_HALF_M / 2 ** zoom
    boundary_y = WORLD_HALF_M - row * size  # Web-Mercator y of the edge between the two rows
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(-WORLD_HALF_M + (column + 0.5) * size,
                                                                          boundary_y)
    x, y = Transformer.from_crs(4326, UTM, always_xy=True).transform(lon, lat)
    picture = open_basemap(path).render(UTM, (x - 600, y - 600, x + 600, y + 600), (240, 240))
    assert colour_at(picture, x, y + 100)[:3] == GREEN
    assert colour_at(picture, x, y - 100)[:3] == RED
    assert colour_at(picture, x, y + 100)[3] == 255


def test_mbtiles_zoom_matches_the_resolution_asked_for():
    metres_per_px_at_z = 2 * WORLD_HALF_M / TILE_PX / 2 ** 15
    assert _zoom_for(metres_per_px_at_z, 0, 19) == 15
    assert _zoom_for(metres_per_px_at_z * 0.9, 0, 19) == 16  # finer than z15 needs z16
    assert _zoom_for(0.01, 0, 17) == 17 and _zoom_for(1e6, 3, 17) == 3
    assert math.isclose(2 * WORLD_HALF_M / TILE_PX, 156543.03392804097)


def test_sheet_draws_the_basemap_under_the_plan(plan_fixture_layers, tmp_path):
    from gisplanner.export import sheets

    layers = plan_fixture_layers
    x0, y0, x1, y1 = sheets.plan_bounds(layers)
    # a green picture 2 km around the plan
    tif = write_geotiff(tmp_path / "green.tif", UTM, (x0 - 1000, y1 + 1000), 20.0, halves=(GREEN, GREEN),
                        size=int((x1 - x0 + 2000) / 20) + 1)
    fig = sheets.sheet_figure(layers, "index", basemap=open_basemap(tif))
    images = fig.axes[0].get_images()
    assert len(images) == 1 and images[0].get_zorder() == 0
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].reshape(-1, 3)
    assert (np.abs(pixels.astype(int) - GREEN).sum(axis=1) < 10).mean() > 0.2  # the frame shows the basemap


@pytest.fixture
def plan_fixture_layers():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "export"))
    from plan_data import build_plan

    return build_plan()


def test_bad_basemaps_are_refused_with_the_fix(tmp_path):
    with pytest.raises(InputError, match="不存在"):
        open_basemap(tmp_path / "missing.tif")
    (tmp_path / "photo.png").write_bytes(b"")
    with pytest.raises(InputError, match="不受支持"):
        open_basemap(tmp_path / "photo.png")
    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=Affine(1, 0, X0, 0, -1, Y0)) as dst:
        dst.write(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(InputError, match="没有坐标系"):
        open_basemap(tmp_path / "nocrs.tif")
    (tmp_path / "empty.mbtiles").write_bytes(b"not a database")
    with pytest.raises(InputError, match="MBTiles"):
        open_basemap(tmp_path / "empty.mbtiles")
