"""Sill sunlight hours, before/after impact and area sunlight on small layouts built in code.

The reference for hours is a brute force independent of the engine's edge pairs: a point is shaded at a
step when the segment from it towards the sun, as long as the horizontal run over which the ray stays below
a building's roof, meets that building's footprint (shapely.intersects).
"""

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from gisplanner.analysis.sun import standard_day, sun_path
from gisplanner.analysis.sunlight import (
    area_sunlight,
    count_hours,
    ground_hours,
    requirement_for,
    shadow_polygon,
    shadow_sweep,
    sun_for,
    sunlight_hours,
    sunlight_impact,
)
from gisplanner.errors import CancelledError, ConfigError, InputError
from gisplanner.progress import Progress
from gisplanner.standards import load_standards

LAT, LON = 31.3, 120.6  # Suzhou
CRS = 32651


@pytest.fixture(scope="module")
def rules():
    return load_standards().sunlight


@pytest.fixture(scope="module")
def national(rules):
    return rules.requirement("suzhou")  # 大寒, 2 h, 08–16, cumulative


@pytest.fixture(scope="module")
def sun(national):
    return sun_for(national, LAT, LON, year=2026)


def layer(*specs, use=None):
    """Buildings from (geometry, height) pairs."""
    geoms, heights = zip(*specs)
    frame = gpd.GeoDataFrame({"feature_id": [f"b{i}" for i in range(len(geoms))], "height_m": heights},
                             geometry=list(geoms), crs=CRS)
    if use is not None:
        frame["use"] = use
    return frame


def stacked(a, b):
    """Two building layers as one, with fresh feature ids."""
    out = gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), crs=a.crs)
    out["use"] = out["use"].fillna("residential") if "use" in out else "residential"
    out["feature_id"] = [f"b{i}" for i in range(len(out))]
    return out


def reference_lit(buildings, x, y, z, facade_azimuth, sun):
    """(points × steps) lit array by brute force with shapely; ``facade_azimuth`` None for ground points."""
    alt, az = np.radians(sun.altitude_deg), np.radians(sun.azimuth_deg)
    lit = np.zeros((len(x), len(alt)), dtype=bool)
    for i, (a, s) in enumerate(zip(alt, az)):
        if a <= 0:
            continue
        dx, dy = np.sin(s), np.cos(s)
        facing = True if facade_azimuth is None else np.cos(s - np.radians(facade_azimuth)) > 0
        shaded = np.zeros(len(x), dtype=bool)
        for geom, height in zip(buildings.geometry, buildings.height_m):
            run = np.maximum(height - z, 0.0) / np.tan(a)
            rays = shapely.linestrings(np.stack([np.stack([x, y], 1), np.stack([x + run * dx, y + run * dy], 1)], 1))
            shaded |= (run > 0) & shapely.intersects(rays, geom)
        lit[:, i] = facing & ~shaded
    return lit


def reference_hours(buildings, points, sun):
    lit = reference_lit(buildings, points.geometry.x.to_numpy(), points.geometry.y.to_numpy(),
                        points.z_m.to_numpy(), points.facade_azimuth.to_numpy(), sun)
    return lit.sum(axis=1) * sun.step_min / 60.0


# ------------------------------------------------------------------------------------------- counting
def loop_count(row, step, min_seg, max_seg):
    runs, n = [], 0
    for v in list(row) + [False]:
        if v:
            n += 1
        elif n:
            runs.append(n * step)
            n = 0
    runs = sorted((r for r in runs if r >= min_seg), reverse=True)
    if max_seg is not None:
        runs = runs[:max_seg]
    return sum(runs) / 60.0, len(runs)


