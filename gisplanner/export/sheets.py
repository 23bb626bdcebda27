"""Map sheets of the district plan for joint review, PDF and PNG.

The set of a whole plan: an index sheet of every district (图号 on each), districts and resources, one gap
sheet per life-circle level, the proposed facilities, then one sheet per district. Each map shows the roads
(with their names), buildings and 街道/社区 boundaries under the plan; names are placed without collisions
(:mod:`gisplanner.export.labels`); lists too long for the side panel continue on 续 sheets, never cut. Every
sheet carries a title block (项目名称, 编制单位, 图名, 图号, 比例尺, 日期, 审核, 校对) and is drawn in CGCS2000,
the Gauss–Krüger 3° zone of the data, when the data lies in China.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import math
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gisplanner import __version__
from gisplanner.analysis.lifecircle import DATA_CAVEAT, DATA_MISSING, SERVICE_GAP
from gisplanner.errors import ConfigError, InputError
from gisplanner.export.labels import (
    STREET_CLASSES,
    LabelRequest,
    area_label_requests,
    place_labels,
    road_label_requests,
)
from gisplanner.export.layers import (
    OVERALL_ZH,
    SILL_COLOURS,
    VERDICT_COLOURS,
    VERDICT_ZH,
    PlanLayers,
    feature_names,
    plan_bounds,
    select_district,
    to_crs,
    worst_verdict,
)
from gisplanner.io.crs import metric_crs
from gisplanner.progress import Progress, ensure_progress

#: Paper sizes, landscape, millimetres.
PAPERS_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0), "A1": (841.0, 594.0)}
#: Sheet themes and their 图名.
THEMES = {"index": "片区索引图", "districts": "片区与资源", "gaps": "生活圈服务缺口",
          "facilities": "拟建设施核查（日照、绿地）", "district": "片区图"}
#: Font families tried for Chinese text, best first (Debian: fonts-noto-cjk).
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
                "Noto Sans CJK TC", "Noto Sans CJK JP")
#: Map scales a planner writes on a sheet (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k); the smallest that fits is used.
NICE_SCALES = tuple(int(m * 10 ** k) for k in range(2, 6) for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
RESOURCE_STYLE = {"boiler_rooms": ("锅炉房", "#8c510a"), "idle_land": ("空闲地、边角地", "#fdae61"),
                  "public_buildings": ("公有房屋、社区用房", "#7b3294")}
OTHER_RESOURCE = ("其他资源", "#35978f")
OUTSIDE_LABEL = "未入片区小区"
INK = "#222222"
#: Characters per line of the side panel at every paper size (type scales with the paper).
PANEL_CHARS = 27
#: Road line widths (points on A3) by OSM highway class; classes not listed are drawn as paths.
ROAD_WIDTHS = dict(zip(STREET_CLASSES, (2.6, 2.6, 2.2, 1.7, 1.4, 1.0, 1.0, 1.0), strict=True))
PATH_WIDTH = 0.35
#: Above this many buildings in a frame they are rasterised in the PDF, which stays small and opens fast.
RASTER_BUILDINGS = 4000
#: Line spacing of the side panel and of 续 sheets, figure fraction.
STEP = 0.026
#: Columns of a table-only (续) sheet, each a side panel wide.
TABLE_COLUMNS = 3


def find_cjk_font() -> str:
    """The family name of an installed font with Chinese glyphs, from :data:`CJK_FAMILIES`.

    Raises
    ------
    ConfigError
        When none is installed, saying which package to install.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise ConfigError("没有安装含中文字形的字体，图纸无法显示中文标注；请安装（Debian/Ubuntu：apt install "
                      "fonts-noto-cjk）并删除 matplotlib 字体缓存（~/.cache/matplotlib）",
                      key="font", value=", ".join(CJK_FAMILIES[:3]))


@functools.cache
def font_chars(families: tuple[str, ...]) -> frozenset[int]:
    """The code points the fonts of ``families`` (the file each resolves to) have glyphs for."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    chars: set[int] = set()
    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        chars |= FT2Font(path).get_charmap().keys()
    return frozenset(chars)


def drawable_text(text: str, chars: frozenset[int]) -> str:
    """``text`` without the characters none of the sheet's fonts can draw (an emoji in an OSM name would print
    as an empty box, and matplotlib warns about it); line breaks are kept, spaces left doubled are closed.

    >>> drawable_text("红星小区 🏠 二期", frozenset(map(ord, "红星小区二期 ")))
    '红星小区 二期'
    """
    if all(ord(c) in chars or c in "\n\t" for c in text):
        return text
    kept = "".join(c for c in text if ord(c) in chars or c in "\n\t")
    return "\n".join(" ".join(line.split()) for line in kept.split("\n"))


def drawable_layers(layers: PlanLayers, families: Sequence[str]) -> PlanLayers:
    """``layers`` with every text a sheet may print (names in the frames, title, title block) made drawable by
    :func:`drawable_text` in the fonts of ``families``; frames without such text are shared, not copied."""
    chars = font_chars(tuple(families))

    def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
        changed = {}
        for column in frame.columns:
            if column == getattr(frame, "_geometry_column_name", None) or frame[column].dtype.kind not in "OSU":
                continue
            values = frame[column]
            fixed = {v: drawable_text(v, chars) for v in pd.unique(values.dropna()) if isinstance(v, str)}
            fixed = {v: f for v, f in fixed.items() if f != v}
            if fixed:
                changed[column] = values.where(~values.isin(list(fixed)), values.map(fixed))
        return frame.assign(**changed) if changed else frame

    changes: dict[str, Any] = {}
    for f in dataclasses.fields(layers):
        value = getattr(layers, f.name)
        if isinstance(value, pd.DataFrame):
            cleaned = clean_frame(value)
        elif isinstance(value, str):
            cleaned = drawable_text(value, chars)
        elif f.name == "title_block" and isinstance(value, Mapping):
            cleaned = {k: drawable_text(v, chars) if isinstance(v, str) else v for k, v in value.items()}
            cleaned = value if cleaned == dict(value) else cleaned
        else:
            continue
        if cleaned is not value:
            changes[f.name] = cleaned
    return dataclasses.replace(layers, **changes) if changes else layers


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``limit`` (metres), for a scale bar.

    >>> nice_length(740.0), nice_length(1999.0), nice_length(5.0)
    (500.0, 1000.0, 5.0)
    """
    power = 10.0 ** math.floor(math.log10(limit))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= limit)


