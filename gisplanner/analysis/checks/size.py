"""Size: site area and floor area against the catalogue ranges of the facility type."""

from __future__ import annotations

from dataclasses import replace

from gisplanner.analysis.checks.base import CheckResult, check
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.standards import FacilityType


@check("size_site")
def size_site(ctx: CheckContext) -> CheckResult:
    """The site area against the catalogue's range for the type."""
    placement, ftype = ctx.placement, ctx.ftype
    site_area = placement.footprint.area if placement.footprint.area > 0 else None
    site = _range_check("size_site", ctx.title("size_site"), site_area, ftype.site_m2, ftype)
    if placement.footprint_estimated:
        site = replace(site, numbers={**site.numbers, "footprint_estimated": True},
                       message=f"{site.message} (footprint estimated: a square of the site's recorded area)",
                       next_steps=(*site.next_steps, "draw the real outline and check again with --footprint"))
    return site


@check("size_gfa")
def size_gfa(ctx: CheckContext) -> CheckResult:
    """The gross floor area against the catalogue's range for the type."""
    return _range_check("size_gfa", ctx.title("size_gfa"), ctx.placement.floor_area_m2(), ctx.ftype.gfa_m2,
                        ctx.ftype)


def _range_check(key: str, title: str, value: float | None, bounds: tuple[float, float] | None,
                 ftype: FacilityType) -> CheckResult:
    numbers = {"value_m2": value, "min_m2": bounds[0] if bounds else None, "max_m2": bounds[1] if bounds else None}
    if bounds is None:
        return CheckResult(key, title, "not_checked", f"the catalogue gives no range for {ftype.zh}", numbers)
    if value is None:
        return CheckResult(key, title, "not_checked", "the size is unknown", numbers, ftype.source,
                           ("give --gfa or --floors",))
    if bounds[0] <= value <= bounds[1]:
        return CheckResult(key, title, "pass", f"{value:.0f} m² within {bounds[0]:.0f}–{bounds[1]:.0f} m²",
                           numbers, ftype.source)
    side = "below" if value < bounds[0] else "above"
    return CheckResult(key, title, "warn", f"{value:.0f} m² is {side} the catalogue range "
                       f"{bounds[0]:.0f}–{bounds[1]:.0f} m² for {ftype.zh}", numbers, ftype.source,
                       ("resize the facility or record why this size serves the catchment",))
