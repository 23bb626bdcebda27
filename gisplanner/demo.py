"""Build the bundled demo project: a synthetic old town at Harbin coordinates, deterministically.

The town is a 1.6 km × 1.2 km grid of 200 m blocks around a crossing of two arterial roads (主干路), with
secondary and local roads, estate paths and a footbridge over the east–west arterial. Most blocks are old
walk-up communities (4–7 storeys, mostly built before 2000); the others hold a school, a park, idle parcels,
public buildings and a market block. Some facility types are left out on purpose (elderly care, markets,
health stations) so that the life-circle analysis finds gaps. Every value is synthetic.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, box

from gisplanner.io.estimate import assign_buildings, estimate_communities
from gisplanner.project import Project
from gisplanner.standards import load_standards

DEMO_CRS = CRS.from_epsg(32652)  # UTM 52N, the zone of Harbin
ORIGIN_LONLAT = (126.640, 45.745)  # south-west corner of the town, in 南岗区
BLOCK_M = 200.0
COLS, ROWS = 8, 6
NAMES = ["和平", "革新", "奋斗", "文化", "花园", "芦家", "宣化", "红军", "大成", "曲线", "海城", "西大直", "果戈里",
         "民益", "耀景", "安发", "复华", "联发", "建设", "铁路", "宣西", "三辅", "四史", "五叙"]
# Blocks (col, row) that are not communities, and what they are.
SPECIAL_BLOCKS = {(1, 1): "school", (5, 4): "school", (2, 3): "park", (6, 1): "park", (3, 4): "idle",
                  (7, 3): "idle", (4, 1): "public", (0, 4): "market"}


# Proposals the headless demo checks: conversions of a decommissioned and an in-service boiler room, a new
# building on an idle parcel, and the conversion of a vacant public building.
DEMO_PLACEMENTS = (
    {"facility": "kindergarten", "site": "boiler_rooms:K001", "floors": 2, "name": "锅炉房改建幼儿园"},
    {"facility": "elderly_daycare", "site": "idle_land:I001", "floors": 2, "gfa_m2": 600.0,
     "name": "闲置地新建老年人日间照料中心"},
    {"facility": "community_canteen", "site": "public_buildings:P001", "name": "原街道办公楼改社区食堂"},
    {"facility": "elderly_daycare", "site": "boiler_rooms:K003", "floors": 1, "name": "在用锅炉房改托老所"},
)


def _origin(lonlat: tuple[float, float] = ORIGIN_LONLAT) -> tuple[float, float]:
    return Transformer.from_crs(4326, DEMO_CRS, always_xy=True).transform(*lonlat)


def _road_class(index: int, along: str) -> str:
    # The arterials cross once in every copy of the town pattern.
    if index % COLS == 4 and along == "ns" or index % ROWS == 3 and along == "ew":
        return "primary"
    return "secondary" if index % 2 == 0 else "residential"


def _roads(x0: float, y0: float, towns: tuple[int, int] = (1, 1)) -> gpd.GeoDataFrame:
    rows = []
    cols, n_rows = COLS * towns[0], ROWS * towns[1]
    width, height = cols * BLOCK_M, n_rows * BLOCK_M
    for i in range(cols + 1):
        x = x0 + i * BLOCK_M
        rows.append({"highway": _road_class(i, "ns"), "geometry": LineString([(x, y0), (x, y0 + height)])})
    for j in range(n_rows + 1):
        y = y0 + j * BLOCK_M
        rows.append({"highway": _road_class(j, "ew"), "geometry": LineString([(x0, y), (x0 + width, y)])})
    # A footbridge over the east–west arterial of each town: it crosses the road without joining it.
    for tx in range(towns[0]):
        for ty in range(towns[1]):
            bx = x0 + (tx * COLS + 2.5) * BLOCK_M
            by = y0 + (ty * ROWS + 3) * BLOCK_M
            rows.append({"highway": "footway", "bridge": True, "layer": 1, "name": "人行天桥",
                         "geometry": LineString([(bx, by - 40), (bx, by + 40)])})
    roads = gpd.GeoDataFrame(rows, crs=DEMO_CRS)
    roads["bridge"] = roads["bridge"].fillna(False).astype(bool)
    roads["layer"] = roads["layer"].fillna(0).astype(int)
    names = {"primary": "大道", "secondary": "街", "residential": "路"}
    roads["name"] = roads["name"].fillna(pd.Series([f"{NAMES[i % len(NAMES)]}{names.get(h, '')}"
                                                    for i, h in enumerate(roads["highway"])]))
    return roads


def _estate_paths(block: shapely.Polygon) -> list[LineString]:
    """A cross of estate paths from the middle of a community to its four sides' roads."""
    minx, miny, maxx, maxy = block.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return [LineString([(cx, miny - 10), (cx, maxy + 10)]), LineString([(minx - 10, cy), (maxx + 10, cy)])]


