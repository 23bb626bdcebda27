import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisplanner.io.estimate import assign_buildings, estimate_buildings, estimate_communities
from gisplanner.standards import load_standards

P = load_standards().settings.estimation  # 6 floors, 3 m, 80 m²/household, 2.6 persons, FAR 1.2


def _buildings(floors, heights, boxes, use=None):
    return gpd.GeoDataFrame({"floors": floors, "height_m": heights,
                             "use": use or ["residential"] * len(boxes)},
                            geometry=[shapely.box(*b) for b in boxes], crs=32652)


def test_missing_floors_take_the_default_and_heights_follow_the_floors():
    b = _buildings([np.nan, 4.0], [np.nan, np.nan], [(0, 0, 10, 20), (20, 0, 30, 20)])
    out, findings = estimate_buildings(b, P)
    assert out["floors"].tolist() == [6.0, 4.0]
    assert out["height_m"].tolist() == [18.0, 12.0]
    assert out["floors_estimated"].tolist() == [True, False]
    assert out["height_estimated"].tolist() == [True, True]
    messages = sorted(f.message for f in findings)
    assert messages[0].startswith("1 个要素的层数为估算值") and messages[1].startswith("2 个要素的高度（m）为估算值")
    assert all(f.code == "value_estimated" and f.feature is None for f in findings)


def test_floors_come_from_a_known_height():
    out, _ = estimate_buildings(_buildings([np.nan], [9.2], [(0, 0, 10, 10)]), P)
    assert out["floors"].tolist() == [3.0] and out["height_m"].tolist() == [9.2]
    assert out["height_estimated"].tolist() == [False]


def _communities(households=(np.nan, np.nan), population=(np.nan, np.nan)):
    return gpd.GeoDataFrame({"feature_id": ["a", "b"], "households": list(households),
                             "population": list(population)},
                            geometry=[shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 50)], crs=32652)


def test_buildings_are_assigned_to_the_community_holding_them():
    b = _buildings([6.0, 6.0, 6.0], [18.0] * 3, [(10, 10, 20, 30), (250, 10, 260, 20), (500, 0, 510, 10)])
    ids = assign_buildings(b, _communities())
    assert ids.iloc[:2].tolist() == ["a", "b"] and pd.isna(ids.iloc[2])


def test_households_from_residential_floor_area_of_the_buildings():
    b = _buildings([6.0, 5.0, 2.0], [18.0, 15.0, 6.0], [(10, 10, 20, 30), (30, 10, 50, 30), (60, 60, 70, 70)],
                   use=["residential", "residential", "retail"])
    b["community_id"] = ["a", "a", "a"]
    out, findings = estimate_communities(_communities(), b, P)
    residential = 200 * 6 + 400 * 5  # footprint m² × floors; the shop does not count
    assert out.loc[0, "households"] == pytest.approx(residential / 80)
    assert out.loc[0, "population"] == pytest.approx(residential / 80 * 2.6)
    assert out.loc[0, "floor_area_m2"] == pytest.approx(residential + 100 * 2)
    assert out.loc[0, "n_buildings"] == 3
    # community b has no buildings: area × FAR ÷ area per household
    assert out.loc[1, "households"] == pytest.approx(100 * 50 * 1.2 / 80)
    assert out["households_estimated"].tolist() == [True, True]
    assert len([f for f in findings if "个要素的户数为估算值" in f.message]) == 2


def test_known_population_gives_the_households_and_known_values_are_kept():
    out, _ = estimate_communities(_communities(households=(50.0, np.nan), population=(np.nan, 260.0)), None, P)
    assert out["households"].tolist() == [50.0, pytest.approx(100.0)]
    assert out["population"].tolist() == [pytest.approx(130.0), 260.0]
    assert out["households_estimated"].tolist() == [False, True]
    assert out["population_estimated"].tolist() == [True, False]
