"""Which communities may be renovated (the policy's 2000年底前 rule and its extension), and why not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gisplanner.analysis import attributes
from gisplanner.errors import InputError
from gisplanner.labels import field_label

if TYPE_CHECKING:
    from gisplanner.standards import Standards

EXCLUSION_COLUMNS = ["community_id", "community_name", "built_year", "reason", "district_id"]
#: Reason given for an eligible community that an edit left in no district.
LEFT_OUT = "符合改造条件，但已手工移出所有片区"
#: Community fields that exclude it whatever its age (建办城〔2021〕28号 三（一）、三（四）), with the reason shown.
EXCLUSIONS = {
    "expropriation_planned": "拟对居民进行征收补偿安置，不得纳入改造计划（建办城〔2021〕28号 三（一））",
    "demolish_rebuild": "拟以拆除新建（含改建、扩建、翻建）方式实施改造，不得纳入改造计划（建办城〔2021〕28号 三（一））",
    "central_subsidy": "已纳入过中央补助支持的改造计划，不得重复申报（建办城〔2021〕28号 三（四））",
}
#: Provincial additions to the scope: a community field that admits a community built after the cut-off, with
#: the basis shown (黑政办规〔2021〕15号 二（一）).
ADDITIONS = {
    "safety_c": "2000年后建成并被鉴定为安全C级住宅楼（黑政办规〔2021〕15号 二（一））",
    "non_complete_units": "无独立厨房、卫生间等非成套住宅楼（黑政办规〔2021〕15号 二（一））",
}


def _flags(communities: pd.DataFrame, column: str) -> np.ndarray:
    """A three-valued community field as a bool array (unknown counts as false)."""
    if column not in communities:
        return np.zeros(len(communities), dtype=bool)
    return communities[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def community_eligibility(communities: pd.DataFrame, *, built_before: int, extended_built_before: int,
                          extended_max_share: float, additions: tuple[str, ...] = (),
                          buildings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Decide which communities may be renovated, with the reason for every exclusion and every admission.

    As the documents write it:

    - built in or before ``built_before`` (2000年底前, 国办发〔2020〕23号 二（一）): eligible;
    - built after it but in or before ``extended_built_before`` (建办城〔2021〕28号 三（一）、三（四）): eligible
      “根据相邻小区、周边地区联动改造需要” — where the ``linked_renovation`` field is given only the communities
      it marks, else every one (the basis says the need is not recorded) — while their households stay
      within ``extended_max_share`` of the eligible households (extension included); oldest first, then by
      ``feature_id``;
    - ``additions`` (province fields of :data:`ADDITIONS`, e.g. Heilongjiang's ``safety_c`` and
      ``non_complete_units``): a community marked so is eligible whatever its year, outside the cap;
    - a community marked by a field of :data:`EXCLUSIONS` (征收补偿安置, 拆除新建, 已纳入中央补助) is excluded
      whatever its year.

    Where a community's ``built_year`` is missing, the median ``built_year`` of its buildings is used when
    ``buildings`` is given.

    Parameters
    ----------
    communities
        ``feature_id``, ``built_year`` (Int64, may be NA), ``households``; optional flag fields of
        :data:`EXCLUSIONS`, :data:`ADDITIONS` and ``linked_renovation``.
    buildings
        Optional ``community_id``, ``built_year``.
    built_before, extended_built_before
        Years (inclusive: built in or before); ``renovation.yaml`` eligibility.
    extended_max_share
        Largest share (0–1) of eligible households that may come from the extension; 0 turns
        the extension off (see :func:`eligibility_rules`).
    additions
        The province's addition fields, keys of :data:`ADDITIONS`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``communities``: ``community_id``, ``built_year`` (the year used),
        ``built_year_source`` (``community`` / ``buildings`` / NA), ``eligible`` (bool),
        ``basis`` (``built_before`` / ``extension`` / an addition field / NA), ``basis_text`` (why it is
        eligible, in Chinese; NA when not) and ``reason`` (why not; NA when eligible).
    """
    if not 0 <= extended_max_share < 1:
        raise InputError(f"放宽范围的户数占比须在 0 到 1 之间（不含 1），现为 {extended_max_share}",
                         fix="在“城市与标准”中把“改造范围 · 放宽至 2005 年 · 占计划户数上限”设为如 0.15 的比例")
    unknown = sorted(set(additions) - set(ADDITIONS))
    if unknown:
        raise InputError(f"未知的改造范围增补条件：{'、'.join(unknown)}",
                         fix=f"使用其中之一：{', '.join(ADDITIONS)}")
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
    excluded = np.zeros(len(ids), dtype=bool)
    reason = np.full(len(ids), None, dtype=object)
    for column, why in EXCLUSIONS.items():
        hit = _flags(communities, column) & ~excluded
        reason[hit] = why
        excluded |= hit
    basis = np.full(len(ids), None, dtype=object)
    basis_text = np.full(len(ids), None, dtype=object)
    old = known & (y <= built_before) & ~excluded
    basis[old] = "built_before"
    basis_text[old] = [f"{v}年建成，属{built_before}年底前建成的老旧小区" for v in y[old]]
    added = np.zeros(len(ids), dtype=bool)
    for column in additions:
        hit = _flags(communities, column) & ~excluded & ~old & ~added
        basis[hit] = column
        basis_text[hit] = ADDITIONS[column]
        added |= hit
    eligible = old | added
    open_ = ~eligible & ~excluded
    reason[open_ & ~known] = f"建成年代不详：请为小区或其建筑补充{field_label('built_year')}"
    last = extended_built_before if extended_max_share > 0 else built_before
    late = open_ & known & (y > last)
    reason[late] = [f"{v}年建成，晚于{last}年底" for v in y[late]]
    ext = open_ & known & (y > built_before) & (y <= extended_built_before) & (extended_max_share > 0)
    if "linked_renovation" in communities:
        linked = _flags(communities, "linked_renovation")
        unlinked = ext & ~linked
        reason[unlinked] = [f"{v}年建成，“{field_label('linked_renovation')}”未标为是（相邻小区、周边地区联动改造）"
                            for v in y[unlinked]]
        ext &= linked
        why_linked = "，根据相邻小区、周边地区联动改造需要纳入"
    else:
        why_linked = f"，纳入2000年底后（未记录“{field_label('linked_renovation')}”，请核实）"
    if ext.any():
        # E / (B + E) <= s  <=>  E <= s * B / (1 - s), with B the households eligible without the extension
        cap = extended_max_share * households[eligible].sum() / (1 - extended_max_share)
        order = np.lexsort((ids.to_numpy()[ext], y[ext]))
        candidates = np.flatnonzero(ext)[order]
        within = np.cumsum(households.to_numpy()[candidates]) <= cap + 1e-9
        kept, refused = candidates[within], candidates[~within]
        eligible[kept] = True
        basis[kept] = "extension"
        total = households[eligible].sum()
        share = households.to_numpy()[kept].sum() / total if total > 0 else 0.0
        basis_text[kept] = [f"{v}年建成{why_linked}；2000年底后小区合计占居民户数 {share:.1%}"
                            f"（上限 {extended_max_share:.0%}，建办城〔2021〕28号 三（四））" for v in y[kept]]
        reason[refused] = [f"{v}年建成：2000年底后小区已达居民户数 {extended_max_share:.0%} 上限"
                           "（建办城〔2021〕28号 三（四））" for v in y[refused]]
    return pd.DataFrame({
        "community_id": ids.to_numpy(), "built_year": year.to_numpy(), "built_year_source": source.to_numpy(),
        "eligible": eligible, "basis": pd.array(basis, dtype="string"),
        "basis_text": pd.array(basis_text, dtype="string"), "reason": pd.array(reason, dtype="string"),
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


def eligibility_rules(standards: Standards) -> dict[str, Any]:
    """The keyword arguments of :func:`community_eligibility` from ``renovation.yaml`` (the only place they are set)."""
    elig = standards.renovation.eligibility
    return {"built_before": elig.built_before_end_of, "extended_built_before": elig.extension_built_before_end_of,
            "extended_max_share": elig.extension_max_share_of_households if elig.extension_enabled else 0.0}
