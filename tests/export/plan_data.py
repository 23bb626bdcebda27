"""A small plan built in code: two districts, one with gaps and no resources, one with resources and no gaps."""

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from gisplanner.analysis.renovation import price_items
from gisplanner.export.layers import OSM_ATTRIBUTION, PlanLayers, plan_layers
from gisplanner.standards import load_standards

CRS = "EPSG:32652"  # UTM 52N, central Harbin
X0, Y0 = 315_000.0, 5_070_000.0
XSS_NAME = "<script>alert(1)</script>"


def communities() -> gpd.GeoDataFrame:
    """Five 100 m squares in a row; c5 is in no district."""
    rows = [
        ("c1", XSS_NAME, 420.0, 6, 31_000.0, 1988, "city"),
        ("c2", "宣西小区", 300.0, 4, 22_500.0, 2003, "city"),
        ("c3", "三辅小区", 510.5, 7, 40_100.0, 1995, "county"),
        ("c4", "四史小区", 120.0, 2, 9_000.0, pd.NA, "county"),
        ("c5", "五叙小区", 80.0, 1, 6_000.0, 1990, "city"),
    ]
    return gpd.GeoDataFrame(
        {"feature_id": [r[0] for r in rows], "name": [r[1] for r in rows],
         "households": [r[2] for r in rows], "population": [r[2] * 2.6 for r in rows],
         "households_estimated": False, "population_estimated": True,
         "n_buildings": [r[3] for r in rows], "floor_area_m2": [r[4] for r in rows],
         "built_year": pd.array([r[5] for r in rows], dtype="Int64"), "area_type": [r[6] for r in rows]},
        geometry=[box(X0 + 110 * i, Y0, X0 + 110 * i + 100, Y0 + 100) for i in range(len(rows))], crs=CRS)


def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district_id": ["D1", "D2"], "name": ["花园片区", "革新片区"], "population": [1872.0, 1639.3],
         "violations": ["", "below_min_population;not_contiguous"]},
        geometry=[box(X0, Y0, X0 + 210, Y0 + 100), box(X0 + 220, Y0, X0 + 430, Y0 + 100)], crs=CRS)


def members() -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["D1", "D1", "D2", "D2"], "community_id": ["c1", "c2", "c3", "c4"],
                         "community_name": [XSS_NAME, "宣西小区", "三辅小区", "四史小区"]})


def gaps() -> pd.DataFrame:
    """Gaps only in district D1 (and one for c5, outside every district)."""
    return pd.DataFrame({
        "community_id": ["c1", "c1", "c2", "c5"],
        "facility_type": ["kindergarten", "elderly_daycare", "kindergarten", "kindergarten"],
        "level": ["lc5", "lc10", "lc5", "lc5"],
        "distance_m": [720.0, float("inf"), 410.0, 900.0],
        "shortfall_m": [420.0, float("inf"), 110.0, 600.0],
        "population": [1092.0, 1092.0, 780.0, 208.0],
        "population_estimated": [True, True, False, True]})


def resource_layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "boiler_rooms": gpd.GeoDataFrame({"feature_id": ["b1"], "name": ["废弃锅炉房"], "status": ["decommissioned"],
                                          "area_m2": [600.0]},
                                         geometry=[box(X0 + 300, Y0 + 110, X0 + 330, Y0 + 130)], crs=CRS),
        "idle_land": gpd.GeoDataFrame({"feature_id": ["i1"], "name": [XSS_NAME], "area_m2": [1200.0],
                                       "lu_code": ["2301"]},
                                      geometry=[box(X0 + 340, Y0 + 110, X0 + 380, Y0 + 140)], crs=CRS)}


def resources() -> pd.DataFrame:
    """Resources only in district D2, as gisplanner.analysis.district_tables.district_resources lists them."""
    return pd.DataFrame({"district_id": ["D2", "D2"], "layer": ["boiler_rooms", "idle_land"],
                         "resource_id": ["b1", "i1"], "name": ["废弃锅炉房", XSS_NAME], "area_m2": [600.0, 1200.0],
                         "status": ["decommissioned", pd.NA], "distance_m": [10.0, 10.0]})


def service_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_id": ["f1"], "facility_type": ["kindergarten"], "level": ["lc5"]},
                            geometry=[Point(X0 + 400, Y0 + 50).buffer(300)], crs=CRS)


