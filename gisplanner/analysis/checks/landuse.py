"""Land use and permits: the §6.2 decision table on the parcels under the site, and the permit thresholds."""

from __future__ import annotations

from gisplanner.analysis import landuse
from gisplanner.analysis.checks.base import CheckResult, check
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.errors import ConfigError
from gisplanner.standards import LandUseRules

#: Verdict of each land-use outcome: a path that needs nothing passes; one with conditions or procedures warns.
OUTCOME_VERDICT = {"no_permit": "pass", "compatible": "pass", "defer_change": "warn", "no_land_premium": "warn",
                   "conversion_local_rule": "warn", "statutory_procedure": "warn"}


@check("land_use")
def land_use(ctx: CheckContext) -> CheckResult:
    """The §6.2 decision table on the parcels under the site, with the rule it applies: the document and
    article, its sentence, what the applicant may do (不增收土地价款, 暂不办理变更手续, 法定程序…), on what
    conditions, and the next steps."""
    decision, standards = ctx.land_use, ctx.standards
    names = standards.landuse
    basis = landuse.policy_basis(names.policies, decision.policy, province=ctx.province,
                                 document_titles=standards.sources)
    numbers = {
        "outcome": decision.outcome, "row": decision.row_id,
        "rows": list(dict.fromkeys(d.row_id for d in decision.parcels)), "target_code": decision.target_code,
        "target_name": _code_name(names, decision.target_code),
        "parcels": [{"parcel_id": d.parcel_id, "current_code": d.current_code,
                     "current_name": _code_name(names, d.current_code), "planned_code": d.planned_code,
                     "planned_name": _code_name(names, d.planned_code), "outcome": d.outcome,
                     "plan_conforming": d.plan_conforming} for d in decision.parcels],
        "plan_conforming": decision.plan_conforming, "triggered_checks": list(decision.checks),
        "needs_local_rule": decision.needs_local_rule, "inside_community": ctx.inside_community,
        "site_kind": ctx.site_kind,
        "policy": decision.policy, "action": basis.action if basis else None,
        "citations": [{"source": c.source, "document": c.document, "section": c.section, "quote": c.quote}
                      for c in basis.citations] if basis else [],
        "conditions": list(basis.conditions) if basis else [],
    }
    verdict = OUTCOME_VERDICT[decision.outcome]
    steps = list(basis.next_steps) if basis else []
    if decision.plan_conforming is False:
        steps.append("详细规划的用地代码与设施不符：须先按法定程序修改详细规划")
    if "land_supply" in decision.checks:
        steps.append("地块不能单独供地的，申请以划拨或协议有偿方式供地")
    if decision.needs_local_rule:
        steps.append("本市未载入存量建筑功能转换规则：取得该规则，或按法定程序办理")
    if not decision.parcels or decision.parcels[0].parcel_id is None:
        steps.append("选址下无用地现状地块：导入用地图层以核对用地代码")
        verdict = "warn"
    if basis is None:
        message = f"{decision.outcome}（决策表第 {decision.row_id} 行，未配置政策依据）"
    else:
        conditions = f"；条件：{'、'.join(basis.conditions)}" if basis.conditions else ""
        message = f"{basis.action}：{basis.zh}{conditions}。依据 {basis.citation}"
    return CheckResult("land_use", ctx.title("land_use"), verdict, message, numbers,
                       (basis.refs if basis else ()) + decision.basis,
                       tuple(steps))


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
        return CheckResult("permit", title, "not_checked", "新增建筑面积不详", numbers,
                           rule.source if rule else (), ("请给出设施的建筑面积或层数",))
    result = landuse.construction_permit(rule, new_floor_area_m2=new_area,
                                         investment_wan_yuan=placement.investment_wan_yuan)
    if result.required is None:
        return CheckResult("permit", title, "not_checked", result.reason, numbers, result.source)
    if result.required:
        return CheckResult("permit", title, "warn", f"需办理施工许可：{result.reason}", numbers,
                           result.source, ("申请办理施工许可",))
    return CheckResult("permit", title, "pass", f"无需办理施工许可：{result.reason}", numbers,
                       result.source)


def _code_name(names: LandUseRules, code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return names.name(code)
    except ConfigError:  # an unlisted code is shown without a name rather than failing the report
        return None
