import math

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from gisplanner.analysis import green
from gisplanner.errors import InputError

CRS = "EPSG:32652"


def _green(rows):
    """rows: (feature_id, geometry, is_public, name)."""
    return gpd.GeoDataFrame(
        {"feature_id": [r[0] for r in rows], "is_public": [r[2] for r in rows],
         "name": [r[3] for r in rows], "green_type": "park"},
        geometry=[r[1] for r in rows], crs=CRS)


def _communities(rows):
    """rows: (feature_id, geometry, population)."""
    return gpd.GeoDataFrame({"feature_id": [r[0] for r in rows], "population": [r[2] for r in rows]},
                            geometry=[r[1] for r in rows], crs=CRS)


def test_thin_park_width_is_its_short_side():
    assert green.inscribed_width([box(0, 0, 6, 200)])[0] == pytest.approx(6.0, abs=0.02)


def test_width_of_l_shape_is_its_wider_arm():
    # An L of a 10 m arm and a 30 m arm: the largest inscribed circle sits in the 30 m arm.
    ell = box(0, 0, 10, 100).union(box(0, 0, 100, 30))
    assert green.inscribed_width([ell])[0] == pytest.approx(30.0, abs=0.02)


def test_wide_part_drops_strips_narrower_than_the_width():
    assert green.wide_part(box(0, 0, 6, 200), 8.0).area == pytest.approx(0.0)


def test_wide_part_of_a_square_loses_only_its_corners():
    # Opening a 20 m square with an 8 m disc rounds each corner: area 400 - (4 - pi) r², r = 4.
    expected = 400 - (4 - math.pi) * 16
    assert green.wide_part(box(0, 0, 20, 20), 8.0).area == pytest.approx(expected, rel=1e-3)


def test_public_parks_merge_touching_public_pieces_and_skip_private_green():
    layer = _green([("a", box(0, 0, 100, 100), True, "东园"), ("b", box(100, 0, 150, 100), True, ""),
                    ("c", box(300, 0, 400, 100), False, "private")])
    parks = green.public_parks(layer)
    assert len(parks) == 1
    assert parks.iloc[0]["area_m2"] == pytest.approx(15000)
    assert parks.iloc[0]["source_ids"] == "a,b"
    assert parks.iloc[0]["name"] == "东园"
    assert parks.iloc[0]["width_m"] == pytest.approx(100, abs=0.05)


def test_cut_parks_equals_merging_the_cut_green_again():
    layer = _green([("a", box(0, 0, 100, 100), True, "东园"), ("b", box(100, 0, 150, 100), True, ""),
                    ("c", box(300, 0, 400, 100), True, "西园")])
    footprint = box(90, -10, 110, 110)  # splits 东园 into a 90 m and a 40 m wide piece
    parks = green.public_parks(layer)
    cut = green.cut_parks(parks, footprint)
    again = green.public_parks(green.remove_footprint(layer, footprint))
    assert sorted(cut["area_m2"].round(6)) == sorted(again["area_m2"].round(6))
    assert sorted(cut["width_m"].round(2)) == sorted(again["width_m"].round(2))
    assert sorted(cut["park_id"]) == ["park-0/1", "park-0/2", "park-1"]


def test_cut_parks_keeps_parks_the_footprint_misses():
    parks = green.public_parks(_green([("a", box(0, 0, 100, 100), True, "东园")]))
    cut = green.cut_parks(parks, box(200, 0, 210, 10))
    assert cut["park_id"].tolist() == ["park-0"] and cut["area_m2"].tolist() == pytest.approx([10000])


def test_park_level_is_the_largest_level_met_on_both_size_and_width():
    levels = green.park_levels(np.array([60000, 60000, 5000, 3000]), np.array([90, 60, 35, 35]),
                               min_area_m2={"lc15": 50000, "lc10": 10000, "lc5": 4000},
                               min_width_m={"lc15": 80, "lc10": 50, "lc5": 30})
    assert levels.tolist() == ["lc15", "lc10", "lc5", None]


def test_population_within_shares_by_area():
    comms = _communities([("c1", box(0, 0, 100, 100), 1000.0), ("c2", box(100, 0, 200, 100), 400.0)])
    # Covers all of c1 and a quarter of c2.
    assert green.population_within(comms, box(0, 0, 125, 100)) == pytest.approx(1000 + 100)


