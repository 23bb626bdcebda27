"""Map sheets of the district plan, PDF and PNG: title, legend, scale bar, north arrow, date, CRS, attribution."""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from gisplanner import __version__
from gisplanner.analysis.lifecircle import DATA_CAVEAT, DATA_MISSING, SERVICE_GAP
from gisplanner.errors import ConfigError, InputError
from gisplanner.export.layers import (
    OVERALL_ZH,
    SILL_COLOURS,
    VERDICT_COLOURS,
    VERDICT_ZH,
    PlanLayers,
    plan_bounds,
    sill_labels,
    worst_verdict,
)
from gisplanner.progress import Progress, ensure_progress

#: Paper sizes, landscape, millimetres.
PAPERS_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0), "A1": (841.0, 594.0)}
#: Sheet themes in the order they are printed, with their Chinese titles.
THEMES = {"overview": "总图", "districts": "片区与资源", "gaps": "生活圈服务缺口",
          "facilities": "拟建设施核查（日照、绿地）"}
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
#: Above this many districts or communities their names would pile up: the sheet leaves them to the web map.
MAX_LABELS = 80
INK = "#222222"
#: Characters per line of the side panel at every paper size (type scales with the paper).
PANEL_CHARS = 30
_HEADINGS = {"overview": "片区", "districts": "可利用资源", "gaps": "缺口统计", "facilities": "核查结论"}


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
    raise ConfigError("no font with Chinese glyphs is installed, so map sheets cannot show Chinese labels; "
                      "install one (Debian/Ubuntu: apt install fonts-noto-cjk) and delete matplotlib's font "
                      "cache (~/.cache/matplotlib)", key="font", value=", ".join(CJK_FAMILIES[:3]))


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


def true_north_deg(crs: CRS, x: float, y: float) -> float:
    """Angle of true north from grid north at ``(x, y)``, degrees clockwise (meridian convergence)."""
    to_geo = Transformer.from_crs(crs, 4326, always_xy=True)
    to_map = Transformer.from_crs(4326, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x1, y1 = to_map.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x, y1 - y))


