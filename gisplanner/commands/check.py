"""``gisplanner check``: check a proposed facility and write its report (JSON, optionally HTML)."""

from __future__ import annotations

import argparse
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from gisplanner import workflow
from gisplanner.catalogue import geometry_wkt
from gisplanner.errors import InputError
from gisplanner.project import Project
from gisplanner.standards import INTERVENTIONS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check a proposed facility: size, sunlight, green, land use",
                                   description=__doc__)
    parser.add_argument("project", type=Path, metavar="P.gpkg")
    parser.add_argument("--facility", required=True, metavar="TYPE", help="facility type key of the catalogue")
    site = parser.add_mutually_exclusive_group(required=True)
    site.add_argument("--site", metavar="LAYER:ID", help="a feature of a project layer, by the feature_id "
                      "that `gisplanner info` shows (e.g. boiler_rooms:br-3)")
    site.add_argument("--footprint", type=Path, metavar="FILE", help="a file with the drawn footprint")
    parser.add_argument("--floors", type=float, help="storeys of the facility")
    parser.add_argument("--height", type=float, metavar="M", help="height of the facility, m (default: floors × "
                        "the standards' floor height)")
    parser.add_argument("--gfa", type=float, metavar="M2", help="gross floor area, m²")
    parser.add_argument("--adds-far", action="store_true", help="the works add floor area counted in FAR")
    parser.add_argument("--new-construction-land", action="store_true",
                        help="the works take land that is not construction land yet")
    parser.add_argument("--intervention", choices=INTERVENTIONS,
                        help="default: equipment for equipment types, conversion for a building site, else new")
    parser.add_argument("--investment", type=float, metavar="WAN_YUAN", help="investment, 万元")
    parser.add_argument("--name", default="", help="name of the proposal")
    area = parser.add_mutually_exclusive_group()
    area.add_argument("--old-area", dest="old_area", action="store_const", const=True,
                      help="the site is an old area under renovation (旧区改建 relief of the green floors)")
    area.add_argument("--new-area", dest="old_area", action="store_const", const=False,
                      help="the site is not an old area (no relief); default: from the built year of the "
                      "communities under the site")
    parser.add_argument("--out", type=Path, required=True, metavar="REPORT.json")
    parser.add_argument("--html", type=Path, metavar="REPORT.html")
    parser.add_argument("--attribution", metavar="TEXT",
                        help='data attribution under the HTML map, e.g. "© OpenStreetMap contributors"')
    parser.add_argument("--no-store", action="store_true", help="do not add the facility to the project")
    parser.set_defaults(run=run)


def read_footprint(path: Path, project: Project) -> BaseGeometry:
    """The union of the geometries in ``path``, in the project's CRS."""
    from gisplanner.io.readers import read_layers

    frame = read_layers(path)[0].frame
    if frame.empty:
        raise InputError("the footprint file has no feature", file=str(path), fix="draw the footprint first")
    if frame.crs is None:
        raise InputError("the footprint file has no CRS", file=str(path),
                         fix="save it with its coordinate system (e.g. as GeoJSON in WGS84)")
    geom = shapely.union_all(frame.to_crs(project.crs).geometry.values)
    if not geom.is_valid:
        raise InputError("the footprint is not a valid geometry", file=str(path),
                         fix="redraw it without self-intersections")
    return geom


def run(args: argparse.Namespace) -> int:
    project = Project.load(args.project)
    report = workflow.run(
        project, "placement", facility=args.facility, site=args.site,
        footprint_wkt=geometry_wkt(read_footprint(args.footprint, project)) if args.footprint else None,
        intervention=args.intervention, floors=args.floors, height_m=args.height, gfa_m2=args.gfa,
        adds_far=args.adds_far, new_construction_land=args.new_construction_land,
        investment_wan_yuan=args.investment, name=args.name, old_area=args.old_area,
        store=not args.no_store).report
    args.out.write_text(report.to_json(), encoding="utf-8")
    if args.html:
        from gisplanner.export.report_html import write_report_html

        write_report_html(report, args.html, context=project.layers, attribution=args.attribution)
    if not args.no_store:
        project.save()
    print(f"{report.facility_zh} ({report.facility_type}), {report.intervention}: {report.overall}")
    for check in report.checks:
        print(f"  {check.verdict:<11} {check.key}: {check.message}")
    return 0