def test_per_capita_public_green_counts_only_each_levels_own_parks():
    parks = gpd.GeoDataFrame({"level": ["lc10", "lc5", "lc5"]},
                             geometry=[box(0, 0, 100, 100), box(200, 0, 260, 100), box(300, 0, 370, 100)],
                             crs=CRS)
    comms = _communities([("c1", box(0, -500, 1000, 500), 12000.0)])
    # lc5 catchment cuts the second lc5 park in half (x 300..335): 6000 + 3500 m².
    table = green.per_capita_public_green(parks, comms, {"lc10": box(0, -500, 1000, 500),
                                                          "lc5": box(0, -500, 335, 500)})
    assert table.loc["lc10", "green_m2"] == pytest.approx(10000)
    assert table.loc["lc10", "m2_per_person"] == pytest.approx(10000 / 12000)
    assert table.loc["lc5", "green_m2"] == pytest.approx(9500)
    assert table.loc["lc5", "population"] == pytest.approx(12000 * 0.335)
    assert table.loc["lc5", "m2_per_person"] == pytest.approx(9500 / (12000 * 0.335))


def test_per_capita_is_nan_where_nobody_lives():
    parks = gpd.GeoDataFrame({"level": ["lc5"]}, geometry=[box(0, 0, 10, 10)], crs=CRS)
    comms = _communities([("c1", box(1000, 1000, 1100, 1100), 50.0)])
    table = green.per_capita_public_green(parks, comms, {"lc5": box(0, 0, 100, 100)})
    assert np.isnan(table.loc["lc5", "m2_per_person"])


@pytest.mark.parametrize(("value", "old", "expected"), [
    (1.0, True, "pass"), (0.7, True, "below_table"), (0.69, True, "fail"), (0.9, False, "fail")])
def test_green_verdict_against_table_and_old_area_floor(value, old, expected):
    assert green.green_verdict(value, 1.0, old_area=old, old_area_floor_ratio=0.7) == expected


def test_remove_footprint_cuts_the_green_and_drops_covered_pieces():
    layer = _green([("a", box(0, 0, 100, 100), True, ""), ("b", box(200, 0, 210, 10), True, "")])
    after = green.remove_footprint(layer, box(50, 0, 220, 100))
    assert after["feature_id"].tolist() == ["a"]
    assert after.area.sum() == pytest.approx(5000)


def test_block_concentrated_green_counts_only_parts_wide_enough():
    layer = _green([("sq", box(10, 10, 30, 30), False, ""), ("strip", box(50, 0, 55, 100), False, "")])
    block = box(0, 0, 100, 100)
    concentrated = green.block_concentrated_green(layer, block, min_width_m=8.0)
    assert concentrated.area == pytest.approx(400 - (4 - math.pi) * 16, rel=1e-3)


def test_block_concentrated_green_is_clipped_to_the_block():
    # The 20 x 40 m part inside the block, its four corners rounded by the 4 m disc.
    layer = _green([("sq", box(-20, 0, 20, 40), False, "")])
    assert green.block_concentrated_green(layer, box(0, 0, 100, 100), min_width_m=8.0).area == \
        pytest.approx(20 * 40 - (4 - math.pi) * 16, rel=1e-3)


def test_green_ratio_is_green_inside_the_block_over_block_area():
    layer = _green([("a", box(0, 0, 30, 100), False, ""), ("b", box(20, 0, 40, 100), True, ""),
                    ("out", box(500, 0, 600, 100), True, "")])
    # Overlapping pieces count once: 40 x 100 of a 100 x 100 block.
    assert green.green_ratio(layer, box(0, 0, 100, 100)) == pytest.approx(0.40)


def test_green_ratio_of_a_block_without_area_is_an_input_error():
    with pytest.raises(InputError):
        green.green_ratio(_green([("a", box(0, 0, 1, 1), True, "")]), Point(0, 0))


def test_average_floors_weights_by_footprint_and_skips_non_residential():
    buildings = gpd.GeoDataFrame(
        {"floors": [6.0, 2.0, 20.0], "use": ["residential", "residential", "school"]},
        geometry=[box(0, 0, 10, 30), box(20, 0, 30, 10), box(50, 0, 60, 10)], crs=CRS)
    # (300 * 6 + 100 * 2) / 400
    assert green.average_floors(buildings) == pytest.approx(5.0)


def test_average_floors_names_the_missing_column():
    with pytest.raises(InputError, match="floors"):
        green.average_floors(gpd.GeoDataFrame({"use": ["residential"]}, geometry=[box(0, 0, 1, 1)], crs=CRS))
