"""Import files into a project: read, assign roles, validate, map fields, reproject, estimate, then set.

Nothing touches the project until every layer of the import has passed; a failure anywhere (bad file, wrong
geometry type, missing CRS, unknown field) leaves the project as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gisplanner.errors import InputError
from gisplanner.io import crs as crs_tools
from gisplanner.io import ledger as ledgers
from gisplanner.io import status as resource_status
from gisplanner.io.estimate import assign_buildings, estimate_buildings, estimate_communities
from gisplanner.io.fields import CANDIDATES, COMMUNITY_FLAGS, detect_fields, parse_flag, parse_optional_flag
from gisplanner.io.findings import Finding, ImportReport
from gisplanner.io.osm import NOT_WALKABLE
from gisplanner.io.readers import SourceLayer, list_layers, read_layers
from gisplanner.io.validate import (
    assign_feature_ids,
    check_geometry_type,
    check_required,
    repair_geometries,
)
from gisplanner.io.values import AMBIGUOUS, ESTIMATED, UNPARSEABLE, implausible, parse_numbers, parse_years
from gisplanner.labels import code_label, status_label
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import Value

#: Roles of the layers of the derived Harbin GeoPackages (and of an OSM PBF read by gisplanner.io.osm):
#: layer name -> [(role, (column, value) filter, OSM_RESOURCES, or None)]. OSM features in use (schools, car
#: parks, petrol stations, heat plants ...) are facilities, never resources: boiler rooms, public buildings and
#: idle land come from OSM only where the tags say disused/abandoned/vacant/brownfield/construction (or a
#: chimney, status unknown).
OSM_RESOURCES = "osm_resources"
LAYER_ROLES: dict[str, list[tuple[str, tuple[str, object] | str | None]]] = {
    "residential_areas": [("communities", None)],
    "buildings": [("buildings", None)],
    "pois": [("facilities", None), ("boiler_rooms", ("man_made", "chimney"))],
    "facility_areas": [("public_buildings", OSM_RESOURCES)],
    "green_space": [("green_space", None)],
    "landuse": [("landuse", None), ("idle_land", ("idle_candidate", 1))],
    "walk_network": [("walk_network", None)],
    "admin_subdistricts": [("admin_boundaries", None)],
}
#: Words in other layer names that give their role (checked in this order).
ROLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("boiler_rooms", ("boiler", "锅炉")),
    ("idle_land", ("idle", "空闲", "闲置")),
    ("public_buildings", ("public_build", "公房", "公有")),
    ("buildings", ("building", "建筑", "楼")),
    ("communities", ("communit", "residential", "小区", "社区")),
    ("walk_network", ("road", "street", "walk", "道路", "路网")),
    ("facilities", ("poi", "facilit", "设施")),
    ("green_space", ("green", "park", "绿地")),
    ("landuse", ("landuse", "land_use", "用地", "地类")),
    ("admin_boundaries", ("admin", "boundar", "街道", "行政")),
)
SKIP = "skip"
#: The key of a ``--role ROLE`` given without a layer name: the role of the only layer imported.
ONLY_LAYER = "*"
_RESIDENTIAL_USES = {"yes", "residential", "apartments", "house", "dormitory", "detached", "terrace", "住宅",
                     "居住"}
_PUBLIC_GREEN = {"park", "playground", "recreation_ground", "village_green", "nature_reserve", "公园", "广场"}
_ZH = {"households": "户数", "population": "人口", "n_buildings": "楼栋数", "floor_area_m2": "建筑面积",
       "floors": "层数", "height_m": "建筑高度", "area_m2": "面积", "built_year": "建成年份", "layer": "layer"}
# Implausible values no analysis may use (they become missing and are estimated, flagged); the rest (height
# against floors, a huge community) are reported and kept, since which value is wrong cannot be told.
_DROP_IMPLAUSIBLE = ("built_year", "households", "population", "n_buildings", "floors")


@dataclass
class _Prepared:
    """A role layer that passed the checks, still in its source coordinates."""

    role: str
    file: str
    layer: str
    frame: gpd.GeoDataFrame
    mapping: dict[str, str]
    source_crs: str


def roles_of_layer(layer: str, roles: Mapping[str, str] | None = None
                   ) -> list[tuple[str, tuple[str, object] | str | None]]:
    """Roles a source layer feeds: the user's ``roles`` first, then the known layer names, then name words.

    Returns
    -------
    list of (role, filter)
        Empty when the user mapped the layer to ``skip``.

    Raises
    ------
    InputError
        When the role cannot be told, or the user named an unknown role.
    """
    if roles and layer in roles:
        role = roles[layer]
        if role == SKIP:
            return []
        if role not in CANDIDATES:
            raise InputError(f"没有名为 {role!r} 的图层角色", layer=layer,
                             fix=f"角色用其中之一：{'、'.join(CANDIDATES)}（或 {SKIP} 表示不导入）")
        return [(role, None)]
    if layer in LAYER_ROLES:
        return LAYER_ROLES[layer]
    if layer in CANDIDATES:
        return [(layer, None)]
    low = layer.casefold()
    for role, words in ROLE_WORDS:
        if any(w in low for w in words):
            return [(role, None)]
    raise InputError("无法从图层名判断它是哪类数据（小区、建筑、路网……）", layer=layer,
                     fix=f"用 --role {layer}=角色 指明（角色：{'、'.join(CANDIDATES)}），"
                         f"或用 --role {layer}={SKIP} 不导入它")


def _source_frame(source: SourceLayer, filt: tuple[str, object] | str | None) -> gpd.GeoDataFrame:
    frame = source.frame
    if filt == OSM_RESOURCES:
        return frame[resource_status.osm_public_building_mask(frame).to_numpy(bool)]
    if filt is not None:
        column, value = filt
        if column not in frame.columns:
            return frame.iloc[:0]  # a user's own `landuse` layer marks no idle parcels: it feeds landuse only
        frame = frame[frame[column].astype(str) == str(value)]
    return frame


#: Layers of an OSM-derived file holding the polygons whose representative points the ``pois`` layer carries.
POLYGON_LAYERS = ("facility_areas", "green_space")


def _with_polygons(frame: gpd.GeoDataFrame, same_file: Sequence[SourceLayer]) -> gpd.GeoDataFrame:
    """Facilities given as the representative point of an OSM polygon (``src_geom`` polygon) get the polygon
    back from the file's facility_areas/green_space layers (matched by ``osm_type``/``osm_ref``), so they are
    reached from their boundary, not from one point inside."""
    if not {"src_geom", "osm_type", "osm_ref"} <= set(frame.columns):
        return frame
    lookup: dict[tuple[str, str], Any] = {}
    for source in same_file:
        polys = source.frame
        if source.name in POLYGON_LAYERS and {"osm_type", "osm_ref"} <= set(polys.columns) \
                and polys.crs == frame.crs:
            for key, geom in zip(zip(polys["osm_type"].astype(str), polys["osm_ref"].astype(str), strict=True),
                                 polys.geometry.values, strict=True):
                lookup.setdefault(key, geom)
    if not lookup:
        return frame
    keys = zip(frame["osm_type"].astype(str), frame["osm_ref"].astype(str), strict=True)
    found = [lookup.get(k) if kind == "polygon" else None for k, kind in zip(keys, frame["src_geom"], strict=True)]
    geometry = np.where([g is not None for g in found], np.array(found, dtype=object), frame.geometry.values)
    return frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs))


def _with_crs(frame: gpd.GeoDataFrame, source: SourceLayer, source_crs: pyproj.CRS | str | None,
              findings: list[Finding]) -> tuple[gpd.GeoDataFrame, str]:
    """The frame in a real CRS (GCJ-02/BD-09 converted to WGS84) and a label of its source CRS."""
    if isinstance(source_crs, str):  # GCJ-02 or BD-09: lon/lat declared (or taken) as WGS84
        if frame.crs is not None and not pyproj.CRS.from_user_input(frame.crs).is_geographic:
            raise InputError(f"图层已是投影坐标系 {frame.crs.name}，不可能是 {source_crs} 经纬度",
                             file=source.file, layer=source.name, fix="导入这个文件时去掉 --source-crs")
        geoms = crs_tools.to_wgs84(frame.geometry.values, source_crs)
        return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=geoms, crs=4326), source_crs
    if frame.crs is None:
        if source_crs is None:
            raise InputError("图层没有坐标系（.prj 文件缺失或为空）",
                             file=source.file, layer=source.name,
                             fix="用 --source-crs 给出数据的坐标系，例如 --source-crs EPSG:4326（经纬度）或 EPSG:4551")
        findings.append(Finding("missing_crs", source.name, None,
                                f"文件没有坐标系，按 --source-crs 给出的 {source_crs.to_string()} 读取。"))
        return frame.set_crs(source_crs), source_crs.to_string()
    return frame, pyproj.CRS.from_user_input(frame.crs).to_string()


def _text(frame: pd.DataFrame, mapping: Mapping[str, str], column: str) -> pd.Series:
    if column in mapping:
        return frame[mapping[column]].astype("string").str.strip().replace("", pd.NA)
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def report_parsed(parsed: pd.DataFrame, raw: pd.Series, ids: pd.Series, layer: str, column: str,
                  findings: list[Finding]) -> None:
    """One finding per value read as an estimate, an ambiguous range or nothing (see gisplanner.io.values)."""
    zh = _ZH.get(column, column)
    for flag, code, action in ((ESTIMATED, "value_estimated", "按估计值使用，并标为估计"),
                               (AMBIGUOUS, "value_ambiguous", "不作为确切值使用（视为缺失）"),
                               (UNPARSEABLE, "value_unparseable", "视为缺失")):
        for i in parsed.index[(parsed["flag"] == flag).fillna(False).to_numpy(bool)]:
            note = parsed.at[i, "note"] if pd.notna(parsed.at[i, "note"]) else ""
            findings.append(Finding(code, layer, str(ids[i]), f"{zh}“{raw[i]}”：{note or flag}；{action}。"))


def _number(frame: pd.DataFrame, mapping: Mapping[str, str], column: str, layer: str,
            findings: list[Finding], *, flags: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parsed numbers of a mapped field, and which of them the source gives only approximately (with
    ``flags``: the parse flag of each, ``missing`` where the field is not mapped)."""
    if column not in mapping:
        flag = pd.Series("missing", index=frame.index, dtype="string")
        return pd.Series(np.nan, index=frame.index), (flag if flags else flag != "missing")
    parsed = parse_numbers(frame[mapping[column]])
    report_parsed(parsed, frame[mapping[column]], frame["feature_id"], layer, column, findings)
    if flags:
        return parsed["value"], parsed["flag"]
    return parsed["value"], (parsed["flag"] == ESTIMATED).fillna(False).astype(bool)


