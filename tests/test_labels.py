"""The one table of Chinese display names: fields, codes, cell values."""

import re

import numpy as np
import pandas as pd
import pytest

from gisplanner import labels
from gisplanner.analysis.checks import VERDICTS
from gisplanner.analysis.district_tables import VIOLATIONS
from gisplanner.io.fields import CANDIDATES
from gisplanner.io.findings import CODES as FINDING_CODES
from gisplanner.standards import INTERVENTIONS, OUTCOMES, STATUSES, load_standards

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def standards():
    return load_standards()


def test_every_canonical_field_has_a_chinese_name():
    canonical = {column for columns in CANDIDATES.values() for column in columns}
    canonical |= {"feature_id", "households_estimated", "population_estimated", "n_buildings", "floor_area_m2",
                  "floors_estimated", "height_estimated", "community_id"}
    missing = sorted(c for c in canonical if not CJK.search(labels.field_label(c)))
    assert missing == []


def test_every_engine_code_has_a_chinese_label():
    for domain, engine_codes in (("verdict", VERDICTS), ("intervention", INTERVENTIONS), ("outcome", OUTCOMES),
                                 ("finding", FINDING_CODES), ("violation", VIOLATIONS)):
        assert set(engine_codes) <= set(labels.codes(domain)), domain
    assert all(CJK.search(labels.status_label(s)) for s in STATUSES)


def test_every_label_is_chinese():
    table = labels._table()
    words = [*table["fields"].values(), *table["standard_status"].values()]
    words += [w for domain in table["codes"] for w in labels.codes(domain).values()]
    assert [w for w in words if not CJK.search(str(w))] == []


def test_unknown_names_come_back_unchanged():
    assert labels.field_label("no_such_column") == "no_such_column"
    assert labels.code_label("no_such_code") == "no_such_code"


def test_domain_decides_between_codes():
    assert labels.code_label("pass", "verdict") == "通过"
    assert labels.code_label("conditions", "overall") == "有条件通过"
    # a code of another domain is still found when the column's domain does not list it
    assert labels.value_label("status", "newly_failing") == "新增不满足日照"


def test_counts_are_integers_and_shares_percentages():
    assert labels.value_label("households", np.float64(5496.4)) == 5496
    assert labels.format_value("population", 12345.6) == "12,346"
    assert labels.format_value("share_built_before_2000", 1.0) == "100%"
    assert labels.format_value("share_served", 0.8537) == "85.4%"
    assert labels.header_label("share_served") == "可达人口占比（%）"


def test_missing_values_stay_missing():
    assert pd.isna(labels.value_label("households", np.nan))
    assert labels.format_value("households", None) == ""


def test_check_columns_show_verdicts():
    assert labels.value_label("check_land_use", "warn") == "有条件"
    assert labels.value_label("violations", "below_min_population;not_contiguous") == "人口低于下限、不连片"
    assert labels.value_label("violations", "") == "符合"


def test_standards_name_types_levels_and_codes(standards):
    assert labels.value_label("facility_type", "kindergarten", standards=standards) == "幼儿园"
    assert labels.value_label("level", "lc15", standards=standards) == "十五分钟生活圈居住区"
    assert labels.value_label("lu_code", "070102", standards=standards) == "070102 二类城镇住宅用地"


def test_display_frame_has_chinese_headers_and_values(standards):
    frame = pd.DataFrame({"district_id": ["D001"], "violations": ["below_min_population"],
                          "households": [912.7], "facility_type": ["kindergarten"], "locked": [True]})
    shown = labels.display_frame(frame, standards=standards)
    assert list(shown.columns) == ["片区编号", "约束检查", "户数", "设施类型", "已锁定"]
    assert shown.iloc[0].tolist() == ["D001", "人口低于下限", 913, "幼儿园", "是"]


def test_land_use_site_kinds_and_policies_are_named(standards):
    from gisplanner.analysis.landuse import SITE_KINDS

    assert all(CJK.search(labels.value_label("site_kind", kind)) for kind in SITE_KINDS)
    assert labels.value_label("policy", "defer_change", standards=standards) == \
        standards.landuse.policies["defer_change"].zh


def test_a_site_is_named_by_layer_id_and_name():
    assert labels.site_label("boiler_rooms:K001", "东风街锅炉房") == "锅炉房 K001 东风街锅炉房"
    assert labels.site_label("boiler_rooms:K001", " ") == "锅炉房 K001"
    assert labels.site_label(None) == "绘制的轮廓"


def test_quantities_carry_their_units_and_are_rounded_for_reading():
    assert labels.quantity_text("extent_m", 721.11) == "721 m"
    assert labels.quantity_text("area_m2", 1234.5) == "1,234 m²"  # round half to even
    assert labels.quantity_text("population", 5496.4) == "5,496 人"
    assert labels.quantity_text("households", 912.7) == "913 户"
    assert labels.quantity_text("share_built_before_2000", 1.0) == "100%"
    assert labels.quantity_text("district_id", "D001") == "D001"
    assert labels.quantity_text("extent_m", float("nan")) == ""