def map_scale(extent_m: tuple[float, float], box_in: tuple[float, float]) -> int:
    """Scale denominator that fits ``extent_m`` (width, height in metres) into a map box (inches).

    Returns the smallest of :data:`NICE_SCALES` that fits, else the exact value rounded up to 1,000.
    """
    needed = max(extent_m[0] / (box_in[0] * 0.0254), extent_m[1] / (box_in[1] * 0.0254))
    for scale in NICE_SCALES:
        if scale >= needed:
            return scale
    return int(math.ceil(needed / 1000.0) * 1000)


@functools.lru_cache(maxsize=16)
def _transformer(source: CRS | int, target: CRS | int) -> Transformer:
    """A cached transformer: building one costs more than drawing a sheet's north arrow."""
    return Transformer.from_crs(source, target, always_xy=True)


def true_north_deg(crs: CRS, x: float, y: float) -> float:
    """Angle of true north from grid north at ``(x, y)``, degrees clockwise (meridian convergence)."""
    to_geo = _transformer(crs, 4326)
    to_map = _transformer(4326, crs)
    lon, lat = to_geo.transform(x, y)
    x1, y1 = to_map.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x, y1 - y))


def sheet_crs(layers: PlanLayers) -> CRS:
    """The CRS sheets are drawn in: CGCS2000, the Gauss–Krüger 3° zone of the plan's centre, inside China;
    elsewhere the project's own metric CRS."""
    x0, y0, x1, y1 = plan_bounds(layers)
    lon, lat = _transformer(layers.crs, 4326).transform((x0 + x1) / 2, (y0 + y1) / 2)
    chosen = metric_crs(lon, lat)
    return chosen if 4534 <= (chosen.to_epsg() or 0) <= 4554 else layers.crs


def crs_zh(crs: CRS) -> str:
    """The CRS in a reviewer's words, with its EPSG code.

    >>> crs_zh(CRS.from_epsg(4551))
    '2000国家大地坐标系（CGCS2000）高斯–克吕格投影 3° 带，中央经线 126°E（EPSG:4551）'
    >>> crs_zh(CRS.from_epsg(32652))
    'WGS 84 坐标系 UTM 投影第 52 带（北半球）（EPSG:32652）'
    """
    epsg = crs.to_epsg() or 0
    code = f"（EPSG:{epsg}）" if epsg else ""
    if 4534 <= epsg <= 4554:
        return f"2000国家大地坐标系（CGCS2000）高斯–克吕格投影 3° 带，中央经线 {75 + 3 * (epsg - 4534)}°E{code}"
    if 32601 <= epsg <= 32760:
        zone, hemisphere = epsg % 100, "北半球" if epsg < 32700 else "南半球"
        return f"WGS 84 坐标系 UTM 投影第 {zone} 带（{hemisphere}）{code}"
    return f"{crs.name}{code}"


def _polygon_paths(geoms: np.ndarray) -> list[Any]:
    """One matplotlib Path per (multi)polygon, holes included (geopandas' plotting redraws the figure)."""
    from matplotlib.path import Path as MplPath

    paths = []
    for geom in geoms:
        rings = [ring for part in getattr(geom, "geoms", [geom]) for ring in (part.exterior, *part.interiors)]
        paths.append(MplPath.make_compound_path(*(MplPath(np.asarray(r.coords)[:, :2], closed=True)
                                                  for r in rings)) if rings else MplPath(np.zeros((0, 2))))
    return paths


def draw_polygons(ax: Any, gdf: gpd.GeoDataFrame, **style: Any) -> Any:
    """Draw the polygons of ``gdf`` as one PathCollection (``facecolor`` may be one colour per row)."""
    from matplotlib.collections import PathCollection

    polys = gdf.geometry[gdf.geom_type.isin(["Polygon", "MultiPolygon"])].to_numpy()
    collection = PathCollection(_polygon_paths(polys), **style)
    ax.add_collection(collection, autolim=False)
    return collection


def draw_lines(ax: Any, geoms: np.ndarray, **style: Any) -> Any:
    """Draw (multi)lines as one LineCollection (``linewidths`` may be one width per line)."""
    from matplotlib.collections import LineCollection

    parts, index = shapely.get_parts(geoms, return_index=True)
    segments = [np.asarray(g.coords)[:, :2] for g in parts]
    widths = style.pop("linewidths", None)
    if widths is not None and np.ndim(widths):
        style["linewidths"] = np.asarray(widths)[index]
    elif widths is not None:
        style["linewidths"] = widths
    collection = LineCollection(segments, **style)
    ax.add_collection(collection, autolim=False)
    return collection


@dataclass(frozen=True)
class SheetSpec:
    """One map sheet of the set: its theme, and the life-circle level of a gap sheet."""

    theme: str
    level: str | None = None


