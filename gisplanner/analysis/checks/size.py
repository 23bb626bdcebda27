"""Size: site area and floor area against the catalogue ranges of the facility type."""

from __future__ import annotations

from dataclasses import replace

from gisplanner.analysis.checks.base import CheckResult, check
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.standards import FacilityType


@check("size_site")
def size_site(ctx: CheckContext) -> CheckResult:
    """The site area against the catalogue's range for the type: the parcel's where a building is placed on one,
    else the footprint's."""
    placement, ftype = ctx.placement, ctx.ftype
    site_area = placement.site_area_m2 or (placement.footprint.area if placement.footprint.area > 0 else None)
    site = _range_check("size_site", ctx.title("size_site"), site_area, ftype.site_m2, ftype)
    if placement.footprint_estimated:
        site = replace(site, numbers={**site.numbers, "footprint_estimated": True},
                       message=f"{site.message}（占地范围为估算：按场地记录面积取正方形）",
                       next_steps=(*site.next_steps, "绘制实际轮廓后重新核查"))
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
        return CheckResult(key, title, "not_checked", f"设施目录未给出{ftype.zh}的规模范围", numbers)
    if value is None:
        return CheckResult(key, title, "not_checked", "规模不详", numbers, ftype.source,
                           ("请给出设施的建筑面积或层数",))
    if bounds[0] <= value <= bounds[1]:
        return CheckResult(key, title, "pass", f"{value:.0f} m²，在 {bounds[0]:.0f}–{bounds[1]:.0f} m² 范围内",
                           numbers, ftype.source)
    side = "低于" if value < bounds[0] else "高于"
    return CheckResult(key, title, "warn", f"{value:.0f} m²，{side}设施目录中{ftype.zh}的规模范围 "
                       f"{bounds[0]:.0f}–{bounds[1]:.0f} m²", numbers, ftype.source,
                       ("调整设施规模，或说明该规模足以服务所覆盖的居民",))
