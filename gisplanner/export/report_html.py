"""The placement report as one self-contained HTML page with a small inline SVG map."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis.checks import CheckResult
from gisplanner.analysis.placement import PlacementReport
from gisplanner.labels import code_label, field_label, format_value, header_label, site_label, source_text
from gisplanner.standards import Standards, load_standards

# Drawing order and style of the context layers on the map, bottom first.
MAP_STYLE = (
    ("landuse", "#f4f1e8", "#d8d2bf"),
    ("communities", "none", "#8a8a8a"),
    ("green_space", "#b9dfa8", "#6aa85a"),
    ("buildings", "#c9c9c9", "#7a7a7a"),
    ("boiler_rooms", "#f0c27b", "#a0702a"),
    ("public_buildings", "#c7d7ef", "#5878a8"),
)
_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.35em .5em;vertical-align:top}
th{background:#f2f2f2;text-align:left}.v-pass{color:#2e7d32}.v-warn{color:#b26a00}.v-consult{color:#c25400}
.v-fail{color:#c62828;font-weight:bold}.v-not_checked{color:#777}.overall{font-size:1.3em;margin:.5em 0}
dl{margin:0}dt{font-weight:bold;display:inline}dd{display:inline;margin:0 .8em 0 .3em}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}small{color:#555}
"""


def _e(value: Any) -> str:
    """Every text that comes from data or config goes through here."""
    return html.escape(str(value), quote=True)


def _number(key: str, value: Any, standards: Standards) -> str:
    """One value of a check's numbers as a reader sees it: codes named, counts whole, shares in %."""
    if value is None or isinstance(value, float | np.floating) and not np.isfinite(value):
        return "—"
    if key == "site":
        return _e(site_label(value))
    if isinstance(value, float | np.floating) and not header_label(key).endswith("（%）") and abs(value) < 1000:
        return _e(f"{value:,.2f}".rstrip("0").rstrip("."))
    return _e(format_value(key, value, standards=standards) or "—")


def _numbers_html(numbers: Mapping[str, Any], standards: Standards) -> str:
    """Scalars as a definition list; lists of records (parcels, parks) as small tables; Chinese names."""
    scalars, tables = [], []
    for key, value in numbers.items():
        if isinstance(value, Sequence) and not isinstance(value, str) and value and all(
                isinstance(v, Mapping) for v in value):
            columns = list(dict.fromkeys(k for row in value for k in row))
            head = "".join(f"<th>{_e(header_label(c))}</th>" for c in columns)
            body = "".join("<tr>" + "".join(f"<td>{_number(c, row.get(c), standards)}</td>" for c in columns)
                           + "</tr>" for row in value)
            tables.append(f"<table><tr>{head}</tr>{body}</table>")
        elif isinstance(value, Sequence) and not isinstance(value, str):
            scalars.append(f"<dt>{_e(field_label(key))}</dt><dd>{_number(key, list(value), standards)}</dd>")
        else:
            scalars.append(f"<dt>{_e(header_label(key))}</dt><dd>{_number(key, value, standards)}</dd>")
    return (f"<dl>{''.join(scalars)}</dl>" if scalars else "") + "".join(tables)


def _check_row(check: CheckResult, standards: Standards) -> str:
    steps = "".join(f"<li>{_e(s)}</li>" for s in check.next_steps)
    basis = "".join(f"<li>{_e(source_text(b, standards))}</li>" for b in check.basis)
    return (f"<tr><td>{_e(check.title)}</td>"
            f"<td class=\"v-{_e(check.verdict)}\">{_e(code_label(check.verdict, 'verdict'))}</td>"
            f"<td>{_e(check.message)}{_numbers_html(check.numbers, standards)}</td>"
            f"<td>{f'<ul>{basis}</ul>' if basis else '—'}</td><td>{f'<ul>{steps}</ul>' if steps else '—'}</td>"
            "</tr>")


def _svg_path(geom: BaseGeometry, to_px: Any) -> str:
    """SVG path data of a (multi)polygon's rings, closed, or a (multi)line's vertices."""
    parts = shapely.get_parts(geom)
    polygons = shapely.get_type_id(parts) == 3
    pieces = [(ring, " Z") for ring in shapely.get_rings(parts[polygons])]
    pieces += [(line, "") for line in parts[~polygons]]
    return " ".join("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in to_px(shapely.get_coordinates(g))) + end
                    for g, end in pieces)


