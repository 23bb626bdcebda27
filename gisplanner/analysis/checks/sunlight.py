"""Sunlight: the new building's own sun, and the sun it takes from neighbouring dwellings."""

from __future__ import annotations

from typing import Any

import numpy as np

from gisplanner.analysis import landuse, sunlight
from gisplanner.analysis.checks.base import CONSULT_STEP, CheckResult, check
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.analysis.renovation import DWELLING_METHODS, affected_dwellings
from gisplanner.labels import code_label


@check("sunlight_own")
def sunlight_own(ctx: CheckContext) -> CheckResult:
    """Whether a window width of the new building's ground floor gets the type's own sunlight hours."""
    placement, ftype, standards, progress = ctx.placement, ctx.ftype, ctx.standards, ctx.progress
    key, title = "sunlight_own", ctx.title("sunlight_own")
    if ftype.sun is None:
        return CheckResult(key, title, "pass", f"{ftype.zh}自身无日照要求")
    sun = ctx.sun
    basis = ftype.source
    numbers: dict[str, Any] = {"day": ftype.sun.day, "required_hours": ftype.sun.hours, "rooms": ftype.sun.calc}
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason, numbers, basis)
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "建筑高度不详", numbers, basis,
                           ("请给出设施的层数或高度",))
    requirement, path = sun.sun_for(ftype.sun.day, ftype.sun.hours, standards)
    calc = standards.sunlight.calculation
    spacing = float(calc["sample_spacing_m"].value)
    # Only the proposed building gets sills; every other building just casts shadows.
    scene = sun.after.assign(use=np.where(sun.after["feature_id"] == "proposed", "residential", "other"))
    sills = sunlight.sunlight_hours(scene, path, requirement, spacing_m=spacing,
                                    sill_height_m=float(standards.sunlight.sill_height_m.value),
                                    floor_height_m=float(calc["floor_height_m"].value), progress=progress)
    meeting_m = float(sills["passes"].sum()) * spacing
    window_m = float(calc["window_width_m"].value)
    numbers.update(ground_floor_sills=len(sills), facade_meeting_m=meeting_m,
                   best_hours=float(sills["hours"].max()) if len(sills) else 0.0, window_width_m=window_m)
    text = (f"底层立面有 {meeting_m:.0f} m 在{code_label(ftype.sun.day, 'day')}日照不少于 {ftype.sun.hours:g} h"
            f"（最多 {numbers['best_hours']:.1f} h）")
    if meeting_m >= window_m:
        rooms = f"（{code_label(ftype.sun.calc, 'sun_calc')}）" if ftype.sun.calc else ""
        return CheckResult(key, title, "pass", f"{text}：需要日照的房间{rooms}应布置在此", numbers,
                           basis)
    return CheckResult(key, title, "consult", f"没有一个窗宽的立面满足要求：{text}",
                       numbers, basis, (CONSULT_STEP,))


@check("sunlight_neighbours")
def sunlight_neighbours(ctx: CheckContext) -> CheckResult:
    """Dwellings' window sills that the new building's shadow takes below the standard (before/after)."""
    placement, layers, standards, progress = ctx.placement, ctx.layers, ctx.standards, ctx.progress
    key, title = "sunlight_neighbours", ctx.title("sunlight_neighbours")
    if placement.intervention in ("conversion", "equipment"):
        return CheckResult(key, title, "pass", "改建或设备安装不增加建筑体量，不影响相邻住宅日照")
    sun = ctx.sun
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason)
    basis = sun.requirement.basis + standards.sunlight.no_reduction_of_neighbours.source
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "建筑高度不详", {}, basis,
                           ("请给出设施的层数或高度",))
    calc = standards.sunlight.calculation
    elevator = placement.intervention == "elevator"
    impact = sunlight.sunlight_impact(
        layers["buildings"], placement.footprint, sun.height_m, sun.path, sun.requirement, elevator=elevator,
        spacing_m=float(calc["sample_spacing_m"].value), sill_height_m=float(standards.sunlight.sill_height_m.value),
        floor_height_m=float(calc["floor_height_m"].value), progress=progress)
    status = impact["status"].astype(str)
    newly = impact[status == "newly_failing"]
    worse = impact[(status == "reduced") & ~impact["passes_before"]]
    lost = (impact["hours_before"] - impact["hours_after"]).to_numpy()
    numbers = {"day": sun.requirement.day, "required_hours": sun.requirement.hours, "height_m": sun.height_m,
               "sills_in_reach": len(impact), "newly_failing": len(newly), "failing_and_reduced": len(worse),
               "exempt": int((status == "exempt").sum()), "max_hours_lost": float(lost.max()) if len(lost) else 0.0,
               "buildings_newly_failing": sorted(map(str, newly["building_id"].unique()))}
    # The area the new building shades over the standard day: an export of one district keeps every facility
    # whose shadow reaches the district.
    numbers["shadow_wkt"] = sunlight.shadow_sweep(placement.footprint, sun.height_m, sun.path).wkt
    sizes = standards.raw["renovation"]["quantities"]
    methods: set[str] = set()
    for name, rows in (("newly_failing", newly), ("failing_and_reduced", worse)):
        numbers[f"dwellings_{name}"], used = affected_dwellings(
            rows, layers["buildings"], layers.get("communities"), spacing_m=float(calc["sample_spacing_m"].value),
            unit_length_m=float(sizes["unit_length_m"]),
            households_per_unit_floor=float(sizes["households_per_unit_floor"]))
        methods.update(used)
    numbers["dwellings_method"] = [m for m in DWELLING_METHODS if m in methods]
    numbers["dwellings_estimated"] = bool(methods - {"households"})
    rule = _no_reduction(ctx)
    if elevator:
        basis += standards.sunlight.elevator_retrofit_exempt.source
        return CheckResult(key, title, "pass", f"既有住宅无障碍改造加装电梯，不受日照不降低的限制（{rule}）；"
                           f"{numbers['exempt']} 个窗台日照减少", numbers, basis,
                           ("核对本市加装电梯政策并征得相邻居民同意",) if numbers["exempt"] else ())
    policy = landuse.policy_basis(standards.landuse.policies, "case_by_case", province=ctx.province,
                                  document_titles=standards.sources)
    day = code_label(sun.requirement.day)
    if len(newly) or len(worse):
        parts = []
        if len(newly):
            parts.append(f"{numbers['dwellings_newly_failing']} 户（{len(newly)} 个窗台，"
                         f"{len(numbers['buildings_newly_failing'])} 栋）由达标降至{day} {sun.requirement.hours:g} 小时以下")
        if len(worse):
            parts.append(f"原已低于标准的 {numbers['dwellings_failing_and_reduced']} 户（{len(worse)} 个窗台）日照进一步减少")
        if numbers["dwellings_estimated"]:
            parts.append("户数为估算（" + "、".join(DWELLING_METHODS[m] for m in numbers["dwellings_method"]) + "）")
        return CheckResult(key, title, "consult", "；".join(parts) + f"，违反 {rule}。只能{policy.action}："
                           f"{policy.citation}", numbers, basis + policy.refs, policy.next_steps)
    return CheckResult(key, title, "pass", f"没有住宅窗台降至{day} {sun.requirement.hours:g} 小时以下，"
                       "原已不达标的窗台日照也未减少", numbers, basis)


def _no_reduction(ctx: CheckContext) -> str:
    """The GB 50180-2018 4.0.9 sentence that an addition must not lower neighbours' sunlight."""
    quote = ctx.standards.raw["sources"]["quotes"]["gb50180_no_reduction"]
    return f"GB 50180-2018 第 {quote['section']} 条“{quote['quote']}”"
