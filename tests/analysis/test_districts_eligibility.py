"""Which communities may be renovated, and why the others are not."""

import pandas as pd
import pytest

from gisplanner.analysis.eligibility import LEFT_OUT, community_eligibility, exclusion_table
from gisplanner.errors import InputError


def communities(years, households=None):
    n = len(years)
    return pd.DataFrame({"feature_id": [f"c{i}" for i in range(n)], "name": [f"小区{i}" for i in range(n)],
                         "built_year": pd.array(years, dtype="Int64"),
                         "households": households if households is not None else [100.0] * n})


def test_built_in_the_cut_off_year_is_eligible():
    out = community_eligibility(communities([1985, 2000, 2001]), extended_max_share=0)
    assert out["eligible"].tolist() == [True, True, False]
    assert out["basis"].tolist()[:2] == ["built_before", "built_before"]


def test_unknown_year_is_excluded_with_a_reason():
    out = community_eligibility(communities([1990, None]))
    assert not out["eligible"].iloc[1]
    assert "built year unknown" in out["reason"].iloc[1]


def test_late_community_reason_names_its_year():
    out = community_eligibility(communities([2012]), extended_max_share=0)
    assert out["reason"].iloc[0] == "built 2012, after 2000"


def test_extension_admits_oldest_first_up_to_the_household_share():
    # 850 households built by 2000; cap on extension households E: E / (850 + E) <= 0.15 -> E <= 150
    comm = communities([1990, 2004, 2002, 2003, 2008], households=[850.0, 40.0, 100.0, 60.0, 10.0])
    out = community_eligibility(comm, extended_built_before=2005, extended_max_share=0.15)
    assert out["eligible"].tolist() == [True, False, True, False, False]
    assert out["basis"].tolist()[:3] == ["built_before", pd.NA, "extension"]
    # 2002 (100) is admitted, 2003 (60) would make 160 > 150, and so would 2004 after it
    assert "extension is full" in out["reason"].iloc[3]
    assert out["reason"].iloc[4] == "built 2008, after 2005"
    admitted = comm["households"][out["basis"] == "extension"].sum()
    assert admitted / comm["households"][out["eligible"]].sum() <= 0.15


def test_extension_off_treats_its_years_as_late():
    out = community_eligibility(communities([2003]), extended_max_share=0)
    assert (out["eligible"].item(), out["reason"].item()) == (False, "built 2003, after 2000")


def test_missing_year_is_taken_from_the_median_of_the_buildings():
    buildings = pd.DataFrame({"community_id": ["c1", "c1", "c1"], "built_year": pd.array([1988, 1992, 2010],
                                                                                         dtype="Int64")})
    out = community_eligibility(communities([1990, None]), buildings=buildings)
    assert out["built_year"].tolist() == [1990, 1992]
    assert out["built_year_source"].tolist() == ["community", "buildings"]
    assert out["eligible"].all()


def members(pairs):
    return pd.DataFrame(pairs, columns=["district_id", "community_id"])


def test_exclusions_table_lists_each_excluded_community_once():
    comm = communities([1990, None, 2015])
    table = exclusion_table(comm, community_eligibility(comm), members([("D1", "c0")]))
    assert table["community_id"].tolist() == ["c1", "c2"]
    assert table["community_name"].tolist() == ["小区1", "小区2"]
    assert table["reason"].notna().all() and table["district_id"].isna().all()


def test_exclusions_name_the_district_of_an_ineligible_member():
    comm = communities([1990, 2015])
    table = exclusion_table(comm, community_eligibility(comm), members([("D1", "c0"), ("D1", "c1")]))
    assert table[["community_id", "district_id"]].values.tolist() == [["c1", "D1"]]


def test_eligible_community_in_no_district_is_listed_as_left_out():
    comm = communities([1990, 1991])
    table = exclusion_table(comm, community_eligibility(comm), members([("D1", "c0")]))
    assert table[["community_id", "reason"]].values.tolist() == [["c1", LEFT_OUT]]


def test_share_out_of_range_is_refused():
    with pytest.raises(InputError, match="extended_max_share"):
        community_eligibility(communities([1990]), extended_max_share=1.5)