@pytest.mark.parametrize(("min_seg", "max_seg"), [(0, None), (5, None), (30, None), (0, 1), (0, 2), (5, 2)])
def test_count_hours_matches_a_loop_over_segments(min_seg, max_seg):
    lit = np.random.default_rng(1).random((50, 120)) < 0.8
    hours, segments = count_hours(lit, 1.0, min_segment_min=min_seg, max_segments=max_seg)
    expected = [loop_count(row, 1.0, min_seg, max_seg) for row in lit]
    np.testing.assert_allclose(hours, [h for h, _ in expected])
    np.testing.assert_array_equal(segments, [s for _, s in expected])


def test_min_segment_drops_short_segments():
    # Segments of 3, 10 and 40 min at a 1-minute step.
    row = np.zeros(100, dtype=bool)
    row[0:3] = row[10:20] = row[50:90] = True
    hours, segments = count_hours(row[None, :], 1.0, min_segment_min=5)
    assert hours[0] == pytest.approx(50 / 60)
    assert segments[0] == 2


# ------------------------------------------------------------------------------------------- geometry
def test_south_window_behind_a_long_slab_matches_closed_form(sun, national):
    height, distance = 20.0, 25.0
    window = shapely.box(-5, 0, 5, 8)
    slab = shapely.box(-2000, -distance - 12, 2000, -distance)
    points = sunlight_hours(layer((window, 3.0), (slab, height), use=["residential", "office"]), sun, national)
    south = points[(points.facade_azimuth == 180.0)]
    assert len(south) == 10
    # Lit while the sun's profile angle tan(alt)/cos(az - 180°) clears the slab's top edge.
    profile = np.tan(np.radians(sun.altitude_deg)) / np.cos(np.radians(sun.azimuth_deg - 180.0))
    expected = (profile * distance > height - 0.9).sum() * sun.step_min / 60.0
    assert 0.5 < expected < 7.5  # the case shades both ends of the day
    np.testing.assert_allclose(south.hours, expected, atol=sun.step_min / 60.0)


def test_slab_lit_interval_from_hour_angle_and_declination(sun, national):
    # Lit while |hour angle| < ω*, where the sun's profile angle over the slab equals its top edge:
    # cos ω* = -sin δ (k cos φ + sin φ) / (cos δ (cos φ - k sin φ)), k = (H - sill) / D.
    height, distance = 20.0, 25.0
    points = sunlight_hours(layer((shapely.box(-5, 0, 5, 8), 3.0), (shapely.box(-3000, -37, 3000, -25), height),
                                  use=["residential", "office"]), sun, national)
    hours = points[points.facade_azimuth == 180.0].hours.to_numpy()
    phi = np.radians(LAT)
    # Declination from the noon altitude of the path (α = 90° - φ + δ).
    delta = np.radians(sun.altitude_deg.max() - 90.0 + LAT)
    k = (height - 0.9) / distance
    cos_w = -np.sin(delta) * (k * np.cos(phi) + np.sin(phi)) / (np.cos(delta) * (np.cos(phi) - k * np.sin(phi)))
    expected = 2 * np.degrees(np.arccos(cos_w)) / 15.0
    np.testing.assert_allclose(hours, expected, atol=2 / 60)


def test_slab_lit_interval_is_centred_on_true_solar_noon(sun, national):
    # At Suzhou (120.6°E) true noon is about 11:56 Beijing time on 大寒; a clock-time window would skew this.
    buildings = layer((shapely.box(-5, 0, 5, 8), 3.0), (shapely.box(-3000, -37, 3000, -25), 20.0),
                      use=["residential", "office"])
    halves = []
    for window in ((8.0, 12.0), (12.0, 16.0)):
        req = dataclasses.replace(national, window=window)
        path = sun_path(LAT, LON, sun.date, window=window, step_min=1.0)
        points = sunlight_hours(buildings, path, req)
        halves.append(points[points.facade_azimuth == 180.0].hours.to_numpy())
    assert halves[0].min() > 1.0
    np.testing.assert_allclose(halves[0], halves[1], atol=2 / 60)