def placed() -> list[dict]:
    """One facility in D1, as PlacementReport.placed_facility() records it."""
    return [{"facility_id": "P1", "facility_type": "kindergarten", "name": XSS_NAME, "intervention": "new_build",
             "site": None, "footprint": box(X0 + 120, Y0 + 20, X0 + 150, Y0 + 50).wkt, "overall": "consultation",
             "needs_consultation": True,
             "verdicts": {"size_site": "pass", "sunlight_own": "pass", "sunlight_neighbours": "consult",
                          "green_public_lc5": "warn", "land_use": "pass"},
             "basis": {"sunlight_neighbours": {
                 "message": "1 户（1 个窗台，1 栋）由达标降至大寒日 2 小时以下，违反 GB 50180-2018 第 4.0.9 条"
                            "“在原设计建筑外增加任何设施不应使相邻住宅原有日照标准降低”",
                 "basis": ["GB50180 4.0.9", "D002 五（二）"], "next_steps": ["广泛征求居民意见"]}},
             "created": "2026-11-23T12:00:00+00:00"}]


def sunlight() -> gpd.GeoDataFrame:
    """Two ground-floor sills north of P1, as the sunlight command stores a before/after run."""
    return gpd.GeoDataFrame({"sill_id": ["b7-0", "b7-1"], "building_id": ["b7", "b7"], "floor": [1, 1],
                             "hours": [1.5, 2.9], "required_hours": [2.0, 2.0], "passes": [False, True],
                             "hours_before": [2.5, 3.2], "hours_after": [1.5, 2.9],
                             "status": ["newly_failing", "unaffected"]},
                            geometry=[Point(X0 + 130, Y0 + 60), Point(X0 + 140, Y0 + 60)], crs=CRS)


def roads() -> gpd.GeoDataFrame:
    """An east-west street south of the row of communities and an unnamed footway across it."""
    return gpd.GeoDataFrame({"feature_id": ["w1", "w2"], "highway": ["secondary", "footway"],
                             "name": ["宣化街", None]},
                            geometry=[LineString([(X0 - 50, Y0 - 8), (X0 + 600, Y0 - 8)]),
                                      LineString([(X0 + 105, Y0 - 30), (X0 + 105, Y0 + 130)])], crs=CRS)


def buildings() -> gpd.GeoDataFrame:
    """Two slabs in c1: b7 (the sills of sunlight()) and b8 (no sills)."""
    return gpd.GeoDataFrame({"feature_id": ["b7", "b8"], "floors": [6.0, 6.0]},
                            geometry=[box(X0 + 120, Y0 + 62, X0 + 180, Y0 + 74),
                                      box(X0 + 20, Y0 + 62, X0 + 80, Y0 + 74)], crs=CRS)


def admin() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["花园街道"], "admin_level": [8]},
                            geometry=[box(X0 - 20, Y0 - 20, X0 + 560, Y0 + 160)], crs=CRS)


FACILITY_ZH = {"kindergarten": "幼儿园", "elderly_daycare": "老年人日间照料中心"}
LEVEL_ZH = {"lc5": "五分钟生活圈", "lc10": "十分钟生活圈"}
RENOVATION_CLASS = {"kindergarten": "提升类", "elderly_daycare": "提升类"}
#: Each community's renovation items as the planner ticked them (selected) with their quantities; c3's elevator
#: units are estimated from its building length.
ITEM_ROWS = [
    ("c1", "基础类", "roof", "屋面维修", "roof_m2", 5_000.0, False, True),
    ("c1", "完善类", "elevator", "有条件的楼栋加装电梯", "elevator", 6.0, False, True),
    ("c1", "基础类", "water_supply", "供水", "household", 420.0, False, True),
    ("c2", "基础类", "roof", "屋面维修", "roof_m2", 3_000.0, False, True),
    ("c2", "基础类", "water_supply", "供水", "household", 300.0, False, False),
    ("c3", "基础类", "roof", "屋面维修", "roof_m2", 6_000.0, False, True),
    ("c3", "完善类", "elevator", "有条件的楼栋加装电梯", "elevator", 4.0, True, True),
    ("c4", "基础类", "water_supply", "供水", "household", 120.0, False, True),
    ("c5", "基础类", "roof", "屋面维修", "roof_m2", 800.0, False, True),
]


def items(unit_costs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The communities' items (:data:`ITEM_ROWS`) priced with ``unit_costs``."""
    frame = pd.DataFrame(ITEM_ROWS, columns=["community_id", "class_zh", "item", "item_zh", "unit", "quantity",
                                             "quantity_estimated", "selected"])
    return price_items(frame, unit_costs)


def build_plan() -> PlanLayers:
    return plan_layers(crs=CRS, communities=communities(), districts=districts(), members=members(), gaps=gaps(),
                       service_areas=service_areas(), resources=resources(), resource_layers=resource_layers(),
                       placed=placed(), sunlight=sunlight(), facility_zh=FACILITY_ZH, level_zh=LEVEL_ZH,
                       checks=load_standards().checks, renovation_class=RENOVATION_CLASS,
                       attribution=OSM_ATTRIBUTION, roads=roads(), buildings=buildings(), admin_boundaries=admin())