#: Source columns kept as the raw tags of a facility (with other_tags of GDAL's OSM driver unpacked), for the
#: facility tag table of the standards (facilities.yaml tag_rules).
RAW_TAG_KEYS = ("amenity", "shop", "healthcare", "leisure", "office", "social_facility", "man_made", "power",
                "building", "landuse", "isced:level", "isced_level", "operator", "operator:type")


def raw_tags(frame: pd.DataFrame) -> pd.Series:
    """The OSM tags of each feature as a JSON object (``{}`` where it has none); NA for a layer without any tag
    column (a user layer, mapped by its category)."""
    columns = [c for c in RAW_TAG_KEYS if c in frame.columns]
    if not columns and "other_tags" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    keys = [c.replace("isced_level", "isced:level") for c in columns]
    values = frame[columns].astype(object).where(frame[columns].notna(), None).to_numpy()
    extra = frame["other_tags"] if "other_tags" in frame.columns else pd.Series(None, index=frame.index)
    out = []
    for row, text in zip(values, extra, strict=True):
        tags = {k: str(v) for k, v in zip(keys, row, strict=True) if v is not None}
        for k, v in resource_status.parse_other_tags(text).items():
            tags.setdefault(k, v)
        out.append(json.dumps(tags, ensure_ascii=False))
    return pd.Series(out, index=frame.index, dtype="string")


