"""Green space: public green per person, parks, the block's concentrated green and its green ratio."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis import green, sunlight
from gisplanner.analysis.checks.base import NOISE_M2, CheckResult, check, is_missing
from gisplanner.analysis.checks.context import CheckContext, SunContext
from gisplanner.labels import code_label
from gisplanner.progress import Progress
from gisplanner.standards import Standards

NO_BLOCK = "场地不在任何居住街坊内"


@check("green_public", needs=("green_space", "communities"), levels=lambda standards: standards.green.public)
def green_public(ctx: CheckContext) -> list[CheckResult]:
    """Public green per person at each level of the table, before and after the footprint takes its part."""
    placement, layers, greens, standards = ctx.placement, ctx.layers, ctx.greens, ctx.standards
    rules = standards.green
    keys = list(rules.public)
    titles = {k: ctx.title(f"green_public_{k}") for k in keys}
    # The level's walking distance around the site, as a straight-line screen of whom its parks serve.
    catchments = {k: placement.footprint.buffer(standards.levels[k].walk_distance_m) for k in keys}
    before = green.per_capita_public_green(greens.parks_before, layers["communities"], catchments)
    after = green.per_capita_public_green(greens.parks_after, layers["communities"], catchments)
    floor_ratio = rules.old_area_floor_ratio.value
    results = []
    for key in keys:
        rule = rules.public[key]
        floor = rule.m2_per_person * (floor_ratio if placement.old_area else 1.0)
        taken = before.loc[key, "green_m2"] - after.loc[key, "green_m2"]
        numbers = {"old_area": placement.old_area, "reach_m": standards.levels[key].walk_distance_m,
                   "population": before.loc[key, "population"],
                   "green_before_m2": before.loc[key, "green_m2"], "green_after_m2": after.loc[key, "green_m2"],
                   "taken_m2": taken, "before_m2_per_person": before.loc[key, "m2_per_person"],
                   "after_m2_per_person": after.loc[key, "m2_per_person"],
                   "required_m2_per_person": rule.m2_per_person, "floor_m2_per_person": floor}
        basis = rule.source + (rules.old_area_floor_ratio.source if placement.old_area else ())
        if not before.loc[key, "population"] > 0:
            results.append(CheckResult(f"green_public_{key}", titles[key], "not_checked",
                                       "该层级范围内无居民", numbers, basis))
            continue
        value = after.loc[key, "m2_per_person"]
        verdict = green.green_verdict(value, rule.m2_per_person, old_area=placement.old_area,
                                      old_area_floor_ratio=floor_ratio)
        text = (f"建设后人均 {value:.2f} m²（建设前 {before.loc[key, 'm2_per_person']:.2f}）；标准 "
                f"{rule.m2_per_person:.2f}，下限 {floor:.2f}")
        if taken <= NOISE_M2:
            results.append(CheckResult(f"green_public_{key}", titles[key], "pass",
                                       f"不占用该层级的公园绿地；{text}", numbers, basis))
        elif verdict == green.PASS:
            results.append(CheckResult(f"green_public_{key}", titles[key], "pass", text, numbers, basis))
        elif verdict == green.BELOW_TABLE:
            results.append(CheckResult(f"green_public_{key}", titles[key], "warn", f"低于标准、高于旧区下限："
                                       f"{text}", numbers, basis,
                                       ("以多点分布或立体绿化补足（GB 50180 第 4.0.5 条）",)))
        else:
            results.append(CheckResult(f"green_public_{key}", titles[key], "consult", f"低于下限：{text}",
                                       numbers, basis + ctx.consultation.refs, ctx.consultation.next_steps))
    return results


@check("park", needs=("green_space",))
def park(ctx: CheckContext) -> CheckResult:
    """The size and width left to each public park the footprint cuts, against its level's minimum."""
    placement, greens, standards = ctx.placement, ctx.greens, ctx.standards
    title = ctx.title("park")
    parks = greens.parks_before
    hit = parks[shapely.area(shapely.intersection(parks.geometry.values, placement.footprint)) > NOISE_M2]
    if hit.empty:
        return CheckResult("park", title, "pass", "占地范围不占用公园绿地", {"parks": []})
    rows, verdict, basis = [], "pass", ()
    for park in hit.itertuples():
        remaining = shapely.get_parts(shapely.difference(park.geometry, placement.footprint))
        largest = remaining[np.argmax(shapely.area(remaining))] if len(remaining) else shapely.Polygon()
        row = {"park_id": park.park_id, "name": park.name, "level": park.level,
               "area_before_m2": park.area_m2, "width_before_m": park.width_m,
               "area_after_m2": largest.area, "width_after_m": float(green.inscribed_width([largest])[0]),
               "pieces_after": len(remaining)}
        if not is_missing(park.level):
            rule = standards.green.public[park.level]
            row.update(min_area_m2=rule.park_min_hm2 * 1e4, min_width_m=rule.park_min_width_m)
            row["meets_after"] = bool(row["area_after_m2"] >= row["min_area_m2"]
                                      and row["width_after_m"] >= row["min_width_m"])
            basis += rule.source
            if not row["meets_after"]:
                verdict = "consult"
        rows.append(row)
    broken = [r["name"] or r["park_id"] for r in rows if r.get("meets_after") is False]
    message = (f"剩余公园低于其层级的最小规模或宽度：{'、'.join(broken)}"
               if broken else "剩余公园保持其层级的最小规模和宽度")
    if broken:
        return CheckResult("park", title, verdict, message, {"parks": rows}, basis + ctx.consultation.refs,
                           ctx.consultation.next_steps)
    return CheckResult("park", title, verdict, message, {"parks": rows}, basis)