def test_slab_at_harbin_on_the_winter_solstice_matches_closed_form(rules):
    req = rules.requirement("harbin", special="elderly_housing")  # 冬至, 09–15
    sun = sun_for(req, 45.76, 126.63, year=2025)
    height, distance = 12.0, 35.0
    points = sunlight_hours(layer((shapely.box(-5, 0, 5, 8), 3.0), (shapely.box(-3000, -55, 3000, -35), height)),
                            sun, req)
    south = points[(points.facade_azimuth == 180.0) & (points.building_id == "b0")]
    profile = np.tan(np.radians(sun.altitude_deg)) / np.cos(np.radians(sun.azimuth_deg - 180.0))
    expected = (profile * distance > height - 0.9).sum() * sun.step_min / 60.0
    assert 0.5 < expected < 5.5
    np.testing.assert_allclose(south.hours, expected, atol=sun.step_min / 60.0)


def test_north_facade_gets_no_samples_in_winter(sun, national):
    points = sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0)), sun, national)
    assert set(points.facade_azimuth) == {90.0, 180.0, 270.0}
    assert len(points) == 30


def test_facade_behind_the_sun_is_dark_while_the_sun_is_behind_it(sun, national):
    # A wall facing east-north-east sees the sun only in the early morning.
    wall = shapely.Polygon([(0, 0), (10, 0), (6, 11), (0, 11)])
    points = sunlight_hours(layer((wall, 6.0)), sun, national)
    normal = points[points.facade_azimuth.between(69, 71)]
    assert len(normal) > 0
    np.testing.assert_allclose(normal.hours, reference_hours(layer((wall, 6.0)), normal, sun))
    assert (normal.hours < 4.0).all()


def test_point_deep_in_a_courtyard_gets_no_sun(sun, national):
    courtyard = shapely.Polygon(shapely.box(0, 0, 40, 40).exterior.coords, [shapely.box(15, 15, 25, 25).exterior.coords])
    points = sunlight_hours(layer((courtyard, 15.0)), sun, national)
    inner = points[points.geometry.within(shapely.box(15, 15, 25, 25))]
    assert len(inner) == 30  # courtyard walls facing south, east and west
    assert (inner.hours == 0).all()
    outer = points[points.facade_azimuth == 180.0].drop(inner.index, errors="ignore")
    assert (outer[outer.geometry.y < 1].hours == 8.0).all()


def test_point_shaded_only_at_the_end_of_the_day(sun, national):
    tower = shapely.box(-40, -30, -30, -20)
    buildings = layer((shapely.box(0, 0, 10, 8), 3.0), (tower, 45.0))
    points = sunlight_hours(buildings, sun, national)
    south = points[points.facade_azimuth == 180.0]
    reference = reference_lit(buildings, south.geometry.x.to_numpy(), south.geometry.y.to_numpy(),
                              south.z_m.to_numpy(), south.facade_azimuth.to_numpy(), sun)
    shaded_steps = np.nonzero(~reference.all(axis=0))[0]
    assert shaded_steps.min() > len(sun.times_utc) // 2  # only in the afternoon
    assert (south.segments == 1).all()
    np.testing.assert_allclose(south.hours, reference.sum(axis=1) / 60.0)
    assert south.hours.min() < 8.0


def test_mixed_layout_agrees_with_brute_force(sun, national):
    ell = shapely.Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)])
    ring = shapely.Polygon(shapely.box(50, 0, 80, 30).exterior.coords,
                           [shapely.box(58, 8, 72, 22).exterior.coords])
    multi = shapely.MultiPolygon([shapely.box(20, 20, 30, 28), shapely.box(35, 40, 45, 52)])
    buildings = layer((ell, 12.0), (ring, 9.0), (multi, 15.0), (shapely.box(0, -30, 40, -20), 18.0),
                      (shapely.box(20, 45, 30, 60), 6.0))
    points = sunlight_hours(buildings, sun, national, spacing_m=2.0)
    reference = reference_hours(buildings, points, sun)
    diff = np.abs(points.hours.to_numpy() - reference)
    # Exact but for rays grazing a corner.
    assert diff.max() <= 1.0 / 60 + 1e-9
    assert (diff > 0).mean() < 0.01
    assert points.hours.between(0, 8).all()


