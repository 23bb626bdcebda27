"""Placement checks, one module per family (land use, size, service, sunlight, green, site type).

Each module registers its checks with :func:`~gisplanner.analysis.checks.base.check`; every module of this
package is imported here, so a new check is one new module plus its entry in ``checks.yaml`` (title and
place in the report). :func:`run_checks` runs them in the order of ``checks.yaml``.
"""

from __future__ import annotations

import importlib
import pkgutil

from gisplanner.analysis.checks.base import (
    CONSULT_STEP,
    OVERALL,
    REGISTRY,
    VERDICTS,
    CheckResult,
    CheckSpec,
    check,
    missing_text,
)
from gisplanner.analysis.checks.context import CheckContext
from gisplanner.errors import ConfigError

__all__ = ["CONSULT_STEP", "OVERALL", "REGISTRY", "VERDICTS", "CheckContext", "CheckResult", "CheckSpec", "check",
           "registered", "run_checks"]

_SHARED = {"base", "context"}


def registered() -> dict[str, CheckSpec]:
    """Every check, after importing each family module of the package (found at run time, no list to edit)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _SHARED:
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def run_checks(ctx: CheckContext) -> list[CheckResult]:
    """Every check of ``checks.yaml``, in its order; a check whose needed layers are absent is ``not_checked``.

    Raises
    ------
    ConfigError
        When ``checks.yaml`` lists a check no module registers, or a module registers one it does not list.
    """
    specs = registered()
    order = list(ctx.standards.checks.entries)
    unlisted = sorted(set(specs) - set(order))
    if unlisted:
        raise ConfigError("有选址核查项在 checks.yaml 中没有条目（标题、顺序）", file="checks.yaml",
                          key="checks", value=", ".join(unlisted))
    absent = [k for k in order if k not in specs]
    if absent:
        raise ConfigError("checks.yaml 列出的核查项没有对应的核查模块（gisplanner/analysis/checks）", file="checks.yaml",
                          key=f"checks.{absent[0]}")
    results: list[CheckResult] = []
    for done, key in enumerate(order):
        ctx.progress.update(done, len(order), "核查设施选址")
        spec = specs[key]
        missing = spec.missing(ctx)
        if missing:
            results.extend(CheckResult(k, ctx.title(k), "not_checked", missing_text(missing))
                           for k in spec.result_keys(ctx.standards))
            continue
        out = spec.run(ctx)
        results.extend([out] if isinstance(out, CheckResult) else out)
    ctx.progress.update(len(order), len(order), "选址核查完成")
    return results