class _Sheet:
    """One sheet under construction: the figure, its map axes, legend handles, queued labels and fonts."""

    def __init__(self, layers: PlanLayers, spec: SheetSpec, paper: str, when: dt.date, *, map_box: bool = True,
                 basemap: Any = None) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties

        if paper not in PAPERS_MM:
            raise InputError(f"未知纸张尺寸 {paper!r}", fix=f"请使用 {'、'.join(PAPERS_MM)} 之一")
        if spec.theme not in THEMES:
            raise InputError(f"未知图纸主题 {spec.theme!r}", fix=f"请使用 {'、'.join(THEMES)} 之一")
        family = [find_cjk_font(), "DejaVu Sans"]
        self.layers, self.spec, self.paper, self.when = drawable_layers(layers, family), spec, paper, when
        w_mm, h_mm = PAPERS_MM[paper]
        self.k = w_mm / 420.0  # type sizes and line widths grow with the paper
        self.font = lambda size: FontProperties(family=family, size=size * self.k)
        self.fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
        FigureCanvasAgg(self.fig)  # a canvas of its own: no pyplot, no global figure registry
        self.handles: list[Any] = []
        self.notes: list[str] = []
        self.requests: list[LabelRequest] = []
        self.dropped = 0
        self.scale = 0
        self.view = shapely.box(0, 0, 0, 0)
        self.ax = None
        if map_box:
            self.ax = self.fig.add_axes((0.025, 0.04, 0.70, 0.83))
            self.ax.set_xticks([])
            self.ax.set_yticks([])
            self._set_extent()
            if basemap is not None:
                basemap.draw(self.ax, self.layers.crs, self.view.bounds)

    @property
    def title(self) -> str:
        """图名 of the sheet."""
        name = THEMES[self.spec.theme]
        if self.spec.level is not None:  # 五分钟生活圈服务缺口, not 五分钟生活圈生活圈服务缺口
            level = self.layers.level_zh.get(self.spec.level, self.spec.level)
            name = f"{level}{name.removeprefix('生活圈')}"
        return f"{name} · {self.layers.district_label}"

    # ---------------------------------------------------------------- extent
    def _set_extent(self) -> None:
        """Fit the plan into the map box at a planner's scale."""
        x0, y0, x1, y1 = plan_bounds(self.layers)
        pos = self.ax.get_position()
        w_in, h_in = self.fig.get_size_inches()
        box = (pos.width * w_in, pos.height * h_in)
        pad = 0.06 * max(x1 - x0, y1 - y0, 50.0)
        self.scale = map_scale((x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), box)
        half_w, half_h = box[0] * 0.0254 * self.scale / 2, box[1] * 0.0254 * self.scale / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.ax.set_xlim(cx - half_w, cx + half_w)
        self.ax.set_ylim(cy - half_h, cy + half_h)
        self.ax.set_aspect("equal", adjustable="box")
        self.view = shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    def visible(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The rows of ``gdf`` inside the map frame (drawing the rest would only cost time and bytes)."""
        if gdf.empty:
            return gdf
        return gdf.iloc[np.sort(gdf.sindex.query(self.view, predicate="intersects"))]

    def text_height_m(self, size: float) -> float:
        """Height of ``size``-point type on the map, metres."""
        return size * self.k / 72.0 * 0.0254 * self.scale

    # ---------------------------------------------------------------- drawing helpers
    def polygons(self, gdf: Any, label: str | None, *, face: Any = "none", edge: str = INK, width: float = 0.6,
                 alpha: float = 1.0, dashed: bool = False, z: int = 1) -> None:
        from matplotlib.patches import Patch

        gdf = self.visible(gdf)
        if gdf.empty:
            return
        points = gdf[gdf.geom_type.isin(["Point", "MultiPoint"])]
        draw_polygons(self.ax, gdf, facecolor=face, linewidths=width * self.k, edgecolor=edge, alpha=alpha,
                      zorder=z, linestyle="--" if dashed else "-")
        if len(points):
            colour = edge if isinstance(face, str) and face == "none" else face
            centres = points.geometry.representative_point()
            self.ax.scatter(centres.x, centres.y, c=colour, s=30 * self.k ** 2, marker="s", edgecolors=edge,
                            linewidths=0.5 * self.k, zorder=z + 1)
        if label:
            self.handles.append(Patch(facecolor=face, edgecolor=edge, linestyle="--" if dashed else "-",
                                      label=label, alpha=alpha))

    def points(self, gdf: Any, label: str, colour: str, *, size: float = 10.0, z: int = 5) -> None:
        from matplotlib.lines import Line2D

        gdf = self.visible(gdf)
        if gdf.empty:
            return
        centres = gdf.geometry.representative_point()
        self.ax.scatter(centres.x, centres.y, s=size * self.k ** 2, c=colour, edgecolors="white",
                        linewidths=0.3 * self.k, zorder=z)
        self.handles.append(Line2D([], [], linestyle="", marker="o", markerfacecolor=colour,
                                   markeredgecolor="white", markersize=6, label=label))

    def area_labels(self, gdf: Any, column: str, size: float, priority: float, **style: Any) -> None:
        """Queue a name label for each feature; larger features win ties of ``priority``."""
        self.requests += area_label_requests(self.visible(gdf), column, self.text_height_m(size), size, priority,
                                             style)

    def road_labels(self, roads: gpd.GeoDataFrame, size: float, priority: float) -> None:
        """Queue one label per named road, along its longest stretch in the frame, turned to read upright."""
        self.requests += road_label_requests(roads, self.view, self.text_height_m(size), size, priority,
                                             {"color": "#4d4d4d"})

    def note(self, text: str) -> None:
        """A message on the map itself, e.g. that the district has no gaps."""
        self.notes.append(text)

    # ---------------------------------------------------------------- context under the plan
    def context(self, *, buildings: bool = True) -> None:
        """Buildings, roads and 街道/社区 boundaries with their names, under every theme."""
        from matplotlib.lines import Line2D

        layers = self.layers
        if buildings:
            b = self.visible(layers.buildings)
            b = b[b.geom_type.isin(["Polygon", "MultiPolygon"])]
            if len(b):
                draw_polygons(self.ax, b, facecolor="#bdbdbd", edgecolor="#9e9e9e", linewidths=0.15 * self.k,
                              alpha=0.55, zorder=4, rasterized=len(b) > RASTER_BUILDINGS)
                from matplotlib.patches import Patch
                self.handles.append(Patch(facecolor="#d9d9d9", edgecolor="#bdbdbd", label="建筑"))
        roads = self.visible(layers.roads)
        roads = roads[roads.geom_type.isin(["LineString", "MultiLineString"])]
        if len(roads):
            highway = roads["highway"].astype(str) if "highway" in roads.columns else pd.Series("", roads.index)
            widths = highway.map(ROAD_WIDTHS).fillna(PATH_WIDTH).to_numpy() * self.k
            main = widths > PATH_WIDTH * self.k
            for mask, colour, z in ((~main, "#c7c7c7", 1), (main, "#9e9e9e", 2)):
                if mask.any():
                    draw_lines(self.ax, roads.geometry.to_numpy()[mask], colors=colour, linewidths=widths[mask],
                               zorder=z, capstyle="round")
            if main.any():
                self.handles.append(Line2D([], [], color="#9e9e9e", linewidth=1.7, label="道路"))
            self.road_labels(roads, 6.5, 1.0)
        admin = self.visible(layers.admin)
        if len(admin):
            draw_lines(self.ax, admin.boundary.to_numpy(), colors="#6a3d9a", linewidths=1.1 * self.k,
                       linestyles="-.", zorder=8)
            self.handles.append(Line2D([], [], color="#6a3d9a", linestyle="-.", linewidth=1.1,
                                       label="街道、社区界线"))
            self.area_labels(admin, "name", 11, 4.0, color="#6a3d9a", weight="bold")

    # ---------------------------------------------------------------- decorations, labels, panel
    def decorate(self) -> None:
        """Scale bar, north arrow and notes, then the queued labels around them."""
        import matplotlib.patheffects as pe

        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        fixed = self.scale_bar(x0, y0, x1 - x0, y1 - y0) + self.north_arrow((x0 + x1) / 2, (y0 + y1) / 2)
        for i, text in enumerate(self.notes):
            fixed.append(self.ax.text(0.5, 0.96 - 0.05 * i, text, transform=self.ax.transAxes, ha="center",
                                      va="top", fontproperties=self.font(13), color="#b2182b", zorder=30,
                                      bbox={"facecolor": "white", "edgecolor": "#b2182b",
                                            "boxstyle": "round,pad=0.4"}))
        renderer = self.fig.canvas.get_renderer()
        obstacles = [a.get_window_extent(renderer) for a in fixed]
        halo = [pe.withStroke(linewidth=2.2 * self.k, foreground="white")]
        _, self.dropped = place_labels(self.ax, self.requests, self.font, obstacles=obstacles, halo=halo)

    def scale_bar(self, x: float, y: float, width: float, height: float) -> list[Any]:
        from matplotlib.patches import Rectangle

        length = nice_length(width / 4)
        x0, y0, bar_h = x + 0.03 * width, y + 0.035 * height, 0.009 * height
        artists: list[Any] = [self.ax.add_patch(Rectangle(
            (x0 - 0.01 * width, y0 - 0.012 * height), length + 0.05 * width, 0.06 * height, facecolor="white",
            edgecolor="none", alpha=0.85, zorder=24))]
        for i in range(4):
            artists.append(self.ax.add_patch(Rectangle(
                (x0 + i * length / 4, y0), length / 4, bar_h, facecolor=INK if i % 2 == 0 else "white",
                edgecolor=INK, linewidth=0.6 * self.k, zorder=25)))
        unit, div = ("千米", 1000.0) if length >= 1000 else ("米", 1.0)
        for value in (0.0, length / 2, length):
            text = f"{value / div:g}" if value < length else f"{value / div:g} {unit}"
            artists.append(self.ax.text(x0 + value, y0 + bar_h * 1.6, text, ha="center", va="bottom", zorder=25,
                                        fontproperties=self.font(9)))
        return artists

    def north_arrow(self, cx: float, cy: float) -> list[Any]:
        angle = math.radians(true_north_deg(self.layers.crs, cx, cy))
        tip = (0.955, 0.93)
        length = 42 * self.k  # points
        arrow = self.ax.annotate(
            "", xy=tip, xycoords="axes fraction", xytext=(-length * math.sin(angle), -length * math.cos(angle)),
            textcoords="offset points", zorder=25,
            arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.45", "color": INK, "linewidth": 1.6 * self.k})
        north = self.ax.annotate("北", xy=tip, xycoords="axes fraction", ha="center", va="bottom", zorder=25,
                                 xytext=(8 * self.k * math.sin(angle), 6 * self.k * math.cos(angle) + 2),
                                 textcoords="offset points", fontproperties=self.font(14), weight="bold")
        return [arrow, north]

    def title_block(self, number: str) -> float:
        """The title block at the bottom right; returns its top, figure fraction."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Rectangle

        fig, layers = self.fig, self.layers
        tb = layers.title_block
        scale = f"1:{self.scale:,}" if self.scale else "—"
        rows = [("项目名称", tb.get("project_name") or layers.title, None, None),
                ("编制单位", tb.get("organisation", ""), None, None),
                ("图名", self.title, None, None),
                ("图号", number, "比例尺", scale),
                ("日期", self.when.isoformat(), "纸张", f"{self.paper} 横向"),
                ("审核", tb.get("reviewer", ""), "校对", tb.get("checker", ""))]
        x0, x1, bottom, row_h = 0.737, 0.985, 0.025, 0.034
        top = bottom + row_h * len(rows)
        fig.add_artist(Rectangle((x0, bottom), x1 - x0, top - bottom, transform=fig.transFigure, fill=False,
                                 edgecolor=INK, linewidth=1.0 * self.k))
        label_w, mid = 0.05, 0.86
        for i, (key, value, key2, value2) in enumerate(rows):
            y = top - row_h * (i + 1)
            if i:
                fig.add_artist(Line2D([x0, x1], [y + row_h] * 2, transform=fig.transFigure, color=INK,
                                      linewidth=0.5 * self.k))
            fig.text(x0 + 0.004, y + row_h / 2, key, fontproperties=self.font(9.5), va="center", weight="bold")
            right = x1 if key2 is None else mid
            chars = int((right - x0 - label_w) / 0.0062)
            shown = value if len(value) <= chars else value[:chars - 1] + "…"
            fig.text(x0 + label_w + 0.004, y + row_h / 2, shown, fontproperties=self.font(9.5), va="center",
                     parse_math=False)
            if key2 is not None:
                fig.add_artist(Line2D([mid, mid], [y, y + row_h], transform=fig.transFigure, color=INK,
                                      linewidth=0.5 * self.k))
                fig.text(mid + 0.004, y + row_h / 2, key2, fontproperties=self.font(9.5), va="center",
                         weight="bold")
                fig.text(mid + 0.04, y + row_h / 2, value2, fontproperties=self.font(9.5), va="center",
                         parse_math=False)
        fig.add_artist(Line2D([x0 + label_w] * 2, [bottom, top], transform=fig.transFigure, color=INK,
                              linewidth=0.5 * self.k))
        return top

    def finish(self, number: str, heading: str, panel_lines: Sequence[str] = ()) -> list[str]:
        """Frame, titles, legend, statement lines, title block and the side panel.

        Returns the panel lines that did not fit, for 续 sheets.
        """
        from matplotlib.patches import Rectangle

        fig, layers = self.fig, self.layers
        fig.add_artist(Rectangle((0.008, 0.012), 0.984, 0.976, transform=fig.transFigure, fill=False,
                                 edgecolor=INK, linewidth=1.2 * self.k))
        fig.text(0.025, 0.955, layers.title, fontproperties=self.font(22), weight="bold", va="top",
                 parse_math=False)
        fig.text(0.025, 0.905, self.title, fontproperties=self.font(15), va="top", parse_math=False)
        px = 0.745
        below_legend = 0.955
        if self.handles:
            fig.text(px, 0.955, "图例", fontproperties=self.font(15), weight="bold", va="top")
            legend = fig.legend(handles=self.handles, loc="upper left", bbox_to_anchor=(px - 0.005, 0.925),
                                frameon=False, prop=self.font(10), handlelength=2.2, handleheight=1.0,
                                labelspacing=0.5, borderaxespad=0.0, ncols=2 if len(self.handles) > 7 else 1)
            box = legend.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
            below_legend = box.y0

        info = [f"坐标系：{crs_zh(layers.crs)}"]
        if self.ax is not None:
            info.append("指北针：真北（已按子午线收敛角校正）")
        if self.dropped:
            info.append(f"注记：为免压盖，{self.dropped} 个较小注记未标注，见片区图与附表")
        if layers.attribution:
            info.append(f"数据来源：{layers.attribution}")
        info.append(f"gisplanner {__version__} 输出，供联合审查")
        info = _wrap(info, PANEL_CHARS + 8)
        block_top = self.title_block(number)
        info_top = block_top + 0.008 + 0.022 * len(info)
        for i, line in enumerate(info):
            fig.text(px - 0.005, block_top + 0.008 + 0.022 * (len(info) - 1 - i), line,
                     fontproperties=self.font(8.5), va="bottom", parse_math=False)

        # the side panel fills what the legend and the title block leave; the rest goes to 续 sheets
        top = below_legend - 0.035
        room = int((top - 0.035 - info_top - 0.01) / STEP)
        wrapped = _wrap(panel_lines, PANEL_CHARS)
        shown, rest = (wrapped, []) if len(wrapped) <= room else (wrapped[:max(room - 1, 0)],
                                                                  wrapped[max(room - 1, 0):])
        if rest and shown:
            shown.append("（续表见后页）")
        if shown:
            fig.text(px, top, heading, fontproperties=self.font(13), weight="bold", va="top")
            self.column(px, top - 0.035, shown)
        return rest

    def column(self, x: float, top: float, lines: Sequence[str]) -> None:
        """Lines of a list, one text block (one layout instead of one per line: a district's lists are long)."""
        line_pt = STEP * self.fig.get_size_inches()[1] * 72  # the panel's line pitch in points
        self.fig.text(x, top, "\n".join(lines), fontproperties=self.font(10), va="top", parse_math=False,
                      linespacing=line_pt / (10 * self.k * 1.2))


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    """Lines wrapped to ``width`` characters, keeping each line's indent (textwrap would drop it)."""
    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line.lstrip(" "), width, initial_indent=indent, subsequent_indent=indent + "  ") or [""]
    return out