class _Sheet:
    """One sheet under construction: the figure, its map axes, the legend handles and the fonts."""

    def __init__(self, layers: PlanLayers, theme: str, paper: str, when: dt.date) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.font_manager import FontProperties

        if paper not in PAPERS_MM:
            raise InputError(f"unknown paper size {paper!r}", fix=f"use one of {', '.join(PAPERS_MM)}")
        if theme not in THEMES:
            raise InputError(f"unknown sheet theme {theme!r}", fix=f"use one of {', '.join(THEMES)}")
        self.layers, self.theme, self.paper, self.when = layers, theme, paper, when
        w_mm, h_mm = PAPERS_MM[paper]
        self.k = w_mm / 420.0  # type sizes and line widths grow with the paper
        family = [find_cjk_font(), "DejaVu Sans"]
        self.font = lambda size: FontProperties(family=family, size=size * self.k)
        self.fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
        FigureCanvasAgg(self.fig)  # a canvas of its own: no pyplot, no global figure registry
        self.ax = self.fig.add_axes((0.025, 0.04, 0.70, 0.83))
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.handles: list[Any] = []
        self.notes: list[str] = []

    # ---------------------------------------------------------------- drawing helpers
    def polygons(self, gdf: Any, label: str | None, *, face: Any = "none", edge: str = INK, width: float = 0.6,
                 alpha: float = 1.0, dashed: bool = False, z: int = 1) -> None:
        from matplotlib.patches import Patch

        if gdf.empty:
            return
        polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        points = gdf[gdf.geom_type.isin(["Point", "MultiPoint"])]
        style = {"linewidth": width * self.k, "edgecolor": edge, "alpha": alpha, "zorder": z,
                 "linestyle": "--" if dashed else "-"}
        if len(polys):
            polys.plot(ax=self.ax, facecolor=face, aspect=None, **style)
        if len(points):
            colour = edge if isinstance(face, str) and face == "none" else face
            points.plot(ax=self.ax, color=colour, markersize=30 * self.k ** 2, marker="s", aspect=None,
                        edgecolor=edge, linewidth=0.5 * self.k, zorder=z + 1)
        if label:
            self.handles.append(Patch(facecolor=face, edgecolor=edge, linestyle="--" if dashed else "-",
                                      label=label, alpha=alpha))

    def points(self, gdf: Any, label: str, colour: str, *, size: float = 10.0, z: int = 5) -> None:
        from matplotlib.lines import Line2D

        if gdf.empty:
            return
        centres = gdf.geometry.representative_point()
        self.ax.scatter(centres.x, centres.y, s=size * self.k ** 2, c=colour, edgecolors="white",
                        linewidths=0.3 * self.k, zorder=z)
        self.handles.append(Line2D([], [], linestyle="", marker="o", markerfacecolor=colour,
                                   markeredgecolor="white", markersize=6, label=label))

    def labels(self, gdf: Any, column: str, size: float, *, colour: str = INK, weight: str = "normal") -> None:
        import matplotlib.patheffects as pe

        halo = [pe.withStroke(linewidth=2.5 * self.k, foreground="white")]
        for text, point in zip(gdf[column].astype(str), gdf.geometry.representative_point()):
            # parse_math=False: a '$' in a name is text, not a formula
            self.ax.text(point.x, point.y, text, fontproperties=self.font(size), color=colour, weight=weight,
                         ha="center", va="center", zorder=20, path_effects=halo, parse_math=False, clip_on=True)

    def note(self, text: str) -> None:
        """A message on the map itself, e.g. that the district has no gaps."""
        self.notes.append(text)

    # ---------------------------------------------------------------- frame, legend, title block
    def frame(self) -> int:
        """Fit the plan into the map box at a planner's scale; returns the scale denominator."""
        x0, y0, x1, y1 = plan_bounds(self.layers)
        pos = self.ax.get_position()
        w_in, h_in = self.fig.get_size_inches()
        box = (pos.width * w_in, pos.height * h_in)
        pad = 0.06 * max(x1 - x0, y1 - y0, 50.0)
        scale = map_scale((x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), box)
        half_w, half_h = box[0] * 0.0254 * scale / 2, box[1] * 0.0254 * scale / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.ax.set_xlim(cx - half_w, cx + half_w)
        self.ax.set_ylim(cy - half_h, cy + half_h)
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.set_xlabel("")  # geopandas labels the axes with the CRS; the title block says it instead
        self.ax.set_ylabel("")
        self.scale_bar(cx - half_w, cy - half_h, 2 * half_w, 2 * half_h)
        self.north_arrow(cx, cy)
        for i, text in enumerate(self.notes):
            self.ax.text(0.5, 0.96 - 0.05 * i, text, transform=self.ax.transAxes, ha="center", va="top",
                         fontproperties=self.font(13), color="#b2182b", zorder=30,
                         bbox={"facecolor": "white", "edgecolor": "#b2182b", "boxstyle": "round,pad=0.4"})
        return scale

    def scale_bar(self, x: float, y: float, width: float, height: float) -> None:
        from matplotlib.patches import Rectangle

        length = nice_length(width / 4)
        x0, y0, bar_h = x + 0.03 * width, y + 0.035 * height, 0.009 * height
        for i in range(4):
            self.ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bar_h, facecolor=INK if i % 2 == 0
                                        else "white", edgecolor=INK, linewidth=0.6 * self.k, zorder=25))
        for value in (0.0, length / 2, length):
            text = f"{value:g}" if value < length else f"{value:g} 米"
            self.ax.text(x0 + value, y0 + bar_h * 1.6, text, ha="center", va="bottom", zorder=25,
                         fontproperties=self.font(9))

    def north_arrow(self, cx: float, cy: float) -> None:
        angle = math.radians(true_north_deg(self.layers.crs, cx, cy))
        tip = (0.955, 0.93)
        length = 42 * self.k  # points
        self.ax.annotate("", xy=tip, xycoords="axes fraction",
                         xytext=(-length * math.sin(angle), -length * math.cos(angle)), textcoords="offset points",
                         arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.45", "color": INK,
                                     "linewidth": 1.6 * self.k}, zorder=25)
        self.ax.annotate("北", xy=tip, xycoords="axes fraction", ha="center", va="bottom", zorder=25,
                         xytext=(8 * self.k * math.sin(angle), 6 * self.k * math.cos(angle) + 2),
                         textcoords="offset points", fontproperties=self.font(14), weight="bold")

    def finish(self, scale: int, heading: str, panel_lines: Sequence[str] = ()) -> Any:
        from matplotlib.patches import Rectangle

        fig, layers = self.fig, self.layers
        fig.add_artist(Rectangle((0.008, 0.012), 0.984, 0.976, transform=fig.transFigure, fill=False,
                                 edgecolor=INK, linewidth=1.2 * self.k))
        fig.text(0.025, 0.955, layers.title, fontproperties=self.font(22), weight="bold", va="top",
                 parse_math=False)
        fig.text(0.025, 0.905, f"{THEMES[self.theme]} · {layers.district_label}", fontproperties=self.font(15),
                 va="top", parse_math=False)
        px = 0.745
        fig.text(px, 0.955, "图例", fontproperties=self.font(15), weight="bold", va="top")
        below_legend = 0.925
        if self.handles:
            legend = fig.legend(handles=self.handles, loc="upper left", bbox_to_anchor=(px - 0.005, 0.925),
                                frameon=False, prop=self.font(11), handlelength=2.2, handleheight=1.1,
                                labelspacing=0.7, borderaxespad=0.0)
            box = legend.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
            below_legend = box.y0

        crs = layers.crs
        epsg = crs.to_epsg()
        info = [f"片区：{layers.district_label}",
                f"比例尺：1:{scale:,}（{self.paper} 横向输出）",
                f"坐标系：{crs.name}" + (f"（EPSG:{epsg}）" if epsg else ""),
                "指北针：真北（已按子午线收敛角校正）",
                f"制图日期：{self.when.isoformat()}"]
        if layers.attribution:
            info.append(f"数据来源：{layers.attribution}")
        info.append(f"gisplanner {__version__} 输出，供联合审查")
        info = [part for line in info for part in textwrap.wrap(line, PANEL_CHARS + 4, subsequent_indent="  ")]
        step = 0.026
        info_top = 0.03 + step * len(info) + 0.02
        fig.add_artist(Rectangle((px - 0.008, 0.03), 0.245, info_top - 0.03, transform=fig.transFigure,
                                 fill=False, edgecolor=INK, linewidth=0.8 * self.k))
        for i, line in enumerate(info):
            fig.text(px, 0.04 + step * (len(info) - 1 - i), line, fontproperties=self.font(10), va="bottom",
                     parse_math=False)

        # the side panel fills what the legend and the title block leave; the rest is in the tables
        top = below_legend - 0.04
        room = int((top - 0.045 - info_top) / step)
        wrapped = [part for line in panel_lines for part in textwrap.wrap(line, PANEL_CHARS, subsequent_indent="  ")]
        if len(wrapped) > room:
            wrapped = [*wrapped[:max(room - 1, 0)], f"……另 {len(wrapped) - max(room - 1, 0)} 行，见计划表"]
        if wrapped and room > 0:
            fig.text(px, top, heading, fontproperties=self.font(13), weight="bold", va="top")
            for i, line in enumerate(wrapped):
                fig.text(px, top - 0.035 - step * i, line, fontproperties=self.font(10), va="top",
                         parse_math=False)
        return fig


