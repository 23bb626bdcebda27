"""Land use and permits: the §6.2 decision table on the parcels under the site, and the permit thresholds."""

from __future__ import annotations

from gisplanner.analysis import landuse
from gisplanner.analysis.checks.base import CheckResult, check
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.errors import ConfigError
from gisplanner.standards import LandUseRules


@check("land_use")
def land_use(ctx: CheckContext) -> CheckResult:
    """The §6.2 decision table on the parcels under the site: no permit, compatible, the city's conversion rule
    or the statutory procedure."""
    decision, standards = ctx.land_use, ctx.standards
    names = standards.landuse
    numbers = {
        "outcome": decision.outcome, "row": decision.row_id,
        "rows": list(dict.fromkeys(d.row_id for d in decision.parcels)), "target_code": decision.target_code,
        "target_name": _code_name(names, decision.target_code),
        "parcels": [{"parcel_id": d.parcel_id, "current_code": d.current_code,
                     "current_name": _code_name(names, d.current_code), "planned_code": d.planned_code,
                     "planned_name": _code_name(names, d.planned_code), "outcome": d.outcome,
                     "plan_conforming": d.plan_conforming} for d in decision.parcels],
        "plan_conforming": decision.plan_conforming, "triggered_checks": list(decision.checks),
        "needs_local_rule": decision.needs_local_rule,
    }
    steps = []
    if decision.outcome == "statutory_procedure":
        verdict = "warn"
        steps.append("follow the statutory procedure (法定程序): change of land use or new FAR-counted area "
                     "needs the detailed plan (详规) and land-supply approvals")
        if decision.plan_conforming is False:
            steps.append("the planned code (详规) differs from the facility's: the detailed plan must be amended")
        if "land_supply" in decision.checks:
            steps.append("ask for supply by 划拨 or 协议有偿 if the parcel cannot be supplied on its own")
    elif decision.outcome == "conversion_local_rule":
        verdict = "warn"
        steps.append("apply the city's 存量建筑功能转换 rule for converting the building's use")
        if decision.needs_local_rule:
            steps.append("no such rule is loaded for this city: obtain it, or treat the case as statutory")
    else:
        verdict = "pass"
    if not decision.parcels or decision.parcels[0].parcel_id is None:
        steps.append("no land-use parcel lies under the site: import the landuse layer to confirm the codes")
        verdict = "warn"
    notes = {d.row_id: d.note for d in decision.parcels if d.outcome == decision.outcome}
    message = f"{decision.outcome}: " + "; ".join(f"{note or row} (row {row})" for row, note in notes.items())
    return CheckResult("land_use", ctx.title("land_use"), verdict, message, numbers, decision.basis, tuple(steps))


@check("permit")
def permit(ctx: CheckContext) -> CheckResult:
    """The city's construction-permit thresholds (new floor area, investment)."""
    placement, standards, city = ctx.placement, ctx.standards, ctx.city
    rule = landuse.permit_rule_for(standards.landuse.permit_rules.values(), city)
    new_area = placement.floor_area_m2() if placement.intervention in ("new", "elevator") else 0.0
    title = ctx.title("permit")
    numbers = {"new_floor_area_m2": new_area, "investment_wan_yuan": placement.investment_wan_yuan,
               "rule": rule.key if rule else None,
               "max_new_floor_area_m2": rule.max_new_floor_area_m2 if rule else None,
               "max_investment_wan_yuan": rule.max_investment_wan_yuan if rule else None}
    if new_area is None:
        return CheckResult("permit", title, "not_checked", "the new floor area is unknown", numbers,
                           rule.source if rule else (), ("give --gfa or --floors",))
    result = landuse.construction_permit(rule, new_floor_area_m2=new_area,
                                         investment_wan_yuan=placement.investment_wan_yuan)
    if result.required is None:
        return CheckResult("permit", title, "not_checked", result.reason, numbers, result.source)
    if result.required:
        return CheckResult("permit", title, "warn", f"a construction permit is needed: {result.reason}", numbers,
                           result.source, ("apply for the construction permit (施工许可)",))
    return CheckResult("permit", title, "pass", f"no construction permit needed: {result.reason}", numbers,
                       result.source)


def _code_name(names: LandUseRules, code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return names.name(code)
    except ConfigError:  # an unlisted code is shown without a name rather than failing the report
        return None
