"""Site type: a boiler room must be decommissioned before it is built on or converted."""

from __future__ import annotations

from gisplanner.analysis import landuse
from gisplanner.analysis.checks.base import CheckResult, check
from gisplanner.analysis.checks.context import CheckContext


@check("site_status")
def site_status(ctx: CheckContext) -> CheckResult:
    """A boiler room converted or built on must be decommissioned; heating land that is not a boiler-room
    feature asks the planner to confirm."""
    placement, decision, standards = ctx.placement, ctx.land_use, ctx.standards
    basis = tuple(dict.fromkeys(s for row in standards.landuse.decisions if "decommissioned" in row.checks
                                for s in row.basis))
    title = ctx.title("site_status")
    numbers = {"site": placement.site, "status": placement.site_status}
    if placement.site_layer == "boiler_rooms" and placement.intervention in ("new", "conversion"):
        refusal = landuse.decommission_refusal(placement.site_status)
        if refusal:
            return CheckResult("site_status", title, "fail", refusal, numbers, basis,
                               ("move the heat supply, then set the boiler room's status to decommissioned",))
        return CheckResult("site_status", title, "pass", "the boiler room is decommissioned", numbers, basis)
    if "decommissioned" in decision.checks:
        return CheckResult("site_status", title, "warn", "the site is on heating land (供热用地) but is not a "
                           "boiler-room feature, so its status is unknown", numbers, basis,
                           ("confirm that the heat supply of the site is decommissioned",))
    if placement.site_layer == "boiler_rooms":
        return CheckResult("site_status", title, "pass", f"{placement.intervention} works do not convert the "
                           "boiler room", numbers)
    return CheckResult("site_status", title, "pass", "the site is not a boiler room", numbers)
