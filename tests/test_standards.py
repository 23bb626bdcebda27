"""The standards config: provenance everywhere, clear errors on broken files, recorded overrides."""

import shutil

import pytest
import yaml

from gisplanner.errors import ConfigError
from gisplanner.standards import STANDARDS_DIR, STATUSES, Override, load_standards


@pytest.fixture(scope="module")
def standards():
    return load_standards()


@pytest.fixture
def config_dir(tmp_path):
    target = tmp_path / "standards"
    shutil.copytree(STANDARDS_DIR, target)
    return target


def edit(directory, name, change):
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_every_value_has_status_and_source(standards):
    rows = standards.rows()
    assert len(rows) > 400
    for row in rows:
        assert row.status in STATUSES, row.path
        assert row.source, row.path


def test_every_source_id_is_registered(standards):
    for row in standards.rows():
        for ref in row.source:
            assert ref.split()[0] in standards.sources, (row.path, ref)


def test_levels_carry_the_gap_thresholds(standards):
    assert {k: lv.walk_distance_m for k, lv in standards.levels.items() if k != "block"} == {
        "lc5": 300, "lc10": 500, "lc15": 1000}


def test_type_without_radius_uses_its_level_distance(standards):
    clinic = standards.facility_type("clinic")
    assert clinic.radius_m is None
    assert clinic.threshold_m(standards.levels["lc15"]) == 1000
    assert standards.facility_type("kindergarten").threshold_m(standards.levels["lc5"]) == 300


def test_both_catalogue_profiles_load(standards):
    assert "kindergarten" in standards.facility_types("gb50180")
    assert standards.facility_types("wanzheng")["kindergarten"].levels == ("lc10",)


def test_category_map_covers_type_keys_and_chinese_names(standards):
    assert standards.category_map["kindergarten"] == ("kindergarten", "nursery")
    assert standards.category_map["幼儿园"] == ("kindergarten",)
    assert standards.category_map["school"] == ("primary_school", "middle_school")


def test_harbin_requires_two_hours_on_dahan(standards):
    req = standards.sunlight.requirement("harbin")
    assert (req.day, req.hours, req.window) == ("dahan", 2.0, (8.0, 16.0))


def test_special_rule_overrides_the_table(standards):
    req = standards.sunlight.requirement("harbin", special="kindergarten_living")
    assert (req.day, req.hours, req.window) == ("dongzhi", 3.0, (9.0, 15.0))


def test_beijing_counting_drops_short_segments(standards):
    assert standards.sunlight.requirement("beijing").counting.min_segment_min["dongzhi"] == 30


def test_sweep_angle_is_local(standards):
    assert standards.sunlight.requirement("beijing").counting.sweep_deg == 12
    assert standards.sunlight.requirement("harbin").counting.sweep_deg == 0


def test_xining_needs_a_local_rule(standards):
    with pytest.raises(ConfigError, match="尚未确定"):
        standards.sunlight.requirement("xining")


def test_unknown_city_is_named(standards):
    with pytest.raises(ConfigError, match="atlantis"):
        standards.sunlight.requirement("atlantis")


def test_land_use_name_falls_back_to_parent(standards):
    assert standards.landuse.name("080404") == "幼儿园用地"
    assert standards.landuse.name("1401") == "公园绿地"
    with pytest.raises(ConfigError):
        standards.landuse.name("9999")


def test_no_default_costs_ship(standards):
    assert standards.raw["renovation"]["cost"]["default_unit_costs"] == {}


def test_override_records_who_when_why_and_old_value(standards):
    path = "facilities.profiles.gb50180.types.kindergarten.radius_m"
    changed = standards.with_override(Override(path, 500, who="王工", why="哈尔滨地方规定"))
    assert changed.facility_type("kindergarten").radius_m == 500
    assert changed.facility_type("kindergarten").status == "override"
    (record,) = changed.overrides
    assert (record.old_value, record.who, record.why) == (300, "王工", "哈尔滨地方规定")
    assert record.when
    assert standards.facility_type("kindergarten").radius_m == 300


def test_override_round_trips_through_a_dict():
    record = Override("settings.network.access_snap_m.value", 50, who="li", why="gated estates")
    assert Override.from_dict(record.to_dict()) == record


def test_override_without_reason_is_refused():
    with pytest.raises(ConfigError, match="修改人和理由"):
        load_standards([Override("settings.network.access_snap_m.value", 50, who="li", why="")])