@check("block_green", needs=("green_space", "communities"))
def block_green(ctx: CheckContext) -> CheckResult:
    """Concentrated green of the block per person, its width and its share outside the shadow line."""
    placement, block, greens, sun, standards, progress = (ctx.placement, ctx.block, ctx.greens, ctx.sun,
                                                          ctx.standards, ctx.progress)
    if block is None:
        return CheckResult("block_green", ctx.title("block_green"), "pass", NO_BLOCK)
    rules = standards.green
    width = rules.block_min_width_m.value
    required = rules.block_old_m2_per_person if placement.old_area else rules.block_new_m2_per_person
    share_needed = rules.block_outside_shadow_share.value
    concentrated_before = green.block_concentrated_green(greens.before, block.geometry, min_width_m=width)
    concentrated_after = green.block_concentrated_green(greens.after, block.geometry, min_width_m=width)
    before, after = concentrated_before.area, concentrated_after.area
    population = float(block["population"])
    share = _outside_shadow_share(concentrated_after, sun, standards, progress)
    numbers = {"block_id": block["feature_id"], "block_name": block.get("name", ""), "old_area": placement.old_area,
               "population": population,
               "min_width_m": width, "concentrated_before_m2": before, "concentrated_after_m2": after,
               "before_m2_per_person": before / population if population > 0 else None,
               "after_m2_per_person": after / population if population > 0 else None,
               "required_m2_per_person": required.value, "outside_shadow_share_after": share,
               "outside_shadow_share_required": share_needed}
    basis = required.source + rules.block_min_width_m.source + rules.block_outside_shadow_share.source
    key, title = "block_green", ctx.title("block_green")
    if not population > 0:
        return CheckResult(key, title, "not_checked", "街坊无人口", numbers, basis)
    value = after / population
    text = (f"建设后宽度不小于 {width:.0f} m 的集中绿地人均 {value:.2f} m²"
            f"（建设前 {before / population:.2f}）；要求 {required.value:.2f}")
    text += (f"；其中 {share:.0%} 在日照阴影线以外（要求不少于 {share_needed:.0%}）" if share is not None
             else "；未计算阴影线以外的比例：" + (sun.reason or "没有集中绿地"))
    short = value < required.value
    shaded = share is not None and share < share_needed
    if not short and not shaded:
        return CheckResult(key, title, "pass", text, numbers, basis)
    if shaded:
        # Only work out the share before when it matters: did the new building cast that shadow?
        numbers["outside_shadow_share_before"] = _outside_shadow_share(
            concentrated_before, replace(sun, after=sun.before), standards, progress)
    caused = (short and before - after > NOISE_M2) or (
        shaded and not (numbers["outside_shadow_share_before"] or 0.0) < share_needed)
    if not caused:
        return CheckResult(key, title, "pass", f"建设前已低于要求，设施未使其更差：{text}",
                           numbers, basis)
    if rules.block_mandatory.value:
        return CheckResult(key, title, "fail", f"违反强制性条文：{text}", numbers,
                           basis + rules.block_mandatory.source,
                           ("保留街坊集中绿地及其日照：移动或缩小占地范围",))
    return CheckResult(key, title, "consult", text, numbers, basis + ctx.consultation.refs,
                       ctx.consultation.next_steps)


def _outside_shadow_share(area: BaseGeometry, sun: SunContext, standards: Standards,
                          progress: Progress) -> float | None:
    """Share of ``area`` getting the dwellings' standard hours with the proposed building standing."""
    if sun.requirement is None or area.is_empty:
        return None
    result = sunlight.area_sunlight(area, sun.after, sun.path, sun.requirement, min_hours=sun.requirement.hours,
                                    grid_m=float(standards.sunlight.calculation["area_grid_m"].value),
                                    progress=progress)
    return None if np.isnan(result.share) else result.share


@check("green_ratio", needs=("green_space", "communities"))
def green_ratio(ctx: CheckContext) -> CheckResult:
    """The block's green ratio (绿地率) against its storey class, before and after."""
    block, layers, greens, standards = ctx.block, ctx.layers, ctx.greens, ctx.standards
    key, title = "green_ratio", ctx.title("green_ratio")
    if block is None:
        return CheckResult(key, title, "pass", NO_BLOCK)
    rules = standards.green
    before = green.green_ratio(greens.before, block.geometry)
    after = green.green_ratio(greens.after, block.geometry)
    numbers: dict[str, Any] = {"block_id": block["feature_id"], "ratio_before": before, "ratio_after": after}
    if "buildings" not in layers:
        return CheckResult(key, title, "not_checked", "缺少建筑图层，"
                           "层数分类不详", numbers)
    buildings = layers["buildings"]
    inside = buildings[shapely.within(shapely.centroid(buildings.geometry.values), block.geometry)]
    floors = green.average_floors(inside)
    if np.isnan(floors):
        return CheckResult(key, title, "not_checked", "街坊内没有住宅建筑", numbers)
    storey = rules.storey_class(floors)
    required = rules.green_ratio[storey]
    numbers.update(average_floors=floors, storey_class=storey, required_ratio=required.value)
    text = (f"建设后绿地率 {after:.1%}（建设前 {before:.1%}）；{code_label(storey, 'storey_class')}"
            f"要求 {required.value:.0%}")
    if after >= required.value:
        return CheckResult(key, title, "pass", text, numbers, required.source)
    if before - after <= 1e-9:
        return CheckResult(key, title, "pass", f"建设前已低于要求，设施不占用绿地：{text}",
                           numbers, required.source)
    return CheckResult(key, title, "consult", text, numbers, required.source + ctx.consultation.refs,
                       ctx.consultation.next_steps)
