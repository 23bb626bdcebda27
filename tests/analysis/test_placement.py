"""A toy town of two blocks, a park and a boiler room; every verdict below is worked out by hand from the
shipped standards (lc10 park ≥ 1 hm² and ≥ 50 m wide, 1.0 m²/person; 绿地率 30% for 4–6 storeys)."""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

from gisplanner.analysis import sunlight
from gisplanner.analysis.placement import PlacementInput, PlacementReport, check_placement, site_footprint
from gisplanner.errors import InputError
from gisplanner.standards import load_standards

CRS = "EPSG:32652"


@pytest.fixture(scope="module")
def standards():
    return load_standards()


@pytest.fixture(scope="module")
def layers():
    communities = gpd.GeoDataFrame(
        {"feature_id": ["c1", "c2"], "name": ["宣西小区", "三辅小区"], "population": [1000.0, 1000.0],
         "built_year": pd.array([1990, 1992], dtype="Int64")},
        geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)], crs=CRS)
    green_space = gpd.GeoDataFrame(
        {"feature_id": ["park", "yard"], "name": ["东园", ""], "is_public": [True, False],
         "green_type": ["park", "grass"]},
        # park: 120 x 100 m = 1.2 hm², 100 m wide -> an lc10 park; yard: 40 x 40 m block green of c1.
        geometry=[box(250, 50, 370, 150), box(20, 20, 60, 60)], crs=CRS)
    buildings = gpd.GeoDataFrame(
        {"feature_id": ["b1", "b2"], "floors": [6.0, 5.0], "height_m": [18.0, 15.0], "use": "residential",
         "community_id": ["c1", "c2"]},
        geometry=[box(100, 100, 150, 120), box(210, 160, 260, 190)], crs=CRS)
    land = gpd.GeoDataFrame(
        {"feature_id": ["r1", "r2", "g1"], "lu_code": ["070102", "070102", "1401"],
         "lu_code_planned": ["070102", "070102", "1401"], "name": ""},
        geometry=[box(0, 0, 200, 200), shapely.difference(box(200, 0, 400, 200), box(250, 50, 370, 150)),
                  box(250, 50, 370, 150)], crs=CRS)
    boilers = gpd.GeoDataFrame(
        {"feature_id": ["br1", "br2"], "name": ["一号锅炉房", "二号锅炉房"],
         "status": ["in_service", "decommissioned"], "area_m2": [400.0, 900.0]},
        geometry=[Point(120, 40), box(140, 20, 170, 50)], crs=CRS)
    # One street between the blocks (x = 200) and one along their south edge; an existing kindergarten by c1.
    walk = gpd.GeoDataFrame(
        {"feature_id": ["w1", "w2"], "highway": "footway", "walkable": True, "bridge": False, "tunnel": False,
         "layer": 0, "name": ""},
        geometry=[LineString([(200, -50), (200, 250)]), LineString([(-50, -5), (450, -5)])], crs=CRS)
    facilities = gpd.GeoDataFrame({"feature_id": ["f1"], "category": ["kindergarten"], "name": ["一幼"]},
                                  geometry=[Point(190, 100)], crs=CRS)
    return {"communities": communities, "green_space": green_space, "buildings": buildings, "landuse": land,
            "boiler_rooms": boilers, "walk_network": walk, "facilities": facilities}


def _check(layers, standards, **kw):
    # The toy sits near the UTM origin; without a CRS the sun is that of Harbin (the city's lat/lon).
    return check_placement(PlacementInput(**kw), layers, standards, city="harbin")


@pytest.fixture(scope="module")
def on_the_park(layers, standards):
    # A one-storey 25 x 100 m day-care centre on the park's west end: 9,500 m² of park stay, under the
    # lc10 1 hm². Nothing stands south of it; the only dwelling near it (b2) stands 10 m to its north.
    return _check(layers, standards, facility_type="elderly_daycare", footprint=box(250, 50, 275, 150),
                  floors=1, gfa_m2=700, adds_far=True, investment_wan_yuan=80)


