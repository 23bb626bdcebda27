"""Which communities may be renovated (the policy's 2000年底前 rule and its extension), and why not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisplanner.analysis import attributes
from gisplanner.errors import InputError

EXCLUSION_COLUMNS = ["community_id", "community_name", "built_year", "reason", "district_id"]
#: Reason given for an eligible community that an edit left in no district.
LEFT_OUT = "eligible, but left out of every district by hand"


def community_eligibility(communities: pd.DataFrame, *, buildings: pd.DataFrame | None = None,
                          built_before: int = 2000, extended_built_before: int = 2005,
                          extended_max_share: float = 0.15) -> pd.DataFrame:
    """Decide which communities may be renovated, with the reason for every exclusion.

    A community built in or before ``built_before`` is eligible. One built after it but in or
    before ``extended_built_before`` is eligible under the extension while the households of
    all extension communities stay within ``extended_max_share`` of the households of the
    eligible set (extension included); oldest are admitted first, then by ``feature_id``.
    Where a community's ``built_year`` is missing, the median ``built_year`` of its buildings
    is used when ``buildings`` is given.

    Parameters
    ----------
    communities
        ``feature_id``, ``built_year`` (Int64, may be NA), ``households``.
    buildings
        Optional ``community_id``, ``built_year``.
    built_before, extended_built_before
        Years (inclusive: built in or before).
    extended_max_share
        Largest share (0–1) of eligible households that may come from the extension; 0 turns
        the extension off.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``communities``: ``community_id``, ``built_year`` (the year used),
        ``built_year_source`` (``community`` / ``buildings`` / NA), ``eligible`` (bool),
        ``basis`` (``built_before`` / ``extension`` / NA) and ``reason`` (NA when eligible).
    """
    if not 0 <= extended_max_share < 1:
        raise InputError(f"extended_max_share must be in [0, 1), got {extended_max_share}",
                         fix="set renovation eligibility.extension.max_share_of_households to a share "
                             "such as 0.15")
    ids = communities["feature_id"].astype(str)
    year = attributes.built_years(communities)
    source = pd.Series(np.where(year.notna(), "community", None), index=communities.index, dtype="string")
    if buildings is not None and len(buildings) and "built_year" in buildings:
        dated = buildings.dropna(subset=["community_id", "built_year"])
        by_comm = dated.groupby(dated["community_id"].astype(str))["built_year"].median()
        fill = ids.map(by_comm).astype("Float64").floordiv(1).astype("Int64")
        use = year.isna() & fill.notna()
        year = year.mask(use, fill)
        source = source.mask(use, "buildings")
    households = attributes.numeric(communities, "households").fillna(0.0)
    known = year.notna().to_numpy()
    y = year.fillna(0).to_numpy(dtype=np.int64)
    old = known & (y <= built_before)
    ext = known & (y > built_before) & (y <= extended_built_before)
    eligible = old.copy()
    reason = np.full(len(ids), None, dtype=object)
    reason[~known] = "built year unknown; supply built_year for the community or its buildings"
    last = extended_built_before if extended_max_share > 0 else built_before
    late = known & (y > max(built_before, last))
    reason[late] = [f"built {v}, after {max(built_before, last)}" for v in y[late]]
    if extended_max_share > 0 and ext.any():
        # E / (B + E) <= s  <=>  E <= s * B / (1 - s)
        cap = extended_max_share * households[old].sum() / (1 - extended_max_share)
        order = np.lexsort((ids.to_numpy()[ext], y[ext]))
        candidates = np.flatnonzero(ext)[order]
        within = np.cumsum(households.to_numpy()[candidates]) <= cap + 1e-9
        eligible[candidates[within]] = True
        refused = candidates[~within]
        reason[refused] = [f"built {v}: the {built_before}–{extended_built_before} extension is full "
                           f"({extended_max_share:.0%} of eligible households)" for v in y[refused]]
    basis = np.where(old, "built_before", np.where(eligible, "extension", None))
    return pd.DataFrame({
        "community_id": ids.to_numpy(), "built_year": year.to_numpy(), "built_year_source": source.to_numpy(),
        "eligible": eligible, "basis": pd.array(basis, dtype="string"),
        "reason": pd.array(reason, dtype="string"),
    }, index=communities.index)


def exclusion_table(communities: pd.DataFrame, eligibility: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Every community that is not an eligible member of a district, and why.

    Lists the ineligible communities with their reason (and their ``district_id`` where a
    planner put one into a district anyway), and eligible communities in no district with
    the reason :data:`LEFT_OUT`.

    Parameters
    ----------
    communities
        ``feature_id``, ``name``.
    eligibility
        Output of :func:`community_eligibility`.
    members
        Output of :func:`~gisplanner.analysis.district_tables.member_table`.

    Returns
    -------
    pandas.DataFrame
        ``EXCLUSION_COLUMNS``, in layer order.
    """
    district = eligibility["community_id"].map(
        dict(zip(members["community_id"], members["district_id"]))).astype("string")
    eligible = eligibility["eligible"].to_numpy(bool)
    listed = ~eligible | district.isna().to_numpy()
    reason = eligibility["reason"].astype("string").mask(eligible & district.isna().to_numpy(), LEFT_OUT)
    out = pd.DataFrame({
        "community_id": eligibility["community_id"], "community_name": attributes.column(communities, "name", pd.NA)
        .astype("string"), "built_year": eligibility["built_year"], "reason": reason, "district_id": district})
    return out.loc[listed, EXCLUSION_COLUMNS].reset_index(drop=True)