def test_rotated_blocks_at_harbin_agree_with_brute_force(rules):
    # Low winter sun at 45.8°N (long shadows), blocks at random angles, a 5-minute step.
    req = rules.requirement("harbin")
    sun = sun_for(req, 45.76, 126.63, year=2026, step_min=5.0)
    rng = np.random.default_rng(7)
    specs = []
    for i in range(3):
        for j in range(3):
            block = shapely.affinity.rotate(shapely.box(0, 0, rng.uniform(12, 40), rng.uniform(8, 14)),
                                            rng.uniform(0, 180), origin="centroid")
            block = shapely.affinity.translate(block, i * 45.0 + rng.uniform(-4, 4), j * 45.0 + rng.uniform(-4, 4))
            specs.append((block, float(rng.choice([6.0, 9.0, 18.0, 30.0]))))
    buildings = layer(*specs)
    points = sunlight_hours(buildings, sun, req, spacing_m=2.0)
    reference = reference_hours(buildings, points, sun)
    diff = np.abs(points.hours.to_numpy() - reference)
    assert diff.max() <= 5.0 / 60 + 1e-9
    assert (diff > 0).mean() < 0.01
    assert (points.hours < 0.9 * sun.window_hours).mean() > 0.5  # shadows matter in this layout


def test_concave_corner_is_shaded_by_its_own_wing(sun, national):
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 10), (30, 10), (30, 20), (0, 20)])
    points = sunlight_hours(layer((ell, 15.0)), sun, national)
    # The south wall of the east wing, next to the inner corner, loses the morning sun to the west wing.
    corner = points[(points.facade_azimuth == 180.0) & (points.geometry.y > 9) & (points.geometry.x < 12)]
    open_end = points[(points.facade_azimuth == 180.0) & (points.geometry.y > 9) & (points.geometry.x > 28)]
    assert corner.hours.max() < open_end.hours.min()


def test_shared_walls_get_no_samples(sun, national):
    points = sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0), (shapely.box(10, 0, 20, 10), 6.0)), sun,
                            national)
    assert not (points.geometry.x.between(9.9, 10.1)).any()
    assert len(points) == 40  # south walls 20 m + outer east and west walls 10 m each


def test_wall_shared_with_a_lower_neighbour_has_windows_above_its_roof(sun, national):
    buildings = layer((shapely.box(0, 0, 10, 10), 15.0), (shapely.box(-6, -10, 4, 0), 3.5))
    buildings["floors"] = [5.0, 1.0]
    points = sunlight_hours(buildings, sun, national, all_floors=True)
    # The tall block's south wall from x = 0 to 4 is the low neighbour's north wall up to 3.5 m.
    shared = points[(points.building_id == "b0") & (points.facade_azimuth == 180.0) & (points.geometry.x < 4)]
    assert sorted(set(shared.floor)) == [2, 3, 4, 5]
    assert len(shared) == 4 * 4


def test_empty_layer_gives_no_sills(sun, national):
    points = sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0)).iloc[:0], sun, national)
    assert len(points) == 0 and "hours" in points


def test_lon_lat_buildings_are_refused(sun, national):
    with pytest.raises(InputError, match="以米为单位"):
        sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0)).set_crs(4326, allow_override=True), sun, national)


def test_cancel_stops_the_run(sun, national):
    progress = Progress()
    progress.cancel()
    with pytest.raises(CancelledError):
        sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0)), sun, national, progress=progress)


def test_only_residential_buildings_get_sills(sun, national):
    buildings = layer((shapely.box(0, 0, 10, 10), 6.0), (shapely.box(40, 0, 50, 10), 6.0),
                      use=["residential", "school"])
    points = sunlight_hours(buildings, sun, national)
    assert set(points.building_id) == {"b0"}