def test_toy_placement_on_a_park_has_every_verdict_known(on_the_park):
    assert on_the_park.verdicts == {
        "site_status": "not_applicable",  # the park is not a boiler room
        "building_idle": "not_applicable",  # nor a public building
        "size_site": "not_checked",  # the catalogue gives no site range for 托老所
        "size_gfa": "pass",  # 700 m² within 350–750
        "land_use": "warn",  # adds FAR-counted area -> statutory procedure
        "permit": "pass",  # 700 m² > 500 but 80 万元 ≤ 100 (Heilongjiang rule covers Harbin)
        "service": "pass",  # no day-care centre before; 50 m from the street both blocks touch
        "service_lost": "not_applicable",  # the kindergarten f1 stands beside the park, not on it
        "sunlight_own": "pass",  # its unobstructed south facade gets the whole 9–15 h 冬至 window
        "sunlight_neighbours": "pass",  # a 3 m roof shades b2's sills 10 m north only at low sun
        "green_public_lc15": "pass",  # no lc15 park anywhere: nothing of it taken
        "green_public_lc10": "consult",  # the only lc10 park drops to lc5 size: 0 m²/person after
        "green_public_lc5": "pass",  # the cut park becomes an lc5 park: 9,500 / 2,000 m²/person
        "park": "consult",
        "block_green": "pass",  # c2 keeps ~9,486 m² at least 8 m wide for 1,000 persons
        "green_ratio": "consult",  # c2: 12,000 -> 9,500 of 40,000 m², 30% -> 23.75%, 5 floors need 30%
    }
    assert on_the_park.overall == "consultation"


def test_public_green_numbers_before_and_after(on_the_park):
    lc10 = on_the_park.check("green_public_lc10").numbers
    assert lc10["population"] == pytest.approx(2000)
    assert lc10["before_m2_per_person"] == pytest.approx(12000 / 2000)
    assert lc10["after_m2_per_person"] == pytest.approx(0.0)
    assert lc10["floor_m2_per_person"] == pytest.approx(0.7)
    lc5 = on_the_park.check("green_public_lc5").numbers
    assert lc5["after_m2_per_person"] == pytest.approx(9500 / 2000)


def test_park_numbers_use_the_inscribed_circle(on_the_park):
    (park,) = on_the_park.check("park").numbers["parks"]
    assert park["level"] == "lc10"
    assert park["area_after_m2"] == pytest.approx(9500)
    assert park["width_after_m"] == pytest.approx(95, abs=0.05)
    assert park["meets_after"] is False


def test_green_ratio_numbers(on_the_park):
    numbers = on_the_park.check("green_ratio").numbers
    assert (numbers["ratio_before"], numbers["ratio_after"]) == pytest.approx((0.30, 0.2375))
    assert numbers["storey_class"] == "multi_rise_1"


def test_land_use_names_the_parcel_the_row_and_its_basis(on_the_park):
    land = on_the_park.check("land_use")
    assert land.numbers["outcome"] == "statutory_procedure"
    assert land.numbers["row"] == "adds_far_or_land"
    assert [p["parcel_id"] for p in land.numbers["parcels"]] == ["g1"]
    assert land.numbers["parcels"][0]["current_name"] == "公园绿地"
    assert "S-mnr2024" in land.basis
    assert land.next_steps


def test_consultation_verdicts_say_so(on_the_park):
    for key in ("green_public_lc10", "park", "green_ratio"):
        check = on_the_park.check(key)
        assert any("一事一议" in step for step in check.next_steps)
        # 国办发〔2020〕23号 五（二） and Harbin's copy in 黑政办规〔2021〕15号 六（一）4: taking green space
        assert {"D002 五（二）", "D000 六（一）4"} <= set(check.basis)


def test_service_closes_both_blocks_lc5_gaps(on_the_park):
    numbers = on_the_park.check("service").numbers
    (level,) = numbers["levels"]
    assert (level["level"], level["gaps_within_reach_before"], level["gaps_closed"]) == ("lc5", 2, 2)
    assert numbers["population_newly_served"] == pytest.approx(2000)


def test_facility_where_every_block_is_served_closes_no_gap(layers, standards):
    # The existing kindergarten by the street already serves both blocks within 300 m.
    report = _check(layers, standards, facility_type="kindergarten", footprint=box(250, 50, 275, 150),
                    floors=1, gfa_m2=3500)
    check = report.check("service")
    assert (check.verdict, check.numbers["gaps_closed"]) == ("warn", 0)


def test_low_building_north_of_nothing_costs_b2_only_minutes(on_the_park):
    numbers = on_the_park.check("sunlight_neighbours").numbers
    assert numbers["sills_in_reach"] > 0
    assert 0 < numbers["max_hours_lost"] < 1
    assert numbers["newly_failing"] == 0


