"""Placement check of one proposed facility: size, service, sunlight, green space, land use, in one report.

The checks themselves are the package :mod:`gisplanner.analysis.checks`; this module holds the proposal, the
report and the function that runs the checks on one proposal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner.analysis.checks import OVERALL, VERDICTS, CheckContext, CheckResult, run_checks
from gisplanner.analysis.checks.base import is_missing, near
from gisplanner.errors import InputError
from gisplanner.io.status import status_from_text
from gisplanner.progress import Progress, ensure_progress
from gisplanner.standards import INTERVENTIONS, Standards


@dataclass(frozen=True)
class PlacementInput:
    """A proposed facility.

    Parameters
    ----------
    facility_type
        Key of the catalogue (``Standards.facility_types``), e.g. ``kindergarten``.
    footprint
        The building's footprint (Polygon), or a Point for equipment, in the project's metric CRS.
    intervention
        ``new`` building, ``conversion`` of an existing building, ``elevator`` addition or ``equipment``.
    floors
        Storeys of the building; with the footprint it gives the GFA when ``gfa_m2`` is not given, and the
        height (× the standards' floor height) when ``height_m`` is not given.
    height_m
        Height of the building, m, for the shadow it casts and the sunlight it gets.
    gfa_m2
        Gross floor area, m².
    adds_far
        Whether the works add floor area counted in FAR (计容建筑面积).
    new_construction_land
        Whether the works take land that is not construction land yet.
    investment_wan_yuan
        Investment, 万元, for the permit-threshold rule; None when unknown.
    site_layer, site_id, site_status, site_name
        The layer role, ``feature_id`` and ``name`` of the site feature, and its ``status`` (boiler rooms, public
        buildings); None for a drawn footprint.
    footprint_estimated
        The footprint is a square of the site's recorded area around a point, not its outline.
    site_area_m2
        Area of the site (m²) when the footprint is a building placed on it (a parcel of ``idle_land``), for
        the site-size check; None: the footprint is the site.
    footprint_used
        How the footprint was made, for the report (:func:`gisplanner.analysis.parcel_footprint.footprint_record`:
        area, floors, height, position and why, and a sentence ``text``); empty for a site's own outline or a
        drawn one.
    name
        The planner's name for the proposal.
    old_area
        Whether the site lies in an old area under renovation (旧区改建), which relaxes the green floors.
        None: old when a community under the site was built by the end of the renovation cutoff year
        (``Standards.renovation.eligibility``) or has no year, or when no community lies under it.
    """

    facility_type: str
    footprint: BaseGeometry
    intervention: str = "new"
    floors: float | None = None
    height_m: float | None = None
    gfa_m2: float | None = None
    adds_far: bool = False
    new_construction_land: bool = False
    investment_wan_yuan: float | None = None
    site_layer: str | None = None
    site_id: str | None = None
    site_status: str | None = None
    site_name: str = ""
    footprint_estimated: bool = False
    site_area_m2: float | None = None
    footprint_used: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    old_area: bool | None = None

    @property
    def site(self) -> str | None:
        """``LAYER:ID`` of the site feature, None for a drawn footprint."""
        return f"{self.site_layer}:{self.site_id}" if self.site_layer else None

    def floor_area_m2(self) -> float | None:
        """The GFA given, else footprint area × floors; None when neither is known."""
        if self.gfa_m2 is not None:
            return float(self.gfa_m2)
        if self.floors is not None and self.footprint.area > 0:
            return float(self.footprint.area * self.floors)
        return None


@dataclass(frozen=True)
class PlacementReport:
    """Every check of one placement. ``overall`` is ``pass``, ``conditions``, ``consultation`` or
    ``refused`` after the worst verdict; ``footprint_used`` states the footprint placed on a parcel
    (:attr:`PlacementInput.footprint_used`)."""

    facility_type: str
    facility_zh: str
    name: str
    intervention: str
    site: str | None
    footprint_wkt: str
    crs: str | None
    overall: str
    checks: tuple[CheckResult, ...]
    created: str = ""
    footprint_used: Mapping[str, Any] = field(default_factory=dict)
    site_name: str = ""

    def check(self, key: str) -> CheckResult:
        """The check named ``key``; KeyError when the report has none."""
        for result in self.checks:
            if result.key == key:
                return result
        raise KeyError(key)

    @property
    def verdicts(self) -> dict[str, str]:
        return {c.key: c.verdict for c in self.checks}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN becomes None)."""
        return _json_ready(asdict(self))

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlacementReport:
        checks = tuple(CheckResult(**{**c, "basis": tuple(c["basis"]), "next_steps": tuple(c["next_steps"])})
                       for c in data["checks"])
        return cls(**{**data, "checks": checks})

    def placed_facility(self, facility_id: str) -> dict[str, Any]:
        """The record stored in ``Project.placed_facilities``: WKT footprint (``footprint``), the verdicts,
        ``needs_consultation`` when residents' consultation (一事一议) decides, and each check's ``basis``
        (message, source refs and next steps) for the review summary, and the WKT of its ``shadow`` over the
        standard day (None where the sunlight check did not run)."""
        return {"facility_id": facility_id, "facility_type": self.facility_type, "name": self.name,
                "intervention": self.intervention, "site": self.site, "footprint": self.footprint_wkt,
                "overall": self.overall, "needs_consultation": self.overall == "consultation",
                "verdicts": self.verdicts, "created": self.created,
                "basis": {c.key: {"message": c.message, "basis": list(c.basis), "next_steps": list(c.next_steps)}
                          for c in self.checks},
                "shadow": next((c.numbers["shadow_wkt"] for c in self.checks if "shadow_wkt" in c.numbers), None),
                "footprint_used": str(self.footprint_used.get("text", ""))}


@dataclass(frozen=True)
class Site:
    """A site feature picked with ``--site LAYER:ID``: its footprint, status and name.

    ``estimated`` is set when the footprint is a square of the feature's ``area_m2`` around a point.
    """

    footprint: BaseGeometry
    status: str | None
    name: str
    estimated: bool = False


def site_footprint(layer: gpd.GeoDataFrame, role: str, feature_id: str, *, equipment: bool = False) -> Site:
    """The site feature ``feature_id`` of ``layer`` (``--site LAYER:ID``).

    A point site becomes a square of its ``area_m2`` centred on the point; equipment keeps the point.

    Raises
    ------
    InputError
        When the id is absent, or a point site has no area to build a footprint from.
    """
    match = layer[layer["feature_id"].astype(str) == str(feature_id)]
    if match.empty:
        raise InputError(f"没有编号为“{feature_id}”的要素", layer=role,
                         fix="使用 gisplanner info 为该图层列出的编号")
    row = match.iloc[0]
    geom = row.geometry
    # A layer edited by hand may say 闲置/停用/在用 in words: read them as the importer does.
    status = None if is_missing(row.get("status")) else str(status_from_text(pd.Series([row.get("status")])).iloc[0])
    name = "" if is_missing(row.get("name")) else str(row.get("name"))
    if geom.area > 0 or equipment:
        return Site(geom, status, name)
    area = row.get("area_m2")
    if is_missing(area) or float(area) <= 0:
        raise InputError("场地是没有面积的点，占地范围不详", layer=role,
                         feature=feature_id, fix="绘制占地范围，用 --footprint 文件给出")
    half = math.sqrt(float(area)) / 2.0
    point = geom.centroid
    square = shapely.box(point.x - half, point.y - half, point.x + half, point.y + half)
    return Site(square, status, name, estimated=True)


def check_placement(placement: PlacementInput, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards,
                    *, city: str | None = None, crs: str | None = None, profile: str = "gb50180",
                    progress: Progress | None = None) -> PlacementReport:
    """Check one proposed facility against the standards and return the report.

    The checks (:mod:`gisplanner.analysis.checks`), in the report's order of ``checks.yaml``: ``site_status``
    (a boiler room must be out of use), ``size_site`` and ``size_gfa`` (catalogue ranges), ``land_use`` (the
    §6.2 decision table on the parcels under the site), ``permit`` (the city's construction-permit thresholds),
    ``service`` (life-circle gaps of the type closed on the walking network), ``service_lost`` (the gaps that
    open when the works take a facility in use), ``sunlight_own`` (sun-sensitive types), ``sunlight_neighbours``
    (dwellings before/after), ``green_public_<level>`` (per-capita public green before/after),
    ``park`` (remaining park size and width), ``block_green`` (concentrated green per person, width and
    share outside the shadow line) and ``green_ratio`` (绿地率). Sunlight and green failures ask for
    residents' consultation (``consult``); mandatory clauses and an unusable site ``fail``.

    Parameters
    ----------
    placement
        The proposal.
    layers
        Project layers by role (``communities``, ``buildings``, ``green_space``, ``landuse``, ...), all in the
        footprint's metric CRS. A missing layer leaves its checks ``not_checked``.
    standards
        The project's standards (``Project.standards()``).
    city
        The project's city key: its sunlight standard, counting rule and place, its permit thresholds and
        local conversion rules. Without it sunlight is ``not_checked``.
    crs
        The CRS of the footprint (e.g. ``EPSG:32652``): recorded in the report and used to find the site's
        latitude and longitude; without it the city's are used.
    profile
        Facility catalogue profile.
    progress
        Progress sink; the checks report one step each.

    Returns
    -------
    PlacementReport
    """
    progress = ensure_progress(progress)
    if placement.intervention not in INTERVENTIONS:
        raise InputError(f"未知的建设方式“{placement.intervention}”",
                         fix=f"使用其中之一：{', '.join(INTERVENTIONS)}")
    if placement.footprint is None or placement.footprint.is_empty:
        raise InputError("占地范围为空", fix="绘制占地范围或选择一个场地要素")
    ftype = standards.facility_type(placement.facility_type, profile)
    if placement.old_area is None:
        placement = replace(placement, old_area=_is_old_area(placement.footprint, layers, standards))
    ctx = CheckContext(placement, layers, standards, city=city, crs=crs, profile=profile, progress=progress)
    checks = run_checks(ctx)
    worst = max((c.verdict for c in checks), key=VERDICTS.index)
    return PlacementReport(
        facility_type=ftype.key, facility_zh=ftype.zh, name=placement.name,
        intervention=placement.intervention, site=placement.site, footprint_wkt=placement.footprint.wkt,
        crs=crs, overall=OVERALL[worst], checks=tuple(checks),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), footprint_used=dict(placement.footprint_used),
        site_name=placement.site_name)


def _is_old_area(footprint: BaseGeometry, layers: Mapping[str, gpd.GeoDataFrame], standards: Standards) -> bool:
    if "communities" not in layers or "built_year" not in layers["communities"].columns:
        return True
    under = near(layers["communities"], footprint, 0.0)
    if under.empty:
        return True
    years = pd.to_numeric(under["built_year"], errors="coerce")
    return bool((years.isna() | (years <= standards.renovation.eligibility.built_before_end_of)).any())


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