def _legend_patch(label: str, face: Any, edge: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=face, edgecolor=edge, label=label)


def _community_layers(sheet: _Sheet) -> None:
    layers = sheet.layers
    c = layers.communities
    sheet.polygons(c[c["district_id"].notna()], "片区内小区", face="#eeeeee", edge="#757575", width=0.5, alpha=0.7,
                   z=3)
    sheet.polygons(pd.concat([c[c["district_id"].isna()], layers.outside]), OUTSIDE_LABEL, face="none",
                   edge="#bdbdbd", width=0.4, z=3)


def _districts(sheet: _Sheet, *, label: bool = True) -> None:
    d = sheet.layers.districts
    sheet.polygons(d, "片区边界", edge="#1f3a93", width=2.0, z=10)
    if label:
        sheet.area_labels(d, "name", 12, 5.0, color="#1f3a93", weight="bold")


def _community_labels(sheet: _Sheet, gdf: gpd.GeoDataFrame, *, priority: float = 3.0) -> None:
    sheet.area_labels(gdf, "name", 7, priority, color="#333333")


def _index(sheet: _Sheet, numbers: dict[str, str]) -> list[str]:
    from matplotlib import colormaps

    layers = sheet.layers
    c = layers.communities
    palette = colormaps["Pastel1"].colors
    ids = sorted(c["district_id"].dropna().astype(str).unique())
    colour = {d: palette[i % len(palette)] for i, d in enumerate(ids)}
    members = sheet.visible(c[c["district_id"].notna()])
    if len(members):
        draw_polygons(sheet.ax, members, facecolor=[colour[str(d)] for d in members["district_id"]],
                      edgecolor="#757575", linewidths=0.4 * sheet.k, zorder=3)
        sheet.handles.append(_legend_patch("片区内小区（按片区着色）", palette[0], "#757575"))
    sheet.polygons(pd.concat([c[c["district_id"].isna()], layers.outside]), OUTSIDE_LABEL, face="none",
                   edge="#bdbdbd", width=0.4, z=3)
    _districts(sheet)
    sheet.polygons(layers.proposed, "拟建设施", face="#212121", edge="#212121", z=12)
    _community_labels(sheet, c if len(layers.districts) else pd.concat([c, layers.outside]))
    d = layers.districts
    if d.empty:
        return [f"尚未划定片区；小区 {len(c) + len(layers.outside)} 个"]
    sizes = d["district_id"].astype(str).map(c["district_id"].astype(str).value_counts()).fillna(0).astype(int)
    return [f"片区 {len(d)} 个，片区内小区 {int(c['district_id'].notna().sum())} 个"] + [
        f"{n}（{k} 个小区）" + (f"，见图 {numbers[str(i)]}" if str(i) in numbers else "")
        for i, n, k in zip(d["district_id"], d["name"], sizes)]