def test_own_sunlight_of_a_free_standing_building_fills_the_window(on_the_park):
    numbers = on_the_park.check("sunlight_own").numbers
    assert numbers["best_hours"] == pytest.approx(6.0)  # 冬至 9–15 h, nothing to the south
    assert numbers["required_hours"] == 2.0


def test_tall_building_in_front_of_dwellings_needs_consultation(layers, standards):
    # 24 m tall, 10 m south of b2's south wall and as wide: most of its sills lose the winter sun.
    footprint = box(210, 130, 260, 150)
    report = _check(layers, standards, facility_type="svc_station", footprint=footprint, floors=8, gfa_m2=800)
    check = report.check("sunlight_neighbours")
    assert check.verdict == "consult"
    assert check.numbers["buildings_newly_failing"] == ["b2"]
    assert check.numbers["dwellings_newly_failing"] > 0 and f"{check.numbers['dwellings_newly_failing']} 户" in check.message
    # the fixture records no 户数 or 单元数 for b2: the count is an estimate and says how it was made
    assert check.numbers["dwellings_estimated"] and check.numbers["dwellings_method"]
    assert "户数为估算（" in check.message and "households" not in check.numbers["dwellings_method"]
    shadow = shapely.from_wkt(check.numbers["shadow_wkt"])  # the winter shadow reaches north over b2
    assert shadow.contains(footprint) and shadow.intersects(layers["buildings"].geometry.iloc[1])
    assert report.placed_facility("P1")["shadow"] == check.numbers["shadow_wkt"]
    # The same count straight from the sunlight engine's hours with and without the new mass.
    req = standards.sunlight.requirement("harbin")
    city = standards.sunlight.city("harbin")
    path = sunlight.sun_for(req, city.lat, city.lon)
    mass = gpd.GeoDataFrame({"feature_id": ["new"], "height_m": [24.0], "use": ["other"]}, geometry=[footprint],
                            crs=CRS)
    before = sunlight.sunlight_hours(layers["buildings"], path, req)
    after = sunlight.sunlight_hours(pd.concat([layers["buildings"], mass], ignore_index=True), path, req)
    assert check.numbers["newly_failing"] == int((before["passes"] & ~after["passes"]).sum())
    assert any("一事一议" in step for step in check.next_steps)


def test_elevator_shading_neighbours_is_exempt_but_reported(layers, standards):
    report = _check(layers, standards, facility_type="svc_station", footprint=box(210, 130, 260, 150),
                    floors=8, intervention="elevator")
    check = report.check("sunlight_neighbours")
    assert check.verdict == "pass"
    assert check.numbers["exempt"] > 0 and check.numbers["newly_failing"] == 0


def test_conversion_adds_no_shadow(layers, standards):
    report = _check(layers, standards, facility_type="svc_station", footprint=box(210, 130, 260, 150),
                    floors=8, intervention="conversion")
    assert report.check("sunlight_neighbours").message == "改建或设备安装不增加建筑体量，不影响相邻住宅日照"


def test_boiler_room_in_service_is_refused_with_the_reason(layers, standards):
    site = site_footprint(layers["boiler_rooms"], "boiler_rooms", "br1")
    report = _check(layers, standards, facility_type="kindergarten", footprint=site.footprint,
                    intervention="conversion", site_layer="boiler_rooms", site_id="br1", site_status=site.status,
                    footprint_estimated=site.estimated)
    check = report.check("site_status")
    assert check.verdict == "fail"
    assert "在用" in check.message and "尚未停用" in check.message
    assert report.overall == "refused"
    assert report.check("size_site").numbers["footprint_estimated"] is True


def test_decommissioned_boiler_room_passes_the_status_check(layers, standards):
    site = site_footprint(layers["boiler_rooms"], "boiler_rooms", "br2")
    report = _check(layers, standards, facility_type="elderly_daycare", footprint=site.footprint,
                    intervention="conversion", site_layer="boiler_rooms", site_id="br2", site_status=site.status)
    assert report.check("site_status").verdict == "pass"
    # 国办发〔2020〕23号 五（四）: an idle boiler room becomes a public service without changing the land records.
    land = report.check("land_use")
    assert (land.numbers["row"], land.numbers["outcome"]) == ("idle_building_conversion", "defer_change")
    assert land.numbers["action"] == "暂不办理变更手续"
    assert "可在一定年期内暂不办理变更用地主体和土地使用性质的手续" in land.message
    assert "D002 五（四）" in land.basis and "D000 六（三）2" in land.basis  # Harbin: national and provincial
    assert any("暂不办理变更" in step for step in land.next_steps)