def test_upper_floors_get_at_least_the_ground_floor_hours(sun, national):
    buildings = layer((shapely.box(0, 0, 10, 8), 15.0), (shapely.box(-100, -40, 100, -20), 18.0))
    buildings["floors"] = [5.0, 6.0]
    points = sunlight_hours(buildings, sun, national, all_floors=True)
    south = points[(points.facade_azimuth == 180.0) & (points.building_id == "b0")]
    assert sorted(set(south.floor)) == [1, 2, 3, 4, 5]
    by_floor = south.groupby("floor").hours.mean()
    assert (np.diff(by_floor.to_numpy()) >= 0).all() and by_floor[5] > by_floor[1]
    np.testing.assert_allclose(south.hours, reference_hours(buildings, south, sun), atol=1 / 60)


def test_whole_window_counts_only_steps_with_the_whole_sill_lit(sun, national):
    buildings = layer((shapely.box(0, 0, 12, 8), 3.0), (shapely.box(-20, -10, 3.5, -8), 12.0))
    per_sample = sunlight_hours(buildings, sun, national, spacing_m=0.5)
    windows = sunlight_hours(buildings, sun, national, spacing_m=0.5, window_width_m=1.5)
    south_w = windows[(windows.facade_azimuth == 180.0) & (windows.building_id == "b0")]
    south_s = per_sample[(per_sample.facade_azimuth == 180.0) & (per_sample.building_id == "b0")]
    assert len(south_w) == 8
    for _, w in south_w.iterrows():
        inside = south_s[(south_s.geometry.x - w.geometry.x).abs() <= 0.75]
        assert w.hours <= inside.hours.min() + 1e-9
    assert (south_w.hours < south_s.hours.groupby(np.floor(south_s.geometry.x / 1.5)).max().to_numpy()).any()


def test_sweep_angle_shortens_side_facades(sun, national):
    buildings = layer((shapely.box(0, 0, 10, 10), 6.0))
    plain = sunlight_hours(buildings, sun, national)
    swept = sunlight_hours(buildings, sun, national, sweep_deg=12.0)
    east = lambda p: p[p.facade_azimuth == 90.0].hours.iloc[0]  # noqa: E731
    assert east(swept) < east(plain)
    # The east wall sees the sun until it is 12° short of due south.
    expected = (np.cos(np.radians(sun.azimuth_deg - 90.0)) > np.sin(np.radians(12.0))).sum() / 60.0
    assert east(swept) == pytest.approx(expected)


def test_beijing_minimum_segment_drops_a_short_gap_of_sun(rules, sun, national):
    beijing = dataclasses.replace(national, counting=rules.counting["beijing"])  # 大寒: segments ≥ 5 min
    # The sun reaches the window through a 0.6 m slot between two tall blocks.
    buildings = layer((shapely.box(-5, 0, 5, 8), 3.0), (shapely.box(-60, -40, -0.3, -30), 40.0),
                      (shapely.box(0.3, -40, 60, -30), 40.0))
    plain = sunlight_hours(buildings, sun, national)
    local = sunlight_hours(buildings, sun, beijing)
    mid = (plain.facade_azimuth == 180.0) & plain.geometry.x.between(-0.5, 0.5)
    assert (plain[mid].hours > 0).all()
    assert (local[mid].hours < plain[mid].hours).all()
    assert (local[mid].segments < plain[mid].segments).all()


# ------------------------------------------------------------------------------------------- before/after
@pytest.fixture(scope="module")
def pair():
    """A south-facing residential block with open ground to its south."""
    return layer((shapely.box(0, 0, 30, 10), 9.0), (shapely.box(0, 200, 30, 210), 9.0))


