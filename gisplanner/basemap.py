"""Offline basemaps: a local raster (GeoTIFF) or a tile package (MBTiles), rendered for a map frame.

Nothing is ever downloaded: the user points at a file they have (an orthophoto, a scanned plan, a tile package
exported from a GIS). A GeoTIFF is read and warped with rasterio (GDAL); an MBTiles file is a SQLite database
of 256-px Web-Mercator tiles (PNG or JPEG, TMS row order), decoded with Pillow, mosaicked and warped the same
way. Both render to an RGBA array on a grid of the caller's CRS, so the sheets (matplotlib) and the desktop
canvas (pyqtgraph) draw the same picture.
"""

from __future__ import annotations

import io
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from gisplanner.errors import InputError

#: Half the Web-Mercator world, metres (EPSG:3857).
WORLD_HALF_M = 20037508.342789244
TILE_PX = 256
#: Most tiles one rendering reads; a coarser zoom level is used beyond it.
MAX_TILES = 256
FORMATS = {".tif": "geotiff", ".tiff": "geotiff", ".mbtiles": "mbtiles"}


@dataclass(frozen=True)
class Rendered:
    """A basemap picture: ``rgba`` (rows from the top, uint8) covering ``extent`` = (x0, x1, y0, y1) in metres."""

    rgba: np.ndarray
    extent: tuple[float, float, float, float]


@dataclass(frozen=True)
class Basemap:
    """A basemap file; see :func:`open_basemap`."""

    path: Path
    kind: str

    @property
    def name(self) -> str:
        return self.path.name

    def render(self, crs: CRS | str, bounds: tuple[float, float, float, float], size: tuple[int, int]) -> Rendered:
        """The basemap over ``bounds`` (x0, y0, x1, y1 in ``crs``) on a ``size`` = (width, height) pixel grid.

        Pixels the file does not cover are transparent.
        """
        from affine import Affine

        crs = CRS.from_user_input(crs)
        width, height = max(int(size[0]), 1), max(int(size[1]), 1)
        x0, y0, x1, y1 = bounds
        # built directly: rasterio's from_bounds multiplies affines with `*`, which affine 3 deprecates
        target = Affine((x1 - x0) / width, 0.0, x0, 0.0, -(y1 - y0) / height, y1)
        if self.kind == "geotiff":
            rgba = _render_geotiff(self.path, crs, target, (height, width))
        else:
            rgba = _render_mbtiles(self.path, crs, bounds, target, (height, width))
        return Rendered(rgba, (x0, x1, y0, y1))

    def draw(self, ax: Any, crs: CRS | str, bounds: tuple[float, float, float, float], *,
             dpi: float = 200.0) -> Any:
        """Draw under everything on matplotlib axes whose limits are ``bounds``; resolution ``dpi`` of the box."""
        box = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())
        picture = self.render(crs, bounds, (box.width * dpi, box.height * dpi))
        image = ax.imshow(picture.rgba, extent=picture.extent, origin="upper", zorder=0, interpolation="bilinear")
        ax.set_xlim(bounds[0], bounds[2])  # imshow would fit the limits to the picture
        ax.set_ylim(bounds[1], bounds[3])
        return image


def open_basemap(path: str | Path) -> Basemap:
    """Check a basemap file and return it.

    Raises
    ------
    InputError
        When the file is missing, of another format, without a coordinate system, or an empty tile package.
    """
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if not path.is_file():
        raise InputError("底图文件不存在", file=str(path), fix="选择本机上的 GeoTIFF（.tif）或 MBTiles（.mbtiles）文件")
    if kind is None:
        raise InputError(f"底图格式 {path.suffix or '（无扩展名）'} 不受支持", file=str(path),
                         fix="使用 GeoTIFF（.tif/.tiff）或离线瓦片包 MBTiles（.mbtiles）")
    if kind == "geotiff":
        import rasterio
        from rasterio.errors import RasterioIOError

        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    raise InputError("底图 GeoTIFF 没有坐标系，无法与项目图层对齐", file=str(path),
                                     fix="在 GIS 软件中为影像定义坐标系（地理配准）后另存为 GeoTIFF")
        except RasterioIOError as exc:
            raise InputError(f"无法读取底图 GeoTIFF（{exc}）", file=str(path), fix="确认文件完整且为 GeoTIFF") from exc
    else:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                n = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise InputError(f"无法读取 MBTiles 瓦片包（{exc}）", file=str(path),
                             fix="确认文件是 MBTiles 格式（含 tiles 表的 SQLite 数据库）") from exc
        if n == 0:
            raise InputError("MBTiles 瓦片包中没有瓦片", file=str(path), fix="重新导出包含项目范围的瓦片包")
    return Basemap(path, kind)