def _community_layers(sheet: _Sheet) -> None:
    layers = sheet.layers
    c = layers.communities
    sheet.polygons(c[c["district_id"].notna()], "片区内小区", face="#e0e0e0", edge="#757575", width=0.4)
    sheet.polygons(pd.concat([c[c["district_id"].isna()], layers.outside]), OUTSIDE_LABEL, face="#fafafa",
                   edge="#bdbdbd", width=0.3)


def _districts(sheet: _Sheet, *, label: bool = True) -> None:
    d = sheet.layers.districts
    sheet.polygons(d, "片区边界", edge="#1f3a93", width=2.0, z=10)
    if label and 0 < len(d) <= MAX_LABELS:
        sheet.labels(d, "name", 13 if len(d) <= 10 else 10 if len(d) <= 30 else 8, colour="#1f3a93",
                     weight="bold")


def _overview(sheet: _Sheet) -> list[str]:
    from matplotlib import colormaps

    layers = sheet.layers
    c = layers.communities
    palette = colormaps["Pastel1"].colors
    ids = sorted(c["district_id"].dropna().astype(str).unique())
    colour = {d: palette[i % len(palette)] for i, d in enumerate(ids)}
    members = c[c["district_id"].notna()]
    if len(members):
        members.plot(ax=sheet.ax, color=[colour[str(d)] for d in members["district_id"]], edgecolor="#757575",
                     linewidth=0.4 * sheet.k, aspect=None)
        from matplotlib.patches import Patch
        sheet.handles.append(Patch(facecolor=palette[0], edgecolor="#757575", label="片区内小区（按片区着色）"))
    sheet.polygons(pd.concat([c[c["district_id"].isna()], layers.outside]), OUTSIDE_LABEL, face="#fafafa",
                   edge="#bdbdbd", width=0.3)
    _districts(sheet)
    sheet.polygons(layers.proposed, "拟建设施", face="#212121", edge="#212121", z=12)
    if len(c) <= MAX_LABELS:
        sheet.labels(c, "name", 7, colour="#424242")
    d = layers.districts
    sizes = d["district_id"].astype(str).map(c["district_id"].astype(str).value_counts())
    return [f"片区 {len(d)} 个，片区内小区 {int(c['district_id'].notna().sum())} 个"] + [
        f"{i}{'' if str(n) == str(i) else '  ' + str(n)}（{k} 个小区）"
        for i, n, k in zip(d["district_id"], d["name"], sizes)]


