"""Land-use decision for a placed facility: the standards §6.2 table as rules fed by config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner.errors import ConfigError, InputError
from gisplanner.labels import code_label
from gisplanner.standards import INTERVENTIONS, OUTCOMES, DecisionRow, PermitRule, PolicyRule

DECOMMISSIONED = "decommissioned"
#: Statuses of a site out of use (gisplanner.io.status): a boiler room or building in one of them is 闲置.
OUT_OF_USE = (DECOMMISSIONED, "idle")


def row_matches(row: DecisionRow, case: LandUseCase) -> bool:
    """Whether every condition of a decision row holds for ``case``.

    ``intervention``, ``site_kind``, ``facility_levels``, ``current_code_prefix`` and ``target_code_prefix``
    hold when any listed value matches (a code prefix matches the start of the 2023 code, an unknown code
    matches nothing); ``adds_far``, ``new_construction_land`` and ``inside_community`` hold when equal to the
    fact. An empty ``when`` always holds.
    """
    for name, wanted in row.when.items():
        if name in ("adds_far", "new_construction_land", "inside_community"):
            if bool(getattr(case, name)) != bool(wanted):
                return False
        elif name in ("intervention", "site_kind"):
            if getattr(case, name) not in wanted:
                return False
        elif name == "facility_levels":
            if not set(case.facility_levels) & set(wanted):
                return False
        elif not _code_matches(case.current_code if name == "current_code_prefix" else case.target_code,
                               wanted):
            return False
    return True


#: Kinds of site the decision table tells apart (``site_kind``): a boiler room and a building of the
#: public-buildings layer, each out of use (闲置, :data:`OUT_OF_USE`); None for any other site.
SITE_KINDS = ("idle_boiler_room", "idle_building")


@dataclass(frozen=True)
class LandUseCase:
    """The facts the decision table looks at, for one parcel under the site.

    ``inside_community``: the site lies inside a residential community (小区内); ``site_kind``: one of
    :data:`SITE_KINDS` or None.
    """

    intervention: str
    target_code: str | None
    current_code: str | None
    facility_levels: tuple[str, ...] = ()
    adds_far: bool = False
    new_construction_land: bool = False
    inside_community: bool = False
    site_kind: str | None = None


@dataclass(frozen=True)
class LandUseDecision:
    """The table's answer for one parcel (or the combined answer for a site).

    The combined outcome of several parcels is the most demanding one, in the order of ``OUTCOMES``.
    ``plan_conforming`` says whether the planned code (详规) agrees with the facility's target code (None
    where either is unknown); ``needs_local_rule`` is set when the outcome calls for a city's
    存量建筑功能转换 rule and none is loaded.
    """

    outcome: str
    row_id: str
    basis: tuple[str, ...]
    checks: tuple[str, ...]
    note: str
    parcel_id: str | None = None
    current_code: str | None = None
    planned_code: str | None = None
    target_code: str | None = None
    plan_conforming: bool | None = None
    needs_local_rule: bool = False
    parcels: tuple[LandUseDecision, ...] = ()
    policy: str = ""


@dataclass(frozen=True)
class PermitResult:
    """Whether a construction permit is needed: ``required`` is None when the inputs cannot tell."""

    required: bool | None
    reason: str
    rule_id: str | None
    source: tuple[str, ...] = ()


def decide(rows: Sequence[DecisionRow], case: LandUseCase) -> DecisionRow:
    """The first row of the table whose every condition holds for ``case``.

    Parameters
    ----------
    rows
        The decision table, in order (``Standards.landuse.decisions``).
    case
        The facts of one parcel.

    Raises
    ------
    ConfigError
        When no row matches: the table must end with a catch-all row (empty ``when``).
    """
    if case.intervention not in INTERVENTIONS:
        raise InputError(f"未知的建设方式“{case.intervention}”",
                         fix=f"使用其中之一：{', '.join(INTERVENTIONS)}")
    for row in rows:
        if row_matches(row, case):
            return row
    raise ConfigError("没有一行判定规则适用；判定表的最后一行须是 `when` 为空的兜底行",
                      key="landuse.decisions")


def parcels_under(landuse: gpd.GeoDataFrame, footprint: BaseGeometry, *,
                  min_overlap_m2: float = 1.0) -> gpd.GeoDataFrame:
    """The land-use parcels a site stands on.

    Parameters
    ----------
    landuse
        The ``landuse`` layer (``feature_id``, ``lu_code``, ``lu_code_planned``), metric CRS.
    footprint
        The site: a polygon, or a point for equipment.
    min_overlap_m2
        Parcels sharing less than this with a polygon site are edge slivers and are left out, m².

    Returns
    -------
    geopandas.GeoDataFrame
        The parcels, largest overlap first, with ``overlap_m2``.
    """
    missing = [c for c in ("feature_id", "lu_code", "lu_code_planned") if c not in landuse.columns]
    if missing:
        raise InputError(f"缺少字段：{'、'.join(missing)}", layer="landuse",
                         fix="导入该图层时对应用地代码字段")
    hits = landuse.iloc[landuse.sindex.query(footprint, predicate="intersects")].copy()
    hits["overlap_m2"] = shapely.area(shapely.intersection(hits.geometry.values, footprint))
    if shapely.area(footprint) > 0:
        hits = hits[hits["overlap_m2"] >= min_overlap_m2]
    return hits.sort_values("overlap_m2", ascending=False)


def decide_site(rows: Sequence[DecisionRow], parcels: pd.DataFrame, *, intervention: str,
                target_code: str | None, facility_levels: Iterable[str] = (), adds_far: bool = False,
                new_construction_land: bool = False, local_conversion_rule: bool = False,
                inside_community: bool = False, site_kind: str | None = None) -> LandUseDecision:
    """Decide every parcel under a site and combine them into the most demanding outcome.

    Parameters
    ----------
    rows
        The decision table.
    parcels
        Output of :func:`parcels_under`. With no parcel the current code is unknown, and only rows that
        do not look at it can match.
    intervention
        ``new``, ``conversion``, ``elevator`` or ``equipment``.
    target_code
        The facility type's 2023 code (catalogue ``lu2023``).
    facility_levels
        Level keys of the facility type.
    adds_far
        Whether the works add floor area counted in FAR (计容建筑面积).
    new_construction_land
        Whether the works take land not yet construction land.
    local_conversion_rule
        Whether the city has a 存量建筑功能转换 rule loaded.
    inside_community
        Whether the site lies inside a residential community (小区内).
    site_kind
        ``idle_boiler_room``, ``idle_building`` (:data:`SITE_KINDS`) or None.

    Returns
    -------
    LandUseDecision
        The combined decision; its ``parcels`` holds each parcel's own decision.
    """
    facts = {"intervention": intervention, "target_code": target_code,
             "facility_levels": tuple(facility_levels), "adds_far": adds_far,
             "new_construction_land": new_construction_land, "inside_community": inside_community,
             "site_kind": site_kind}
    records = parcels.to_dict("records") if len(parcels) else [{"feature_id": None, "lu_code": None,
                                                                 "lu_code_planned": None}]
    decisions = []
    for parcel in records:
        current, planned = _code(parcel["lu_code"]), _code(parcel["lu_code_planned"])
        row = decide(rows, LandUseCase(current_code=current, **facts))
        decisions.append(LandUseDecision(
            outcome=row.outcome, row_id=row.id, basis=row.basis, checks=row.checks, note=row.note,
            parcel_id=None if parcel["feature_id"] is None else str(parcel["feature_id"]),
            current_code=current, planned_code=planned, target_code=target_code,
            plan_conforming=_codes_agree(planned, target_code),
            needs_local_rule=row.outcome == "conversion_local_rule" and not local_conversion_rule,
            policy=row.policy))
    worst = max(decisions, key=lambda d: OUTCOMES.index(d.outcome))
    conforming = [d.plan_conforming for d in decisions]
    return LandUseDecision(
        outcome=worst.outcome, row_id=worst.row_id, basis=_union(d.basis for d in decisions),
        checks=_union(d.checks for d in decisions), note=worst.note, parcel_id=worst.parcel_id,
        current_code=worst.current_code, planned_code=worst.planned_code, target_code=target_code,
        plan_conforming=None if None in conforming else all(conforming),
        needs_local_rule=any(d.needs_local_rule for d in decisions), parcels=tuple(decisions),
        policy=worst.policy)


@dataclass(frozen=True)
class Citation:
    """One sentence of a document: source id (sources.yaml), document title, article and the quote."""

    source: str
    document: str
    section: str
    quote: str

    @property
    def text(self) -> str:
        """``document article：“quote”``."""
        return f"{self.document} {self.section}：“{self.quote}”"


@dataclass(frozen=True)
class PolicyBasis:
    """The rule a verdict applies, as a reviewer reads it: the sentences it rests on (the national one first,
    then the province's own where it has one), what the applicant may do, on what conditions, and the next
    steps."""

    rule: str
    zh: str
    action: str
    citations: tuple[Citation, ...]
    conditions: tuple[str, ...]
    next_steps: tuple[str, ...]

    @property
    def citation(self) -> str:
        """Every sentence, ``；``-separated, for reports."""
        return "；".join(c.text for c in self.citations)

    @property
    def refs(self) -> tuple[str, ...]:
        """``SOURCE ARTICLE`` of each sentence, for a check's basis."""
        return tuple(f"{c.source} {c.section}" for c in self.citations)


def policy_basis(policies: Mapping[str, PolicyRule], key: str, *, province: str | None = None,
                 document_titles: Mapping[str, str] | None = None) -> PolicyBasis | None:
    """The basis of policy ``key``: its national sentence and, in ``province``, the province's own; None for
    no key.

    Parameters
    ----------
    policies
        ``Standards.landuse.policies``.
    key
        A decision row's ``policy``.
    province
        The project's province key (renovation.yaml ``provinces``); None for the national sentence only.
    document_titles
        Source id -> title (``Standards.sources``); the id itself where absent.
    """
    if not key:
        return None
    rule = policies[key]
    titles = document_titles or {}
    scopes = ["national"] + ([province] if province in rule.quotes and province != "national" else [])
    citations = tuple(Citation(src, titles.get(src, src), section, quote)
                      for src, section, quote in (rule.quotes[s] for s in scopes))
    return PolicyBasis(key, rule.zh, rule.action, citations, rule.conditions, rule.next_steps)


def construction_permit(rule: PermitRule | None, *, new_floor_area_m2: float,
                        investment_wan_yuan: float | None = None) -> PermitResult:
    """Whether the works need a construction permit under a province/city threshold rule.

    Parameters
    ----------
    rule
        The rule of the project's city, or None where no rule is loaded.
    new_floor_area_m2
        New floor area built, m² (0 for conversions and equipment).
    investment_wan_yuan
        Investment, 万元; None when unknown.

    Examples
    --------
    >>> rule = PermitRule("hlj", ("harbin",), 500, 100, "U-local", ("S-hlj",))
    >>> construction_permit(rule, new_floor_area_m2=800, investment_wan_yuan=90).required
    False
    """
    if rule is None:
        return PermitResult(None, "本市未载入施工许可限额规定", None)
    if new_floor_area_m2 <= rule.max_new_floor_area_m2:
        return PermitResult(False, f"新增建筑面积 {new_floor_area_m2:.0f} m² ≤ "
                                   f"{rule.max_new_floor_area_m2:.0f} m²", rule.key, rule.source)
    if investment_wan_yuan is None:
        return PermitResult(None, f"新增建筑面积 {new_floor_area_m2:.0f} m² > "
                                  f"{rule.max_new_floor_area_m2:.0f} m²，投资额不详"
                                  f"（投资不超过 {rule.max_investment_wan_yuan:.0f} 万元的无需许可）",
                            rule.key, rule.source)
    if investment_wan_yuan <= rule.max_investment_wan_yuan:
        return PermitResult(False, f"投资 {investment_wan_yuan:.0f} 万元 ≤ "
                                   f"{rule.max_investment_wan_yuan:.0f} 万元", rule.key, rule.source)
    return PermitResult(True, f"新增建筑面积 {new_floor_area_m2:.0f} m² > "
                              f"{rule.max_new_floor_area_m2:.0f} m²，投资 "
                              f"{investment_wan_yuan:.0f} 万元 > {rule.max_investment_wan_yuan:.0f} 万元",
                        rule.key, rule.source)


def permit_rule_for(rules: Iterable[PermitRule], city: str | None) -> PermitRule | None:
    """The permit rule that covers ``city``, or None."""
    return next((r for r in rules if city is not None and city in r.cities), None)


def decommission_refusal(status: object) -> str | None:
    """Why a boiler room cannot be converted yet, or None when it is out of use (:data:`OUT_OF_USE`).

    Examples
    --------
    >>> decommission_refusal("in_service")
    '锅炉房状态为“在用”，尚未停用，不属闲置用房'
    """
    if pd.isna(status):
        status = "不详"
    if status in OUT_OF_USE:
        return None
    return f"锅炉房状态为“{code_label(status, 'status')}”，尚未停用，不属闲置用房"


def _code(value: object) -> str | None:
    if pd.isna(value):
        return None
    text = str(value).strip()
    return text or None


def _code_matches(code: str | None, prefixes: Iterable[str]) -> bool:
    return code is not None and any(code.startswith(str(p)) for p in prefixes)


def _codes_agree(planned: str | None, target: str | None) -> bool | None:
    # A coarse planned class (08) admits the finer target (080404) and the other way round.
    if planned is None or target is None:
        return None
    return planned.startswith(target) or target.startswith(planned)


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)
