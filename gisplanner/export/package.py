"""The plan package for joint review (联合审查): GeoPackage, map sheets, web map, tables and summary in one folder."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisplanner import catalogue
from gisplanner.basemap import open_basemap
from gisplanner.errors import InputError
from gisplanner.export import review, review_form, sheets, tables, webmap
from gisplanner.export.layers import OSM_ATTRIBUTION, PlanLayers, plan_layers, select_district
from gisplanner.export.plan_table import PlanTable
from gisplanner.outputs import output_file, output_folder
from gisplanner.progress import Progress, ensure_progress

FORMATS = ("gpkg", "pdf", "png", "html", "csv", "xlsx")
#: Every format :func:`export_plan_package` knows; ``md`` writes the review summary as Markdown.
KNOWN_FORMATS = (*FORMATS, "md")
#: The layers and tables of plan.gpkg built from the plan (see :func:`write_geopackage`).
PLAN_LAYERS = ("districts", "communities", "gaps", "service_areas", "resources", "candidate_sites",
               "proposed_facilities", "sunlight", "plan_table", "district_items", "facility_checks")
DEFAULT_TITLE = "老旧小区改造片区规划"
_OSM_PATH = re.compile(r"(^|[^a-z])osm([^a-z]|$)")


def osm_attribution(project: Any) -> str | None:
    """The attribution the project's maps must carry, or None.

    ``settings["attribution"]`` wins when set (an empty string turns it off); otherwise any layer imported
    from an OpenStreetMap file (a path naming ``osm``: ``*.osm.pbf``, ``harbin_central_osm/...``) needs
    "© OpenStreetMap contributors" (ODbL).
    """
    if "attribution" in project.settings:
        return str(project.settings["attribution"]) or None
    for source in project.layer_sources.values():
        if _OSM_PATH.search(str(source.get("file", "")).lower()):
            return OSM_ATTRIBUTION
    return None


def city_name(name: str) -> str:
    """The name of a 地级以上城市 as the plan table prints it: 哈尔滨 -> 哈尔滨市 (a name ending in 市, 州 or 盟
    stays as it is)."""
    return name if name.endswith(("市", "州", "盟", "地区")) else f"{name}市"


def project_plan_layers(project: Any, *, district: str | None = None) -> PlanLayers:
    """Gather a project's layers, results, placed facilities and standards into :class:`PlanLayers`.

    Parameters
    ----------
    project
        A :class:`gisplanner.project.Project`.
    district
        A ``district_id`` to keep only that district, or None for the whole plan.

    Returns
    -------
    PlanLayers
    """
    if project.crs is None or not project.has_layer("communities"):
        raise InputError("the project has no communities layer", layer="communities",
                         fix="import a communities layer first (gisplanner import)")
    standards = project.standards()
    types = standards.facility_types()
    results = project.results
    city = standards.sunlight.cities.get(project.city)
    prefix = project.name or (city.zh if city is not None else "")
    communities = project.layer("communities")
    eligibility = results.get("community_eligibility")
    if eligibility is not None and "basis_text" in eligibility:
        # why each community is in the plan (a post-2000 one: the 联动改造 extension or a provincial addition)
        basis = dict(zip(eligibility["community_id"].astype(str), eligibility["basis_text"]))
        communities = communities.assign(eligibility_basis=communities["feature_id"].astype(str).map(basis))
    layers = plan_layers(
        crs=project.crs, title=f"{prefix}{DEFAULT_TITLE}", communities=communities,
        districts=results.get(catalogue.DISTRICTS), members=results.get(catalogue.DISTRICT_MEMBERS),
        gaps=results.get(catalogue.GAPS), service_areas=results.get(catalogue.SERVICE_AREAS),
        resources=results.get(catalogue.DISTRICT_RESOURCES), resource_layers=project.layers,
        candidate_sites=results.get(catalogue.CANDIDATE_SITES), placed=project.placed_facilities,
        sunlight=results.get(catalogue.SILL_POINTS),
        facilities=project.layers.get("facilities"), green_space=project.layers.get("green_space"),
        facility_zh={k: t.zh for k, t in types.items()},
        level_zh={k: level.zh for k, level in standards.levels.items()},
        renovation_class=standards.facility_classes(),
        attribution=osm_attribution(project), checks=standards.checks,
        city_zh=city_name(city.zh if city is not None else project.city), roads=project.layers.get("walk_network"),
        buildings=project.layers.get("buildings"), admin_boundaries=project.layers.get("admin_boundaries"),
        title_block=project.settings.get("title_block"))
    layers = replace(layers, sources=dict(standards.sources))
    return layers if district is None else select_district(layers, district)


def plan_table_options(project: Any) -> dict[str, Any]:
    """The plan table's parameters from a project's standards: cut-off year, floor area per household for
    communities without buildings, largest 2000年底后 share."""
    standards = project.standards()
    eligibility = standards.renovation.eligibility
    return {"cutoff_year": eligibility.built_before_end_of,
            "area_per_household_m2": standards.settings.estimation.area_per_household_m2,
            "max_after_share": eligibility.extension_max_share_of_households}


def project_plan_tables(project: Any, *, district: str | None = None, unit_costs: pd.DataFrame | None = None,
                        unit_costs_file: str | None = None,
                        plan_year: int | None = None) -> tuple[PlanLayers, tables.PlanTables]:
    """The plan layers and every plan table of a project (the numbers the plan package and the provincial
    roll-up show). Costs are the communities' selected renovation items (:func:`catalogue.renovation_items`)
    priced with ``unit_costs`` or, by default, the prices the district plan was made with."""
    layers = project_plan_layers(project, district=district)
    source = unit_costs_file or "命令行给出的单价表"
    if unit_costs is None:
        unit_costs, source = catalogue.plan_unit_costs(project), "片区分析所用单价表"
    items = catalogue.renovation_items(project, community_ids=list(layers.communities["feature_id"].astype(str)),
                                       unit_costs=unit_costs, unit_costs_file=unit_costs_file)
    return layers, tables.plan_tables(layers, items, cost_source=source, plan_year=plan_year,
                                      **plan_table_options(project))


def _flat_plan_table(plan: PlanTable) -> pd.DataFrame:
    table = plan.table.copy()
    table.columns = [f"{metric}_{period}" for metric, period in table.columns]
    table[plan.remarks.name] = plan.remarks
    return table.reset_index()


def _class_items(layers: PlanLayers, items: pd.DataFrame) -> pd.DataFrame:
    """One column per renovation class listing the district's items, aligned to the member communities."""
    by_class = items.groupby(["片区编号", "改造类别"])["改造内容"].agg("；".join).unstack()
    by_class.columns = [f"改造内容_{c}" for c in by_class.columns]
    return by_class.reindex(layers.communities["district_id"].astype(str)).set_index(layers.communities.index)


