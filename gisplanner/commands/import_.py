"""``gisplanner import``: import layer files into a project file (created when absent), with a report."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from gisplanner.errors import InputError
from gisplanner.io.importer import import_layers, parse_assignments, parse_field_maps
from gisplanner.progress import Progress
from gisplanner.project import Project

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="import GeoPackage/Shapefile/GeoJSON/OSM PBF layers into a project", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--project", required=True, type=Path, metavar="P.gpkg",
                        help="project file; created if it does not exist, else the layers are added to it")
    parser.add_argument("--role", action="append", default=[], metavar="LAYER=ROLE",
                        help="role of a source layer (or LAYER=skip); repeatable")
    parser.add_argument("--field", action="append", default=[], metavar="ROLE.COLUMN=SOURCE",
                        help="source field of a canonical column, e.g. communities.households=HU; repeatable")
    parser.add_argument("--source-crs", metavar="CRS",
                        help="CRS of layers whose file has none (EPSG:4326), or GCJ-02 / BD-09 to convert")
    parser.add_argument("--city", help="city of the project (key of the sunlight city presets)")
    parser.add_argument("--replace", action="store_true",
                        help="let a layer without usable features replace a role the project already has")
    parser.add_argument("--keep-outliers", action="store_true",
                        help="import features lying far from the rest of their layer (left out by default)")
    parser.add_argument("--json", action="store_true", help="print the import report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The lock spans load, import and save: a second import into the same project waits for this one and then
    # adds its layers to the saved result, instead of saving over it.
    with Project.editing(args.project, create={"city": args.city or "harbin"}) as project:
        try:
            report = import_layers(project, args.files, roles=parse_assignments(args.role, what="--role"),
                                   field_maps=parse_field_maps(args.field), source_crs=args.source_crs,
                                   city=args.city, replace=args.replace,
                                   keep_outliers=args.keep_outliers, progress=Progress(
                                       lambda done, total, message: log.info("%d/%d %s", done, total, message)))
        except InputError as exc:
            if args.json:
                print(json.dumps({"error": str(exc), "findings": []}, ensure_ascii=False, indent=2))
            raise
        path = project.save(args.project)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    counts = ", ".join(f"{role} {len(project.layers[role])}" for role in sorted(project.layers))
    print(f"{path}: {counts}; CRS {project.crs.name}")
    for code, n in sorted(report.codes().items()):
        print(f"  {code}: {n}")
    for finding in report.findings:
        if finding.code != "missing_field":
            where = f"{finding.layer}" + (f" #{finding.feature}" if finding.feature is not None else "")
            print(f"  [{finding.code}] {where}: {finding.message}")
    return 0
