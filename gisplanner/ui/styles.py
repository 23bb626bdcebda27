"""Map symbology: a style per layer role and per result, split into drawable classes for the canvas and legend.

A style turns a GeoDataFrame into a few :class:`StyleClass` objects (label, colours, row mask). The canvas draws
one batched item per class and the legend lists the same classes, so map and legend cannot disagree. Styles are
plain data (colours as ``#rrggbb`` strings) so they can be saved in the project settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gisplanner import catalogue
from gisplanner.labels import code_label, codes, column_domain

#: Chinese display names of the canonical roles and of the engine results (from the label table).
LAYER_ZH = codes("layer")

#: Qualitative palette for categories (districts by id): Tableau 10, readable on a light background.
CATEGORY_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")

#: Sequential ramps, light to dark: shortfall (yellow → red) and sunlight hours (dark blue → yellow).
RAMPS = {
    "shortfall": ("#fee391", "#fdae61", "#f46d43", "#d73027", "#a50026"),
    "sunlight": ("#313695", "#4575b4", "#91bfdb", "#fee090", "#fdae61", "#ffd700"),
}


@dataclass(frozen=True)
class Style:
    """How one layer is drawn.

    Parameters
    ----------
    fill
        Fill colour of polygons and points; ``None`` draws polygons as outlines only.
    edge
        Outline (polygons, points) or line colour.
    width
        Outline or line width in screen pixels.
    point_size
        Marker diameter in screen pixels.
    kind
        ``single`` (one colour), ``categorized`` (one colour per value of ``column``) or ``graduated``
        (``ramp`` split at ``breaks`` of ``column``).
    column
        Attribute that drives ``categorized`` and ``graduated`` styles.
    ramp
        Key of :data:`RAMPS` for graduated styles.
    breaks
        Upper class bounds for graduated styles, in the units of ``column``; the last class is open-ended.
    unit
        Unit shown in graduated legend labels (``m``, ``h``).
    categories
        Fixed ``(value, colour, label)`` classes of a categorized style, in legend order; values not listed
        get palette colours after them.
    """

    fill: str | None = "#cccccc"
    edge: str = "#555555"
    width: float = 1.0
    point_size: float = 8.0
    kind: str = "single"
    column: str | None = None
    ramp: str | None = None
    breaks: tuple[float, ...] = ()
    unit: str = ""
    categories: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class StyleClass:
    """One legend entry and the rows of the frame drawn with it."""

    label: str
    fill: str | None
    edge: str
    mask: np.ndarray


ROLE_STYLES: dict[str, Style] = {
    "admin_boundaries": Style(fill=None, edge="#6a3d9a", width=2.0),
    "landuse": Style(fill="#efe8d8", edge="#d8ccb0", width=0.5),
    "green_space": Style(fill="#b8dfa0", edge="#6fa85a", width=0.5),
    "communities": Style(fill="#fbe3c4", edge="#c07a2c", width=1.0),
    "idle_land": Style(fill="#f3d5e8", edge="#b0569a", width=1.0),
    "buildings": Style(fill="#b9b3ab", edge="#7d766d", width=0.5),
    "walk_network": Style(fill=None, edge="#8c8c8c", width=1.0),
    "railways": Style(fill=None, edge="#333333", width=2.0),
    "rivers": Style(fill=None, edge="#5b9bd5", width=2.0),
    "boiler_rooms": Style(fill="#7f3b08", edge="#3d1c04", width=1.0, point_size=10),
    "public_buildings": Style(fill="#1b9e77", edge="#0d4f3c", width=1.0, point_size=9),
    "facilities": Style(fill="#2166ac", edge="#ffffff", width=1.0, point_size=8, kind="categorized",
                        column="category"),
    "gates": Style(fill="#000000", edge="#ffffff", width=1.0, point_size=5),
}

_IMPACT = Style(fill="#d7301f", edge="#222222", width=0.5, point_size=7, kind="categorized", column="status",
               categories=(("newly_failing", "#b30000", "新增不达标窗户"), ("reduced", "#fdae61", "日照减少仍达标"),
                           ("exempt", "#9e9ac8", "豁免（加装电梯）")))

#: The style of every spatial output of the catalogue, and of the footprint the placement tool draws.
RESULT_STYLES: dict[str, Style] = {
    catalogue.DISTRICTS: Style(fill="#4e79a7", edge="#222222", width=2.0, kind="categorized", column="district_id"),
    catalogue.GAPS: Style(fill="#d73027", edge="#7f0000", width=1.0, kind="graduated", column="shortfall_m",
                  ramp="shortfall", breaks=(100.0, 250.0, 500.0, 1000.0), unit="m"),
    catalogue.SILL_POINTS: Style(fill="#ffd700", edge="#555555", width=0.0, point_size=6, kind="graduated",
                         column="hours", ramp="sunlight", breaks=(1.0, 2.0, 3.0, 4.0, 6.0), unit="h"),
    catalogue.SUNLIGHT_IMPACT: _IMPACT,
    catalogue.PLACEMENT_IMPACT: _IMPACT,
    catalogue.SERVICE_AREAS: Style(fill="#c6dbef", edge="#6baed6", width=0.5),
    catalogue.CANDIDATE_SITES: Style(fill="#fdd0a2", edge="#d94801", width=1.5, point_size=9),
    catalogue.DISTRICT_RESOURCES: Style(fill="#8c6bb1", edge="#4d004b", width=1.0, point_size=8),
    catalogue.COMMUNITY_ACCESS: Style(fill="#e5f5e0", edge="#74c476", width=0.5, kind="categorized", column="served",
                              categories=(("True", "#a1d99b", "可达"), ("False", "#fc9272", "不可达"))),
    "placement": Style(fill="#ff7f00", edge="#000000", width=2.0, point_size=12),
    catalogue.FACILITY_ACCESS: Style(fill="#2166ac", edge="#08306b", width=1.0, point_size=6, kind="categorized",
                                     column="status"),
    catalogue.PLACEMENT_SHADOW: Style(fill="#54278f", edge="#3f007d", width=1.0),
    "review_comments": Style(fill="#b30000", edge="#ffffff", width=1.5, point_size=14, kind="categorized",
                             column="status", categories=(("pending", "#e08214", "审查意见：待定"),
                                                          ("adopted", "#1a9850", "审查意见：采纳"),
                                                          ("rejected", "#7f7f7f", "审查意见：不采纳"))),
}

DEFAULT_STYLE = Style(fill="#a6cee3", edge="#1f78b4", width=1.0)

#: Results shown unticked when they first appear: detail layers that would cover the map (from the catalogue).
HIDDEN_RESULTS = catalogue.HIDDEN_RESULTS


def display_name(name: str) -> str:
    """Chinese label of a layer: the label table's, else the catalogue output's Chinese name, else by prefix
    (``gaps_lc5`` → ``生活圈服务缺口 lc5``), else the layer's own name."""
    if name in LAYER_ZH:
        return LAYER_ZH[name]
    if name in catalogue.OUTPUTS:
        return catalogue.OUTPUTS[name].zh
    for key, zh in LAYER_ZH.items():
        if name.startswith(key + "_"):
            return f"{zh} {name[len(key) + 1:]}"
    return name


