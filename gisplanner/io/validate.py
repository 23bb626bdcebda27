"""All input checks of an import: geometry type per role, repair, empty geometries, ids, required fields."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplanner.errors import InputError
from gisplanner.io.fields import CANDIDATES, OPTIONAL
from gisplanner.io.findings import Finding
from gisplanner.labels import code_label, field_label

#: Geometry dimension(s) each role accepts: 0 points, 1 lines, 2 polygons.
ROLE_DIMENSIONS: dict[str, tuple[int, ...]] = {
    "communities": (2,), "buildings": (2,), "walk_network": (1,), "facilities": (0, 2),
    "green_space": (2,), "landuse": (2,), "idle_land": (2,), "boiler_rooms": (0, 2),
    "public_buildings": (2, 0), "admin_boundaries": (2,), "gates": (0,), "railways": (1,), "rivers": (1, 2),
}
_DIMENSION_NAMES = {0: "点", 1: "线", 2: "面"}

#: Source fields taken as the feature id, in order of preference (compared ignoring case).
ID_FIELDS = ("feature_id", "id", "fid", "objectid", "编号", "osm_id", "osm_ref")

#: Canonical columns without which a role is useless; the importer refuses a layer lacking them.
REQUIRED: dict[str, tuple[str, ...]] = {"facilities": ("category",)}


def check_geometry_type(gdf: gpd.GeoDataFrame, role: str, *, layer: str, file: str | None = None) -> None:
    """Refuse a layer whose geometries do not suit ``role`` (points given as communities, ...).

    Raises
    ------
    InputError
        Naming the layer, the first offending feature and the fix.
    """
    allowed = ROLE_DIMENSIONS[role]
    geoms = gdf.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    dims = shapely.get_dimensions(geoms)
    bad = present & ~np.isin(dims, allowed)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        kinds = sorted({_DIMENSION_NAMES.get(int(d), "几何集合") for d in dims[bad]})
        wanted = "或".join(_DIMENSION_NAMES[d] for d in allowed)
        raise InputError(
            f"{len(gdf)} 个要素中有 {int(bad.sum())} 个是{'、'.join(kinds)}，而{code_label(role, 'layer')}（{role}）"
            f"需要{wanted}要素",
            file=file, layer=layer, feature=gdf.index[first],
            fix=f"把{wanted}图层作为 {role} 导入，或用 --role {layer}=角色 给这个图层指定它自己的角色")


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a make_valid result (it may add lines or points where rings touched)."""
    parts = [g for g in shapely.get_parts(geom) if shapely.get_dimensions(g) == 2]
    parts = [p for sub in parts for p in shapely.get_parts(sub)]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def repair_geometries(gdf: gpd.GeoDataFrame, role: str, *, layer: str) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Repair invalid geometries with ``shapely.make_valid`` and drop missing or empty ones.

    Polygon roles keep only the polygonal part of a repair (a bow-tie becomes two triangles; the slivers
    where rings touched are dropped). A geometry that repairs to nothing counts as empty.

    Returns
    -------
    (GeoDataFrame, list of Finding)
        The kept rows (original index) and one finding per repaired or dropped feature.
    """
    findings: list[Finding] = []
    geoms = gdf.geometry.values.copy()
    invalid = np.flatnonzero(~shapely.is_valid(geoms) & ~shapely.is_missing(geoms))
    polygonal = ROLE_DIMENSIONS[role] == (2,)
    for i in invalid:
        reason = shapely.is_valid_reason(geoms[i])
        fixed = shapely.make_valid(geoms[i])
        if polygonal:
            fixed = _polygonal_part(fixed)
        geoms[i] = fixed
        findings.append(Finding("invalid_geometry_repaired", layer, str(gdf.index[i]),
                                f"几何无效（{reason}），已自动修复"
                                + ("，保留其中的面部分。" if polygonal else "。")))
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(empty):
        findings.append(Finding("empty_geometry_dropped", layer, str(gdf.index[i]),
                                "要素没有几何，已剔除。"))
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out[~empty], findings


def _id_field(columns: list[str]) -> str | None:
    by_key = {c.casefold(): c for c in columns}
    return next((by_key[f] for f in ID_FIELDS if f in by_key), None)


def assign_feature_ids(gdf: gpd.GeoDataFrame, *, layer: str) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Add the string column ``feature_id``, unique within the layer.

    It comes from the first of :data:`ID_FIELDS` present (OSM ids get the usual ``n``/``w``/``r`` prefix of
    their ``osm_type``), else from the row number (1-based). Repeated ids are reported once per value as
    ``duplicate_id`` and made unique by appending ``-2``, ``-3``, ... in row order. A field holding one value
    for every feature is no id at all: it is reported once and the rows are numbered instead.
    """
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    field = _id_field(columns)
    numbers = pd.Series(np.arange(1, len(gdf) + 1).astype(str), index=gdf.index)
    findings: list[Finding] = []
    if field is None:
        ids = numbers
    else:
        ids = gdf[field].astype("string").fillna("").str.replace(r"\.0$", "", regex=True)
        if field.casefold() == "osm_ref" and "osm_type" in gdf.columns:
            ids = gdf["osm_type"].astype("string").fillna("").str[:1] + ids
        if len(ids) > 1 and ids.nunique() == 1:
            findings.append(Finding("duplicate_id", layer, str(ids.iloc[0]),
                                    f"字段 {field} 在全部 {len(ids)} 个要素中都是 {ids.iloc[0]!r}，不能作编号；"
                                    f"已按文件顺序编为 1 … {len(ids)}。"))
            ids = numbers
    counts = ids.value_counts()
    for value, count in counts[counts > 1].items():
        findings.append(Finding("duplicate_id", layer, str(value),
                                f"字段 {field} 的编号 {value!r} 有 {count} 个要素重复；"
                                f"已按文件顺序改为 {value}-2 … {value}-{count}。"))
    rank = ids.groupby(ids).cumcount() + 1
    ids = ids.where(rank == 1, ids + "-" + rank.astype(str))
    out = gdf.copy()
    out["feature_id"] = ids.astype(str).to_numpy()
    return out, findings