def test_impact_matches_a_full_recompute_with_the_new_building(pair, sun, national):
    new = shapely.box(-10, -22, 40, -12)
    impact = sunlight_impact(pair, new, 24.0, sun, national)
    with_new = sunlight_hours(stacked(pair, layer((new, 24.0), use=["office"])), sun, national)
    after = with_new.set_index("sill_id").hours
    before = sunlight_hours(pair, sun, national).set_index("sill_id").hours
    np.testing.assert_allclose(impact.hours_before, before[impact.sill_id])
    np.testing.assert_allclose(impact.hours_after, after[impact.sill_id])
    assert (impact.status == "newly_failing").any()
    lost = impact[impact.status != "unaffected"]
    assert (lost.hours_after < lost.hours_before).all()


def test_impact_lists_only_sills_within_reach(pair, sun, national):
    impact = sunlight_impact(pair, shapely.box(5, -22, 25, -12), 18.0, sun, national)
    assert set(impact.building_id) == {"b0"}


def test_impact_statuses(pair, sun, national):
    impact = sunlight_impact(pair, shapely.box(5, -22, 25, -12), 18.0, sun, national)
    newly = impact.passes_before & ~impact.passes_after
    np.testing.assert_array_equal(impact.status == "newly_failing", newly)
    reduced = impact.status == "reduced"
    assert (impact[reduced].hours_after < impact[reduced].hours_before).all()
    unaffected = impact.status == "unaffected"
    np.testing.assert_allclose(impact[unaffected].hours_after, impact[unaffected].hours_before)


def test_already_failing_window_that_loses_time_is_reduced(sun, national):
    # Behind a 12 m slab 14 m away the block gets under an hour; a tower further south takes more.
    buildings = layer((shapely.box(0, 0, 30, 10), 9.0), (shapely.box(-50, -20, 80, -14), 12.0),
                      use=["residential", "office"])
    impact = sunlight_impact(buildings, shapely.box(10, -40, 20, -30), 40.0, sun, national)
    failing_losing = ~impact.passes_before & (impact.hours_after < impact.hours_before)
    assert failing_losing.any()
    assert (impact[failing_losing].status == "reduced").all()


def test_elevator_addition_is_exempt_but_reported(pair, sun, national):
    shaft = shapely.box(13, -3, 17, 0)  # against the south wall
    impact = sunlight_impact(pair, shaft, 12.0, sun, national, elevator=True)
    lost = impact.hours_after < impact.hours_before
    assert lost.any()
    assert (impact[lost].status == "exempt").all()
    # Sills the shaft covers get no sun after.
    covered = impact.geometry.within(shaft.buffer(0.05))
    assert covered.any() and (impact[covered].hours_after == 0).all()


def test_impact_refuses_a_non_positive_height(pair, sun, national):
    with pytest.raises(InputError):
        sunlight_impact(pair, shapely.box(5, -22, 25, -12), 0.0, sun, national)


# ------------------------------------------------------------------------------------------- area sunlight
def test_area_without_buildings_is_fully_lit(sun, national):
    result = area_sunlight(shapely.box(0, 0, 20, 20), layer((shapely.box(100, 100, 110, 110), 3.0)), sun,
                           national, min_hours=2.0, grid_m=2.0)
    assert len(result.points) == 100
    assert result.share == 1.0


def test_ground_points_north_of_a_slab_match_closed_form(sun, national):
    height = 15.0
    slab = layer((shapely.box(-3000, -12, 3000, 0), height))
    distance = np.array([5.0, 12.0, 20.0, 30.0, 60.0])
    hours = ground_hours(np.zeros(5), distance, slab, sun, national)
    profile = np.tan(np.radians(sun.altitude_deg)) / np.cos(np.radians(sun.azimuth_deg - 180.0))
    expected = [(profile * d >= height).sum() / 60.0 for d in distance]
    np.testing.assert_allclose(hours, expected, atol=1 / 60)
    assert hours[0] == 0.0 and hours[-1] == 8.0