def _resource_polygons(sheet: _Sheet) -> None:
    """The district resources, coloured by their layer (boiler rooms, idle land, public buildings)."""
    res = sheet.layers.resources
    for role, rows in res.groupby("layer", sort=True) if len(res) else []:
        name, colour = RESOURCE_STYLE.get(str(role), OTHER_RESOURCE)
        sheet.polygons(rows, name, face=colour, edge=colour, alpha=0.75, z=6)


def _resources(sheet: _Sheet) -> list[str]:
    layers = sheet.layers
    _community_layers(sheet)
    _resource_polygons(sheet)
    res = layers.resources
    sheet.polygons(layers.chosen_sites, "推荐候选用地", edge="#8c510a", width=1.2, dashed=True, z=7)
    _districts(sheet)
    named = res.drop_duplicates(["layer", "resource_id"]) if len(res) else res
    sheet.area_labels(named, "name", 7, 2.5, color="#4a1486")
    if res.empty:
        sheet.note("本片区无可利用资源（空闲地、锅炉房、公有房屋）")
    # a resource within reach of two districts is listed for both: count it once
    unique = res.drop_duplicates(["layer", "resource_id"]) if len(res) else res
    counts = unique.groupby("layer").size() if len(unique) else {}
    lines = [f"{RESOURCE_STYLE.get(str(k), OTHER_RESOURCE)[0]}：{v} 处" for k, v in dict(counts).items()]
    names = feature_names(unique, "resource_id", unnamed="") if len(unique) else []
    for name, (_, r) in zip(names, unique.iterrows() if len(unique) else []):
        area = r.get("area_m2")
        size = f"，{area:,.0f} m²" if isinstance(area, int | float) and np.isfinite(area) else ""
        lines.append(f"  {name}（{RESOURCE_STYLE.get(str(r['layer']), OTHER_RESOURCE)[0]}{size}）")
    return lines


