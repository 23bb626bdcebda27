"""What every placement check shares: the result type, the registry and its decorator, small helpers.

A check is a function of a :class:`~gisplanner.analysis.checks.context.CheckContext` registered with
:func:`check`; its title and its place in the report come from ``checks.yaml``. When a layer the check
``needs`` is absent the registry reports it ``not_checked`` without calling it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from gisplanner.labels import code_label

if TYPE_CHECKING:
    from gisplanner.analysis.checks.context import CheckContext
    from gisplanner.standards import Standards

# Verdicts of one check, from best to worst. "consult" means residents' consultation (一事一议) decides;
# "fail" is a mandatory rule (强制性条文) or a site that cannot be used as it stands.
# "not_applicable" (不适用): the check is about a kind of site this one is not.
VERDICTS = ("pass", "not_applicable", "not_checked", "warn", "consult", "fail")
# Overall outcome named after the worst verdict.
OVERALL = {"pass": "pass", "not_applicable": "pass", "not_checked": "pass", "warn": "conditions",
           "consult": "consultation", "fail": "refused"}
CONSULT_STEP = "广泛征求居民意见，一事一议予以解决，或调整、缩小设施用地后重新核查"
# Cuts smaller than this are geometry noise, not green taken (m²).
NOISE_M2 = 0.01


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check with its numbers, basis (source ids) and the planner's next steps."""

    key: str
    title: str
    verdict: str
    message: str
    numbers: Mapping[str, Any] = field(default_factory=dict)
    basis: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Several rules of one check often share a source; list each once, in order.
        object.__setattr__(self, "basis", tuple(dict.fromkeys(self.basis)))


CheckFunction = Callable[["CheckContext"], CheckResult | Sequence[CheckResult]]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check.

    Attributes
    ----------
    key
        Its key in ``checks.yaml`` and in the report.
    needs
        Layer roles without which the check is ``not_checked``.
    run
        The check: context in, one result or a list of results out.
    levels
        For a check with one result per life-circle level: the level keys it checks, from the standards.
    """

    key: str
    needs: tuple[str, ...]
    run: CheckFunction
    levels: Callable[[Standards], Iterable[str]] | None = None

    def missing(self, ctx: CheckContext) -> list[str]:
        """The needs ``ctx`` lacks, in order."""
        return [n for n in self.needs if n not in ctx.layers]

    def result_keys(self, standards: Standards) -> list[str]:
        """The keys of the results the check gives: its own, or ``<key>_<level>`` per level."""
        return [self.key] if self.levels is None else [f"{self.key}_{lk}" for lk in self.levels(standards)]


#: Every registered check by key; filled as the family modules are imported.
REGISTRY: dict[str, CheckSpec] = {}


def check(key: str, *, needs: Sequence[str] = (),
          levels: Callable[[Standards], Iterable[str]] | None = None) -> Callable[[CheckFunction], CheckFunction]:
    """Register a placement check under ``key`` (which must have an entry in ``checks.yaml``).

    Parameters
    ----------
    key
        The check's key, as in ``checks.yaml``.
    needs
        Layer roles the check cannot do without.
    levels
        For a check that gives one result per level (``<key>_<level>``; its title has ``{level}``): the level
        keys, from the standards.
    """
    def register(fn: CheckFunction) -> CheckFunction:
        if key in REGISTRY and REGISTRY[key].run is not fn:
            raise ValueError(f"placement check {key!r} is registered twice")
        REGISTRY[key] = CheckSpec(key, tuple(needs), fn, levels)
        return fn
    return register


def missing_text(needs: Sequence[str]) -> str:
    """Why a check with these needs absent is not checked."""
    return f"缺少图层：{'、'.join(code_label(n, 'layer') for n in needs)}"


def near(layer: gpd.GeoDataFrame, geometry: BaseGeometry, distance_m: float) -> gpd.GeoDataFrame:
    """The features of ``layer`` within ``distance_m`` of ``geometry``."""
    return layer.iloc[np.sort(layer.sindex.query(geometry, predicate="dwithin", distance=distance_m))]


def is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