def default_style(name: str) -> Style:
    """The style a layer called ``name`` gets when it is first shown (role, then result, then prefix match)."""
    for table in (ROLE_STYLES, RESULT_STYLES):
        if name in table:
            return table[name]
    for table in (RESULT_STYLES, ROLE_STYLES):
        for key, style in table.items():
            if name.startswith(key + "_"):
                return style
    return DEFAULT_STYLE


def ramp_colors(ramp: str, n: int) -> list[str]:
    """``n`` colours sampled evenly along the named ramp (linear interpolation in RGB)."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in RAMPS[ramp]], dtype=float)
    if n == 1:
        return [RAMPS[ramp][-1]]
    pos = np.linspace(0, len(stops) - 1, n)
    lo = np.floor(pos).astype(int).clip(0, len(stops) - 2)
    t = (pos - lo)[:, None]
    rgb = np.rint(stops[lo] * (1 - t) + stops[lo + 1] * t).astype(int)
    return ["#{:02x}{:02x}{:02x}".format(*row) for row in rgb]


def classify(frame: pd.DataFrame, style: Style) -> list[StyleClass]:
    """Split ``frame`` into the classes of ``style``, in legend order.

    Falls back to a single class when the style's column is absent, so a result whose columns changed still
    draws. Rows whose value is missing go into a grey ``无数据`` class.
    """
    n = len(frame)
    if style.kind == "single" or style.column not in frame.columns:
        return [StyleClass("", style.fill, style.edge, np.ones(n, dtype=bool))]
    values = frame[style.column]
    missing = values.isna().to_numpy()
    classes: list[StyleClass] = []
    if style.kind == "categorized":
        cats = pd.unique(values[~missing])
        try:
            cats = sorted(cats)
        except TypeError:
            cats = list(cats)
        arr = values.astype(str).to_numpy()
        fixed = {value: (color, label) for value, color, label in style.categories}
        rest = [str(c) for c in cats if str(c) not in fixed]
        for value in [v for v, _, _ in style.categories] + rest:
            mask = (arr == value) & ~missing
            if value in fixed:
                color, label = fixed[value]
                if not mask.any():
                    continue
            else:
                color = CATEGORY_PALETTE[rest.index(value) % len(CATEGORY_PALETTE)]
                label = code_label(value, column_domain(style.column))
            classes.append(StyleClass(label, color, style.edge, mask))
    else:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        colors = ramp_colors(style.ramp or "shortfall", len(style.breaks) + 1)
        lower = -np.inf
        for i, upper in enumerate((*style.breaks, np.inf)):
            mask = (numbers > lower) & (numbers <= upper) & ~missing
            if i == 0:
                mask |= (numbers <= lower) & ~missing
            if np.isinf(upper):
                label = f"> {lower:g} {style.unit}"
            elif np.isinf(lower):
                label = f"≤ {upper:g} {style.unit}"
            else:
                label = f"{lower:g}–{upper:g} {style.unit}"
            classes.append(StyleClass(label.strip(), colors[i], style.edge, mask))
            lower = upper
    if missing.any():
        classes.append(StyleClass("无数据", "#d9d9d9", style.edge, missing))
    return classes


def with_fill(style: Style, fill: str | None) -> Style:
    """A copy of ``style`` drawn in one colour (the layers panel's colour button)."""
    return replace(style, fill=fill, kind="single")