def _level_gaps(layers: PlanLayers, level: str | None) -> gpd.GeoDataFrame:
    g = layers.gaps
    return g if level is None or g.empty else g[g["level"].astype(str) == level]


def _gaps(sheet: _Sheet) -> list[str]:
    layers = sheet.layers
    level = sheet.spec.level
    _community_layers(sheet)
    # outlines only: the walking service areas of many types overlap, and fills would hide the gaps
    s = layers.service_areas
    if level is not None and len(s) and "level" in s.columns:
        s = s[s["level"].astype(str) == level]
    sheet.polygons(s, "设施服务范围（步行）", edge="#3182bd", width=0.5, alpha=0.6, z=4)
    at_level = _level_gaps(layers, level)
    gaps = at_level[at_level["gap_kind"] == SERVICE_GAP]  # 数据缺失 is not drawn as a gap
    per_community = gaps.groupby("community_id")["facility_type"].nunique() if len(gaps) else pd.Series(dtype=int)
    c = layers.communities
    n = c["feature_id"].astype(str).map(per_community).fillna(0).to_numpy()
    for low, high, colour in gap_classes(n):
        label = f"缺 {low} 类设施" if low == high else f"缺 {low}–{high} 类设施"
        sheet.polygons(c[(n >= low) & (n <= high)], label, face=colour, edge="#67000d", width=0.4, z=5)
    sheet.points(layers.facilities, "现有设施", "#2171b5", size=8, z=6)
    _districts(sheet)
    with_gaps = c[n > 0]
    _community_labels(sheet, with_gaps, priority=3.0)
    zh = layers.facility_zh
    missing = at_level.loc[at_level["gap_kind"] == DATA_MISSING, "facility_type"].unique()
    lines = [f"数据缺失（不计为缺口）：{'、'.join(zh.get(str(t), t) for t in missing)}", DATA_CAVEAT] \
        if len(missing) else []
    if gaps.empty:
        sheet.note("本片区此生活圈无服务缺口" if level else "本片区无生活圈服务缺口")
        return lines
    by_type = gaps.groupby("facility_type")["community_id"].nunique().sort_values(ascending=False)
    lines = [f"缺{zh.get(str(t), t)}：{k} 个小区" for t, k in by_type.items()] + lines
    lines.append(f"有缺口的小区（{gaps['community_id'].nunique()} 个）：")
    for _, rows in gaps.groupby("community_id", sort=True):
        types = "、".join(zh.get(str(t), str(t)) for t in sorted(rows["facility_type"].astype(str).unique()))
        lines.append(f"  {rows['community_name'].iloc[0]}：缺{types}")
    return lines


