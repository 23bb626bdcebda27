import geopandas as gpd
import pandas as pd
import plan_data as fx
import pytest
import shapely

from gisplanner.errors import InputError
from gisplanner.export.layers import plan_layers, proposed_frame, select_district, sill_labels, worst_verdict


def test_plan_keeps_district_members_only(plan):
    assert sorted(plan.communities["feature_id"]) == ["c1", "c2", "c3", "c4"]
    assert dict(zip(plan.communities["feature_id"], plan.communities["district_name"]))["c3"] == "革新片区"
    assert sorted(plan.gaps["community_id"]) == ["c1", "c1", "c2"]  # c5's gap is outside every district


def test_without_districts_every_community_is_in_the_plan():
    layers = plan_layers(crs=fx.CRS, communities=fx.communities(), gaps=fx.gaps())
    assert len(layers.communities) == 5
    assert layers.communities["district_id"].isna().all()
    assert len(layers.gaps) == 4
    assert layers.districts.empty and layers.proposed.empty and layers.resources.empty


def test_resources_take_their_geometry_from_their_layer(plan):
    idle = plan.resources[plan.resources["resource_id"] == "i1"].geometry.iloc[0]
    assert idle.equals(fx.resource_layers()["idle_land"].geometry.iloc[0])


def test_resource_of_an_absent_layer_is_an_input_error():
    with pytest.raises(InputError, match="引用了图层 'idle_land'"):
        plan_layers(crs=fx.CRS, communities=fx.communities(), districts=fx.districts(), members=fx.members(),
                    resources=fx.resources(), resource_layers={"boiler_rooms": fx.resource_layers()["boiler_rooms"]})


def test_layer_in_another_crs_is_an_input_error():
    with pytest.raises(InputError, match="图层 districts 的坐标系是"):
        plan_layers(crs=fx.CRS, communities=fx.communities(), districts=fx.districts().to_crs(4326),
                    members=fx.members())


def test_select_district_keeps_its_own_features(plan):
    d1 = select_district(plan, "D1")
    assert sorted(d1.communities["feature_id"]) == ["c1", "c2"]
    assert list(d1.proposed["facility_id"]) == ["P1"]
    assert d1.resources.empty
    assert d1.district_label == "花园片区"
    d2 = select_district(plan, "D2")
    assert d2.proposed.empty and d2.gaps.empty  # P1 lies 70 m outside D2: not D2's facility
    assert sorted(d2.resources["resource_id"]) == ["b1", "i1"]


def test_select_unknown_district_names_the_known_ones(plan):
    with pytest.raises(InputError, match=r"现有片区：D1, D2"):
        select_district(plan, "D9")


def test_placed_facility_without_footprint_is_an_input_error():
    with pytest.raises(InputError, match="要素 P7"):
        proposed_frame([{"facility_id": "P7", "facility_type": "kindergarten", "footprint": "POLYGON ((0 0"}],
                       fx.CRS)


def test_a_building_placed_on_a_parcel_carries_how_it_was_placed():
    record = "按建筑面积 1,200 m² ÷ 3 层，在地块内阴影最少处放置 400 m² 的建筑"
    proposed = proposed_frame([{"facility_id": "P1", "facility_type": "kindergarten", "footprint": shapely.box(0, 0, 20, 20).wkt,
                                "footprint_used": record},
                               {"facility_id": "P2", "facility_type": "kindergarten", "footprint": shapely.box(0, 0, 9, 9).wkt}],
                              fx.CRS)
    assert list(proposed["footprint_used"]) == [record, ""]


def test_worst_verdict_follows_the_placement_order():
    assert worst_verdict(["pass", "warn", "not_checked"]) == "warn"
    assert worst_verdict(["consult", "fail"]) == "fail"
    assert worst_verdict([]) == "pass"


def test_only_picked_candidate_sites_are_drawn():
    sites = fx.resource_layers()["idle_land"].assign(rank=[pd.NA])
    sites = pd.concat([sites, fx.resource_layers()["idle_land"].assign(rank=[1])], ignore_index=True)
    layers = plan_layers(crs=fx.CRS, communities=fx.communities(), candidate_sites=sites)
    assert len(layers.candidate_sites) == 2
    assert list(layers.chosen_sites["rank"]) == [1]


def test_sills_are_classed_by_impact_else_by_the_standard():
    impact = fx.sunlight()
    assert list(sill_labels(impact)) == ["窗台新增不满足日照", "窗台日照不受影响"]
    hours_only = impact.drop(columns=["status", "hours_before", "hours_after"])
    assert list(sill_labels(hours_only)) == ["窗台不满足日照", "窗台满足日照"]


def test_one_district_keeps_a_facility_outside_it_whose_shadow_falls_on_its_buildings(plan):
    from dataclasses import replace

    from plan_data import X0, Y0
    from shapely.geometry import box

    # c3 (D2) is x 220–320, y 0–100 from the origin; its one building b9 stands along its south edge, x 240–290.
    b9 = gpd.GeoDataFrame({"feature_id": ["b9"], "floors": [6.0], "community_id": ["c3"]},
                          geometry=[box(X0 + 240, Y0 + 5, X0 + 290, Y0 + 15)], crs=plan.crs)
    buildings = pd.concat([plan.buildings.assign(community_id="c1"), b9], ignore_index=True)
    # P2's winter shadow reaches b9; P3's (drawn short) stops before any community; P4's reaches into c3's
    # courtyard east of b9 (inside the community outline) but shades no building.
    south = [box(X0 + 250, Y0 - 60, X0 + 280, Y0 - 30), box(X0 + 500, Y0 - 200, X0 + 530, Y0 - 170),
             box(X0 + 300, Y0 - 200, X0 + 310, Y0 - 190)]
    shadows = [box(X0 + 245, Y0 - 60, X0 + 285, Y0 + 20).wkt, box(X0 + 495, Y0 - 200, X0 + 535, Y0 - 150).wkt,
               box(X0 + 295, Y0 - 200, X0 + 315, Y0 + 60).wkt]
    extra = proposed_frame([{"facility_id": f"P{i + 2}", "facility_type": "kindergarten", "footprint": g.wkt,
                             "verdicts": {}, "shadow": s} for i, (g, s) in enumerate(zip(south, shadows))],
                           plan.crs)
    with_more = replace(plan, proposed=pd.concat([plan.proposed, extra], ignore_index=True), buildings=buildings)
    assert shapely.from_wkt(shadows[2]).intersects(plan.communities.set_index("feature_id").geometry["c3"])
    assert sorted(select_district(with_more, "D2").proposed["facility_id"]) == ["P2"]
    assert sorted(select_district(with_more, "D1").proposed["facility_id"]) == ["P1"]
    # without community_id the buildings standing in the district's communities count
    plain = replace(with_more, buildings=buildings.drop(columns="community_id"))
    assert sorted(select_district(plain, "D2").proposed["facility_id"]) == ["P2"]


def test_an_unnamed_community_with_a_gap_is_named_by_its_id():
    communities = fx.communities().assign(name=[None, "宣西小区", "", "四史小区", "五叙小区"])
    layers = plan_layers(crs=fx.CRS, communities=communities, gaps=fx.gaps())
    names = dict(zip(layers.gaps["community_id"], layers.gaps["community_name"]))
    assert names == {"c1": "未命名小区（c1）", "c2": "宣西小区", "c5": "五叙小区"}
