"""Run each analysis on a Project and store its results: the entry points shared by the CLI, the demo and the app.

Each ``run_*`` function reads the project's layers and standards, calls the engine, stores the result frames
on the project (``project.set_result``) and returns them. None of them saves the project or prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis.districts import DistrictPlan, plan_districts
from gisplanner.analysis.placement import (
    PlacementInput,
    PlacementReport,
    Site,
    check_placement,
    site_footprint,
)
from gisplanner.analysis.sunlight import requirement_for, sun_for, sunlight_hours, sunlight_impact
from gisplanner.commands.districts import district_inputs
from gisplanner.commands.lifecircle import life_circle_results
from gisplanner.errors import InputError
from gisplanner.progress import Progress, ensure_progress
from gisplanner.project import Project
from gisplanner.standards import SunlightRequirement

# Sites that are existing buildings: a facility placed on one is a conversion unless said otherwise.
BUILDING_SITES = ("boiler_rooms", "public_buildings", "buildings")


def run_life_circle(project: Project, *, levels: Sequence[str] | None = None, types: Sequence[str] | None = None,
                    profile: str = "gb50180", sites_k: int | None = None, per_facility: bool = False,
                    progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Life-circle access, gaps, coverage, service areas and candidate sites; stored as results."""
    results = life_circle_results(project, levels=levels, types=types, profile=profile, sites_k=sites_k,
                                  per_facility=per_facility, progress=progress)
    for name, frame in results.items():
        project.set_result(name, frame)
    return results


def run_districts(project: Project, *, seed: int = 0, min_population: float | None = None,
                  max_population: float | None = None, max_extent_m: float | None = None,
                  within_admin: bool = False, unit_costs: Path | None = None,
                  progress: Progress | None = None) -> DistrictPlan:
    """Bundle the eligible communities into districts; the plan's tables are stored as results."""
    inputs = district_inputs(project, min_population=min_population, max_population=max_population,
                             max_extent_m=max_extent_m, within_admin=within_admin, unit_costs=unit_costs)
    plan = plan_districts(inputs, seed=seed, progress=progress)
    for name, frame in plan.results().items():
        project.set_result(name, frame)
    return plan


@dataclass(frozen=True)
class SunlightRun:
    """Sill points with their hours, the requirement they were judged by and the standard day's date."""

    points: gpd.GeoDataFrame
    requirement: SunlightRequirement
    date: dt.date


def run_sunlight(project: Project, *, city: str | None = None, special: str | None = None,
                 day: str | None = None, year: int | None = None, date: dt.date | None = None,
                 step_min: float | None = None, all_floors: bool = False, whole_window: bool = False,
                 sweep_deg: float | None = None, add: BaseGeometry | None = None, add_height_m: float | None = None,
                 elevator: bool = False, progress: Progress | None = None) -> SunlightRun:
    """Window-sill sunlight hours of the project's residential buildings, stored as ``sill_points``.

    With ``add`` (a proposed footprint in the project CRS) and ``add_height_m`` the points also carry
    ``hours_before``, ``hours_after`` and ``status`` (unaffected / reduced / newly_failing / exempt).
    """
    if (add is None) != (add_height_m is None):
        raise InputError("a proposed building needs both its footprint and its height",
                         fix="give the footprint and its height in m")
    rules = project.standards().sunlight
    requirement = requirement_for(rules, city or project.city, special=special, day=day)
    calc = rules.calculation
    buildings = project.layer("buildings")
    lon, lat = project.lonlat_center()
    sun = sun_for(requirement, lat, lon, year=year, date=date,
                  step_min=step_min or float(calc["time_step_min"].value))
    options: dict[str, Any] = {
        "spacing_m": float(calc["sample_spacing_m"].value),
        "sill_height_m": float(rules.sill_height_m.value),
        "floor_height_m": float(calc["floor_height_m"].value),
        "all_floors": all_floors,
        "window_width_m": float(calc["window_width_m"].value) if whole_window else None,
        "sweep_deg": requirement.counting.sweep_deg if sweep_deg is None else sweep_deg,
    }
    points = sunlight_hours(buildings, sun, requirement, progress=progress, **options)
    if add is not None:
        impact = sunlight_impact(buildings, add, add_height_m, sun, requirement,
                                 elevator=elevator and bool(rules.elevator_retrofit_exempt.value), **options)
        points = _with_impact(points, impact)
    project.set_result("sill_points", points)
    return SunlightRun(points, requirement, sun.date)