def _facilities(sheet: _Sheet) -> list[str]:
    layers = sheet.layers
    sheet.polygons(layers.green_space, "绿地", face="#a1d99b", edge="#41ab5d", width=0.3, z=3)
    _community_layers(sheet)
    # at sheet scale a window sill is smaller than the pen: each building carries its worst sill's class
    sun = sheet.visible(layers.sunlight_buildings)
    for label, colour in SILL_COLOURS.items():
        rows = sun[sun["label"] == label]
        if rows.empty:
            continue
        polys = rows[rows.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            draw_polygons(sheet.ax, polys, facecolor=colour, edgecolor="#555555", linewidths=0.2 * sheet.k,
                          zorder=7)
        dots = rows[rows.geom_type == "Point"]
        if len(dots):
            sheet.ax.scatter(dots.geometry.x, dots.geometry.y, s=14 * sheet.k ** 2, c=colour, zorder=7,
                             edgecolors="white", linewidths=0.3 * sheet.k)
        sheet.handles.append(_legend_patch(f"建筑：{label}", colour, "#555555"))
    p = layers.proposed
    checks = layers.check_columns
    worst = [worst_verdict(r[c] for c in checks if pd.notna(r[c])) for _, r in p.iterrows()]
    for verdict in sorted(set(worst), key=list(VERDICT_COLOURS).index):
        rows = p[np.asarray(worst) == verdict]
        sheet.polygons(rows, None, face=VERDICT_COLOURS[verdict], edge=INK, width=1.0, z=12)
        sheet.handles.append(_legend_patch(f"拟建设施：{VERDICT_ZH[verdict]}", VERDICT_COLOURS[verdict], INK))
    if len(p):
        # a ring keeps a small footprint visible at district scale; the id is a label like any other
        centres = p.geometry.representative_point()
        sheet.ax.scatter(centres.x, centres.y, s=1000 * sheet.k ** 2, facecolors="none", zorder=13,
                         edgecolors=[VERDICT_COLOURS[v] for v in worst], linewidths=2.0 * sheet.k)
        offset = sheet.text_height_m(11) * 1.8
        for fid, x, y in zip(p["facility_id"].astype(str), centres.x, centres.y):
            sheet.requests.append(LabelRequest(fid, [(x + offset, y + offset, 0.0), (x - offset, y + offset, 0.0),
                                                     (x + offset, y - offset, 0.0), (x - offset, y - offset, 0.0)],
                                               11, 9.0, {"weight": "bold", "color": INK}))
    _districts(sheet, label=False)
    lines = []
    if len(sun):
        lines.append(f"日照：{len(sun)} 栋建筑、{int(sun['n_sills'].sum())} 个窗台采样点，每栋按其最不利窗台着色")
    if p.empty:
        sheet.note("本片区尚无拟建设施")
        return lines
    for _, r in p.iterrows():
        ftype = layers.facility_zh.get(r["facility_type"], r["facility_type"])
        lines.append(f"{r['facility_id']} {ftype}：{OVERALL_ZH.get(r['overall'], r['overall'])}")
        lines += [f"  {layers.check_label(c)}：{VERDICT_ZH.get(r[c], r[c])}" for c in checks
                  if pd.notna(r[c]) and r[c] not in ("pass", "not_applicable", "not_checked")]
    return lines


def _district(sheet: _Sheet) -> list[str]:
    """One district at its own scale: members named, resources, proposed facilities, its lists."""
    layers = sheet.layers
    zh = layers.facility_zh
    _community_layers(sheet)
    _resource_polygons(sheet)
    res = layers.resources
    p = layers.proposed
    sheet.polygons(p, "拟建设施", face="#212121", edge="#212121", z=12)
    _districts(sheet)
    c = layers.communities
    _community_labels(sheet, c, priority=3.0)
    sheet.area_labels(layers.outside, "name", 6.5, 1.5, color="#9e9e9e")
    lines = [f"小区 {len(c)} 个："]
    for name, (_, r) in zip(feature_names(c), c.iterrows()):
        households = r.get("households")
        year = r.get("built_year")
        parts = [f"{households:,.0f} 户" if isinstance(households, int | float) and np.isfinite(households) else "",
                 f"{int(year)} 年建成" if pd.notna(year) else "建成年代不详"]
        lines.append(f"  {name}（{'，'.join(x for x in parts if x)}）")
    lines += _gap_lines(layers)
    unique = res.drop_duplicates(["layer", "resource_id"]) if len(res) else res
    if len(unique):
        lines.append("可利用资源：")
        lines += [f"  {name}（{RESOURCE_STYLE.get(str(r['layer']), OTHER_RESOURCE)[0]}）"
                  for name, (_, r) in zip(feature_names(unique, "resource_id", unnamed=""), unique.iterrows())]
    for _, r in p.iterrows():
        lines.append(f"拟建 {r['facility_id']} {zh.get(r['facility_type'], r['facility_type'])}："
                     f"{OVERALL_ZH.get(r['overall'], r['overall'])}")
    return lines


def _gap_lines(layers: PlanLayers) -> list[str]:
    """A district's gaps by level and facility type, naming the communities that lack it."""
    gaps = layers.gaps[layers.gaps["gap_kind"] == SERVICE_GAP]  # 数据缺失 types are not gaps
    missing = layers.gaps.loc[layers.gaps["gap_kind"] == DATA_MISSING, "facility_type"].unique()
    caveat = [f"数据缺失（不计为缺口）：{'、'.join(layers.facility_zh.get(str(t), t) for t in missing)}"] \
        if len(missing) else []
    if gaps.empty:
        return ["生活圈服务缺口：无", *caveat]
    lines = ["生活圈服务缺口："]
    n_members = len(layers.communities)
    order = {level: i for i, level in enumerate(layers.level_zh)}
    for level, at_level in sorted(gaps.groupby(gaps["level"].astype(str)), key=lambda kv: order.get(kv[0], 99)):
        lines.append(f" {layers.level_zh.get(level, level)}：")
        for ftype, rows in at_level.groupby(at_level["facility_type"].astype(str), sort=True):
            names = rows.drop_duplicates("community_id")["community_name"].astype(str).tolist()
            who = f"全部 {n_members} 个小区" if len(names) == n_members > 1 else "、".join(names)
            lines.append(f"  {layers.facility_zh.get(ftype, ftype)}：{who}")
    return lines + caveat


def gap_classes(counts: np.ndarray, *, n_classes: int = 4) -> list[tuple[int, int, Any]]:
    """Classes ``(low, high, colour)`` of the number of missing facility types per community.

    Each distinct count is its own class when there are at most ``n_classes``; otherwise the classes are
    quartile ranges of the communities with gaps, so the map separates them even when all lack many types.

    >>> [c[:2] for c in gap_classes(np.array([0, 2, 2, 5]))]
    [(2, 2), (5, 5)]
    >>> [c[:2] for c in gap_classes(np.array([1, 2, 3, 4, 5, 6, 7, 8]))]
    [(1, 2), (3, 4), (5, 6), (7, 8)]
    """
    from matplotlib import colormaps

    positive = np.sort(counts[counts > 0]).astype(int)
    if positive.size == 0:
        return []
    values = np.unique(positive)
    if values.size <= n_classes:
        bounds = [(int(v), int(v)) for v in values]
    else:
        cuts = np.unique(np.quantile(positive, np.linspace(0, 1, n_classes + 1)[1:-1], method="lower"))
        lows = [int(positive[0]), *(int(c) + 1 for c in cuts)]
        highs = [*(int(c) for c in cuts), int(positive[-1])]
        bounds = [(lo, hi) for lo, hi in zip(lows, highs) if lo <= hi]
    reds = colormaps["Reds"]
    shades = np.linspace(0.3, 0.9, len(bounds)) if len(bounds) > 1 else [0.6]
    return [(lo, hi, reds(float(t))) for (lo, hi), t in zip(bounds, shades)]


_HEADINGS = {"index": "片区一览", "districts": "可利用资源", "gaps": "缺口统计", "facilities": "核查结论",
             "district": "片区内容"}


def _draw(sheet: _Sheet, numbers: dict[str, str]) -> list[str]:
    theme = sheet.spec.theme
    if theme == "index":
        return _index(sheet, numbers)
    draw: dict[str, Callable[[_Sheet], list[str]]] = {"districts": _resources, "gaps": _gaps,
                                                      "facilities": _facilities, "district": _district}
    return draw[theme](sheet)


def _continuation(layers: PlanLayers, spec: SheetSpec, paper: str, when: dt.date, heading: str,
                  lines: list[str]) -> tuple[Any, list[str]]:
    """A 续 sheet: the lines the map sheet could not hold, in columns, under the same title block."""
    sheet = _Sheet(layers, spec, paper, when, map_box=False)
    fig = sheet.fig
    per_column = int((0.86 - 0.06) / STEP)
    fig.text(0.025, 0.875, f"{heading}（续）", fontproperties=sheet.font(14), weight="bold", va="top")
    take = lines[:per_column * TABLE_COLUMNS]  # wrapped to the panel's width already
    for column in range(TABLE_COLUMNS):
        part = take[column * per_column:(column + 1) * per_column]
        if part:
            sheet.column(0.025 + column * 0.235, 0.835, part)
    return sheet, lines[len(take):]


def sheet_specs(layers: PlanLayers) -> list[SheetSpec]:
    """The themed sheets of a plan, in print order (per-district sheets follow, see :func:`sheet_pages`)."""
    found = sorted(layers.gaps["level"].astype(str).unique()) if len(layers.gaps) else []
    levels = [*layers.level_zh, *(level for level in found if level not in layers.level_zh)]
    first = SheetSpec("district") if layers.district is not None else SheetSpec("index")
    gap_sheets = [SheetSpec("gaps", level) for level in levels] or [SheetSpec("gaps")]
    return [first, SheetSpec("districts"), *gap_sheets, SheetSpec("facilities")]


def sheet_pages(layers: PlanLayers, spec: SheetSpec, *, number: str = "01", paper: str = "A3",
                when: dt.date | None = None, numbers: dict[str, str] | None = None,
                basemap: Any = None) -> Iterator[Any]:
    """Draw one sheet and the 续 sheets its side panel needs, one page at a time.

    A caller that saves and drops each page holds one page in memory: a city's gap sheets run to dozens of 续
    pages, and each rendered A3 page holds its raster.

    Parameters
    ----------
    layers
        The plan (whole or one district), already in the CRS to print (:func:`sheet_crs`).
    spec
        Theme and level.
    number
        图号 printed in the title block; 续 sheets get ``-1``, ``-2``… appended.
    paper
        One of :data:`PAPERS_MM`, landscape.
    when
        Date printed on the sheet; today by default.
    numbers
        ``district_id`` -> 图号 of its district sheet, listed on the index sheet.
    basemap
        A :class:`gisplanner.basemap.Basemap` drawn under everything, or None.

    Yields
    ------
    matplotlib.figure.Figure
        Not attached to pyplot, so nothing global is kept alive.
    """
    when = when or dt.date.today()
    sheet = _Sheet(layers, spec, paper, when, basemap=basemap)
    sheet.context()
    lines = _draw(sheet, numbers or {})
    sheet.decorate()
    heading = _HEADINGS[spec.theme]
    rest = sheet.finish(number, heading, lines)
    yield sheet.fig
    page = 1
    while rest:
        more, rest = _continuation(layers, spec, paper, when, heading, rest)
        more.finish(f"{number}-{page}", heading)
        yield more.fig
        page += 1


def sheet_figure(layers: PlanLayers, theme: str, *, level: str | None = None, paper: str = "A3",
                 when: dt.date | None = None, basemap: Any = None) -> Any:
    """The first page of one sheet, drawn in the plan's own CRS (see :func:`sheet_pages`)."""
    return next(sheet_pages(layers, SheetSpec(theme, level), paper=paper, when=when, basemap=basemap))


def _sheet_set(layers: PlanLayers, district_sheets: bool) -> Iterator[tuple[str, SheetSpec, str | None, str]]:
    """``(number, spec, district id or None, file stem)`` of every sheet: themed sheets, then one per district.

    The district's layers are cut when its sheet is drawn, not here: a city has hundreds of districts.
    """
    specs = sheet_specs(layers)
    for i, spec in enumerate(specs, start=1):
        stem = spec.theme if spec.level is None else f"{spec.theme}_{spec.level}"
        yield f"{i:02d}", spec, None, stem
    if layers.district is None and district_sheets:
        for j, district_id in enumerate(layers.districts["district_id"].astype(str), start=1):
            yield f"P{j:03d}", SheetSpec("district"), district_id, f"district_{district_id}"


def write_sheets(layers: PlanLayers, out_dir: Path, *, paper: str = "A3", formats: Sequence[str] = ("pdf", "png"),
                 dpi: float = 150.0, when: dt.date | None = None, basemap: Any = None,
                 district_sheets: bool = True, progress: Progress | None = None) -> dict[str, list[Path]]:
    """Write the sheet set: one multi-page ``sheets.pdf`` and a PNG per themed page.

    The whole plan's set is the themed sheets (图号 01, 02, …) and one sheet per district (图号 P001, …);
    only the themed sheets and their 续 pages are also written as PNG (``sheet_<图号>_<theme>.png``), the
    district sheets are in the PDF (export one district to get its PNGs). Sheets are drawn in CGCS2000
    (Gauss–Krüger 3° zone) inside China, :func:`sheet_crs`.

    Parameters
    ----------
    layers
        The plan.
    out_dir
        Folder to write into (created).
    paper
        One of :data:`PAPERS_MM`.
    formats
        Any of ``pdf`` and ``png``.
    dpi
        Resolution of the PNG sheets, dots per inch (150 gives 2480 × 1754 px on A3).
    when
        Date printed on the sheets.
    basemap
        A :class:`gisplanner.basemap.Basemap` under every map, or None (nothing is downloaded).
    district_sheets
        Add one sheet per district to a whole plan's set (a few seconds each: a city of hundreds of districts
        takes minutes; without them the index still lists every district).
    progress
        Reports one step per sheet; cancel between sheets.

    Returns
    -------
    dict
        ``{"pdf": [path], "png": [paths]}`` for the formats asked for.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    progress = ensure_progress(progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the sheets draw sills per building (sunlight_buildings): the raw sills need not be reprojected
    layers = to_crs(replace(layers, sunlight=layers.sunlight.iloc[:0]), sheet_crs(layers))
    entries = list(_sheet_set(layers, district_sheets))
    numbers = {str(district or layers.district): number for number, spec, district, _ in entries
               if spec.theme == "district" and (district or layers.district) is not None}
    written: dict[str, list[Path]] = {f: [] for f in formats if f in ("pdf", "png")}
    pdf = PdfPages(out_dir / "sheets.pdf", metadata={"Title": layers.title, "Creator": f"gisplanner {__version__}"}
                   ) if "pdf" in written else None
    try:
        for i, (number, spec, district, stem) in enumerate(entries):
            progress.update(i, len(entries), f"图纸 {number} {THEMES[spec.theme]}")
            part = layers if district is None else select_district(layers, district)
            pages = sheet_pages(part, spec, number=number, paper=paper, when=when, numbers=numbers,
                                basemap=basemap)
            for k, fig in enumerate(pages):
                if pdf is not None:
                    pdf.savefig(fig)
                if "png" in written and (layers.district is not None or spec.theme != "district"):
                    path = out_dir / f"sheet_{number}{'' if k == 0 else f'-{k}'}_{stem}.png"
                    fig.savefig(path, dpi=dpi)
                    written["png"].append(path)
                # a page is a web of reference cycles (and a raster) the collector reaches late on a
                # city-sized heap: without this a city's sheets kept about 10 MB a page
                fig.clear()
                del fig
                gc.collect()
            del pages, part
    finally:
        if pdf is not None:
            pdf.close()
    if pdf is not None:
        written["pdf"].append(out_dir / "sheets.pdf")
    progress.update(len(entries), len(entries), "图纸已写出")
    return written
