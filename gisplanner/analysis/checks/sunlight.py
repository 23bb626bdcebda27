"""Sunlight: the new building's own sun, and the sun it takes from neighbouring dwellings."""

from __future__ import annotations

from typing import Any

import numpy as np

from gisplanner.analysis import sunlight
from gisplanner.analysis.checks.base import CONSULT_STEP, CheckResult, check
from gisplanner.analysis.checks.context import CheckContext


@check("sunlight_own")
def sunlight_own(ctx: CheckContext) -> CheckResult:
    """Whether a window width of the new building's ground floor gets the type's own sunlight hours."""
    placement, ftype, standards, progress = ctx.placement, ctx.ftype, ctx.standards, ctx.progress
    key, title = "sunlight_own", ctx.title("sunlight_own")
    if ftype.sun is None:
        return CheckResult(key, title, "pass", f"{ftype.zh} has no sunlight requirement of its own")
    sun = ctx.sun
    basis = ftype.source
    numbers: dict[str, Any] = {"day": ftype.sun.day, "required_hours": ftype.sun.hours, "rooms": ftype.sun.calc}
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason, numbers, basis)
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "the building's height is unknown", numbers, basis,
                           ("give --floors or --height",))
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
    text = (f"{meeting_m:.0f} m of ground-floor facade get ≥ {ftype.sun.hours:g} h on {ftype.sun.day} "
            f"(best {numbers['best_hours']:.1f} h)")
    if meeting_m >= window_m:
        rooms = f" ({ftype.sun.calc})" if ftype.sun.calc else ""
        return CheckResult(key, title, "pass", f"{text}: put the rooms that need sun{rooms} there", numbers,
                           basis)
    return CheckResult(key, title, "consult", f"no window width of facade meets the requirement: {text}",
                       numbers, basis, (CONSULT_STEP,))


@check("sunlight_neighbours")
def sunlight_neighbours(ctx: CheckContext) -> CheckResult:
    """Dwellings' window sills that the new building's shadow takes below the standard (before/after)."""
    placement, layers, standards, progress = ctx.placement, ctx.layers, ctx.standards, ctx.progress
    key, title = "sunlight_neighbours", ctx.title("sunlight_neighbours")
    if placement.intervention in ("conversion", "equipment"):
        return CheckResult(key, title, "pass", f"a {placement.intervention} adds no building mass")
    sun = ctx.sun
    if sun.requirement is None:
        return CheckResult(key, title, "not_checked", sun.reason)
    basis = sun.requirement.basis + standards.sunlight.no_reduction_of_neighbours.source
    if sun.height_m is None or placement.footprint.area <= 0:
        return CheckResult(key, title, "not_checked", "the building's height is unknown", {}, basis,
                           ("give --floors or --height",))
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
    if elevator:
        basis += standards.sunlight.elevator_retrofit_exempt.source
        return CheckResult(key, title, "pass", f"elevator addition, exempt under GB 50180 4.0.9-2; "
                           f"{numbers['exempt']} sill(s) lose sun", numbers, basis,
                           ("check the city's elevator rules and neighbours' consent",) if numbers["exempt"] else ())
    if len(newly):
        return CheckResult(key, title, "consult", f"{len(newly)} sill(s) of "
                           f"{len(numbers['buildings_newly_failing'])} building(s) fall below "
                           f"{sun.requirement.hours:g} h on {sun.requirement.day}", numbers, basis, (CONSULT_STEP,))
    if len(worse):
        return CheckResult(key, title, "warn", f"{len(worse)} sill(s) already below the standard lose more "
                           "sun (a common local reading forbids it)", numbers, basis,
                           ("check the city's rule on windows already below the standard",))
    return CheckResult(key, title, "pass", f"no dwelling falls below {sun.requirement.hours:g} h on "
                       f"{sun.requirement.day}", numbers, basis)
