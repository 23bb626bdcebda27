"""Site type: a boiler room must be out of use (停用 or 闲置) and a public building idle (建筑闲置) before it is
converted under 国办发〔2020〕23号 五（三）、五（四）; one in use (在用) is refused, one of unknown status (未知) asks to
verify its state (需核实现状); each check is 不适用 (not_applicable) where the site is not of its type."""

from __future__ import annotations

from gisplanner.analysis import landuse
from gisplanner.analysis.checks.base import CheckResult, check, is_missing
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.io.status import UNKNOWN
from gisplanner.labels import code_label


def _idle_policy(ctx: CheckContext) -> tuple[tuple[str, ...], str]:
    """Source refs and citation of the idle-building policy (暂不办理变更手续) in the project's province."""
    basis = landuse.policy_basis(ctx.standards.landuse.policies, "defer_change", province=ctx.province,
                                 document_titles=ctx.standards.sources)
    return basis.refs, basis.citation


@check("site_status")
def site_status(ctx: CheckContext) -> CheckResult:
    """A boiler room converted or built on must be out of use (停用/闲置: pass; 在用: fail; 未知: warn); heating land that is not a boiler-room
    feature asks the planner to confirm; any other site: 不适用."""
    placement, decision = ctx.placement, ctx.land_use
    title = ctx.title("site_status")
    numbers = {"site": placement.site, "status": placement.site_status}
    basis, citation = _idle_policy(ctx)
    if placement.site_layer == "boiler_rooms" and placement.intervention in ("new", "conversion"):
        status = placement.site_status
        if status in landuse.OUT_OF_USE:
            return CheckResult("site_status", title, "pass",
                               f"锅炉房{code_label(status, 'status')}，属闲置用房。依据 {citation}", numbers, basis)
        if is_missing(status) or status == UNKNOWN:
            # Neither refused nor accepted: whether the heat supply is off is a fact to verify on site.
            return CheckResult("site_status", title, "warn",
                               f"锅炉房现状{'未知' if status == UNKNOWN else '未登记'}，需核实现状：确认已停止供热、"
                               f"闲置后方可改建。依据 {citation}", numbers, basis,
                               ("现场核实锅炉房是否已停止供热；已停用或闲置的，在锅炉房图层把状态改为“停用”或"
                                "“闲置”，再重新核查",))
        return CheckResult("site_status", title, "fail", f"{landuse.decommission_refusal(status)}。依据 {citation}",
                           numbers, basis, ("供热迁移后将锅炉房状态改为“停用”，再重新核查",))
    if "decommissioned" in decision.checks and placement.site_layer != "boiler_rooms":
        return CheckResult("site_status", title, "warn", "选址位于供热用地，但不是锅炉房图层中的要素，停用状态不详",
                           numbers, basis, ("核实该场地的供热设施已停用",))
    if placement.site_layer == "boiler_rooms":
        return CheckResult("site_status", title, "not_applicable",
                           f"{placement.intervention} 工程不改变锅炉房用途，不适用", numbers)
    return CheckResult("site_status", title, "not_applicable", "选址不是锅炉房，不适用", numbers)


@check("building_idle")
def building_idle(ctx: CheckContext) -> CheckResult:
    """A public building converted into a facility must be idle (闲置) for the 暂不办理变更手续 policy; any other
    site: 不适用."""
    placement = ctx.placement
    title = ctx.title("building_idle")
    numbers = {"site": placement.site, "status": placement.site_status}
    if placement.site_layer != "public_buildings" or placement.intervention != "conversion":
        return CheckResult("building_idle", title, "not_applicable", "选址不是改建的公共建筑，不适用", numbers)
    basis, citation = _idle_policy(ctx)
    if placement.site_status in landuse.OUT_OF_USE:
        return CheckResult("building_idle", title, "pass", f"房屋已闲置，可用其建设公共服务设施。依据 {citation}",
                           numbers, basis)
    return CheckResult("building_idle", title, "warn",
                       f"房屋状态为“{placement.site_status or '不详'}”，未登记为闲置，不适用暂不办理变更手续的政策。"
                       f"依据 {citation}", numbers, basis,
                       ("核实房屋已闲置并在公共建筑图层登记为闲置；仍在使用的，按法定程序办理用途变更",))