def _years(frame: pd.DataFrame, mapping: Mapping[str, str], layer: str, findings: list[Finding]
           ) -> dict[str, pd.Series]:
    """``built_year`` (Int64; NA for a decade or a range), ``built_year_low``/``_high`` (the range a decade or
    bound gives) and ``built_year_flag`` (exact/estimated/ambiguous/unparseable/missing)."""
    if "built_year" not in mapping:
        na = pd.Series(pd.NA, index=frame.index, dtype="Int64")
        return {"built_year": na, "built_year_low": na, "built_year_high": na,
                "built_year_flag": pd.Series("missing", index=frame.index, dtype="string")}
    parsed = parse_years(frame[mapping["built_year"]])
    report_parsed(parsed, frame[mapping["built_year"]], frame["feature_id"], layer, "built_year", findings)
    year = parsed["value"].round().astype("Int64")
    return {"built_year": year,
            "built_year_low": parsed["low"].round().astype("Int64").fillna(year),
            "built_year_high": parsed["high"].round().astype("Int64").fillna(year),
            "built_year_flag": parsed["flag"]}


def _resource_status(f: pd.DataFrame, m: Mapping[str, str], findings: list[Finding], layer: str
                     ) -> dict[str, pd.Series]:
    """``status``, ``ownership``, ``source_tag`` and ``status_reason`` of boiler rooms, public buildings and
    idle land: from the user's status and owner fields, else from OSM tags, else unknown (需核实现状)."""
    index = f.index
    if "status" in m:
        text = f[m["status"]].astype("string")
        status = resource_status.status_from_text(text)
        source_tag = m["status"] + "=" + text.fillna("")
        reason = "现状字段“" + text.fillna("（空）") + "”：" + status.map(resource_status.STATUS_ZH)
    else:
        status, source_tag, reason = resource_status.osm_resource_status(f)
        status = status.fillna(resource_status.UNKNOWN)
        reason = reason.fillna("数据未说明现状，需核实")
    if "ownership" in m:
        ownership = resource_status.ownership_from_text(f[m["ownership"]])
    else:
        ownership = pd.Series("unknown", index=index, dtype="string")
    unknown = int((status == resource_status.UNKNOWN).sum())
    if unknown:
        findings.append(Finding("value_estimated", layer, None,
                                f"{unknown}处资源的现状未知（不作为候选用地，列为“需核实现状”）。"))
    return {"status": status, "ownership": ownership, "source_tag": source_tag.astype("string"),
            "status_reason": reason.astype("string")}


def _point_footprints(geoms: np.ndarray, area: pd.Series, default_m2: float) -> tuple[np.ndarray, pd.Series]:
    """Squares of ``area`` (m², ``default_m2`` where unknown) centred on the point features, so a boiler room
    given as a point can be checked as a site; polygons are kept. Returns the geometries and which were made."""
    point = shapely.get_dimensions(geoms) == 0
    side = np.sqrt(area.fillna(default_m2).to_numpy(float)) / 2
    x, y = shapely.get_x(shapely.centroid(geoms)), shapely.get_y(shapely.centroid(geoms))
    squares = shapely.box(x - side, y - side, x + side, y + side)
    return np.where(point, squares, geoms), pd.Series(point, index=area.index)


