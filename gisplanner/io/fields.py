"""Field mapping: which source field feeds each canonical column of a role.

Common English and Chinese names are recognised (case-insensitive, ignoring spaces, ``_``, ``-`` and ``:``);
the user's mapping overrides the guess. The canonical columns are those of docs/developing.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from gisplanner.errors import InputError

_NAME = ("name", "名称", "小区名称", "小区名", "项目名称", "name_zh", "name:zh", "mc")
_FLOORS = ("floors", "floor", "层数", "楼层", "楼层数", "地上层数", "building:levels", "levels", "storeys", "cs")
_HEIGHT = ("height_m", "height", "高度", "建筑高度", "gd")
_BUILT_YEAR = ("built_year", "建成年代", "建成年份", "竣工年份", "竣工年代", "竣工时间", "建成时间", "建设年代",
               "建设年份", "建造年代", "year_built", "year", "start_date")
_STATUS = ("status", "现状", "使用现状", "状态", "使用状态", "利用现状")
_OWNERSHIP = ("ownership", "产权单位", "产权人", "权属单位", "产权性质", "权属", "所有权")
_AREA = ("area_m2", "面积", "占地面积", "用地面积", "area")
# 所属街道 / 所属社区: the street office and the residents' committee a ledger row belongs to; they tell apart
# communities of one name in different streets.
_SUBDISTRICT = ("subdistrict", "所属街道", "街道", "街道办事处", "街道名称", "街办")
_SHEQU = ("shequ", "所属社区", "社区", "社区名称", "居委会")
_LU_CODE = ("lu_code", "用地代码", "地类代码", "用地编码", "dlbm", "ydbm")

#: Optional true/false fields of a community, kept only when the source has them (empty stays unknown):
#: conditions that decide renovation items (gisplanner.analysis.renovation) and facts that decide eligibility
#: (gisplanner.analysis.eligibility).
COMMUNITY_FLAGS: dict[str, tuple[str, ...]] = {
    "roof_poor": ("roof_poor", "屋面破损", "屋面漏水"), "facade_poor": ("facade_poor", "外墙破损", "外墙无保温"),
    "stairwell_poor": ("stairwell_poor", "楼梯间破旧"), "windows_poor": ("windows_poor", "窗户破旧"),
    "pipes_old": ("pipes_old", "管线老化"), "drainage_poor": ("drainage_poor", "排水不畅", "雨污合流"),
    "overhead_lines": ("overhead_lines", "架空线杂乱"), "no_fiber": ("no_fiber", "未光纤入户"),
    "roads_poor": ("roads_poor", "道路破损"), "fire_safety_poor": ("fire_safety_poor", "消防设施缺损"),
    "security_poor": ("security_poor", "安防缺失"), "no_waste_sorting": ("no_waste_sorting", "无垃圾分类"),
    "lighting_poor": ("lighting_poor", "照明不足"), "green_poor": ("green_poor", "绿化缺失"),
    "illegal_structures": ("illegal_structures", "违法建设"), "parking_short": ("parking_short", "停车不足"),
    "accessibility_poor": ("accessibility_poor", "无障碍缺失"), "no_shelter": ("no_shelter", "无应急避难场所"),
    "expropriation_planned": ("expropriation_planned", "拟征收", "征收补偿安置"),
    "demolish_rebuild": ("demolish_rebuild", "拟拆除新建", "拆除新建"),
    "central_subsidy": ("central_subsidy", "已纳入中央补助", "中央补助"),
    "safety_c": ("safety_c", "安全C级", "鉴定C级"), "non_complete_units": ("non_complete_units", "非成套住宅"),
    "linked_renovation": ("linked_renovation", "联动改造"),
}

#: role -> canonical column -> source names tried in order.
CANDIDATES: dict[str, dict[str, tuple[str, ...]]] = {
    "communities": {
        "name": _NAME,
        "households": ("households", "居民户数", "户数", "总户数", "住户数", "居住户数", "hs"),
        "population": ("population", "人口", "人口数", "常住人口", "居住人口", "pop"),
        "built_year": _BUILT_YEAR,
        "n_buildings": ("n_buildings", "楼栋数", "栋数", "幢数", "楼栋数量", "楼幢数"),
        "floor_area_m2": ("floor_area_m2", "住宅建筑面积", "建筑面积", "总建筑面积"),
        "subdistrict": _SUBDISTRICT,
        "shequ": _SHEQU,
        "area_type": ("area_type", "区域类型", "城乡类型"),
        "plan_year": ("plan_year", "计划年度", "改造年度", "计划年份"),
        **COMMUNITY_FLAGS,
    },
    "buildings": {
        "floors": _FLOORS,
        "height_m": _HEIGHT,
        "use": ("use", "用途", "建筑用途", "性质", "building"),
        "built_year": _BUILT_YEAR,
        "name": _NAME,
        "units": ("units", "单元数", "楼梯间数"),
        "households": ("households", "户数", "住户数"),
        "has_elevator": ("has_elevator", "电梯", "有电梯", "elevator"),
    },
    "walk_network": {
        "highway": ("highway", "道路等级", "等级", "road_class", "fclass", "class"),
        "walkable": ("walkable", "可步行"),
        "bridge": ("bridge", "桥梁"),
        "tunnel": ("tunnel", "隧道"),
        "layer": ("layer", "层"),
        "name": _NAME + ("道路名称",),
    },
    "facilities": {"category": ("category", "类型", "设施类型", "类别", "type", "fclass"), "name": _NAME},
    "green_space": {"green_type": ("green_type", "绿地类型", "类型", "type"), "name": _NAME,
                    "is_public": ("is_public", "是否公共", "公共")},
    "landuse": {"lu_code": _LU_CODE, "lu_code_planned": ("lu_code_planned", "规划用地代码", "规划地类"),
                "name": _NAME},
    "idle_land": {"name": _NAME, "area_m2": _AREA, "lu_code": _LU_CODE, "status": _STATUS,
                  "ownership": _OWNERSHIP},
    "boiler_rooms": {"name": _NAME, "status": _STATUS, "area_m2": _AREA, "ownership": _OWNERSHIP},
    "public_buildings": {"name": _NAME, "status": _STATUS, "area_m2": _AREA + ("建筑面积",), "floors": _FLOORS,
                         "ownership": _OWNERSHIP},
    "admin_boundaries": {"name": _NAME + ("街道名称",), "admin_level": ("admin_level", "级别", "行政级别")},
    "gates": {"name": _NAME},
    "railways": {"name": _NAME},
    "rivers": {"name": _NAME},
}


#: Columns kept only where a source has them; their absence is not reported as a missing field.
OPTIONAL: dict[str, frozenset[str]] = {"communities": frozenset({"plan_year", *COMMUNITY_FLAGS}),
                                       "buildings": frozenset({"units", "households", "has_elevator"})}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-:]", "", name).casefold()


def detect_fields(columns: Iterable[str], role: str, *, overrides: Mapping[str, str] | None = None,
                  file: str | None = None, layer: str | None = None) -> dict[str, str]:
    """Map the canonical columns of ``role`` to source fields.

    Parameters
    ----------
    columns
        Field names of the source layer.
    role
        A key of :data:`CANDIDATES` (the roles of gisplanner.project).
    overrides
        User mapping canonical column -> source field; wins over the guess.
    file, layer
        Named in errors.

    Returns
    -------
    dict
        canonical column -> source field, for every column found; columns not found are left out.

    Raises
    ------
    InputError
        An override names a field the layer does not have (the error lists those it has), or a canonical
        column the role does not have.

    Examples
    --------
    >>> detect_fields(["FID", "小区名称", "户数"], "communities")
    {'name': '小区名称', 'households': '户数'}
    """
    columns = [c for c in columns if c != "geometry"]
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    wanted = CANDIDATES[role]
    mapping: dict[str, str] = {}
    for canonical, names in wanted.items():
        for name in names:
            if _key(name) in by_key:
                mapping[canonical] = by_key[_key(name)]
                break
    for canonical, source in (overrides or {}).items():
        if canonical not in wanted:
            raise InputError(f"{role} 没有可指定的字段 {canonical!r}", file=file, layer=layer,
                             fix=f"指定其中之一：{'、'.join(wanted)}")
        if source not in columns:
            raise InputError(f"字段映射 {role}.{canonical}={source} 指向的字段 {source} 不存在；"
                             f"现有字段：{'、'.join(columns) or '（无）'}", file=file, layer=layer,
                             fix=f"用 --field {role}.{canonical}=字段名，字段名取现有字段之一")
        mapping[canonical] = source
    return mapping


def parse_optional_flag(values: pd.Series) -> pd.Series:
    """Nullable bool: true/是/有/1 True, false/否/无/0 False, anything else (empty, 不详) NA."""
    text = values.astype("string").str.strip().str.casefold()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(["1", "true", "yes", "y", "t", "是", "有"]).fillna(False).astype(bool)] = True
    out[text.isin(["0", "false", "no", "n", "f", "否", "无"]).fillna(False).astype(bool)] = False
    return out


_TRUE = re.compile(r"^(1|yes|true|y|t|是|viaduct|aqueduct|boardwalk|covered|building_passage)$", re.IGNORECASE)


def parse_flag(values: pd.Series) -> pd.Series:
    """Bool from OSM-style values: ``yes``/``1``/``true``/``是`` (and bridge/tunnel kinds) are True."""
    return values.astype("string").fillna("").str.strip().str.match(_TRUE).astype(bool)
