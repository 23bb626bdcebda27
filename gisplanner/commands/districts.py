"""``gisplanner districts``: bundle eligible communities into renovation districts (片区)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd
import pyogrio

from gisplanner.analysis.adjacency import barrier_lines, community_adjacency
from gisplanner.analysis.districts import (
    COST_UNITS,
    DistrictInputs,
    DistrictRules,
    admin_groups,
    community_eligibility,
    community_walk_distances,
)
from gisplanner.analysis.network import build_walk_graph
from gisplanner.errors import InputError
from gisplanner.project import Project

RESOURCE_ROLES = ("idle_land", "boiler_rooms", "public_buildings")
#: Walking distances are computed up to this multiple of the district extent limit.
WALK_REPORT_FACTOR = 1.5


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "districts", help="bundle adjacent old communities into renovation districts", description=__doc__,
        epilog="Writes the layers districts, district_members, district_resources, district_exclusions, "
               "district_gaps and district_content to OUT, and stores them as results in the project. "
               "Defaults come from the project's standards (settings.yaml districts, renovation.yaml).")
    parser.add_argument("project", type=Path, help="project GeoPackage")
    parser.add_argument("--out", type=Path, required=True, help="GeoPackage to write the district layers to")
    parser.add_argument("--min-population", type=float, default=None, help="smallest district population")
    parser.add_argument("--max-population", type=float, default=None, help="largest district population")
    parser.add_argument("--max-extent", type=float, default=None,
                        help="largest walk (m) between member centroids; straight line without a walk_network")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bundling (same seed, same districts)")
    parser.add_argument("--within-admin", action="store_true",
                        help="keep each district inside one admin_boundaries unit (街道/社区)")
    parser.add_argument("--unit-costs", type=Path, default=None,
                        help=f"CSV item,unit,unit_cost_yuan (unit: {', '.join(COST_UNITS)}) for cost "
                             "estimates; there are no default costs")
    parser.add_argument("--no-save", action="store_true", help="do not store the results in the project file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    project = Project.load(args.project)
    from gisplanner.workflow import run_districts

    plan = run_districts(project, seed=args.seed, min_population=args.min_population,
                         max_population=args.max_population, max_extent_m=args.max_extent,
                         within_admin=args.within_admin, unit_costs=args.unit_costs)
    write_layers(plan.results(), args.out)
    if not args.no_save:
        project.save()
    d = plan.districts
    broken = (d["violations"] != "").sum()
    print(f"{len(d)} districts of {len(plan.members)} communities ({broken} breaking a constraint, see "
          f"'violations'); {len(plan.exclusions)} communities excluded with reasons; "
          f"{len(plan.resources)} resources; written to {args.out} in {time.perf_counter() - start:.1f} s")
    unknown = int(plan.exclusions["built_year"].isna().sum())
    if unknown:
        print(f"{unknown} communities have no built year and are excluded: import communities (or buildings) "
              "with a built_year field")
    return 0


def district_inputs(project: Project, *, min_population: float | None = None,
                    max_population: float | None = None, max_extent_m: float | None = None,
                    within_admin: bool = False, unit_costs: Path | None = None) -> DistrictInputs:
    """Gather a project's layers and standards into the inputs of the district engine.

    With a walk_network the extent limit is checked on walking distances between community
    centroids; without one, on straight lines.
    """
    standards = project.standards()
    settings = standards.settings
    elig = standards.renovation.eligibility
    lo, hi = settings.district_population
    rules = DistrictRules(
        min_population=lo if min_population is None else min_population,
        max_population=hi if max_population is None else max_population,
        max_extent_m=settings.district_max_extent_m if max_extent_m is None else max_extent_m,
        resource_reach_m=settings.resource_reach_m, adjacency_gap_m=settings.adjacency_gap_m,
        built_before=elig.built_before_end_of)
    communities = project.layer("communities")
    optional = {role: project.layers.get(role) for role in ("walk_network", "railways", "rivers", "buildings")}
    barriers = barrier_lines(optional["walk_network"], barrier_highways=settings.barrier_highways,
                             railways=optional["railways"], rivers=optional["rivers"])
    eligibility = community_eligibility(
        communities, buildings=optional["buildings"], built_before=elig.built_before_end_of,
        extended_built_before=elig.extension_built_before_end_of,
        extended_max_share=elig.extension_max_share_of_households if elig.extension_enabled else 0.0)
    walk = None
    if optional["walk_network"] is not None:
        graph = build_walk_graph(optional["walk_network"], walkable_highways=settings.walkable_highways,
                                 min_component_nodes=settings.small_component_nodes)
        # Beyond the limit itself, so a district that is a little too wide still shows by how much.
        walk = community_walk_distances(communities, graph, limit_m=WALK_REPORT_FACTOR * rules.max_extent_m)
    groups = None
    if within_admin:
        groups = admin_groups(communities, project.layer("admin_boundaries"))
    types = standards.facility_types()
    return DistrictInputs(
        communities=communities,
        adjacency=community_adjacency(communities, barriers=barriers, gap_m=settings.adjacency_gap_m),
        eligibility=eligibility, rules=rules,
        resources={role: project.layers[role] for role in RESOURCE_ROLES if role in project.layers},
        gaps=project.results.get("gaps"), groups=groups, classes=standards.renovation_items(project.city),
        facility_classes=standards.facility_classes(),
        facility_names={k: t.zh for k, t in types.items()},
        unit_costs=read_unit_costs(unit_costs) if unit_costs is not None else None,
        unit_costs_file=str(unit_costs) if unit_costs is not None else None, walk=walk)


def read_unit_costs(path: Path) -> pd.DataFrame:
    """Read the user's unit-cost CSV (UTF-8, with or without BOM, or GB18030 as saved by Excel in China)."""
    if not path.exists():
        raise InputError("no such unit-cost file", file=str(path), fix="check the path given to --unit-costs")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, encoding=encoding, dtype={"item": str, "unit": str})
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"cannot read the CSV: {exc}", file=str(path),
                             fix="save it as CSV with the header item,unit,unit_cost_yuan") from None
    raise InputError("the CSV is neither UTF-8 nor GB18030", file=str(path), fix="save it as UTF-8 CSV")


def write_layers(results: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every result as a layer of a new GeoPackage ``out``, replacing it atomically."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.writing-{os.getpid()}.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        for name, frame in results.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