def check_required(mapping: dict[str, str], role: str, *, layer: str, columns: list[str],
                   file: str | None = None) -> list[Finding]:
    """Refuse a layer lacking a required column; report each other canonical column it lacks.

    Returns
    -------
    list of Finding
        One ``missing_field`` finding per canonical column not found (estimated or defaulted later).

    Raises
    ------
    InputError
        A required column (e.g. the ``category`` of facilities) has no source field.
    """
    for canonical in REQUIRED.get(role, ()):
        if canonical not in mapping:
            raise InputError(f"找不到{code_label(role, 'layer')}的必需字段{field_label(canonical)}（{canonical}）；"
                             f"现有字段：{'、'.join(columns) or '（无）'}", file=file, layer=layer,
                             fix=f"用 --field {role}.{canonical}=字段名 指定")
    return [Finding("missing_field", layer, None,
                    f"没有{field_label(canonical)}字段（{role}.{canonical}），{MISSING_HANDLING.get(canonical, '留空')}。")
            for canonical in CANDIDATES[role]
            if canonical not in mapping and canonical != "name" and canonical not in OPTIONAL.get(role, ())]


#: What the importer does with a canonical column that has no source field (said in the finding).
MISSING_HANDLING = {
    "households": "按估算", "population": "按估算", "floors": "按估算", "height_m": "按估算",
    "area_m2": "由几何计算（面要素）", "use": "按住宅", "area_type": "按城市建成区",
    "walkable": "由道路等级（highway）推定", "bridge": "按非桥梁", "tunnel": "按非隧道", "layer": "按地面层（0）",
    "status": "按现状未知", "green_type": "按一般绿地", "is_public": "由绿地类型推定",
    "lu_code": "有 OSM landuse 字段的由其推定，否则留空",
    "n_buildings": "由建筑图层统计", "floor_area_m2": "由建筑图层汇总",
    "subdistrict": "有街道边界的由其确定", "ownership": "按权属未知",
}