def _with_impact(points: gpd.GeoDataFrame, impact: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every sill with hours_before/hours_after/status; sills beyond the new building's reach are unaffected."""
    out = points.copy()
    out["hours_before"] = out["hours"]
    out["hours_after"] = out["hours"]
    out["status"] = "unaffected"
    at = out.set_index("sill_id").index.get_indexer(impact["sill_id"])
    for column in ("hours_before", "hours_after"):
        out.iloc[at, out.columns.get_loc(column)] = impact[column].to_numpy()
    out.iloc[at, out.columns.get_loc("status")] = impact["status"].astype(str).to_numpy()
    return out


def run_placement(project: Project, *, facility: str, site: str | None = None,
                  footprint: BaseGeometry | None = None, intervention: str | None = None,
                  floors: float | None = None, height_m: float | None = None, gfa_m2: float | None = None,
                  adds_far: bool = False, new_construction_land: bool = False,
                  investment_wan_yuan: float | None = None, name: str = "", old_area: bool | None = None,
                  store: bool = True, progress: Progress | None = None) -> PlacementReport:
    """Check a proposed facility on a site (``LAYER:ID``) or a drawn footprint; store it on the project.

    The intervention defaults to equipment for equipment types, conversion on an existing building, else new.
    """
    if (site is None) == (footprint is None):
        raise InputError("give either a site LAYER:ID or a drawn footprint", fix="e.g. site='boiler_rooms:K001'")
    standards = project.standards()
    ftype = standards.facility_type(facility)
    site_layer = site_id = None
    if site is not None:
        site_layer, sep, site_id = site.partition(":")
        if not sep or not site_id:
            raise InputError(f"site {site!r} is not LAYER:ID", fix="e.g. boiler_rooms:K001")
        equipment = ftype.equipment or intervention == "equipment"
        chosen = site_footprint(project.layer(site_layer), site_layer, site_id, equipment=equipment)
    else:
        chosen = Site(footprint, None, "")
    intervention = intervention or ("equipment" if ftype.equipment else
                                    "conversion" if site_layer in BUILDING_SITES else "new")
    placement = PlacementInput(
        facility_type=ftype.key, footprint=chosen.footprint, intervention=intervention, floors=floors,
        height_m=height_m, gfa_m2=gfa_m2, adds_far=adds_far, new_construction_land=new_construction_land,
        investment_wan_yuan=investment_wan_yuan, site_layer=site_layer, site_id=site_id,
        site_status=chosen.status, footprint_estimated=chosen.estimated, name=name or chosen.name,
        old_area=old_area)
    report = check_placement(placement, project.layers, standards, city=project.city,
                             crs=project.crs.to_string() if project.crs is not None else None, progress=progress)
    if store:
        taken = [int(p["facility_id"][1:]) for p in project.placed_facilities
                 if str(p.get("facility_id", "")).startswith("P") and str(p["facility_id"])[1:].isdigit()]
        project.placed_facilities.append(report.placed_facility(f"P{max(taken, default=0) + 1}"))
    return report


def run_all(project: Project, *, seed: int = 0, placements: Sequence[Mapping[str, Any]] = (),
            progress: Progress | None = None) -> dict[str, Any]:
    """Every analysis in order: districts, life-circle gaps, districts again with their gaps, sunlight, then
    each placement (keyword arguments of :func:`run_placement`). Returns a short summary."""
    progress = ensure_progress(progress)
    stages = 4 + len(placements)
    run_districts(project, seed=seed, progress=progress.stage(0, stages, "片区"))
    run_life_circle(project, progress=progress.stage(1, stages, "生活圈"))
    # Bundling again with the gaps known gives each district its gap counts; the seed keeps it the same.
    plan = run_districts(project, seed=seed, progress=progress.stage(2, stages, "片区"))
    sunlight = run_sunlight(project, progress=progress.stage(3, stages, "日照"))
    reports = [run_placement(project, progress=progress.stage(4 + i, stages, "设施"), **kw)
               for i, kw in enumerate(placements)]
    progress.update(stages, stages, "done")
    return {"districts": len(plan.districts), "gaps": len(project.results["gaps"]),
            "sill_points": len(sunlight.points), "placements": [r.overall for r in reports]}