def build_demo_project(*, seed: int = 20240409, towns: tuple[int, int] = (1, 1),
                       origin_lonlat: tuple[float, float] = ORIGIN_LONLAT, name: str | None = None) -> Project:
    """Build the demo project in memory (metric CRS EPSG:32652, city harbin).

    Parameters
    ----------
    seed
        Random seed of the building years and storeys.
    towns
        (columns, rows) copies of the 1.6 km × 1.2 km town pattern side by side (40 communities each) under
        one road grid: a larger synthetic city for batch runs and benchmarks. (1, 1) is the bundled demo.
    origin_lonlat
        South-west corner of the town, degrees (inside UTM zone 52N).
    name
        Project name; the demo's by default.
    """
    rng = np.random.default_rng(seed)
    standards = load_standards()
    x0, y0 = _origin(origin_lonlat)
    x0, y0 = round(x0, -1), round(y0, -1)
    roads = _roads(x0, y0, towns)
    inset = 12.0  # half a road corridor

    community_rows, building_rows, path_lines, green_rows, landuse_rows = [], [], [], [], []
    boiler_rows, idle_rows, public_rows, facility_rows, admin_rows = [], [], [], [], []
    for tx, ty in ((tx, ty) for ty in range(towns[1]) for tx in range(towns[0])):
        town_x, town_y = x0 + tx * COLS * BLOCK_M, y0 + ty * ROWS * BLOCK_M
        copy = tx + ty * towns[0]
        blocks = {(c, r): box(town_x + c * BLOCK_M + inset, town_y + r * BLOCK_M + inset,
                              town_x + (c + 1) * BLOCK_M - inset, town_y + (r + 1) * BLOCK_M - inset)
                  for c in range(COLS) for r in range(ROWS)}
        first = len(community_rows)
        community_blocks = [k for k in sorted(blocks) if k not in SPECIAL_BLOCKS]
        for n, key in enumerate(community_blocks, start=first):
            block = blocks[key]
            cid = f"C{n + 1:03d}"
            name_n = n - first
            label = f"{NAMES[name_n % len(NAMES)]}{'小区' if name_n < len(NAMES) else '家园'}"
            label = f"{label}{copy + 1}" if copy else label
            built = int(rng.choice([1978, 1983, 1986, 1989, 1992, 1995, 1998, 2003, 2008],
                                   p=[.08, .12, .16, .16, .16, .12, .10, .06, .04]))
            minx, miny, maxx, maxy = block.bounds
            # Walk-up slabs 60 m × 12 m in rows facing south, spaced for winter sun (≈1.7 H).
            floors = int(rng.integers(4, 8))
            spacing = 12 + 1.7 * floors * 3.0
            n_rows = max(1, int((maxy - miny - 20) // spacing))
            for row in range(n_rows):
                for col in range(2):
                    bx = minx + 14 + col * 86
                    by = miny + 12 + row * spacing
                    building_rows.append({"floors": float(floors + rng.integers(-1, 1)), "use": "residential",
                                          "built_year": built, "geometry": box(bx, by, bx + 60, by + 12)})
            path_lines.extend(_estate_paths(block))
            community_rows.append({"feature_id": cid, "name": label, "built_year": built, "area_type": "city",
                                   "households": np.nan, "population": np.nan, "geometry": block})
            landuse_rows.append({"lu_code": "070102", "lu_code_planned": "070102", "name": label,
                                 "geometry": block})
            # Concentrated block green between the middle rows.
            green_rows.append({"green_type": "block_green", "name": f"{label}中心绿地", "is_public": False,
                               "geometry": box(minx + 76, miny + 20, minx + 98, maxy - 20)})
        town_communities = community_rows[first:]
        # Two communities of each town carry surveyed households; the rest are estimated from their buildings.
        for n, (households, population) in [(0, (330.0, 858.0)), (5, (290.0, 754.0))]:
            town_communities[n].update(households=households, population=population)

        for key, kind in sorted(SPECIAL_BLOCKS.items()):
            block = blocks[key]
            minx, miny, maxx, maxy = block.bounds
            cx, cy = block.centroid.x, block.centroid.y
            if kind == "school":
                landuse_rows.append({"lu_code": "080403", "lu_code_planned": "080403", "name": "中小学",
                                     "geometry": block})
                facility_rows.append({"category": "school", "name": f"第{len(facility_rows) + 1}中学",
                                      "geometry": Point(cx, cy)})
                building_rows.append({"floors": 4.0, "use": "school",
                                      "geometry": box(cx - 40, cy, cx + 40, cy + 15)})
            elif kind == "park":
                green_rows.append({"green_type": "park", "name": f"{NAMES[key[0] + 10]}公园", "is_public": True,
                                   "geometry": block})
                landuse_rows.append({"lu_code": "1401", "lu_code_planned": "1401", "name": "公园绿地",
                                     "geometry": block})
                facility_rows.append({"category": "sports", "name": "全民健身场地", "geometry": Point(cx, cy - 40)})
            elif kind == "idle":
                parcel = box(minx + 10, miny + 10, minx + 90, miny + 90)
                idle_rows.append({"name": f"闲置地块{len(idle_rows) + 1}", "lu_code": "2301", "status": "idle",
                                  "ownership": "government", "geometry": parcel})
                landuse_rows.append({"lu_code": "2301", "lu_code_planned": "0702", "name": "空闲地",
                                     "geometry": parcel})
                landuse_rows.append({"lu_code": "0701", "lu_code_planned": "0701", "name": "城镇住宅用地",
                                     "geometry": block.difference(parcel)})
            elif kind == "public":
                footprint = box(cx - 30, cy - 12, cx + 30, cy + 12)
                public_rows.append({"name": "原街道办公楼", "status": "idle", "ownership": "government",
                                    "floors": 3.0, "geometry": footprint})
                public_rows.append({"name": "社区用房", "status": "in_service", "ownership": "government",
                                    "floors": 2.0,
                                    "geometry": box(minx + 10, miny + 10, minx + 40, miny + 30)})
                landuse_rows.append({"lu_code": "0801", "lu_code_planned": "0801", "name": "机关团体用地",
                                     "geometry": block})
                facility_rows.append({"category": "community_public_service", "name": "街道社区服务中心",
                                      "geometry": Point(minx + 25, miny + 20)})
            elif kind == "market":
                landuse_rows.append({"lu_code": "090101", "lu_code_planned": "090101", "name": "零售商业用地",
                                     "geometry": block})
                facility_rows.append({"category": "shop_other", "name": "百货商店", "geometry": Point(cx, cy)})

        # Boiler rooms of the old district heating, on small utility parcels cut from four communities.
        for n, status in [(3, "decommissioned"), (12, "decommissioned"), (20, "in_service"), (31, "unknown")]:
            minx, miny, maxx, maxy = town_communities[n]["geometry"].bounds
            footprint = box(maxx - 34, maxy - 26, maxx - 4, maxy - 4)
            boiler_rows.append({"name": f"{town_communities[n]['name']}锅炉房", "status": status,
                                "geometry": footprint})
            landuse_rows.append({"lu_code": "1305", "lu_code_planned": "1305", "name": "供热用地",
                                 "geometry": footprint.buffer(4, join_style="mitre")})
            building_rows.append({"floors": 1.0, "use": "boiler_room", "geometry": footprint})

        # Existing facilities inside communities; elderly care, markets and health stations are left out.
        for n, category, label in [(2, "kindergarten", "红星幼儿园"), (25, "kindergarten", "阳光幼儿园"),
                                   (7, "clinic", "社区卫生服务站"), (14, "community_public_service", "社区居委会"),
                                   (28, "community_public_service", "社区服务站"), (9, "convenience", "便利店"),
                                   (33, "convenience", "便利店"), (18, "culture", "文化活动站"),
                                   (22, "hospital", "区人民医院"), (37, "playground", "儿童游乐场")]:
            minx, miny, _, _ = town_communities[n % len(town_communities)]["geometry"].bounds
            facility_rows.append({"category": category, "name": label, "geometry": Point(minx + 8, miny + 6)})

        suffix = f"{copy + 1}" if copy else ""
        town = box(town_x, town_y, town_x + COLS * BLOCK_M, town_y + ROWS * BLOCK_M)
        west = box(town_x, town_y, town_x + 4 * BLOCK_M, town_y + ROWS * BLOCK_M)
        admin_rows += [{"name": f"和平路街道{suffix}", "admin_level": 8, "geometry": west.intersection(town)},
                       {"name": f"革新街道{suffix}", "admin_level": 8,
                        "geometry": box(town_x + 4 * BLOCK_M, town_y, town_x + COLS * BLOCK_M,
                                        town_y + ROWS * BLOCK_M)}]

    communities = gpd.GeoDataFrame(community_rows, crs=DEMO_CRS)
    admin = gpd.GeoDataFrame(admin_rows, crs=DEMO_CRS)

    paths = gpd.GeoDataFrame({"highway": "footway", "bridge": False, "layer": 0, "name": "小区内部道路"},
                             index=range(len(path_lines)), geometry=path_lines, crs=DEMO_CRS)
    network = pd.concat([roads, paths], ignore_index=True)
    network["walkable"] = True
    network["tunnel"] = False

    buildings = gpd.GeoDataFrame(building_rows, crs=DEMO_CRS)
    buildings["height_m"] = buildings["floors"] * standards.settings.estimation.floor_height_m
    buildings["floors_estimated"] = False
    buildings["height_estimated"] = False
    buildings["built_year"] = buildings["built_year"].astype("Int64")
    buildings["community_id"] = assign_buildings(buildings, communities)
    communities, _ = estimate_communities(communities, buildings, standards.settings.estimation)
    communities["built_year"] = communities["built_year"].astype("Int64")

    def layer(rows_or_frame, prefix: str) -> gpd.GeoDataFrame:
        frame = (rows_or_frame if isinstance(rows_or_frame, gpd.GeoDataFrame)
                 else gpd.GeoDataFrame(rows_or_frame, crs=DEMO_CRS))
        frame = frame.reset_index(drop=True)
        if "feature_id" not in frame:
            frame.insert(0, "feature_id", [f"{prefix}{i + 1:03d}" for i in range(len(frame))])
        return frame

    def with_area(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame["area_m2"] = shapely.area(frame.geometry.values).round(1)
        return frame

    project = Project(city="harbin", crs=DEMO_CRS, name=name or "演示老城区（合成数据）")
    for role, frame in [("communities", layer(communities, "C")), ("buildings", layer(buildings, "B")),
                        ("walk_network", layer(network, "W")), ("facilities", layer(facility_rows, "F")),
                        ("green_space", layer(green_rows, "G")), ("landuse", layer(landuse_rows, "L")),
                        ("idle_land", with_area(layer(idle_rows, "I"))),
                        ("boiler_rooms", with_area(layer(boiler_rows, "K"))),
                        ("public_buildings", with_area(layer(public_rows, "P"))),
                        ("admin_boundaries", layer(admin, "A"))]:
        project.set_layer(role, frame, source={"file": "gisplanner/demo.py", "layer": role,
                                               "source_crs": DEMO_CRS.to_string(), "synthetic": True})
    return project


def default_demo_path() -> Path:
    """The bundled demo project in the repository's ``layers/`` folder."""
    return Path(__file__).resolve().parents[1] / "layers" / "demo_oldtown.gpkg"