def _check_plausible(cols: dict[str, Any], role: str, layer: str, limits: Any, area: pd.Series | None,
                     findings: list[Finding]) -> None:
    """Report implausible values (gisplanner.io.values.implausible); the impossible ones become missing."""
    present = {k: v for k, v in cols.items() if k in ("built_year", "households", "population", "n_buildings",
                                                         "floors", "height_m")}
    if not present and area is None:
        return
    found = implausible(pd.DataFrame(present), limits, area_m2=area)
    ids = cols["feature_id"]
    for row in found.itertuples(index=False):
        dropped = row.field in _DROP_IMPLAUSIBLE or (row.field == "height_m" and "超过" in row.message) \
            or "负数" in row.message
        action = "已视为缺失，按规则估算并标为估计" if dropped else "保留原值，请核实"
        findings.append(Finding("value_implausible", layer, str(ids[row.row]), f"{row.message}；{action}。"))
        if dropped:
            column = cols[row.field]
            cols[row.field] = column.mask(column.index == row.row)


def _area_type(values: pd.Series) -> pd.Series:
    """``county`` for 县城/county values, else ``city`` (城市建成区, also when unknown)."""
    county = values.str.casefold().str.contains("县|county", regex=True).fillna(False).astype(bool)
    return pd.Series(np.where(county, "county", "city"), index=values.index, dtype="string")


def _lu_codes(frame: pd.DataFrame, mapping: Mapping[str, str], layer: str, osm: Value,
              findings: list[Finding]) -> tuple[pd.Series, pd.Series]:
    """lu_code from the mapped field, else from an OSM ``landuse`` column through the standards' OSM table.

    Codes stored as numbers lose their leading zero (0701 -> 701); 2023 codes have 2, 4 or 6 digits, so an
    odd number of digits gets it back.
    """
    codes = _text(frame, mapping, "lu_code").str.replace(r"\.0$", "", regex=True)
    odd = codes.str.fullmatch(r"\d{1}|\d{3}|\d{5}").fillna(False).astype(bool)
    codes = codes.mask(odd, "0" + codes)
    estimated = pd.Series(False, index=frame.index)
    if "lu_code" not in mapping and "landuse" in frame.columns:
        codes = frame["landuse"].astype("string").map(osm.value).astype("string")
        estimated = codes.notna()
        findings.append(Finding("value_estimated", layer, None,
                                f"{int(estimated.sum())} 个要素的用地代码由 OSM landuse 标签推定"
                                f"（landuse.yaml 的 osm_landuse 对照表，{status_label(osm.status)}）；"
                                f"{int(codes.isna().sum())} 个没有代码。"))
    return codes, estimated


def _canonical(p: _Prepared, osm_landuse: Value, settings: Any, findings: list[Finding]) -> gpd.GeoDataFrame:
    """The canonical columns of docs/developing.md for the role, from the mapped source fields."""
    f, m, role = p.frame, p.mapping, p.role
    limits, estimation = settings.plausibility, settings.estimation
    geometry = f.geometry.values
    area = pd.Series(shapely.area(geometry), index=f.index)
    cols: dict[str, Any] = {"feature_id": f["feature_id"]}
    name = _text(f, m, "name")
    if role == "communities":
        cols |= community_values(f, m, p.layer, findings) | {"name": name,
                                                               "subdistrict": _text(f, m, "subdistrict"),
                                                               "shequ": _text(f, m, "shequ")}
        _check_plausible(cols, role, p.layer, limits, area, findings)
        # Optional fields are kept only where the source has them: absent stays absent, not false.
        if "plan_year" in m:
            plan = parse_years(f[m["plan_year"]])
            report_parsed(plan, f[m["plan_year"]], f["feature_id"], p.layer, "plan_year", findings)
            cols["plan_year"] = plan["value"].round().astype("Int64")
        cols |= {flag: parse_optional_flag(f[m[flag]]) for flag in COMMUNITY_FLAGS if flag in m}
    elif role == "buildings":
        use = _text(f, m, "use")
        use = use.mask(use.isna() | use.str.casefold().isin(_RESIDENTIAL_USES).fillna(False), "residential")
        cols |= {"floors": _number(f, m, "floors", p.layer, findings)[0],
                 "height_m": _number(f, m, "height_m", p.layer, findings)[0], "use": use,
                 **_years(f, m, p.layer, findings),
                 "community_id": pd.Series(pd.NA, index=f.index, dtype="string"), "name": name}
        _check_plausible(cols, role, p.layer, limits, None, findings)
        cols |= {c: _number(f, m, c, p.layer, findings)[0] for c in ("units", "households") if c in m}
        if "has_elevator" in m:
            cols["has_elevator"] = parse_optional_flag(f[m["has_elevator"]])
    elif role == "walk_network":
        highway = _text(f, m, "highway").fillna("unclassified")
        walkable = (parse_flag(f[m["walkable"]]) if "walkable" in m else ~highway.isin(NOT_WALKABLE))
        layer = _number(f, m, "layer", p.layer, findings)[0].fillna(0).round().astype(int)
        cols |= {"highway": highway, "walkable": walkable.astype(bool),
                 "bridge": parse_flag(f[m["bridge"]]) if "bridge" in m else False,
                 "tunnel": parse_flag(f[m["tunnel"]]) if "tunnel" in m else False,
                 "layer": layer, "name": name}
    elif role == "facilities":
        cols |= {"category": _text(f, m, "category").fillna("unknown"), "name": name, "tags": raw_tags(f)}
    elif role == "green_space":
        green_type = _text(f, m, "green_type").fillna("green")
        is_public = (parse_flag(f[m["is_public"]]) if "is_public" in m
                     else green_type.str.casefold().isin(_PUBLIC_GREEN))
        cols |= {"green_type": green_type, "name": name, "is_public": is_public.astype(bool)}
    elif role in ("landuse", "idle_land"):
        codes, estimated = _lu_codes(f, m, p.layer, osm_landuse, findings)
        cols |= {"lu_code": codes, "name": name, "lu_code_estimated": estimated.to_numpy()}
        if role == "landuse":
            cols["lu_code_planned"] = _text(f, m, "lu_code_planned")
        else:
            cols["area_m2"] = _number(f, m, "area_m2", p.layer, findings)[0].fillna(area)
            cols |= _resource_status(f, m, findings, p.layer)
    elif role in ("boiler_rooms", "public_buildings"):
        polygon = shapely.get_dimensions(geometry) == 2
        stated = _number(f, m, "area_m2", p.layer, findings)[0]
        cols |= {"name": name, **_resource_status(f, m, findings, p.layer),
                 "area_m2": stated.fillna(area.where(polygon))}
        if role == "public_buildings":
            cols["floors"] = _number(f, m, "floors", p.layer, findings)[0]
        else:
            geometry, made = _point_footprints(geometry, stated, estimation.boiler_room_area_m2)
            cols["area_m2"] = cols["area_m2"].fillna(pd.Series(shapely.area(geometry), index=f.index))
            cols["footprint_estimated"] = (made & stated.isna()).to_numpy()
            if made.any():
                findings.append(Finding(
                    "footprint_estimated", p.layer, None,
                    f"{int(made.sum())}处锅炉房只有点位，按面积生成方形占地以便核查"
                    f"（{int((made & stated.isna()).sum())}处无面积，按默认{estimation.boiler_room_area_m2:g}平方米，"
                    f"标为估计）。"))
    elif role == "admin_boundaries":
        cols |= {"name": name, "admin_level": _text(f, m, "admin_level")}
    else:
        cols["name"] = name
    return gpd.GeoDataFrame(cols, geometry=geometry, crs=f.crs).reset_index(drop=True)


