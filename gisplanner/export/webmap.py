"""One self-contained HTML web map of the plan (folium), readable offline in any browser."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis.lifecircle import DATA_MISSING
from gisplanner.errors import ConfigError
from gisplanner.export.layers import (
    OVERALL_ZH,
    SILL_COLOURS,
    SILLS_OF_CONCERN,
    VERDICT_COLOURS,
    VERDICT_ZH,
    PlanLayers,
    display_value,
    plan_bounds,
    worst_verdict,
)
from gisplanner.export.sheets import crs_zh
from gisplanner.labels import code_label, violations_text

OFFLINE_NOTE = "离线可用：地图程序与全部数据已内嵌于本文件，无需联网；不加载底图瓦片，背景为空白。"
ONLINE_NOTE = "底图为 OpenStreetMap 瓦片，需联网；离线时背景为空白，数据照常显示。"


def _cell(value: Any) -> str:
    """One value as escaped HTML text (:func:`display_value`).

    Braces become entities too, so data text can never open a template tag of the page.
    """
    return html.escape(display_value(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def popup_table(title: Any, rows: Iterable[tuple[str, Any]]) -> str:
    """HTML of a popup: an escaped title and a two-column table of escaped labels and values.

    >>> popup_table("<b>", [("户数", 420.0)])
    '<b>&lt;b&gt;</b><table><tr><th>户数</th><td>420</td></tr></table>'
    """
    body = "".join(f"<tr><th>{html.escape(label)}</th><td>{_cell(value)}</td></tr>" for label, value in rows)
    return f"<b>{_cell(title)}</b><table>{body}</table>"


#: Popup labels of the statistics columns the engines write; other columns show their own name.
STAT_ZH = {"n_communities": "小区数", "households": "户数", "population": "人口", "population_estimated": "人口为估算",
           "n_buildings": "楼栋数", "floor_area_m2": "住宅建筑面积（m²）", "share_built_before_2000": "2000年前建成户数占比",
           "extent_m": "最大跨度（m）", "contiguous": "连片", "violations": "约束冲突", "locked": "已锁定",
           "n_resources": "资源数", "n_gaps": "缺口数", "layer": "图层", "resource_id": "编号", "area_m2": "面积（m²）",
           "status": "状态", "distance_m": "距片区（m）", "district_id": "片区编号", "threshold_m": "服务半径（m）",
           "facilities": "设施数", "facility_id": "设施编号", "hours": "日照时数（h）", "hours_before": "建设前日照（h）",
           "hours_after": "建设后日照（h）", "required_hours": "要求（h）", "passes": "满足", "floor": "层",
           "building_id": "建筑编号", "rank": "推荐顺序", "population_new": "新增服务人口", "site_layer": "用地图层",
           "site_id": "用地编号", "name": "名称", "size_check": "规模核查", "walk_extent_m": "步行跨度（m）",
           "cost_yuan": "预计投资（元）", "n_items_unpriced": "未计价项目数", "n_districts": "可服务片区数",
           "population_alone": "单独新增服务人口", "communities_alone": "单独新增服务小区数",
           "communities_new": "新增服务小区", "level": "生活圈"}


def _stats_rows(row: pd.Series, skip: set[str]) -> list[tuple[str, Any]]:
    return [(STAT_ZH.get(str(k), str(k)), v) for k, v in row.items() if k not in skip and k != "geometry"
            and (isinstance(v, int | float | bool | str | np.generic) or v is None)]


def _add_layer(group: Any, gdf: gpd.GeoDataFrame, popups: list[str] | None, labels: list[str],
               style: Callable[[dict[str, Any]], dict[str, Any]], *, points: bool = False) -> None:
    """Add ``gdf`` in WGS84 with pre-escaped popups (None: tooltips only) and tooltips."""
    import folium

    if gdf.empty:
        return
    # Vertices closer than SIMPLIFY_M to the line they sit on cannot be seen on a web map of a city (a walking
    # service area has thousands); 6 decimals of a degree is 0.1 m.
    simple = shapely.simplify(gdf.geometry.to_numpy(), SIMPLIFY_M, preserve_topology=True)
    lonlat = shapely.transform(gpd.GeoSeries(simple, crs=gdf.crs).to_crs(4326).to_numpy(),
                               lambda xy: np.round(xy, 6))
    columns = {"_label": labels, "_key": range(len(gdf))} | ({} if popups is None else {"_popup": popups})
    data = gpd.GeoDataFrame(columns, geometry=lonlat, crs=4326)
    # folium's popup and tooltip templates insert property values with innerHTML, unescaped: the values are
    # escaped above, so the popup markup is ours and the data stays text. No per-feature bbox or id: folium
    # keys the styles on _key, and the page is smaller.
    layer = folium.GeoJson(
        json.loads(data.to_json(show_bbox=False, drop_id=True)), style_function=style, highlight_function=None,
        marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9) if points else None,
        popup=None if popups is None else folium.GeoJsonPopup(fields=["_popup"], labels=False, localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["_label"], labels=False, localize=False))
    layer.add_to(group)


#: Geometry detail dropped for the page, metres (the GeoPackage keeps every vertex).
SIMPLIFY_M = 0.5


#: The page's layers, bottom to top: name, legend swatch (line colour, fill colour or None, dashed), shown when
#: the page opens.
#: Off at first: what would bury the plan at city scale (service areas overlap, sills are thousands).
LAYERS = {
    "道路": ("#9e9e9e", None, False, True),
    "小区": ("#555555", "#cfd8dc", False, True),
    "生活圈缺口": ("#d73027", "#d73027", False, True),
    "服务范围": ("#3288bd", "#3288bd", False, False),
    "片区资源": ("#7b3294", "#c2a5cf", False, True),
    "推荐候选用地": ("#8c510a", None, True, False),
    "片区": ("#1f3a93", None, False, True),
    "拟建设施": ("#000000", "#9e9e9e", False, True),
    "日照（按建筑）": ("#d73027", "#d73027", False, False),
}
#: Road classes the page draws (the footways of a city would double its size and say little at meeting scale).
WEB_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary")
#: Below this width (CSS px) the layer list starts folded and the legend closed, so a phone shows the map.
NARROW_PX = 700
PAGE_CSS = (
    "#plan-note{position:fixed;bottom:36px;left:10px;z-index:1000;max-width:min(440px,calc(100vw - 20px));"
    "max-height:calc(100vh - 120px);overflow:auto;box-sizing:border-box;background:#fff;padding:6px 10px;"
    "border:1px solid #999;border-radius:4px;font:13px/1.5 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}"
    "#plan-note summary{cursor:pointer;font-weight:bold}"
    "#plan-note .row{display:flex;align-items:center;gap:6px;margin:1px 0}"
    "#plan-note .sw{flex:none;display:inline-block;width:18px;height:12px;box-sizing:border-box}"
    "#plan-note .sub{margin-left:24px}"
    ".leaflet-container{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif}"
    ".leaflet-popup-content table{border-collapse:collapse}"
    ".leaflet-popup-content th{text-align:left;padding-right:8px;font-weight:normal;color:#555}"
    "@media (max-width:700px){#plan-note{font-size:12px;bottom:32px}}")


#: The layer button's icon, stacked sheets, inline: Leaflet's stylesheet loads it from images/layers.png beside
#: the page, which a single offline file does not have.
LAYERS_ICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 26 26'%3E"
               "%3Cg stroke='%23333' stroke-width='1.5' stroke-linejoin='round'%3E"
               "%3Cpath d='M13 12 3 17l10 5 10-5z' fill='%23bbb'/%3E%3Cpath d='M13 8 3 13l10 5 10-5z' fill='%23ddd'/%3E"
               "%3Cpath d='M13 4 3 9l10 5 10-5z' fill='%23fff'/%3E%3C/g%3E%3C/svg%3E")


def _leaflet_css(css: str) -> str:
    """Leaflet's stylesheet with its image references made inline (layer button) or dropped (default marker,
    which the page never uses), so the page asks for no file besides itself."""
    for image in ("images/layers.png", "images/layers-2x.png"):
        css = css.replace(f"url({image})", f'url("{LAYERS_ICON}")')
    css = css.replace("url(images/marker-icon.png)", "none")
    if "url(images/" in css:
        raise ConfigError("Leaflet 样式表引用了未内嵌的图片", key="leaflet.css", value="url(images/…)")
    return css


def web_map(layers: PlanLayers, *, tiles: bool = False) -> Any:
    """Build the folium map of the plan, with Leaflet inlined and no request to any server.

    Parameters
    ----------
    layers
        The plan (whole or one district).
    tiles
        Add an OpenStreetMap basemap, which loads only when online; off by default so the page makes no
        network request at all.

    Returns
    -------
    folium.Map
        Toggleable layers (:data:`LAYERS`): 道路, 片区, 小区, 生活圈缺口, 服务范围, 片区资源, 推荐候选用地, 拟建设施,
        日照（按建筑）— the buildings with a sill of concern, each once, not every sill.
    """
    import folium
    from branca.element import Element, MacroElement
    from folium.utilities import JsCode
    from jinja2 import Template

    x0, y0, x1, y1 = plan_bounds(layers)
    minx, miny, maxx, maxy = gpd.GeoSeries.from_xy([x0, x1], [y0, y1], crs=layers.crs).to_crs(4326).total_bounds
    # no attribution control: the page names its data sources itself, and Leaflet's own link is a decoration
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=False,
                      prefer_canvas=True, attribution_control=False, zoom_snap=0.25)  # quarter steps fill the screen
    # Instance attributes shadow folium's CDN lists: the page must open with no network.
    fmap.default_js = []
    fmap.default_css = []
    assets = resources.files("gisplanner.export") / "assets"
    header = fmap.get_root().header
    header.add_child(Element("{% raw %}<style>" + _leaflet_css((assets / "leaflet.css").read_text(encoding="utf-8"))
                             + PAGE_CSS + "</style>{% endraw %}"), name="leaflet_css")
    header.add_child(Element("{% raw %}<script>" + (assets / "leaflet.js").read_text(encoding="utf-8")
                             + "</script>{% endraw %}"), name="leaflet_js")
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图", control=True).add_to(fmap)

    def group(name: str) -> Any:
        return folium.FeatureGroup(name=name, show=LAYERS[name][3]).add_to(fmap)

    def style(name: str, **extra: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        line, fill, dashed, _ = LAYERS[name]
        base = {"color": line, "weight": 2, "fill": fill is not None, "fillColor": fill or line,
                "fillOpacity": 0.35, **({"dashArray": "4 4"} if dashed else {}), **extra}
        return lambda f: base

    zh = layers.facility_zh
    lv = layers.level_zh
    margin = shapely.buffer(shapely.box(x0, y0, x1, y1), 300.0)
    roads = layers.roads
    if len(roads) and "highway" in roads.columns:
        roads = roads[roads["highway"].isin(WEB_ROADS)]
        roads = roads.iloc[roads.sindex.query(margin, predicate="intersects")] if len(roads) else roads
        names = roads["name"] if "name" in roads.columns else pd.Series("", index=roads.index)
        _add_layer(group("道路"), roads, None, [_cell(n) if pd.notna(n) and str(n) else "道路" for n in names],
                   style("道路", weight=2))

    c = layers.communities
    community_rows = [
        popup_table(r["name"], [("小区编号", r["feature_id"]), ("片区", r.get("district_name")),
                                ("户数", r.get("households")), ("人口", r.get("population")),
                                ("楼栋数", r.get("n_buildings")), ("住宅建筑面积（m²）", r.get("floor_area_m2")),
                                ("建成年代", "不详" if pd.isna(r.get("built_year")) else str(r["built_year"])),
                                ("类型", code_label(r.get("area_type"), "area_type"))])
        for _, r in c.iterrows()]
    _add_layer(group("小区"), c, community_rows, [_cell(n) for n in c["name"]], style("小区", weight=1,
                                                                                    fillOpacity=0.5))

    g = layers.gaps
    if len(g):
        by_community = g.groupby("community_id", sort=True)
        first = by_community.head(1).set_index("community_id").sort_index()
        gap_popups = [popup_table(first.loc[cid, "community_name"], [
            (f"{zh.get(r['facility_type'], r['facility_type'])}（{lv.get(r['level'], r['level'])}）",
             "数据缺失：数据中没有或明显缺少此类设施" if r.get("gap_kind") == DATA_MISSING
             else f"步行 {_cell(r['distance_m'])} 米，超出 {_cell(r['shortfall_m'])} 米"
             if np.isfinite(r["distance_m"]) else "步行不可达")
            for _, r in rows.iterrows()]) for cid, rows in by_community]
        _add_layer(group("生活圈缺口"), gpd.GeoDataFrame(first, geometry="geometry", crs=layers.crs),
                   gap_popups, [f"{_cell(n)}：{k} 项缺口" for n, k in
                                zip(first["community_name"], by_community.size())], style("生活圈缺口"))

    s = layers.service_areas
    _add_layer(group("服务范围"), s,
               [popup_table(zh.get(r["facility_type"], r["facility_type"]),
                            [("生活圈", lv.get(r["level"], r["level"])),
                             *_stats_rows(r, {"facility_type", "level"})]) for _, r in s.iterrows()],
               [_cell(zh.get(t, t)) for t in s["facility_type"]], style("服务范围", weight=1, fillOpacity=0.12))

    res = layers.resources
    _add_layer(group("片区资源"), res,
               [popup_table(r.get("name"), _stats_rows(r, {"name"})) for _, r in res.iterrows()],
               [_cell(n) for n in res.get("name", pd.Series("", index=res.index))],
               style("片区资源", weight=1, fillOpacity=0.7))

    cs = layers.chosen_sites
    _add_layer(group("推荐候选用地"), cs,
               [popup_table(f"候选用地：{zh.get(r.get('facility_type'), r.get('facility_type'))}",
                            _stats_rows(r, {"facility_type"})) for _, r in cs.iterrows()],
               [_cell(r.get("name")) for _, r in cs.iterrows()], style("推荐候选用地"))

    # Drawn as outlines above the areas they hold: Leaflet's canvas takes a click anywhere inside a polygon,
    # even unfilled, so a district polygon on top would hide every community popup; a line takes only the
    # clicks on it.
    d = layers.districts
    _add_layer(group("片区"), d.set_geometry(d.boundary) if len(d) else d,
               [popup_table(r["name"], [("片区编号", r["district_id"]),
                                        ("约束检查", violations_text(r.get("violations"))),
                                        *_stats_rows(r, {"district_id", "name", "violations"})])
                for _, r in d.iterrows()],
               [_cell(n) for n in d["name"]], style("片区", weight=3))

    p = layers.proposed
    checks = layers.check_columns
    worst = [worst_verdict(r[c] for c in checks if pd.notna(r[c])) for _, r in p.iterrows()]
    colour = [VERDICT_COLOURS[v] for v in worst]
    _add_layer(group("拟建设施"), p,
               [popup_table(r["name"] or r["facility_id"], [
                   ("设施编号", r["facility_id"]), ("类型", zh.get(r["facility_type"], r["facility_type"])),
                   ("总体结论", OVERALL_ZH.get(r["overall"], r["overall"])),
                   *((("建筑占地", r["footprint_used"]),) if r.get("footprint_used") else ()),
                   *((layers.check_label(c), VERDICT_ZH.get(r[c], r[c])) for c in checks if pd.notna(r[c])),
                   ("需征询居民意见", bool(r["needs_consultation"]))]) for _, r in p.iterrows()],
               [_cell(r["name"] or r["facility_id"]) for _, r in p.iterrows()],
               lambda f: {"color": "#000000", "weight": 2, "fillColor": colour[f["properties"]["_key"]],
                          "fillOpacity": 0.8})

    sun = buildings_of_concern(layers)
    sun_label = sun["label"].tolist()
    # one line each, no popup: a city has ten thousand such buildings and the page must stay small
    _add_layer(group("日照（按建筑）"), sun, None,
               [f"{_cell(label)}：建筑 {_cell(b)}，{int(n)} 个窗台中 {int(k)} 个，最少 {_cell(h)} 小时"
                for label, b, n, k, h in zip(sun_label, sun["building_id"], sun["n_sills"], sun["n_worst"],
                                             sun["min_hours"])],
               lambda f: {"color": SILL_COLOURS[sun_label[f["properties"]["_key"]]],
                          "fillColor": SILL_COLOURS[sun_label[f["properties"]["_key"]]]}, points=True)

    control = folium.LayerControl(collapsed=JsCode(f"window.innerWidth < {NARROW_PX}")).add_to(fmap)
    bounds = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    fmap.fit_bounds(bounds)
    # A child of the map renders its script after the map and the layer control exist.
    # Metric only: a scale bar in feet means nothing at a Chinese review meeting.
    page_script = MacroElement()
    page_script._template = Template(
        "{% macro script(this, kwargs) %}"
        f"L.control.scale({{metric: true, imperial: false}}).addTo({fmap.get_name()});"
        f"window.planMap = {fmap.get_name()}; window.planLayers = {control.get_name()};"
        f"if (window.innerWidth < {NARROW_PX}) {{ document.getElementById('plan-legend').open = false; }}"
        # on a wide screen the plan is fitted beside the legend and the layer list, not under them
        f"else {{ {fmap.get_name()}.fitBounds({bounds}, {{paddingTopLeft: "
        "[document.getElementById('plan-note').offsetWidth + 20, 20], "
        f"paddingBottomRight: [{control.get_name()}.getContainer().offsetWidth + 20, 20], animate: false}}); }}"
        "{% endmacro %}")
    fmap.add_child(page_script)
    note = ONLINE_NOTE if tiles else OFFLINE_NOTE
    attribution = f"<div>数据来源：{_cell(layers.attribution)}</div>" if layers.attribution else ""
    legend = _legend({"拟建设施": [(VERDICT_ZH[v], VERDICT_COLOURS[v]) for v in VERDICT_COLOURS if v in worst],
                      "日照（按建筑）": [(k, c) for k, c in SILL_COLOURS.items() if k in sun_label]})
    fmap.get_root().html.add_child(Element(
        "{% raw %}<div id='plan-note'>"
        f"<b>{_cell(layers.title)} · {_cell(layers.district_label)}</b>"
        f"<details id='plan-legend' open><summary>图例</summary>{legend}</details>"
        f"<div>{note}</div>{attribution}"
        f"<div>坐标：WGS 84 经纬度（由项目坐标系 {_cell(crs_zh(layers.crs))} 转换）</div></div>{{% endraw %}}"))
    return fmap


def buildings_of_concern(layers: PlanLayers) -> gpd.GeoDataFrame:
    """The buildings with a sill a reviewer must see (newly failing, reduced, below the standard), one point each.

    A city has millions of sill samples: every one stays in the GeoPackage; the page carries one marker per
    building, at its footprint's centre, with the number of sills of its worst class.
    """
    summary = layers.sunlight_buildings
    summary = summary[summary["label"].isin(SILLS_OF_CONCERN)]
    return summary.set_geometry(summary.geometry.representative_point())


def _legend(classes: dict[str, list[tuple[str, str]]]) -> str:
    """One row per layer with its swatch, and under a layer its data-driven colour classes."""
    rows = []
    for name, (line, fill, dashed, _) in LAYERS.items():
        border = f"2px {'dashed' if dashed else 'solid'} {line}"
        background = fill if fill is not None else "transparent"
        opacity = "" if fill is None else ";opacity:.8"
        rows.append(f"<div class='row'><span class='sw' style='border:{border};background:{background}{opacity}'>"
                    f"</span>{html.escape(name)}</div>")
        rows += [f"<div class='row sub'><span class='sw' style='background:{colour}'></span>{html.escape(label)}"
                 "</div>" for label, colour in classes.get(name, [])]
    return "".join(rows)


#: The lines that carry the layers' GeoJSON, and a \\uXXXX escape not itself preceded by a backslash.
_DATA_LINE = re.compile(r"^\s*geo_json_\w+_add\(.*$", flags=re.M)
_ESCAPED = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def _unescape(match: re.Match[str]) -> str:
    """Chinese text as itself, not as six-byte escapes (a third of the page). The escapes of < > & ' stay, so
    data can never close the script; surrogates and the JavaScript line separators stay escaped too."""
    code = int(match.group(2), 16)
    if code < 0x80 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
        return match.group(0)
    return match.group(1) + chr(code)


_VIEWPORT = re.compile(r'<meta name="viewport" content="[^"]*"\s*/>')


def page_html(layers: PlanLayers, *, tiles: bool = False) -> str:
    """The web map as one HTML page: ``lang="zh-CN"``, a ``<title>``, and a viewport that lets a phone zoom."""
    markup = _DATA_LINE.sub(lambda m: _ESCAPED.sub(_unescape, m.group(0)), web_map(layers, tiles=tiles).get_root().render())
    title = html.escape(f"{layers.title} · {layers.district_label} · 网页地图")
    n_html, n_head = markup.count("<html>"), markup.count("<head>")
    markup = markup.replace("<html>", '<html lang="zh-CN">', 1).replace("<head>", f"<head>\n<title>{title}</title>", 1)
    # folium forbids zooming the page (user-scalable=no): a planner on a phone must be able to pinch
    markup, n_view = _VIEWPORT.subn('<meta name="viewport" content="width=device-width, initial-scale=1" />',
                                    markup, count=1)
    if n_html < 1 or n_head < 1 or n_view != 1:
        raise ConfigError("folium 页面模板与预期不符，无法设置页面语言、标题和缩放",
                          key="folium", value=str((n_html, n_head, n_view)))
    return markup


def write_web_map(layers: PlanLayers, path: Path, *, tiles: bool = False) -> Path:
    """Write the web map to ``path`` (one HTML file, UTF-8) and return it; see :func:`web_map`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_html(layers, tiles=tiles), encoding="utf-8")
    return path
