"""Running the analyses of the catalogue on a Project: the one entry point of the CLI, the demo and the app.

:func:`run` resolves an analysis's parameters (the standards with the project's overrides, then the caller's
changes), computes, and stores the results together with their run record. :func:`run_all` runs every
analysis once, each after the analyses whose results it consumes. Nothing here saves the project or prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from gisplanner import catalogue
from gisplanner.analysis.district_edit import redescribe
from gisplanner.analysis.districts import DistrictPlan
from gisplanner.catalogue import (
    DISTRICTS,
    GAPS,
    RENOVATION_CHOICES,
    SILL_POINTS,
    params_from_json,
    params_from_standards,
    params_to_json,
    renovation_choices,
)
from gisplanner.progress import Progress, ensure_progress
from gisplanner.project import Project, RunRecord

#: The order :func:`run_all` follows: districts first, so the life circle reports coverage per district;
#: the districts then take up the gaps by :func:`refresh_districts` (described again, not re-bundled).
RUN_ALL_ORDER = ("districts", "lifecircle", "sunlight")


def params(project: Project, key: str, **changes: Any) -> Any:
    """The parameters a run of ``key`` would use: the project's standards, then ``changes``."""
    return params_from_standards(catalogue.analysis(key).params, project.standards(), **changes)


def recorded_params(project: Project, key: str) -> Any | None:
    """The parameters of the last run of ``key`` on the project, None when it has not run."""
    record = project.runs.get(key)
    return None if record is None else params_from_json(catalogue.analysis(key).params, record.params)


def run(project: Project, key: str, *, progress: Progress | None = None, **changes: Any) -> Any:
    """Run the analysis ``key`` with the standards' parameters changed by ``changes``; store its results and
    its run record on the project and return what the analysis gives (the district plan, the sunlight run,
    the placement run, the life-circle frames)."""
    return run_with(project, key, params(project, key, **changes), progress=progress)


def run_with(project: Project, key: str, parameters: Any, *, progress: Progress | None = None) -> Any:
    """Run ``key`` with exactly ``parameters`` (e.g. those of a run record, to reproduce it)."""
    spec = catalogue.analysis(key)
    frames, value = spec.compute(project, parameters, ensure_progress(progress))
    record = RunRecord.now(key, params_to_json(parameters), project.standards().overrides, tuple(frames))
    project.store_results(frames, run=record)
    return value


def district_inputs_of_plan(project: Project) -> catalogue.DistrictInputs:
    """The district inputs of the plan on the project: with the parameters of the run that made it (an edit
    keeps the rules the planner bundled with), the standards' when there is no run yet."""
    recorded = recorded_params(project, "districts")
    parameters = recorded if recorded is not None else params(project, "districts")
    return catalogue.district_inputs(project, parameters)


def refresh_districts(project: Project) -> DistrictPlan | None:
    """Describe the stored district plan again with the current life-circle gaps and renovation ticks (same
    members, names and locks, the run record of the bundling kept); None when there is no plan."""
    plan = DistrictPlan.from_results(project.results)
    if plan is None:
        return None
    plan = redescribe(plan, district_inputs_of_plan(project))
    project.store_results(plan.results())
    return plan


def _run_all_changes(seed: int) -> dict[str, dict[str, Any]]:
    """What :func:`run_all` changes of each analysis's standard parameters."""
    return {"districts": {"seed": seed}}


def planned_runs(project: Project, *, seed: int = 0, placements: Sequence[Mapping[str, Any]] = ()
                 ) -> dict[str, Any]:
    """The run records :func:`run_all` would make, without running anything: ``runs`` (analysis key ->
    parameters as recorded), ``placements`` (the parameters of each placement, in order) and ``overrides``
    (the standards overrides in force). A batch skips a city whose records (and inputs) are unchanged."""
    changes = _run_all_changes(seed)
    return {"runs": {key: params_to_json(params(project, key, **changes.get(key, {}))) for key in RUN_ALL_ORDER},
            "placements": [params_to_json(params(project, "placement", **kw)) for kw in placements],
            "overrides": [o.to_dict() for o in project.standards().overrides]}


def run_all(project: Project, *, seed: int = 0, placements: Sequence[Mapping[str, Any]] = (),
            progress: Progress | None = None) -> dict[str, Any]:
    """Every analysis once, in :data:`RUN_ALL_ORDER`, then each placement (keyword arguments of the placement
    analysis). The walking graph is built once and shared. Returns a short summary."""
    progress = ensure_progress(progress)
    stages = len(RUN_ALL_ORDER) + len(placements)
    changes = _run_all_changes(seed)
    for i, key in enumerate(RUN_ALL_ORDER):
        run(project, key, progress=progress.stage(i, stages, catalogue.analysis(key).zh), **changes.get(key, {}))
        if key == "lifecircle":
            refresh_districts(project)
    reports = [run(project, "placement", progress=progress.stage(len(RUN_ALL_ORDER) + i, stages, "设施"), **kw).report
               for i, kw in enumerate(placements)]
    progress.update(stages, stages, "完成")
    return {"districts": len(project.results[DISTRICTS]), "gaps": len(project.results[GAPS]),
            "sill_points": len(project.results[SILL_POINTS]), "placements": [r.overall for r in reports]}


def set_renovation_choices(project: Project, choices: Mapping[tuple[str, str], bool]) -> None:
    """Store the planner's ticks (replacing earlier ones for the same community and item)."""
    replace_renovation_choices(project, {**renovation_choices(project), **choices})


def replace_renovation_choices(project: Project, choices: Mapping[tuple[str, str], bool]) -> None:
    """Make ``choices`` the project's whole set of ticks (what undoing a tick restores); the district plan is
    described again so its content and costs follow the ticks."""
    rows = sorted({(str(c), str(i)): bool(v) for (c, i), v in choices.items()}.items())
    project.store_results({RENOVATION_CHOICES: pd.DataFrame(
        [(c, i, v) for (c, i), v in rows], columns=["community_id", "item", "selected"])})
    refresh_districts(project)


__all__ = ["RUN_ALL_ORDER", "district_inputs_of_plan", "params", "planned_runs", "recorded_params",
           "refresh_districts", "run", "run_all", "run_with"]
