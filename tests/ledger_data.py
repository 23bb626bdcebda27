"""A small ledger project built in code: six communities in a row, three districts, one placed facility.

Shared by tests/ledger and the ledger and review panel tests in tests/ui (tests/ is on the import path).
"""

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from gisplanner.ledger import normalise
from gisplanner.project import Project

CRS = "EPSG:32652"  # UTM 52N, central Harbin
X0, Y0 = 315_000.0, 5_070_000.0
#: id, name, households, buildings, floor area m², built year; c5 is built after 2000, c6 after 2005.
ROWS = [("c1", "和平小区", 400.0, 6, 30_000.0, 1985), ("c2", "革新小区", 300.0, 4, 22_000.0, 1990),
        ("c3", "奋斗小区", 500.0, 7, 40_000.0, 1995), ("c4", "文化小区", 200.0, 3, 15_000.0, 1998),
        ("c5", "花园小区", 200.0, 3, 14_000.0, 2003), ("c6", "芦家小区", 150.0, 2, 10_000.0, 2008)]


def communities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"feature_id": [r[0] for r in ROWS], "name": [r[1] for r in ROWS], "households": [r[2] for r in ROWS],
         "population": [r[2] * 2.6 for r in ROWS], "households_estimated": False, "population_estimated": False,
         "n_buildings": [r[3] for r in ROWS], "floor_area_m2": [r[4] for r in ROWS],
         "built_year": pd.array([r[5] for r in ROWS], dtype="Int64"), "area_type": "city"},
        geometry=[box(X0 + 110 * i, Y0, X0 + 110 * i + 100, Y0 + 100) for i in range(len(ROWS))], crs=CRS)


def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district_id": ["D1", "D2", "D3"], "name": ["和平片区", "奋斗片区", "花园片区"], "n_communities": [2, 2, 1],
         "households": [700.0, 700.0, 200.0]},
        geometry=[box(X0, Y0, X0 + 210, Y0 + 100), box(X0 + 220, Y0, X0 + 430, Y0 + 100),
                  box(X0 + 440, Y0, X0 + 540, Y0 + 100)], crs=CRS)


def members() -> pd.DataFrame:
    return pd.DataFrame({"district_id": ["D1", "D1", "D2", "D2", "D3"],
                         "community_id": ["c1", "c2", "c3", "c4", "c5"],
                         "community_name": ["和平小区", "革新小区", "奋斗小区", "文化小区", "花园小区"]})


def gaps() -> pd.DataFrame:
    """Three gap entries in c1, one in c3."""
    return pd.DataFrame({"community_id": ["c1", "c1", "c1", "c3"],
                         "facility_type": ["kindergarten", "elderly_daycare", "community_canteen", "kindergarten"],
                         "level": ["lc5", "lc10", "lc15", "lc5"], "distance_m": [700.0, 1200.0, 1500.0, 400.0],
                         "shortfall_m": [400.0, 700.0, 500.0, 100.0], "population": [1040.0, 1040.0, 1040.0, 1300.0],
                         "population_estimated": False})


def placed() -> list[dict]:
    return [{"facility_id": "P1", "facility_type": "kindergarten", "name": "锅炉房改建幼儿园",
             "intervention": "conversion", "site": None, "footprint": box(X0 + 20, Y0 + 20, X0 + 50, Y0 + 50).wkt,
             "overall": "consultation", "needs_consultation": True,
             "verdicts": {"size_site": "pass", "sunlight_neighbours": "consult", "land_use": "pass"},
             "created": "2026-11-23T12:00:00+00:00"}]


def ledger(changes: dict | None = None) -> pd.DataFrame:
    """Three district projects of the 2025 plan with every precondition met; ``changes`` = {(row, column): v}."""
    frame = pd.DataFrame({
        "project_id": ["D1", "D2", "D3"], "name": ["和平片区", "奋斗片区", "花园片区"], "kind": "district",
        "members": ["c1;c2", "c3;c4", "c5"], "street": ["和平街道", "奋斗街道", "和平街道"], "phase": "planning",
        "plan_year": 2025, "consent_share": 0.8, "consent_date": "2025-03-01", "resident_funding_agreed": True,
        "owners_committee_formed": True, "management_model": "专业物业服务", "central_subsidy_before": False,
        "elevators": [2, 0, 0], "contact": "和平街道 张工 0451-00000000"})
    for (row, column), value in (changes or {}).items():
        frame.loc[row, column] = value
    return normalise(frame)


def project(city: str = "harbin") -> Project:
    p = Project(city=city, crs=CRS, name="测试")
    p.set_layer("communities", communities())
    p.store_results({"districts": districts(), "district_members": members(), "gaps": gaps()})
    p.placed_facilities = placed()
    p.tables["ledger"] = ledger()
    return p