def _resources(sheet: _Sheet) -> list[str]:
    layers = sheet.layers
    _community_layers(sheet)
    res = layers.resources
    for role, rows in res.groupby("layer", sort=True) if len(res) else []:
        name, colour = RESOURCE_STYLE.get(str(role), OTHER_RESOURCE)
        sheet.polygons(rows, name, face=colour, edge=colour, alpha=0.6, z=6)
    sheet.polygons(layers.chosen_sites, "推荐候选用地", edge="#8c510a", width=1.2, dashed=True, z=7)
    _districts(sheet)
    named = res.drop_duplicates(["layer", "resource_id"]) if len(res) else res
    named = named[named["name"].notna() & (named["name"].astype(str) != "")]
    if 0 < len(named) <= MAX_LABELS // 2:
        sheet.labels(named, "name", 8, colour="#4a1486")
    if res.empty:
        sheet.note("本片区无可利用资源（空闲地、锅炉房、公有房屋）")
    # a resource within reach of two districts is listed for both: count it once
    counts = res.drop_duplicates(["layer", "resource_id"]).groupby("layer").size() if len(res) else {}
    return [f"{RESOURCE_STYLE.get(str(k), OTHER_RESOURCE)[0]}：{v} 处" for k, v in dict(counts).items()]


def _gaps(sheet: _Sheet) -> list[str]:
    layers = sheet.layers
    _community_layers(sheet)
    # outlines only: the walking service areas of many types overlap, and fills would hide the gaps
    sheet.polygons(layers.service_areas, "设施服务范围（步行）", edge="#3182bd", width=0.5, alpha=0.6, z=4)
    service = layers.gaps[layers.gaps["gap_kind"] == SERVICE_GAP]  # 数据缺失 is not drawn as a gap
    per_community = service.groupby("community_id")["facility_type"].nunique() if len(service) else {}
    c = layers.communities
    n = c["feature_id"].astype(str).map(per_community).fillna(0).to_numpy()
    for low, high, colour in gap_classes(n):
        label = f"{low} 类设施缺口" if low == high else f"{low}–{high} 类设施缺口"
        sheet.polygons(c[(n >= low) & (n <= high)], label, face=colour, edge="#67000d", width=0.4, z=3)
    sheet.points(layers.facilities, "现有设施", "#2171b5", size=8)
    _districts(sheet)
    if layers.gaps.empty:
        sheet.note("本片区无生活圈服务缺口")
        return []
    zh = layers.facility_zh
    by_type = service.groupby("facility_type")["community_id"].nunique().sort_values(ascending=False)
    lines = [f"缺{zh.get(str(t), t)}：{k} 个小区" for t, k in by_type.items()]
    missing = layers.gaps.loc[layers.gaps["gap_kind"] == DATA_MISSING, "facility_type"].unique()
    if len(missing):
        lines += [f"数据缺失（不计为缺口）：{'、'.join(zh.get(str(t), t) for t in missing)}", DATA_CAVEAT]
    return lines