def test_point_site_becomes_a_square_of_its_area(layers):
    site = site_footprint(layers["boiler_rooms"], "boiler_rooms", "br1")
    assert site.footprint.area == pytest.approx(400)
    assert site.footprint.centroid.equals_exact(Point(120, 40), 1e-9)
    assert (site.name, site.status, site.estimated) == ("一号锅炉房", "in_service", True)


def test_polygon_site_keeps_its_outline(layers):
    site = site_footprint(layers["boiler_rooms"], "boiler_rooms", "br2")
    assert site.footprint.equals(box(140, 20, 170, 50)) and not site.estimated


def test_unknown_site_id_names_the_layer_and_the_fix(layers):
    with pytest.raises(InputError, match="boiler_rooms.*gisplanner info"):
        site_footprint(layers["boiler_rooms"], "boiler_rooms", "nope")


def test_point_site_without_area_asks_for_a_footprint(layers):
    boilers = layers["boiler_rooms"].assign(area_m2=[pd.NA, 900.0])
    with pytest.raises(InputError, match="--footprint"):
        site_footprint(boilers, "boiler_rooms", "br1")


def test_taking_block_concentrated_green_is_a_hard_failure(layers, standards):
    # Leaves a 40 x 5 m strip of the yard: nothing 8 m wide remains, and 4.0.7 is mandatory.
    report = _check(layers, standards, facility_type="convenience_store", footprint=box(20, 20, 60, 55),
                    gfa_m2=80, intervention="new")
    check = report.check("block_green")
    assert check.verdict == "fail"
    assert check.numbers["concentrated_after_m2"] == pytest.approx(0.0)
    assert report.overall == "refused"


def test_pocket_green_below_every_park_level_has_no_size_rule(layers, standards):
    pocket = gpd.GeoDataFrame({"feature_id": ["pocket"], "name": ["街角绿地"], "is_public": [True],
                               "green_type": ["garden"]}, geometry=[box(300, 160, 320, 180)], crs=CRS)
    with_pocket = {**layers, "green_space": pd.concat([layers["green_space"], pocket], ignore_index=True)}
    report = _check(with_pocket, standards, facility_type="convenience_store", footprint=box(300, 160, 310, 170),
                    gfa_m2=80, intervention="new")
    (park,) = report.check("park").numbers["parks"]
    assert report.check("park").verdict == "pass"
    assert (park["name"], park["area_after_m2"]) == ("街角绿地", pytest.approx(300))
    assert "meets_after" not in park


def test_shading_block_green_below_a_third_is_a_hard_failure(layers, standards):
    # A 30 m slab 5 m south of the yard and much wider: the yard loses the 大寒 sun all day.
    report = _check(layers, standards, facility_type="svc_station", footprint=box(-40, 0, 120, 15), floors=10,
                    gfa_m2=800)
    check = report.check("block_green")
    assert check.numbers["block_id"] == "c1"
    assert check.numbers["concentrated_after_m2"] == pytest.approx(check.numbers["concentrated_before_m2"])
    assert check.numbers["outside_shadow_share_before"] == pytest.approx(1.0)
    assert check.numbers["outside_shadow_share_after"] < 1 / 3
    assert check.verdict == "fail"


def test_placement_away_from_green_takes_none(layers, standards):
    report = _check(layers, standards, facility_type="convenience_store", footprint=box(100, 150, 110, 160),
                    gfa_m2=80, intervention="conversion")
    assert report.check("park").verdict == "pass"
    assert all(report.check(f"green_public_{k}").numbers["taken_m2"] == pytest.approx(0)
               for k in ("lc15", "lc10", "lc5"))
    assert report.check("land_use").numbers["row"] == "block_service_in_housing"


def test_charging_pile_on_housing_land_needs_no_permit(layers, standards):
    report = _check(layers, standards, facility_type="charging_pile", footprint=Point(80, 80),
                    intervention="equipment")
    assert report.check("land_use").numbers["outcome"] == "no_permit"
    assert report.check("permit").numbers["new_floor_area_m2"] == 0
    assert {report.check(k).verdict for k in ("land_use", "permit", "sunlight_neighbours", "park")} == {"pass"}