def uncarried_results(project: Any) -> dict[str, pd.DataFrame]:
    """The project's analysis results that no plan layer carries (their catalogue export is their own name):
    access, coverage, exclusions, district gaps, sunlight impacts; written to the whole plan's GeoPackage."""
    return {o.name: project.results[o.name] for o in catalogue.OUTPUTS.values()
            if o.export == o.name and o.name in project.results and o.name not in PLAN_LAYERS}


def write_geopackage(layers: PlanLayers, plan_tables: tables.PlanTables, path: Path, *,
                     results: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Write the plan's layers and tables to one GeoPackage, replacing ``path`` atomically.

    Layers: districts, communities (with their district's items by class), gaps, service_areas, resources,
    candidate_sites, proposed_facilities (a ``check_<key>`` column per verdict), sunlight; attribute tables
    plan_table, district_items, facility_checks. Empty results are written as empty layers, so a reviewer
    sees that the analysis found nothing rather than a missing layer. ``results`` are analysis results no
    plan layer carries (see :func:`uncarried_results`), written under their own names.

    Returns
    -------
    pathlib.Path
    """
    import pyogrio

    items = plan_tables.items
    communities = layers.communities.join(_class_items(layers, items)) if len(items) else layers.communities
    spatial = {"districts": layers.districts, "communities": communities, "gaps": layers.gaps,
               "service_areas": layers.service_areas, "resources": layers.resources,
               "candidate_sites": layers.candidate_sites, "proposed_facilities": layers.proposed,
               "sunlight": layers.sunlight}
    attributes = {"plan_table": _flat_plan_table(plan_tables.plan), "district_items": plan_tables.items,
                  "facility_checks": plan_tables.checks}
    for name, frame in (results or {}).items():
        if name not in spatial and name not in attributes:
            if isinstance(frame, gpd.GeoDataFrame):
                spatial[name] = frame
            else:
                attributes[name] = pd.DataFrame(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.writing-{os.getpid()}.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        for name, frame in spatial.items():
            frame = gpd.GeoDataFrame(frame.replace([np.inf, -np.inf], np.nan), geometry=frame.geometry.name,
                                     crs=layers.crs)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", promote_to_multi=True,
                                    geometry_type=None if len(frame) else "Unknown")
        for name, frame in attributes.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_plan_package(project: Any, out_dir: str | Path, *, district: str | None = None,
                        formats: Sequence[str] = FORMATS, paper: str = "A3",
                        unit_costs: pd.DataFrame | None = None, unit_costs_file: str | None = None,
                        when: dt.date | None = None, tiles: bool = False, plan_year: int | None = None,
                        basemap: str | Path | None = None, district_sheets: bool = True,
                        progress: Progress | None = None) -> dict[str, list[Path]]:
    """Write the plan package of a project, whole or one district, for joint review.

    Parameters
    ----------
    project
        A :class:`gisplanner.project.Project` with its analyses run (absent results export as empty).
    out_dir
        Folder to write into (created).
    district
        A ``district_id``, or None for every district.
    formats
        Any of :data:`KNOWN_FORMATS`: ``gpkg`` (plan.gpkg), ``pdf`` (sheets.pdf), ``png`` (one per sheet),
        ``html`` (webmap.html and review.html), ``csv`` (tables/*.csv), ``xlsx`` (plan_tables.xlsx and review_form.xlsx, the form a joint review fills
        in: :mod:`gisplanner.export.review_form`), ``md``
        (review.md).
    paper
        Sheet size: A4, A3 or A1, landscape.
    unit_costs, unit_costs_file
        The user's ``item, unit, unit_cost_yuan`` table and its file name; by default the prices of the
        project's ``district_content`` result, else investment stays blank.
    when
        Date printed on the sheets and the summary; today by default.
    tiles
        Add an online OpenStreetMap basemap to the web map (off: the page makes no network request).
    plan_year
        Make the plan table for the communities whose ``plan_year`` is this year; None: every community of
        the plan, and the table says it is not one year's plan.
    basemap
        A local GeoTIFF or MBTiles file drawn under the sheets' maps; by default the project's
        ``settings["basemap"]``, if any (nothing is downloaded).
    district_sheets
        One map sheet per district after the themed sheets of a whole plan (see :func:`sheets.write_sheets`).
    progress
        One step per output; cancel between outputs.

    Returns
    -------
    dict
        Format -> paths written.
    """
    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown:
        raise InputError(f"unknown export format {unknown[0]!r}", fix=f"use any of {','.join(KNOWN_FORMATS)}")
    progress = ensure_progress(progress)
    # Nothing of the package may land on the project itself (e.g. --out next to it with the name plan.gpkg).
    protected = [project.path]
    out = output_folder(out_dir, protected=protected)
    for name in ("plan.gpkg", "plan_tables.xlsx", "webmap.html", "review.html", "review.md"):
        output_file(out / name, protected=protected)
    when = when or dt.date.today()
    layers, plan_tables = project_plan_tables(project, district=district, unit_costs=unit_costs,
                                              unit_costs_file=unit_costs_file, plan_year=plan_year)
    chosen = basemap if basemap is not None else project.settings.get("basemap")
    under = open_basemap(chosen) if chosen else None

    steps = [f for f in KNOWN_FORMATS if f in formats]
    written: dict[str, list[Path]] = {}
    for i, fmt in enumerate(steps):
        progress.update(i, len(steps), f"写出 {fmt.upper()}")
        if fmt == "gpkg":
            written[fmt] = [write_geopackage(layers, plan_tables, out / "plan.gpkg",
                                             results=uncarried_results(project) if district is None else None)]
        elif fmt in ("pdf", "png"):
            if fmt not in written:
                written.update(sheets.write_sheets(layers, out, paper=paper, when=when, basemap=under,
                                                   district_sheets=district_sheets,
                                                   formats=[f for f in ("pdf", "png") if f in formats]))
        elif fmt == "html":
            written[fmt] = [webmap.write_web_map(layers, out / "webmap.html", tiles=tiles),
                            review.write_review(layers, plan_tables, out / "review.html", when=when)]
        elif fmt == "csv":
            written[fmt] = list(tables.write_csv(plan_tables, out / "tables").values())
        elif fmt == "xlsx":
            written[fmt] = [tables.write_xlsx(plan_tables, out / "plan_tables.xlsx"),
                            review_form.write_review_form(layers, project.tables.get(review_form.TABLE),
                                                          out / "review_form.xlsx")]
        elif fmt == "md":
            written[fmt] = [review.write_review(layers, plan_tables, out / "review.md", when=when)]
    progress.update(len(steps), len(steps), "规划成果包已写出")
    return written
