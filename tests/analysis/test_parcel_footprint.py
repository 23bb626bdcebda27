"""A facility on a parcel is a building on the parcel: sized from its floor area, placed to shade least."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity

from gisplanner.analysis.parcel_footprint import (
    LEAST_SHADOW,
    SOUTH_MOST,
    building_in_parcel,
    footprint_record,
)
from gisplanner.analysis.sunlight import shadow_sweep, sun_for
from gisplanner.errors import InputError
from gisplanner.standards import load_standards

CRS = "EPSG:32652"
STANDARDS = load_standards()
SUN = sun_for(STANDARDS.sunlight.requirement("harbin"), 45.75, 126.63, year=2026, step_min=5)
PARCEL = shapely.box(0, 0, 100, 60)  # 6,000 m², long side east–west
# A block of flats just north of the parcel's west half: a 30 m building shades some 80 m northwards.
FLATS = gpd.GeoDataFrame(geometry=[shapely.box(0, 65, 45, 77)], crs=CRS)


def test_the_footprint_is_the_floor_area_over_the_floors_inside_the_parcel():
    placed = building_in_parcel(PARCEL, 1200 / 2, 7.0, SUN)
    assert placed.area_m2 == pytest.approx(600.0)
    assert placed.footprint.area == pytest.approx(600.0)
    assert placed.footprint.within(PARCEL.buffer(1e-6))
    assert placed.width_m == pytest.approx(2 * placed.depth_m)  # 2:1 along the parcel's long side
    assert placed.footprint.area < PARCEL.area / 9


def test_on_a_turned_parcel_the_footprint_follows_its_long_side():
    parcel = shapely.affinity.rotate(PARCEL, 30, origin=(0, 0))
    placed = building_in_parcel(parcel, 600, 7.0, SUN)
    assert placed.footprint.within(parcel.buffer(1e-6))
    assert placed.angle_deg % 180 == pytest.approx(30.0)
    assert placed.footprint.area == pytest.approx(600.0)


def test_without_dwellings_it_stands_at_the_south_edge():
    placed = building_in_parcel(PARCEL, 600, 7.0, SUN)
    assert placed.chosen_by == SOUTH_MOST
    assert placed.footprint.bounds[1] == pytest.approx(0.0, abs=5.0)  # within one grid step of the south edge
    assert placed.side.startswith("南") or placed.side.endswith("南部")


def test_its_shadow_is_no_larger_than_at_any_position_of_a_brute_force_sweep():
    placed = building_in_parcel(PARCEL, 600, 30.0, SUN, dwellings=FLATS, step_m=10.0)
    assert placed.chosen_by == LEAST_SHADOW
    home = FLATS.geometry.iloc[0]
    # the reported shadow is the one of the footprint itself, swept again from scratch
    own = shapely.intersection(shadow_sweep(placed.footprint, 30.0, SUN, every_min=10), home).area
    assert placed.shaded_m2 == pytest.approx(own, abs=1e-6)
    # every position of the same rectangle on a 10 m grid over the parcel, each shadow swept on its own
    rect = shapely.box(-placed.width_m / 2, -placed.depth_m / 2, placed.width_m / 2, placed.depth_m / 2)
    shaded = []
    for x in np.arange(0, 110, 10.0):
        for y in np.arange(0, 70, 10.0):
            candidate = shapely.affinity.translate(rect, x, y)
            if candidate.within(PARCEL.buffer(1e-6)):
                shaded.append(shapely.intersection(shadow_sweep(candidate, 30.0, SUN, every_min=10), home).area)
    assert len(shaded) == placed.positions
    assert placed.shaded_m2 <= min(shaded) + 1e-6
    # the naive spot, the parcel's north-west corner, shades the flats far more
    corner = shapely.box(0, 60 - placed.depth_m, placed.width_m, 60)
    assert placed.shaded_m2 < shapely.intersection(shadow_sweep(corner, 30.0, SUN, every_min=10), home).area / 1.5


def test_a_footprint_larger_than_the_parcel_is_refused_naming_the_parcel_and_the_fix():
    with pytest.raises(InputError) as err:
        building_in_parcel(PARCEL, 7000, 3.0, SUN, layer="idle_land", feature="L7")
    assert err.value.feature == "L7" and err.value.layer == "idle_land"
    assert "地块“L7”" in err.value.message and "7,000" in err.value.message and "6,000" in err.value.message
    assert "--floors" in err.value.fix and "--gfa" in err.value.fix


def test_a_parcel_too_thin_for_the_footprint_is_refused():
    strip = shapely.box(0, 0, 300, 8)  # 2,400 m² but 8 m deep: no 2,000 m² rectangle up to 3:1 fits
    with pytest.raises(InputError, match="放不下") as err:
        building_in_parcel(strip, 2000, 3.0, SUN, layer="idle_land", feature="L8")
    assert "--floors" in err.value.fix


def test_the_record_states_area_floors_height_and_why():
    placed = building_in_parcel(PARCEL, 600, 30.0, SUN, dwellings=FLATS)
    record = footprint_record(placed, site="空闲地 L1", parcel_area_m2=PARCEL.area, gfa_m2=6000, floors=10,
                              height_m=30.0, gfa_from_catalogue=False)
    assert (record["area_m2"], record["floors"], record["height_m"]) == (pytest.approx(600.0), 10.0, 30.0)
    assert (record["centre_x"], record["centre_y"]) == pytest.approx(tuple(placed.footprint.centroid.coords[0]))
    for words in ("建筑面积6,000平方米÷10层＝占地600平方米", "高30.0米", "遮挡最少", "空闲地 L1（6,000平方米）内"):
        assert words in record["text"]