def community_values(frame: pd.DataFrame, mapping: Mapping[str, str], layer: str, findings: list[Finding]
                     ) -> dict[str, pd.Series]:
    """The numbers and years of communities (from a polygon layer or a ledger), parsed with findings.

    ``households_estimated``/``population_estimated`` mark the values the source gives only approximately
    (约300户); the estimates of missing values add to them later (gisplanner.io.estimate).
    """
    households, households_flag = _number(frame, mapping, "households", layer, findings, flags=True)
    population, population_flag = _number(frame, mapping, "population", layer, findings, flags=True)
    return {"households": households, "households_estimated": households_flag == ESTIMATED,
            "households_flag": households_flag,
            "population": population, "population_estimated": population_flag == ESTIMATED,
            "population_flag": population_flag,
            **{column: values for name in ("n_buildings", "floor_area_m2") for column, values in zip(
                (name, f"{name}_flag"), _number(frame, mapping, name, layer, findings, flags=True), strict=True)},
            **_years(frame, mapping, layer, findings),
            "area_type": _area_type(_text(frame, mapping, "area_type"))}


_MEASURES = {"edges": "边线与其重合", "inside": "要素落在地块内"}


def _check_offsets(prepared: list[_Prepared], project: Any, findings: list[Finding]) -> None:
    """Report layers that look GCJ-02/BD-09-shifted against the layers of other files and of the project.

    The layers of one file share its coordinates, so each file is tested against everything else.
    """
    files = list(dict.fromkeys(p.file for p in prepared))
    if len(files) < 2 and not project.layers:
        return
    wgs = {id(p): p.frame.to_crs(4326).geometry.values for p in prepared}
    existing = [g.to_crs(4326).geometry.values for g in project.layers.values() if len(g) and g.crs is not None]
    for file in files:
        others = [wgs[id(q)] for q in prepared if q.file != file] + existing
        if not others:
            continue
        reference = crs_tools.OffsetReference(np.concatenate(others))
        for p in (p for p in prepared if p.file == file):
            found = reference.detect(wgs[id(p)])
            if found is not None:
                findings.append(Finding(
                    "suspected_gcj02", p.layer, None,
                    f"{code_label(p.role, 'layer')}图层去掉约 {found.shift_m:.0f} m 的 {found.system} 偏移后与其他图层"
                    f"吻合得多（{_MEASURES[found.measure]}的比例由 {found.fit_raw:.0%} 升到 {found.fit:.0%}）。"
                    f"若数据来自国内网络地图，请用 --source-crs {found.system} 重新导入。"))