def test_missing_layers_leave_checks_not_checked(layers, standards):
    report = check_placement(PlacementInput("elderly_daycare", box(250, 50, 275, 150)),
                             {"communities": layers["communities"]}, standards)
    assert report.check("green_public_lc10").verdict == "not_checked"
    assert report.check("park").verdict == "not_checked"
    assert report.check("land_use").verdict == "warn"


def test_unknown_intervention_is_an_input_error(layers, standards):
    with pytest.raises(InputError, match="建设方式"):
        _check(layers, standards, facility_type="elderly_daycare", footprint=box(0, 0, 1, 1),
               intervention="demolish")


def test_report_round_trips_through_json(on_the_park):
    data = json.loads(on_the_park.to_json())
    assert PlacementReport.from_dict(data) == on_the_park


def test_old_area_follows_the_built_year_of_the_block(layers, standards):
    recent = {**layers, "communities": layers["communities"].assign(
        built_year=pd.array([1990, 2010], dtype="Int64"))}
    in_c2 = _check(recent, standards, facility_type="elderly_daycare", footprint=box(250, 50, 275, 150))
    in_c1 = _check(recent, standards, facility_type="elderly_daycare", footprint=box(100, 150, 110, 160))
    assert in_c2.check("block_green").numbers["old_area"] is False
    assert in_c2.check("block_green").numbers["required_m2_per_person"] == 0.50  # new-area value
    assert in_c1.check("block_green").numbers["old_area"] is True
    # Without the old-area relief the lc10 floor is the full table value.
    assert in_c2.check("green_public_lc10").numbers["floor_m2_per_person"] == pytest.approx(1.0)


def test_report_of_an_unnamed_block_is_still_json(layers, standards):
    unnamed = {**layers, "communities": layers["communities"].assign(name=pd.array([pd.NA, pd.NA], dtype="string"))}
    report = _check(unnamed, standards, facility_type="elderly_daycare", footprint=box(250, 50, 275, 150), floors=1)
    (block,) = [c for c in json.loads(report.to_json())["checks"] if c["key"] == "block_green"]
    assert block["numbers"]["block_name"] is None


def test_placed_facility_record_is_json_with_a_wkt_footprint(on_the_park):
    record = json.loads(json.dumps(on_the_park.placed_facility("P1")))
    assert shapely.from_wkt(record["footprint"]).equals(box(250, 50, 275, 150))
    assert record["verdicts"]["park"] == "consult"
    assert (record["facility_id"], record["overall"], record["needs_consultation"]) == ("P1", "consultation", True)


def _with_green(layers, outline):
    """The toy's land use with ``outline`` cut out of its parcels and zoned 1401 (park green)."""
    land = layers["landuse"].copy()
    land["geometry"] = land.geometry.difference(outline)
    green_parcel = gpd.GeoDataFrame({"feature_id": ["g2"], "lu_code": ["1401"], "lu_code_planned": ["1401"],
                                     "name": ""}, geometry=[outline], crs=CRS)
    return {**layers, "landuse": pd.concat([land, green_parcel], ignore_index=True)}


def test_service_station_on_green_inside_an_old_community_pays_no_land_premium(layers, standards):
    # c1's yard is zoned green (1401) inside the community: 国办发〔2020〕23号 五（三）.
    report = _check(_with_green(layers, box(20, 20, 60, 60)), standards, facility_type="svc_station", footprint=box(25, 25, 55, 55), floors=1)
    land = report.check("land_use")
    assert (land.numbers["row"], land.numbers["outcome"]) == ("open_land_inside_community", "no_land_premium")
    assert land.numbers["inside_community"] is True
    assert land.verdict == "warn" and land.numbers["action"] == "不增收土地价款"
    assert land.numbers["conditions"] == ["不违反规划", "征得居民等同意"]
    assert "对利用小区内空地、荒地、绿地及拆除违法建设腾空土地等加装电梯和建设各类设施的，可不增收土地价款" in land.message
    assert land.numbers["citations"][0]["section"] == "五（三）"
    assert any("征求居民意见" in step for step in land.next_steps)


def test_the_same_green_outside_every_community_takes_the_statutory_procedure(layers, standards):
    report = _check(_with_green(layers, box(500, 0, 560, 60)), standards, facility_type="svc_station",
                    footprint=box(510, 10, 540, 40), floors=1)
    land = report.check("land_use")
    assert (land.numbers["row"], land.numbers["action"]) == ("green_or_square", "法定程序")