def report_svg(footprint: BaseGeometry, context: Mapping[str, gpd.GeoDataFrame] | None = None, *,
               margin_m: float = 150.0, width_px: int = 480) -> str:
    """A small map of the footprint and the layers around it, as inline SVG.

    Parameters
    ----------
    footprint
        The placed footprint, metric CRS.
    context
        Layers by role (see ``MAP_STYLE``), same CRS; only the part inside the map window is drawn.
    margin_m
        Distance shown around the footprint, metres.
    width_px
        Width of the image, pixels; the height follows the window's shape.
    """
    minx, miny, maxx, maxy = footprint.buffer(margin_m).bounds
    scale = width_px / (maxx - minx)
    height_px = (maxy - miny) * scale

    def to_px(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - minx) * scale, (maxy - xy[:, 1]) * scale))

    window = shapely.box(minx, miny, maxx, maxy)
    shapes = []
    for role, fill, stroke in MAP_STYLE:
        layer = (context or {}).get(role)
        if layer is None or layer.empty:
            continue
        near = layer.iloc[layer.sindex.query(window, predicate="intersects")]
        for geom, name in zip(shapely.clip_by_rect(near.geometry.values, minx, miny, maxx, maxy),
                              near["name"] if "name" in near.columns else [""] * len(near)):
            if geom.is_empty:
                continue
            if geom.geom_type == "Point":
                (x, y), = to_px(shapely.get_coordinates(geom))
                shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{stroke}">'
                              f"<title>{_e(code_label(role, 'layer'))}：{_e(name if isinstance(name, str) else '')}</title>"
                              "</circle>")
                continue
            shapes.append(f'<path d="{_svg_path(geom, to_px)}" fill="{fill}" stroke="{stroke}" '
                          f'stroke-width="1" fill-rule="evenodd"><title>{_e(code_label(role, "layer"))}：'
                          f"{_e(name if isinstance(name, str) else '')}</title></path>")
    if footprint.area > 0:
        shapes.append(f'<path d="{_svg_path(footprint, to_px)}" fill="#e53935" fill-opacity="0.55" '
                      'stroke="#b71c1c" stroke-width="2"><title>占地范围</title></path>')
    else:
        (x, y), = to_px(shapely.get_coordinates(footprint.centroid))
        shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#e53935"><title>场地</title></circle>')
    bar_m = _scale_bar_m(maxx - minx)
    bar_px = bar_m * scale
    shapes.append(f'<g font-size="11"><line x1="10" y1="{height_px - 12:.1f}" x2="{10 + bar_px:.1f}" '
                  f'y2="{height_px - 12:.1f}" stroke="#222" stroke-width="2"/><text x="10" '
                  f'y="{height_px - 16:.1f}">{bar_m:.0f} m</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px:.0f}" '
            f'viewBox="0 0 {width_px} {height_px:.1f}" role="img">{"".join(shapes)}</svg>')


def _scale_bar_m(span_m: float) -> float:
    """A round length near a quarter of the map width (10, 20, 50, 100, ... m)."""
    target = span_m / 4
    magnitude = 10 ** np.floor(np.log10(target))
    return float(max(m * magnitude for m in (1, 2, 5) if m * magnitude <= target))


def report_html(report: PlacementReport, *, context: Mapping[str, gpd.GeoDataFrame] | None = None,
                attribution: str | None = None, margin_m: float = 150.0, standards: Standards | None = None) -> str:
    """The readable page of one placement report.

    Parameters
    ----------
    report
        The report of :func:`gisplanner.analysis.placement.check_placement`.
    context
        Layers to draw on the small map (by role), in the report's CRS.
    attribution
        Data attribution to print under the map (e.g. "© OpenStreetMap contributors").
    margin_m
        Distance shown around the footprint, metres.
    standards
        Names the sources of the basis, the facility types and levels (default: the bundled standards).

    Returns
    -------
    str
        A complete HTML document in Chinese; every text from the data is escaped.
    """
    standards = standards or load_standards()
    footprint = shapely.from_wkt(report.footprint_wkt)
    title = f"{report.facility_zh} {report.name}".strip()
    facts = {"设施类型": report.facility_zh, "名称": report.name or "—",
             "建设方式": code_label(report.intervention, "intervention"), "场地": site_label(report.site, report.site_name),
             "占地面积": f"{footprint.area:,.0f} m²", "坐标系": report.crs or "—", "核查时间": report.created}
    if report.footprint_used:
        facts["建筑占地"] = str(report.footprint_used["text"])
    rows = "".join(_check_row(c, standards) for c in report.checks)
    caption = "图：占地范围（红色）及周边。"
    if attribution:
        caption += f" {attribution}"
    return (
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e('设施选址核查：' + title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>设施选址核查：{_e(title)}</h1>"
        f"<p class=\"overall v-{_e(report.overall)}\">总体结论：{_e(code_label(report.overall, 'overall'))}</p>"
        "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts.items()) + "</dl>"
        f"<figure>{report_svg(footprint, context, margin_m=margin_m)}<figcaption>{_e(caption)}</figcaption>"
        "</figure><table><tr><th>核查项</th><th>结论</th><th>说明与数据</th><th>依据</th><th>下一步</th>"
        f"</tr>{rows}</table><p><small>标准取值来自项目的标准配置；状态为“凭记忆，未核对”的取值为待核对的默认值，"
        "正式使用前须与标准原文核对。</small></p></body></html>")


def write_report_html(report: PlacementReport, path: str | Path, **options: Any) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(report_html(report, **options), encoding="utf-8")
    return path