def test_area_share_matches_brute_force(sun, national):
    buildings = layer((shapely.box(0, -12, 40, 0), 18.0), (shapely.box(10, 5, 14, 9), 3.0))
    green = shapely.box(0, 0, 40, 30)
    result = area_sunlight(green, buildings, sun, national, min_hours=2.0, grid_m=2.0)
    pts = result.points
    lit = reference_lit(buildings, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy(), np.zeros(len(pts)),
                        None, sun)
    hours = lit.sum(axis=1) / 60.0
    under = pts.geometry.within(shapely.box(10, 5, 14, 9))
    hours[under.to_numpy()] = 0.0
    np.testing.assert_allclose(pts.hours, hours, atol=1 / 60)
    assert 0.2 < result.share < 0.9
    assert result.share == pytest.approx(np.mean(hours >= 2.0), abs=0.02)


# ------------------------------------------------------------------------------------------- errors
def test_missing_height_is_an_input_error(sun, national):
    buildings = layer((shapely.box(0, 0, 10, 10), 6.0))
    buildings.loc[0, "height_m"] = np.nan
    with pytest.raises(InputError, match="b0"):
        sunlight_hours(buildings, sun, national)


def test_sun_path_of_another_window_is_a_config_error(rules, sun):
    dongzhi = rules.requirement("harbin", special="elderly_housing")
    with pytest.raises(ConfigError):
        sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0)), sun, dongzhi)


def test_requirement_for_another_day_keeps_hours_and_takes_that_window(rules):
    req = requirement_for(rules, "harbin", day="dongzhi")
    assert (req.day, req.hours, req.window) == ("dongzhi", 2.0, (9.0, 15.0))
    # Hangzhou's legacy counting rule has its own 09–15 window on either day.
    assert requirement_for(rules, "hangzhou", day="dahan").window == (9.0, 15.0)
    with pytest.raises(ConfigError):
        requirement_for(rules, "harbin", day="xiazhi")


def test_building_lower_than_the_sill_gets_no_sills(sun, national):
    points = sunlight_hours(layer((shapely.box(0, 0, 10, 10), 6.0), (shapely.box(20, 0, 30, 10), 0.5)), sun,
                            national)
    assert set(points.building_id) == {"b0"}


def test_standard_day_of_sun_for(national):
    assert sun_for(national, LAT, LON, year=2026).date == standard_day(2026, "dahan")


def test_shadow_of_a_box_with_the_sun_due_south_reaches_north_by_h_over_tan_alt():
    footprint = shapely.box(0, 0, 20, 10)
    shadow = shadow_polygon(footprint, 15.0, 30.0, 180.0)
    length = 15.0 / np.tan(np.radians(30.0))
    np.testing.assert_allclose(shadow.bounds, (0, 0, 20, 10 + length), atol=1e-9)
    assert shadow.area == pytest.approx(20 * (10 + length))


def test_shadow_of_an_l_shape_is_the_footprint_swept_along_the_shadow():
    footprint = shapely.Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 30), (0, 30)])
    shadow = shadow_polygon(footprint, 10.0, 45.0, 135.0)  # sun south-east: shadow to the north-west
    d = 10.0 / np.sqrt(2)
    swept = shapely.union_all([shapely.affinity.translate(footprint, -d * t, d * t) for t in np.linspace(0, 1, 201)])
    assert shadow.symmetric_difference(swept).area < 0.01 * shadow.area
    assert shadow_polygon(footprint, 10.0, -1.0, 180.0).is_empty


def test_shadow_sweep_covers_each_moment_of_the_window(sun):
    footprint = shapely.box(0, 0, 20, 10)
    sweep = shadow_sweep(footprint, 20.0, sun)
    for i in (0, len(sun.altitude_deg) // 2, len(sun.altitude_deg) - 1):
        moment = shadow_polygon(footprint, 20.0, float(sun.altitude_deg[i]), float(sun.azimuth_deg[i]))
        assert moment.difference(sweep).area < 1e-6 * moment.area
    assert sweep.area > moment.area
