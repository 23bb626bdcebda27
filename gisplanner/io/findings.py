"""Findings of an import: what the importer repaired, dropped, guessed or estimated."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

#: Every code a finding may carry; the set is stable so scripts can rely on it.
CODES = (
    "invalid_geometry_repaired",
    "empty_geometry_dropped",
    "wrong_geometry_type",
    "missing_crs",
    "suspected_gcj02",
    "encoding_guessed",
    "duplicate_id",
    "bad_value",
    "missing_field",
    "value_estimated",
    "value_ambiguous",
    "value_unparseable",
    "value_implausible",
    "footprint_estimated",
    "ledger_unmatched",
    "ledger_ambiguous",
    "ledger_duplicate",
    "layer_empty",
    "role_replaced",
    "coordinates_outlier",
)


@dataclass(frozen=True)
class Finding:
    """One thing the importer noticed.

    Parameters
    ----------
    code
        One of :data:`CODES`.
    layer
        Source layer (or role) the finding is about.
    feature
        Feature id or index, or None when the finding concerns the whole layer.
    message
        What happened and what was done, in plain words.
    """

    code: str
    layer: str
    feature: str | None
    message: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; expected one of {', '.join(CODES)}")


@dataclass
class ImportReport:
    """The findings of one import, in the order they were made."""

    findings: list[Finding] = field(default_factory=list)

    def extend(self, findings: list[Finding]) -> None:
        self.findings.extend(findings)

    def codes(self) -> Counter[str]:
        """Number of findings per code."""
        return Counter(f.code for f in self.findings)

    def of(self, code: str) -> list[Finding]:
        """The findings with ``code``."""
        return [f for f in self.findings if f.code == code]

    def to_dict(self) -> dict[str, list[dict[str, str | None]]]:
        """JSON-ready form, as printed by ``gisplanner import --json``."""
        return {"findings": [asdict(f) for f in self.findings]}