def _facilities(sheet: _Sheet) -> list[str]:
    from matplotlib.patches import Patch

    layers = sheet.layers
    sheet.polygons(layers.green_space, "绿地", face="#a1d99b", edge="#41ab5d", width=0.3, z=1)
    _community_layers(sheet)
    sun = layers.sunlight
    labels = sill_labels(sun)
    for label, colour in SILL_COLOURS.items():
        sheet.points(sun[labels == label], label, colour, size=30)
    p = layers.proposed
    checks = layers.check_columns
    worst = [worst_verdict(r[c] for c in checks if pd.notna(r[c])) for _, r in p.iterrows()]
    for verdict in sorted(set(worst), key=list(VERDICT_COLOURS).index):
        rows = p[np.asarray(worst) == verdict]
        sheet.polygons(rows, None, face=VERDICT_COLOURS[verdict], edge=INK, width=1.0, z=12)
        sheet.handles.append(Patch(facecolor=VERDICT_COLOURS[verdict], edgecolor=INK,
                                   label=f"拟建设施：{VERDICT_ZH[verdict]}"))
    if len(p):
        # a ring and an offset id keep a small footprint visible at district scale
        centres = p.geometry.representative_point()
        sheet.ax.scatter(centres.x, centres.y, s=1000 * sheet.k ** 2, facecolors="none", zorder=13,
                         edgecolors=[VERDICT_COLOURS[v] for v in worst], linewidths=2.0 * sheet.k)
        for fid, x, y in zip(p["facility_id"].astype(str), centres.x, centres.y):
            sheet.ax.annotate(fid, (x, y), xytext=(12 * sheet.k, 12 * sheet.k), textcoords="offset points",
                              fontproperties=sheet.font(11), weight="bold", zorder=20, annotation_clip=True,
                              bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0})
    _districts(sheet, label=False)
    if p.empty:
        sheet.note("本片区尚无拟建设施")
        return []
    lines = []
    for _, r in p.iterrows():
        ftype = layers.facility_zh.get(r["facility_type"], r["facility_type"])
        lines.append(f"{r['facility_id']} {ftype}：{OVERALL_ZH.get(r['overall'], r['overall'])}")
        lines += [f"  {layers.check_label(c)}：{VERDICT_ZH.get(r[c], r[c])}" for c in checks
                  if pd.notna(r[c]) and r[c] not in ("pass", "not_applicable", "not_checked")]
    return lines


def gap_classes(counts: np.ndarray, *, n_classes: int = 4) -> list[tuple[int, int, str]]:
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


_DRAW = {"overview": _overview, "districts": _resources, "gaps": _gaps, "facilities": _facilities}


def sheet_figure(layers: PlanLayers, theme: str, *, paper: str = "A3", when: dt.date | None = None) -> Any:
    """Draw one map sheet.

    Parameters
    ----------
    layers
        The plan (whole or one district).
    theme
        One of :data:`THEMES`.
    paper
        One of :data:`PAPERS_MM`, landscape.
    when
        Date printed on the sheet; today by default.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot, so nothing global is kept alive.
    """
    sheet = _Sheet(layers, theme, paper, when or dt.date.today())
    lines = _DRAW[theme](sheet)
    scale = sheet.frame()
    return sheet.finish(scale, _HEADINGS[theme], lines)


def write_sheets(layers: PlanLayers, out_dir: Path, *, paper: str = "A3", formats: Sequence[str] = ("pdf", "png"),
                 dpi: float = 150.0, when: dt.date | None = None,
                 progress: Progress | None = None) -> dict[str, list[Path]]:
    """Write every sheet: one multi-page ``sheets.pdf`` and one ``sheet_<n>_<theme>.png`` each.

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
    written: dict[str, list[Path]] = {f: [] for f in formats if f in ("pdf", "png")}
    pdf = PdfPages(out_dir / "sheets.pdf", metadata={"Title": layers.title, "Creator": f"gisplanner {__version__}"}
                   ) if "pdf" in written else None
    try:
        for i, theme in enumerate(THEMES, start=1):
            progress.update(i - 1, len(THEMES), f"图纸：{THEMES[theme]}")
            fig = sheet_figure(layers, theme, paper=paper, when=when)
            if pdf is not None:
                pdf.savefig(fig)
            if "png" in written:
                path = out_dir / f"sheet_{i}_{theme}.png"
                fig.savefig(path, dpi=dpi)
                written["png"].append(path)
    finally:
        if pdf is not None:
            pdf.close()
    if pdf is not None:
        written["pdf"].append(out_dir / "sheets.pdf")
    progress.update(len(THEMES), len(THEMES), "图纸已写出")
    return written
