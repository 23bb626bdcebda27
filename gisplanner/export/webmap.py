"""One self-contained HTML web map of the plan (folium), readable offline in any browser."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.analysis.lifecircle import DATA_MISSING
from gisplanner.export.layers import (
    OVERALL_ZH,
    SILL_COLOURS,
    VERDICT_COLOURS,
    VERDICT_ZH,
    PlanLayers,
    display_value,
    plan_bounds,
    sill_labels,
    worst_verdict,
)
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


#: What a sill popup shows: enough to find the window and judge it, and a page small enough to open.
SILL_FIELDS = ("building_id", "floor", "hours", "required_hours", "hours_before", "hours_after", "passes")


def _stats_rows(row: pd.Series, skip: set[str]) -> list[tuple[str, Any]]:
    return [(STAT_ZH.get(str(k), str(k)), v) for k, v in row.items() if k not in skip and k != "geometry"
            and (isinstance(v, int | float | bool | str | np.generic) or v is None)]


def _add_layer(group: Any, gdf: gpd.GeoDataFrame, popups: list[str], labels: list[str],
               style: Callable[[dict[str, Any]], dict[str, Any]], *, points: bool = False) -> None:
    """Add ``gdf`` in WGS84 with pre-escaped popups and tooltips; only those two strings leave Python."""
    import folium

    if gdf.empty:
        return
    # 6 decimals of a degree is 0.1 m: the page is a fifth smaller than at full float precision
    lonlat = shapely.transform(gdf.geometry.to_crs(4326).to_numpy(), lambda xy: np.round(xy, 6))
    data = gpd.GeoDataFrame({"_popup": popups, "_label": labels, "_key": range(len(gdf))}, geometry=lonlat,
                            crs=4326)
    # folium's popup and tooltip templates insert property values with innerHTML, unescaped: the values are
    # escaped above, so the popup markup is ours and the data stays text.
    layer = folium.GeoJson(
        data.__geo_interface__, style_function=style, highlight_function=None,
        marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9) if points else None,
        popup=folium.GeoJsonPopup(fields=["_popup"], labels=False, localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["_label"], labels=False, localize=False))
    layer.add_to(group)


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
        Toggleable layers: 片区, 小区, 生活圈缺口, 服务范围, 片区资源, 推荐候选用地, 拟建设施, 日照采样点
        (only the sills a new building affects, or without a before/after run those below the standard).
    """
    import folium
    from branca.element import Element

    x0, y0, x1, y1 = plan_bounds(layers)
    minx, miny, maxx, maxy = gpd.GeoSeries.from_xy([x0, x1], [y0, y1], crs=layers.crs).to_crs(4326).total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True,
                      prefer_canvas=True)
    # Instance attributes shadow folium's CDN lists: the page must open with no network.
    fmap.default_js = []
    fmap.default_css = []
    assets = resources.files("gisplanner.export") / "assets"
    header = fmap.get_root().header
    header.add_child(Element("{% raw %}<style>" + (assets / "leaflet.css").read_text(encoding="utf-8")
                             + "</style>{% endraw %}"), name="leaflet_css")
    header.add_child(Element("{% raw %}<script>" + (assets / "leaflet.js").read_text(encoding="utf-8")
                             + "</script>{% endraw %}"), name="leaflet_js")
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap 底图", control=True).add_to(fmap)

    def group(name: str) -> Any:
        return folium.FeatureGroup(name=name, show=True).add_to(fmap)

    zh = layers.facility_zh
    lv = layers.level_zh
    d = layers.districts
    _add_layer(group("片区"), d,
               [popup_table(r["name"], [("片区编号", r["district_id"]),
                                        ("约束检查", violations_text(r.get("violations"))),
                                        *_stats_rows(r, {"district_id", "name", "violations"})])
                for _, r in d.iterrows()],
               [_cell(n) for n in d["name"]],
               lambda f: {"color": "#1f3a93", "weight": 3, "fill": False})

    c = layers.communities
    community_rows = [
        popup_table(r["name"], [("小区编号", r["feature_id"]), ("片区", r.get("district_name")),
                                ("户数", r.get("households")), ("人口", r.get("population")),
                                ("楼栋数", r.get("n_buildings")), ("住宅建筑面积（m²）", r.get("floor_area_m2")),
                                ("建成年代", "不详" if pd.isna(r.get("built_year")) else str(r["built_year"])),
                                ("类型", code_label(r.get("area_type"), "area_type"))])
        for _, r in c.iterrows()]
    _add_layer(group("小区"), c, community_rows, [_cell(n) for n in c["name"]],
               lambda f: {"color": "#555555", "weight": 1, "fillColor": "#cfd8dc", "fillOpacity": 0.5})

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
                                zip(first["community_name"], by_community.size())],
                   lambda f: {"color": "#d73027", "weight": 2, "fillColor": "#d73027", "fillOpacity": 0.35})

    s = layers.service_areas
    _add_layer(group("服务范围"), s,
               [popup_table(zh.get(r["facility_type"], r["facility_type"]),
                            [("生活圈", lv.get(r["level"], r["level"])),
                             *_stats_rows(r, {"facility_type", "level"})]) for _, r in s.iterrows()],
               [_cell(zh.get(t, t)) for t in s["facility_type"]],
               lambda f: {"color": "#3288bd", "weight": 1, "fillColor": "#3288bd", "fillOpacity": 0.12})

    res = layers.resources
    _add_layer(group("片区资源"), res,
               [popup_table(r.get("name"), _stats_rows(r, {"name"})) for _, r in res.iterrows()],
               [_cell(n) for n in res.get("name", pd.Series("", index=res.index))],
               lambda f: {"color": "#7b3294", "weight": 1, "fillColor": "#c2a5cf", "fillOpacity": 0.7})

    cs = layers.chosen_sites
    _add_layer(group("推荐候选用地"), cs,
               [popup_table(f"候选用地：{zh.get(r.get('facility_type'), r.get('facility_type'))}",
                            _stats_rows(r, {"facility_type"})) for _, r in cs.iterrows()],
               [_cell(r.get("name")) for _, r in cs.iterrows()],
               lambda f: {"color": "#8c510a", "weight": 2, "dashArray": "4 4", "fill": False})

    p = layers.proposed
    checks = layers.check_columns
    worst = [worst_verdict(r[c] for c in checks if pd.notna(r[c])) for _, r in p.iterrows()]
    colour = [VERDICT_COLOURS[v] for v in worst]
    _add_layer(group("拟建设施"), p,
               [popup_table(r["name"] or r["facility_id"], [
                   ("设施编号", r["facility_id"]), ("类型", zh.get(r["facility_type"], r["facility_type"])),
                   ("总体结论", OVERALL_ZH.get(r["overall"], r["overall"])),
                   *((layers.check_label(c), VERDICT_ZH.get(r[c], r[c])) for c in checks if pd.notna(r[c])),
                   ("需征询居民意见", bool(r["needs_consultation"]))]) for _, r in p.iterrows()],
               [_cell(r["name"] or r["facility_id"]) for _, r in p.iterrows()],
               lambda f: {"color": "#000000", "weight": 2, "fillColor": colour[f["properties"]["_key"]],
                          "fillOpacity": 0.8})

    sun = _sills_of_concern(layers.sunlight)
    sun_label = sill_labels(sun).tolist()
    _add_layer(group("日照采样点（受影响或不满足）"), sun,
               [popup_table(label, [(STAT_ZH[k], r[k]) for k in SILL_FIELDS if k in r.index])
                for label, (_, r) in zip(sun_label, sun.iterrows())],
               [_cell(label) for label in sun_label],
               lambda f: {"color": SILL_COLOURS[sun_label[f["properties"]["_key"]]],
                          "fillColor": SILL_COLOURS[sun_label[f["properties"]["_key"]]]}, points=True)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    note = ONLINE_NOTE if tiles else OFFLINE_NOTE
    attribution = f"<br>数据：{_cell(layers.attribution)}" if layers.attribution else ""
    legend = (_swatches("拟建设施", [(VERDICT_ZH[v], VERDICT_COLOURS[v]) for v in VERDICT_COLOURS if v in worst])
              + _swatches("日照", [(k, c) for k, c in SILL_COLOURS.items() if k in sun_label]))
    fmap.get_root().html.add_child(Element(
        "{% raw %}<div id='plan-note' style='position:fixed;bottom:24px;left:12px;z-index:1000;max-width:420px;"
        "background:#fff;padding:6px 10px;border:1px solid #999;font:13px sans-serif'>"
        f"<b>{_cell(layers.title)} · {_cell(layers.district_label)}</b><br>{note}{attribution}{legend}"
        f"<br>坐标：WGS 84（由项目坐标系 {_cell(layers.crs.name)} 转换）</div>{{% endraw %}}"))
    return fmap


def _sills_of_concern(sills: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sill samples a reviewer must see: those a new building affects, else those failing the standard.

    A whole town has tens of thousands of sills; all of them stay in the GeoPackage and on the sheets.
    """
    if "status" in sills.columns:
        return sills[sills["status"].astype(str) != "unaffected"]
    if "passes" in sills.columns:
        return sills[~sills["passes"].fillna(False).astype(bool)]
    return sills


def _swatches(title: str, items: list[tuple[str, str]]) -> str:
    """A legend line of coloured squares for the data-driven colours; empty when nothing is drawn."""
    if not items:
        return ""
    cells = "".join(f"<span style='display:inline-block;width:10px;height:10px;background:{colour};"
                    f"margin:0 3px 0 8px'></span>{html.escape(label)}" for label, colour in items)
    return f"<br>{html.escape(title)}：{cells}"


def write_web_map(layers: PlanLayers, path: Path, *, tiles: bool = False) -> Path:
    """Write the web map to ``path`` (one HTML file) and return it; see :func:`web_map`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    web_map(layers, tiles=tiles).save(str(path))
    return path