def _to_rgba(bands: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """(bands, rows, cols) of any dtype -> (rows, cols, 4) uint8; grey becomes RGB, other dtypes are stretched."""
    if bands.dtype != np.uint8:
        finite = bands[np.isfinite(bands)] if np.issubdtype(bands.dtype, np.floating) else bands.ravel()
        low, high = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
        bands = np.clip((bands.astype(float) - low) / max(high - low, 1e-9) * 255, 0, 255).astype(np.uint8)
    rgb = np.repeat(bands[:1], 3, axis=0) if bands.shape[0] < 3 else bands[:3]
    a = np.full(rgb.shape[1:], 255, np.uint8) if alpha is None else alpha.astype(np.uint8)
    return np.dstack([*rgb, a])


def _render_geotiff(path: Path, crs: CRS, target: Any, shape: tuple[int, int]) -> np.ndarray:
    import rasterio
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.warp import reproject

    with rasterio.open(path) as src:
        n = src.count
        has_alpha = ColorInterp.alpha in src.colorinterp
        colour_bands = [i for i in range(1, n + 1) if src.colorinterp[i - 1] != ColorInterp.alpha][:3]
        data = np.zeros((len(colour_bands), *shape), dtype=src.dtypes[0])
        for k, band in enumerate(colour_bands):
            reproject(rasterio.band(src, band), data[k], dst_transform=target, dst_crs=crs,
                      resampling=Resampling.bilinear, dst_nodata=src.nodata)
        # coverage: where the file has data (its mask: alpha band, nodata or the edge of the image)
        mask = np.zeros(shape, dtype=np.uint8)
        reproject(src.dataset_mask(), mask, src_transform=src.transform, src_crs=src.crs, dst_transform=target,
                  dst_crs=crs, resampling=Resampling.nearest, dst_nodata=0)
        palette = _palette(src) if n == 1 and not has_alpha else None
    if palette is not None:
        rgba = palette[data[0]]
        rgba[..., 3] = np.minimum(rgba[..., 3], mask)
        return rgba
    return _to_rgba(data, mask)


def _palette(src: Any) -> np.ndarray | None:
    """The colour table of a paletted band as a (256, 4) lookup, or None."""
    try:
        table = src.colormap(1)
    except ValueError:
        return None
    lookup = np.zeros((256, 4), np.uint8)
    for index, colour in table.items():
        if 0 <= index < 256:
            lookup[index] = colour
    return lookup


def _zoom_for(resolution_m: float, minzoom: int, maxzoom: int) -> int:
    """The coarsest tile zoom at least as fine as ``resolution_m`` Web-Mercator metres per pixel, clamped."""
    exact = math.log2(2 * WORLD_HALF_M / TILE_PX / max(resolution_m, 1e-6))
    return int(min(max(math.ceil(exact - 1e-9), minzoom), maxzoom))


def _render_mbtiles(path: Path, crs: CRS, bounds: tuple[float, float, float, float], target: Any,
                    shape: tuple[int, int]) -> np.ndarray:
    from affine import Affine
    from PIL import Image
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    x0, y0, x1, y1 = bounds
    to_merc = Transformer.from_crs(crs, 3857, always_xy=True)
    xs = np.linspace(x0, x1, 9)
    ys = np.linspace(y0, y1, 9)
    gx, gy = np.meshgrid(xs, ys)
    mx, my = to_merc.transform(gx.ravel(), gy.ravel())
    mx0, mx1, my0, my1 = float(np.min(mx)), float(np.max(mx)), float(np.max(my)), float(np.min(my))
    out = np.zeros((*shape, 4), np.uint8)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        zooms = db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        zoom = _zoom_for((mx1 - mx0) / shape[1], int(zooms[0]), int(zooms[1]))
        while True:
            tile_m = 2 * WORLD_HALF_M / 2 ** zoom
            c0, c1 = int((mx0 + WORLD_HALF_M) // tile_m), int((mx1 + WORLD_HALF_M) // tile_m)
            r0, r1 = int((WORLD_HALF_M - my0) // tile_m), int((WORLD_HALF_M - my1) // tile_m)  # XYZ rows
            if (c1 - c0 + 1) * (r1 - r0 + 1) <= MAX_TILES or zoom <= zooms[0]:
                break
            zoom -= 1
        n = 2 ** zoom
        c0, c1, r0, r1 = max(c0, 0), min(c1, n - 1), max(r0, 0), min(r1, n - 1)
        if c0 > c1 or r0 > r1:
            return out
        mosaic = np.zeros(((r1 - r0 + 1) * TILE_PX, (c1 - c0 + 1) * TILE_PX, 4), np.uint8)
        rows = db.execute("SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? AND "
                          "tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
                          (zoom, c0, c1, n - 1 - r1, n - 1 - r0)).fetchall()
    for column, tms_row, blob in rows:
        row = n - 1 - tms_row  # MBTiles counts rows from the south (TMS)
        tile = np.asarray(Image.open(io.BytesIO(blob)).convert("RGBA").resize((TILE_PX, TILE_PX)))
        top, left = (row - r0) * TILE_PX, (column - c0) * TILE_PX
        mosaic[top:top + TILE_PX, left:left + TILE_PX] = tile
    px = tile_m / TILE_PX
    source = Affine(px, 0.0, -WORLD_HALF_M + c0 * tile_m, 0.0, -px, WORLD_HALF_M - r0 * tile_m)
    for k in range(4):
        band = np.zeros(shape, np.uint8)
        reproject(mosaic[..., k], band, src_transform=source, src_crs="EPSG:3857", dst_transform=target,
                  dst_crs=crs, resampling=Resampling.bilinear, src_nodata=None, dst_nodata=0)
        out[..., k] = band
    return out