def _without_estimates(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communities with the households, population, building counts and floor areas estimated or counted by
    rule taken out, to be estimated again; values the source gave (exactly, or approximately as in 约300户)
    stay."""
    out = communities.copy()
    for column in ("households", "population", "n_buildings", "floor_area_m2"):
        if f"{column}_flag" in out:
            from_source = out[f"{column}_flag"].isin(["exact", "estimated"]).fillna(False).astype(bool)
        elif f"{column}_estimated" in out:
            from_source = ~out[f"{column}_estimated"].astype(bool)
        else:
            from_source = pd.Series(False, index=out.index)
        out[column] = out[column].where(from_source)
        if f"{column}_estimated" in out:
            out[f"{column}_estimated"] = out[f"{column}_estimated"].astype(bool) & from_source
    return out


def _estimate(out: dict[str, gpd.GeoDataFrame], prepared: list[_Prepared], project: Any, params: Any,
              report: ImportReport, *, ledger_communities: gpd.GeoDataFrame | None = None
              ) -> dict[str, gpd.GeoDataFrame]:
    """Estimate floors, heights, households and population in ``out``; link buildings to communities.

    New buildings also re-estimate the project's communities (values flagged as estimated are estimated
    again from the buildings); new communities also relink the project's buildings. Those updated project
    layers are returned, to be set together with the imported ones.
    """
    source = {p.role: p.layer for p in prepared}
    updated: dict[str, gpd.GeoDataFrame] = {}
    if "buildings" in out:
        out["buildings"], findings = estimate_buildings(out["buildings"], params, layer=source["buildings"])
        report.extend(findings)
        if "communities" not in out and project.has_layer("communities"):
            updated["communities"] = _without_estimates(project.layer("communities"))
    elif "communities" in out and project.has_layer("buildings"):
        updated["buildings"] = project.layer("buildings").copy()
    if ledger_communities is not None and "communities" not in out:
        updated["communities"] = ledger_communities
    buildings = out.get("buildings", updated.get("buildings"))
    communities = out.get("communities", updated.get("communities"))
    if buildings is not None and communities is not None:
        buildings["community_id"] = assign_buildings(buildings, communities).to_numpy()
    elif communities is not None and project.has_layer("buildings"):
        buildings = project.layer("buildings")  # already linked to these communities
    if communities is not None:
        role = "communities"
        communities, findings = estimate_communities(communities, buildings, params,
                                                     layer=source.get(role, role))
        report.extend(findings)
        (out if role in out else updated)[role] = communities
    return updated


def _subdistricts(communities: gpd.GeoDataFrame, admin: gpd.GeoDataFrame | None) -> pd.Series:
    """所属街道 of each community: its own value, else the admin boundary (街道) holding its inner point."""
    own = communities["subdistrict"] if "subdistrict" in communities else pd.Series(pd.NA, index=communities.index)
    own = own.astype("string")
    if admin is None or not len(admin) or own.notna().all():
        return own
    points = shapely.point_on_surface(communities.geometry.values)
    tree = shapely.STRtree(admin.geometry.values)
    c, a = tree.query(points, predicate="within")
    found = pd.Series(pd.NA, index=communities.index, dtype="string")
    found.iloc[c] = admin["name"].astype("string").to_numpy()[a]
    return own.fillna(found)


def _join_ledgers(paths: Sequence[Path], communities: gpd.GeoDataFrame, admin: gpd.GeoDataFrame | None,
                  overrides: Mapping[str, str] | None, limits: Any, report: ImportReport) -> gpd.GeoDataFrame:
    """Join each ledger (.xlsx/.csv, one row per community) onto the communities, with findings."""
    communities = communities.assign(subdistrict=_subdistricts(communities, admin))
    for path in paths:
        rows = ledgers.read_ledger(path)
        mapping = ledgers.ledger_mapping(rows, overrides, str(path))
        rows = rows.assign(feature_id=[f"第{i}行" for i in rows.index])
        findings: list[Finding] = []
        cols: dict[str, Any] = {"feature_id": rows["feature_id"]}
        cols |= community_values(rows, mapping, path.name, findings)
        _check_plausible(cols, "communities", path.name, limits, None, findings)
        groups = {k: pd.DataFrame({c: v for c, v in cols.items() if c == k or c.startswith(k + "_")})
                  for k in ledgers.JOINED if k in mapping}
        communities, joined_findings = ledgers.join_ledger(communities, rows, groups, mapping=mapping,
                                                           file=str(path))
        report.extend(findings + joined_findings)
    return communities


def import_layers(project: Any, sources: Sequence[str | Path], *, roles: Mapping[str, str] | None = None,
                  field_maps: Mapping[str, Mapping[str, str]] | None = None,
                  source_crs: str | None = None, city: str | None = None, replace: bool = False,
                  keep_outliers: bool = False, progress: Progress | None = None) -> ImportReport:
    """Import files into ``project`` as role layers in its metric CRS, and report what was found.

    Parameters
    ----------
    project
        A :class:`gisplanner.project.Project`; changed only if the whole import succeeds.
    sources
        GeoPackage, Shapefile, GeoJSON or OSM PBF files; every layer of each is imported.
    roles
        layer name -> role (or ``skip``), overriding :data:`LAYER_ROLES` and the guess from the name.
    field_maps
        role -> {canonical column -> source field}, overriding the detected field names.
    source_crs
        CRS of layers whose file declares none (e.g. ``EPSG:4326``); ``GCJ-02`` or ``BD-09`` declares every
        lon/lat layer of the import as offset and converts it to WGS84.
    city
        Sets the project's city when given (a key of the sunlight cities of the standards).
    replace
        Allow a layer without usable features to replace a populated role of the project (refused otherwise).
        Every replaced role is reported as ``role_replaced``.
    keep_outliers
        Import the features found far from the rest of their layer (:func:`gisplanner.io.crs.robust_outliers`);
        by default they are left out and reported as ``coordinates_outlier``, so no analysis uses them until
        the user confirms them. They never take part in the choice of the project's CRS.
    progress
        Progress sink; one step per file read, per layer prepared and per layer finished.

    Returns
    -------
    ImportReport
        Every finding, with its code, layer, feature and message.

    Raises
    ------
    InputError
        Unreadable file, unknown role, wrong geometry type for a role, missing CRS, a mapping to a missing
        field, or two layers giving the same role.
    """
    progress = ensure_progress(progress)
    report = ImportReport()
    if city is not None:
        check_city(city, project.standards())
    parsed_crs = crs_tools.parse_source_crs(source_crs) if source_crs else None
    ledger_paths = [Path(s) for s in sources if ledgers.is_ledger(s)]
    sources = [Path(s) for s in sources if not ledgers.is_ledger(s)]
    if roles and ONLY_LAYER in roles:
        roles = _only_layer_role(roles, sources)
    if ledger_paths and not project.has_layer("communities") and not any(
            role == "communities" for path in sources for layer in list_layers(path)
            for role, _ in roles_of_layer(layer, roles)):
        raise InputError("台账没有几何，只能关联到小区图层上，但项目中还没有小区图层。",
                         file=", ".join(map(str, ledger_paths)),
                         fix="先导入小区范围（面图层），或把小区图层与台账一起导入。")
    layers: list[SourceLayer] = []
    for i, path in enumerate(sources):
        progress.update(i, len(sources), f"读取 {path.name}")
        for layer in read_layers(path):
            report.extend(layer.findings)
            layers.append(layer)

    names = [layer.name for layer in layers]
    unknown = sorted(set(roles or {}) - set(names))
    if unknown:
        raise InputError(f"--role 指定的图层在文件中不存在：{'、'.join(unknown)}；文件中的图层为："
                         f"{'、'.join(names) or '（无）'}", file=", ".join(map(str, sources)),
                         fix="使用上面列出的图层名（Shapefile、GeoJSON 的图层名即不带扩展名的文件名）")
    prepared: list[_Prepared] = []
    seen: dict[str, str] = {}
    for i, source in enumerate(layers):
        progress.update(i, len(layers), f"检查 {source.name}")
        for role, filt in roles_of_layer(source.name, roles):
            if role in seen:
                raise InputError(f"两个图层都是 {role}：{seen[role]} 和 {source.name}",
                                 file=source.file, layer=source.name,
                                 fix=f"用 --role {source.name}={SKIP} 只保留一个（或分两次导入）")
            selected = _source_frame(source, filt)
            if role == "facilities":
                selected = _with_polygons(selected, [s for s in layers if s.file == source.file])
            if filt is not None and selected.empty:
                continue  # e.g. no idle_candidate=1 parcels: the role stays as it is
            seen[role] = source.name
            findings: list[Finding] = []
            frame, crs_label = _with_crs(selected, source, parsed_crs, findings)
            crs_tools.check_coordinates(frame, file=source.file, layer=source.name)
            check_geometry_type(frame, role, layer=source.name, file=source.file)
            frame, repaired = repair_geometries(frame, role, layer=source.name)
            findings += repaired
            columns = [str(c) for c in frame.columns if c != frame.geometry.name]
            mapping = detect_fields(columns, role, overrides=(field_maps or {}).get(role),
                                    file=source.file, layer=source.name)
            findings += check_required(mapping, role, layer=source.name, columns=columns, file=source.file)
            frame, duplicates = assign_feature_ids(frame, layer=source.name)
            findings += duplicates
            frame = _outliers(frame, source.name, keep_outliers, findings)
            report.extend(findings)
            prepared.append(_Prepared(role, source.file, source.name, frame, mapping, crs_label))

    _check_offsets(prepared, project, report.findings)

    target = project.crs
    if target is None:
        # outliers (kept only when confirmed) never move the project's CRS
        bounds = np.array([p.frame[~crs_tools.robust_outliers(p.frame)].to_crs(4326).total_bounds
                           for p in prepared if len(p.frame)])
        if len(bounds) == 0:
            raise InputError("没有可导入的内容：每个图层都是空的", file=", ".join(map(str, sources)),
                             fix="检查文件内容和 --role 选项")
        target = crs_tools.metric_crs((bounds[:, 0].min() + bounds[:, 2].max()) / 2,
                                      (bounds[:, 1].min() + bounds[:, 3].max()) / 2)
    standards = project.standards()
    params = standards.settings.estimation
    out: dict[str, gpd.GeoDataFrame] = {}
    for p in prepared:
        p.frame = p.frame.to_crs(target)
        out[p.role] = _canonical(p, standards.landuse.osm_codes_provenance, standards.settings, report.findings)
    _check_replacements(prepared, out, project, replace, report)
    ledger_communities = None
    if ledger_paths:
        admin = out.get("admin_boundaries", project.layers.get("admin_boundaries"))
        overrides = (field_maps or {}).get("communities")
        limits = standards.settings.plausibility
        if "communities" in out:
            out["communities"] = _join_ledgers(ledger_paths, out["communities"], admin, overrides, limits, report)
        else:
            ledger_communities = _join_ledgers(ledger_paths, _without_estimates(project.layer("communities")),
                                               admin, overrides, limits, report)
    updated = _estimate(out, prepared, project, params, report, ledger_communities=ledger_communities)

    # Only now touch the project; restore it if setting a layer still fails.
    before = (project.crs, project.city, dict(project.layers), {k: dict(v) for k, v in
                                                                project.layer_sources.items()})
    try:
        if project.crs is None:
            project.crs = target
        if city:
            project.city = city
        for p in prepared:
            project.set_layer(p.role, out[p.role], source={
                "file": str(Path(p.file).resolve()), "layer": p.layer, "source_crs": p.source_crs,
                "field_map": p.mapping, "features": len(out[p.role])})
        for role, frame in updated.items():
            project.set_layer(role, frame)
    except Exception:
        project.crs, project.city, project.layers, project.layer_sources = before
        raise
    progress.update(len(layers), len(layers), "导入完成")
    return report


def _outliers(frame: gpd.GeoDataFrame, layer: str, keep: bool, findings: list[Finding]) -> gpd.GeoDataFrame:
    """Report the features far from the rest of the layer; leave them out unless ``keep`` (confirmed)."""
    far = crs_tools.robust_outliers(frame)
    if not far.any():
        return frame
    ids = frame.loc[far, "feature_id"].astype(str).tolist()
    shown = "、".join(ids[:10]) + (f" 等 {len(ids)} 个" if len(ids) > 10 else "")
    action = ("已按确认（--keep-outliers）导入，但不参与项目坐标系的选择" if keep else
              "未导入，以免分析使用错误的位置；若位置无误，加 --keep-outliers 重新导入")
    findings.append(Finding("coordinates_outlier", layer, ids[0],
                            f"要素 {shown} 远离本图层其余要素（超过 {crs_tools.OUTLIER_MIN_M / 1000:.0f} km 且远超"
                            f"其余要素的分布范围），坐标可能有误；{action}。"))
    return frame if keep else frame[~far]


def check_city(city: str, standards: Any) -> None:
    """Refuse a city the standards do not know (its sunlight rule, climate zone and location come from there)."""
    cities = standards.sunlight.cities
    if city not in cities:
        raise InputError(f"未知的城市 {city!r}", fix="用标准中的城市代码之一：" + "、".join(
            f"{key}（{c.zh}）" for key, c in sorted(cities.items())))


def _check_replacements(prepared: list[_Prepared], out: Mapping[str, gpd.GeoDataFrame], project: Any,
                        replace: bool, report: ImportReport) -> None:
    """Refuse a layer without usable features over a populated role unless ``replace``; report each replacement."""
    for p in prepared:
        new = len(out[p.role])
        old = len(project.layers[p.role]) if p.role in project.layers else 0
        if new == 0 and old > 0 and not replace:
            raise InputError(f"这个图层没有可用的要素（几何为空或全部被剔除），导入会把项目中已有的 {old} 个{code_label(p.role, 'layer')}"
                             "要素替换为空", file=p.file, layer=p.layer,
                             fix="检查文件和 --role；确实要清空该图层时加 --replace")
        if new == 0:
            report.extend([Finding("layer_empty", p.layer, None, f"图层没有可用的要素，{code_label(p.role, 'layer')}为空。")])
        if p.role in project.layers:
            source = project.layer_sources.get(p.role, {})
            origin = f"（来自 {Path(str(source['file'])).name}）" if source.get("file") else ""
            report.extend([Finding("role_replaced", p.layer, None,
                                   f"项目原有的{code_label(p.role, 'layer')}图层{origin}共 {old} 个要素，已替换为本次导入的 {new} 个要素。")])


def _only_layer_role(roles: Mapping[str, str], sources: Sequence[Path]) -> dict[str, str]:
    """``roles`` with the role given without a layer name assigned to the one layer of ``sources``."""
    names = [layer for path in sources for layer in list_layers(path)]
    if len(names) != 1:
        raise InputError(f"--role 只写角色 {roles[ONLY_LAYER]} 时，只能导入一个图层；文件中有 {len(names)} 个图层："
                         f"{'、'.join(names) or '（无）'}", file=", ".join(map(str, sources)),
                         fix="写成 --role 图层名=角色，每个图层一条")
    return {**{k: v for k, v in roles.items() if k != ONLY_LAYER}, names[0]: roles[ONLY_LAYER]}


def parse_assignments(items: Sequence[str], *, what: str) -> dict[str, str]:
    """``["a=b", ...]`` -> ``{"a": "b"}`` for the CLI's --role and --field options."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if what == "--role" and not sep and item.strip() in (*CANDIDATES, SKIP):
            key, sep, value = ONLY_LAYER, "=", item  # `--role communities` for a file of one layer
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"无法读懂 {what} {item!r}", fix=f"写成 {what} "
                             + ("图层名=角色，例如 pois=facilities" if what == "--role"
                                else "角色.字段=源字段，例如 communities.households=HU_COUNT"))
        out[key.strip()] = value.strip()
    return out


def parse_field_maps(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """``["communities.households=户数"]`` -> ``{"communities": {"households": "户数"}}``."""
    maps: dict[str, dict[str, str]] = {}
    for key, value in parse_assignments(items, what="--field").items():
        match = re.fullmatch(r"(\w+)\.(\w+)", key)
        if match is None or match[1] not in CANDIDATES:
            raise InputError(f"无法读懂 --field {key}={value}",
                             fix=f"写成 角色.字段=源字段，角色为其中之一：{'、'.join(CANDIDATES)}")
        maps.setdefault(match[1], {})[match[2]] = value
    return maps