def test_override_of_unknown_path_is_refused():
    with pytest.raises(ConfigError, match="标准中没有这个键"):
        load_standards([Override("green.public_green.lc99.m2_per_person", 3, who="li", why="x")])


def test_override_with_a_wrong_value_fails_validation():
    with pytest.raises(ConfigError, match="radius_m"):
        load_standards([Override("facilities.profiles.gb50180.types.kindergarten.radius_m", -5,
                                 who="li", why="typo")])


def test_negative_radius_names_file_key_and_value(config_dir):
    edit(config_dir, "facilities",
         lambda d: d["profiles"]["gb50180"]["types"]["kindergarten"].update(radius_m=-300))
    with pytest.raises(ConfigError) as err:
        load_standards(directory=config_dir)
    message = str(err.value)
    assert "facilities.yaml" in message and "kindergarten.radius_m" in message and "-300" in message


def test_missing_status_is_refused(config_dir):
    edit(config_dir, "green", lambda d: d["public_green"]["lc10"].pop("status"))
    with pytest.raises(ConfigError, match=r"green.yaml.*public_green.lc10.status"):
        load_standards(directory=config_dir)


def test_unregistered_source_is_refused(config_dir):
    edit(config_dir, "levels", lambda d: d["levels"]["lc5"].update(source=["my-blog"]))
    with pytest.raises(ConfigError, match="my-blog"):
        load_standards(directory=config_dir)


def test_hours_longer_than_the_window_are_refused(config_dir):
    edit(config_dir, "sunlight", lambda d: d["table_4_0_9"][0].update(hours=9))
    with pytest.raises(ConfigError, match="超过该日的有效日照时间带"):
        load_standards(directory=config_dir)


def test_unknown_level_in_catalogue_is_refused(config_dir):
    edit(config_dir, "facilities",
         lambda d: d["profiles"]["gb50180"]["types"]["clinic"].update(levels=["lc20"]))
    with pytest.raises(ConfigError, match="lc20"):
        load_standards(directory=config_dir)


def test_invalid_yaml_names_the_file(config_dir):
    (config_dir / "landuse.yaml").write_text("codes: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="landuse.yaml"):
        load_standards(directory=config_dir)


def test_missing_file_names_it(config_dir):
    (config_dir / "renovation.yaml").unlink()
    with pytest.raises(ConfigError, match="renovation.yaml"):
        load_standards(directory=config_dir)


def test_shipping_default_costs_is_refused(config_dir):
    edit(config_dir, "renovation", lambda d: d["cost"].update(default_unit_costs={"roof": 100}))
    with pytest.raises(ConfigError, match="不得预置默认单价"):
        load_standards(directory=config_dir)


def test_facility_classes_follow_the_catalogue(standards):
    classes = standards.facility_classes()
    assert classes["kindergarten"] == "提升类" and classes["outdoor_fitness"] == "完善类"
    assert "middle_school" not in classes


def test_osm_landuse_tags_map_to_listed_codes(standards):
    assert standards.landuse.osm_codes["brownfield"] == "2301"
    assert standards.landuse.osm_codes_provenance.status == "U-inference"
    for code in standards.landuse.osm_codes.values():
        standards.landuse.name(code)


def test_osm_tag_mapped_to_an_unlisted_code_is_refused(config_dir):
    edit(config_dir, "landuse", lambda d: d["osm_landuse"]["tags"].update(retail="0999"))
    with pytest.raises(ConfigError, match=r"osm_landuse.tags.retail.*0999"):
        load_standards(directory=config_dir)


def test_one_city_to_province_map_serves_catalogue_and_ledger(config_dir):
    from gisplanner.analysis.renovation import load_catalogue

    edit(config_dir, "renovation", lambda d: d["provinces"]["heilongjiang"]["cities"].append("daqing"))
    standards = load_standards(directory=config_dir)
    raw = standards.raw
    assert load_catalogue(raw["renovation"], raw["sources"]["quotes"], "daqing").key == "heilongjiang"
    assert standards.ledger.province("daqing") == "heilongjiang"
    assert standards.ledger.province("chengdu") == "national"
    assert all("cities" not in entry for entry in raw["ledger"]["preconditions"].values())


def test_ledger_preconditions_of_an_unknown_province_are_refused(config_dir):
    edit(config_dir, "ledger", lambda d: d["preconditions"].update(
        jilin={"zh": "吉林省", "items": ["consent"], "status": "U-local", "source": ["D001"]}))
    with pytest.raises(ConfigError, match="省份键"):
        load_standards(directory=config_dir)
