"""Which communities may be renovated, and why the others are not."""

import pandas as pd
import pytest

from gisplanner.analysis.eligibility import LEFT_OUT, community_eligibility, exclusion_table
from gisplanner.errors import InputError


def eligibility(communities, **rules):
    """community_eligibility with this file's rule: built by 2000, extension to 2005 up to 15 % of households."""
    return community_eligibility(communities, **{"built_before": 2000, "extended_built_before": 2005,
                                                 "extended_max_share": 0.15, **rules})


def communities(years, households=None):
    n = len(years)
    return pd.DataFrame({"feature_id": [f"c{i}" for i in range(n)], "name": [f"小区{i}" for i in range(n)],
                         "built_year": pd.array(years, dtype="Int64"),
                         "households": households if households is not None else [100.0] * n})


def test_built_in_the_cut_off_year_is_eligible():
    out = eligibility(communities([1985, 2000, 2001]), extended_max_share=0)
    assert out["eligible"].tolist() == [True, True, False]
    assert out["basis"].tolist()[:2] == ["built_before", "built_before"]


def test_unknown_year_is_excluded_with_a_reason():
    out = eligibility(communities([1990, None]))
    assert not out["eligible"].iloc[1]
    assert "建成年代不详" in out["reason"].iloc[1]


def test_late_community_reason_names_its_year():
    out = eligibility(communities([2012]), extended_max_share=0)
    assert out["reason"].iloc[0] == "2012年建成，晚于2000年底"


def test_extension_admits_oldest_first_up_to_the_household_share():
    # 850 households built by 2000; cap on extension households E: E / (850 + E) <= 0.15 -> E <= 150
    comm = communities([1990, 2004, 2002, 2003, 2008], households=[850.0, 40.0, 100.0, 60.0, 10.0])
    out = eligibility(comm, extended_built_before=2005, extended_max_share=0.15)
    assert out["eligible"].tolist() == [True, False, True, False, False]
    assert out["basis"].tolist()[:3] == ["built_before", pd.NA, "extension"]
    # 2002 (100) is admitted, 2003 (60) would make 160 > 150, and so would 2004 after it
    assert "已达居民户数 15% 上限" in out["reason"].iloc[3]
    assert out["reason"].iloc[4] == "2008年建成，晚于2005年底"
    assert "2002年建成" in out["basis_text"].iloc[2] and "10.5%" in out["basis_text"].iloc[2]  # 100 / 950
    admitted = comm["households"][out["basis"] == "extension"].sum()
    assert admitted / comm["households"][out["eligible"]].sum() <= 0.15


def test_extension_off_treats_its_years_as_late():
    out = eligibility(communities([2003]), extended_max_share=0)
    assert (out["eligible"].item(), out["reason"].item()) == (False, "2003年建成，晚于2000年底")


def test_missing_year_is_taken_from_the_median_of_the_buildings():
    buildings = pd.DataFrame({"community_id": ["c1", "c1", "c1"], "built_year": pd.array([1988, 1992, 2010],
                                                                                         dtype="Int64")})
    out = eligibility(communities([1990, None]), buildings=buildings)
    assert out["built_year"].tolist() == [1990, 1992]
    assert out["built_year_source"].tolist() == ["community", "buildings"]
    assert out["eligible"].all()


def members(pairs):
    return pd.DataFrame(pairs, columns=["district_id", "community_id"])


def test_exclusions_table_lists_each_excluded_community_once():
    comm = communities([1990, None, 2015])
    table = exclusion_table(comm, eligibility(comm), members([("D1", "c0")]))
    assert table["community_id"].tolist() == ["c1", "c2"]
    assert table["community_name"].tolist() == ["小区1", "小区2"]
    assert table["reason"].notna().all() and table["district_id"].isna().all()


def test_exclusions_name_the_district_of_an_ineligible_member():
    comm = communities([1990, 2015])
    table = exclusion_table(comm, eligibility(comm), members([("D1", "c0"), ("D1", "c1")]))
    assert table[["community_id", "district_id"]].values.tolist() == [["c1", "D1"]]


def test_eligible_community_in_no_district_is_listed_as_left_out():
    comm = communities([1990, 1991])
    table = exclusion_table(comm, eligibility(comm), members([("D1", "c0")]))
    assert table[["community_id", "reason"]].values.tolist() == [["c1", LEFT_OUT]]


def test_share_out_of_range_is_refused():
    with pytest.raises(InputError, match="放宽范围的户数占比"):
        eligibility(communities([1990]), extended_max_share=1.5)


def test_planned_expropriation_demolition_and_earlier_subsidy_exclude_whatever_the_age():
    comm = communities([1980, 1985, 1990, 1995])
    comm["expropriation_planned"] = pd.array([True, False, False, None], dtype="boolean")
    comm["demolish_rebuild"] = pd.array([False, True, False, None], dtype="boolean")
    comm["central_subsidy"] = pd.array([False, False, True, None], dtype="boolean")
    out = eligibility(comm)
    assert out["eligible"].tolist() == [False, False, False, True]  # unknown flags do not exclude
    assert "征收补偿安置" in out["reason"].iloc[0] and "三（一）" in out["reason"].iloc[0]
    assert "拆除新建" in out["reason"].iloc[1]
    assert "不得重复申报" in out["reason"].iloc[2]


def test_heilongjiangs_additions_admit_c_grade_and_incomplete_housing_outside_the_cap():
    comm = communities([1990, 2010, 2012, 2012], households=[100.0, 500.0, 500.0, 500.0])
    comm["safety_c"] = pd.array([False, True, False, False], dtype="boolean")
    comm["non_complete_units"] = pd.array([False, False, True, False], dtype="boolean")
    out = eligibility(comm, additions=("safety_c", "non_complete_units"))
    assert out["eligible"].tolist() == [True, True, True, False]
    assert out["basis"].tolist()[1:3] == ["safety_c", "non_complete_units"]
    assert "安全C级" in out["basis_text"].iloc[1] and "黑政办规〔2021〕15号" in out["basis_text"].iloc[1]
    assert not eligibility(comm)["eligible"].iloc[1]  # other provinces: no addition


def test_linked_renovation_field_limits_the_extension_to_the_marked_communities():
    comm = communities([1990, 2002, 2003], households=[900.0, 50.0, 50.0])
    comm["linked_renovation"] = pd.array([None, True, False], dtype="boolean")
    out = eligibility(comm)
    assert out["eligible"].tolist() == [True, True, False]
    assert "联动改造需要纳入" in out["basis_text"].iloc[1]
    assert "“联动改造需要”未标为是" in out["reason"].iloc[2]