def test_site_type_checks_are_not_applicable_to_other_sites(layers, standards):
    report = _check(layers, standards, facility_type="svc_station", footprint=box(25, 25, 55, 55), floors=1)
    assert report.check("site_status").verdict == "not_applicable"
    assert report.check("site_status").message == "选址不是锅炉房，不适用"
    assert report.check("building_idle").verdict == "not_applicable"


def test_a_boiler_room_in_service_is_not_an_idle_building_for_the_land_use(layers, standards):
    site = site_footprint(layers["boiler_rooms"], "boiler_rooms", "br1")
    report = _check(layers, standards, facility_type="kindergarten", footprint=site.footprint,
                    intervention="conversion", site_layer="boiler_rooms", site_id="br1", site_status="in_service")
    assert report.check("land_use").numbers["outcome"] != "defer_change"


def test_idle_public_building_defers_the_change_and_one_in_use_does_not(layers, standards):
    halls = gpd.GeoDataFrame({"feature_id": ["p1", "p2"], "name": ["旧站房", "办公楼"],
                              "status": ["decommissioned", "in_service"], "area_m2": [600.0, 600.0],
                              "floors": [2.0, 2.0]},
                             geometry=[box(100, 150, 130, 170), box(140, 150, 170, 170)], crs=CRS)
    with_halls = {**layers, "public_buildings": halls}
    idle = _check(with_halls, standards, facility_type="elderly_daycare", footprint=box(100, 150, 130, 170),
                  intervention="conversion", site_layer="public_buildings", site_id="p1", site_status="idle")
    assert idle.check("building_idle").verdict == "pass"
    assert idle.check("land_use").numbers["outcome"] == "defer_change"
    busy = _check(with_halls, standards, facility_type="elderly_daycare", footprint=box(140, 150, 170, 170),
                  intervention="conversion", site_layer="public_buildings", site_id="p2", site_status="in_service")
    assert busy.check("building_idle").verdict == "warn"
    assert busy.check("land_use").numbers["outcome"] != "defer_change"


def test_a_sill_already_below_standard_that_loses_more_sun_breaches_4_0_9(layers, standards, monkeypatch):
    # One sill of b2 had 1.5 h (below Harbin's 2 h on 大寒日) and keeps 1.0 h: the engine's impact is given.
    from gisplanner.analysis.checks import sunlight as sun_checks

    impact = pd.DataFrame({"sill_id": ["b2:1:0"], "building_id": ["b2"], "floor": [1], "hours_before": [1.5],
                           "hours_after": [1.0], "passes_before": [False], "passes_after": [False],
                           "required_hours": [2.0], "status": ["reduced"]})
    monkeypatch.setattr(sun_checks.sunlight, "sunlight_impact", lambda *a, **k: impact)
    check = _check(layers, standards, facility_type="svc_station", footprint=box(210, 130, 260, 150),
                   floors=2).check("sunlight_neighbours")
    assert check.verdict == "consult"
    assert check.numbers["failing_and_reduced"] == 1
    assert "GB 50180-2018 第 4.0.9 条" in check.message and "不应使相邻住宅原有日照标准降低" in check.message
    assert "一事一议" in check.message and "D000 六（一）4" in check.basis
    assert any("广泛征求居民意见" in step for step in check.next_steps)


@pytest.mark.parametrize(("status", "verdict", "says"), [
    ("闲置", "pass", "锅炉房闲置，属闲置用房"),
    ("idle", "pass", "锅炉房闲置，属闲置用房"),
    ("已停用", "pass", "锅炉房已停用，属闲置用房"),
    ("在用", "fail", "锅炉房状态为“在用”，尚未停用"),
    ("未知", "warn", "需核实现状"),
    (None, "warn", "需核实现状"),
])
def test_boiler_room_status_decides_the_site_check(layers, standards, status, verdict, says):
    rooms = layers["boiler_rooms"].assign(status=[status, status])
    site = site_footprint(rooms, "boiler_rooms", "br2")
    report = _check(layers, standards, facility_type="elderly_daycare", footprint=site.footprint,
                    intervention="conversion", site_layer="boiler_rooms", site_id="br2", site_status=site.status)
    check = report.check("site_status")
    assert check.verdict == verdict
    assert says in check.message
    # the policy that lets an idle boiler room be converted is cited whatever the verdict
    assert check.basis and "五（" in check.message
