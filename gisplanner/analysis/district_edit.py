"""Editing districts by hand: each operation returns a new plan and the Change it made.

The desktop app keeps the plans on its undo stack; undo is going back to the previous plan.
Operations never refuse an edit for breaking a rule: they carry it out and list what broke
in ``Change.warnings`` (contiguity, population range, extent, ineligible members). They do
refuse, with an :class:`~gisplanner.errors.InputError`, to change the members of a locked
district or to act on ids that do not exist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from gisplanner.analysis.district_tables import VIOLATIONS
from gisplanner.analysis.districts import DistrictInputs, DistrictPlan, describe_plan
from gisplanner.errors import InputError


@dataclass(frozen=True)
class Change:
    """What one edit did.

    Attributes
    ----------
    operation
        ``create``, ``add``, ``remove``, ``merge``, ``split``, ``rename`` or ``lock``.
    added, removed, modified
        District ids created, deleted (left empty), or changed in members, name or lock.
    moved
        ``(community_id, from_district, to_district)``; None stands for no district.
    warnings
        Constraints the edit broke, in words, one per problem.
    """

    operation: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    moved: tuple[tuple[str, str | None, str | None], ...] = ()
    warnings: tuple[str, ...] = ()


def create_district(plan: DistrictPlan, community_ids: Iterable[str], *, inputs: DistrictInputs,
                    name: str | None = None) -> tuple[DistrictPlan, Change]:
    """Make a new district of the selected communities, taking them from their districts.

    Parameters
    ----------
    plan
        The current plan.
    community_ids
        ``feature_id`` of the selected communities.
    inputs
        What the plan was computed from.
    name
        Name of the new district; default its id.
    """
    new_id = _next_id(plan)
    names = {new_id: name} if name else {}
    return _reassign(plan, inputs, "create", dict.fromkeys(_ids(community_ids), new_id), names=names)


def add_communities(plan: DistrictPlan, district_id: str, community_ids: Iterable[str], *,
                    inputs: DistrictInputs) -> tuple[DistrictPlan, Change]:
    """Move the selected communities into ``district_id`` (from their districts, if any)."""
    _known_district(plan, district_id)
    return _reassign(plan, inputs, "add", dict.fromkeys(_ids(community_ids), district_id))


def remove_communities(plan: DistrictPlan, district_id: str, community_ids: Iterable[str], *,
                       inputs: DistrictInputs) -> tuple[DistrictPlan, Change]:
    """Take the selected communities out of ``district_id``; they belong to no district after."""
    _known_district(plan, district_id)
    ids = _ids(community_ids)
    current = _assignment(plan)
    strangers = [c for c in ids if current.get(c) != district_id]
    if strangers:
        raise InputError(f"community {strangers[0]} is not in district {district_id}", layer="district_members",
                         feature=strangers[0], fix="select members of the district to remove")
    return _reassign(plan, inputs, "remove", dict.fromkeys(ids))


def merge_districts(plan: DistrictPlan, district_ids: Iterable[str], *, inputs: DistrictInputs,
                    name: str | None = None) -> tuple[DistrictPlan, Change]:
    """Merge districts into the first one given; the others are removed."""
    ids = list(dict.fromkeys(district_ids))
    if len(ids) < 2:
        raise InputError("merging needs at least two districts", fix="select two or more districts")
    for d in ids:
        _known_district(plan, d)
    keep = ids[0]
    moving = plan.members.loc[plan.members["district_id"].isin(ids[1:]), "community_id"]
    names = {keep: name} if name else {}
    return _reassign(plan, inputs, "merge", dict.fromkeys(moving, keep), names=names)


def split_district(plan: DistrictPlan, district_id: str, community_ids: Iterable[str], *,
                   inputs: DistrictInputs, name: str | None = None) -> tuple[DistrictPlan, Change]:
    """Split the selected members off ``district_id`` into a new district."""
    _known_district(plan, district_id)
    ids = _ids(community_ids)
    members = set(plan.members.loc[plan.members["district_id"] == district_id, "community_id"])
    outside = [c for c in ids if c not in members]
    if outside:
        raise InputError(f"community {outside[0]} is not in district {district_id}", layer="district_members",
                         feature=outside[0], fix="select members of the district to split off")
    if not ids or set(ids) == members:
        raise InputError(f"splitting {district_id} needs some but not all of its members",
                         fix="select the part to split off")
    new_id = _next_id(plan)
    names = {new_id: name} if name else {}
    return _reassign(plan, inputs, "split", dict.fromkeys(ids, new_id), names=names)


def rename_district(plan: DistrictPlan, district_id: str, name: str) -> tuple[DistrictPlan, Change]:
    """Give ``district_id`` a new name (allowed on locked districts)."""
    _known_district(plan, district_id)
    if not str(name).strip():
        raise InputError("a district name cannot be empty", feature=district_id, fix="type a name")
    districts = plan.districts.copy()
    districts.loc[districts["district_id"] == district_id, "name"] = str(name).strip()
    return _replace(plan, districts), Change("rename", modified=(district_id,))


def lock_district(plan: DistrictPlan, district_id: str, locked: bool = True) -> tuple[DistrictPlan, Change]:
    """Lock (or unlock) ``district_id``: a locked district keeps its members when re-bundling and editing."""
    _known_district(plan, district_id)
    districts = plan.districts.copy()
    districts.loc[districts["district_id"] == district_id, "locked"] = bool(locked)
    return _replace(plan, districts), Change("lock", modified=(district_id,))


# --------------------------------------------------------------------------- internals

def redescribe(plan: DistrictPlan, inputs: DistrictInputs) -> DistrictPlan:
    """The same districts (members, names, locks) described again from ``inputs``, e.g. once the life-circle
    gaps they carry are known; nothing is re-bundled."""
    ids = inputs.communities["feature_id"].astype(str)
    assignment = ids.map(_assignment(plan)).astype("string")
    locked = plan.districts.loc[plan.districts["locked"].astype(bool), "district_id"]
    return describe_plan(inputs, assignment, names=dict(zip(plan.districts["district_id"], plan.districts["name"])),
                         locked=sorted(locked))


def _reassign(plan: DistrictPlan, inputs: DistrictInputs, operation: str, target: Mapping[str, str | None], *,
              names: Mapping[str, str] | None = None) -> tuple[DistrictPlan, Change]:
    """Move communities to target districts, rebuild the plan and say what changed and broke."""
    ids = inputs.communities["feature_id"].astype(str)
    known = set(ids)
    unknown = [c for c in target if c not in known]
    if unknown:
        raise InputError(f"community {unknown[0]} does not exist", layer="communities", feature=unknown[0],
                         fix="select communities of the project")
    if not target:
        raise InputError(f"{operation} needs a selection of communities", fix="select one or more communities")
    current = _assignment(plan)
    locked = set(plan.districts.loc[plan.districts["locked"].astype(bool), "district_id"])
    moved = [(c, current.get(c), to) for c, to in target.items() if current.get(c) != to]
    for c, src, dst in moved:
        for d in (src, dst):
            if d in locked:
                raise InputError(f"district {d} is locked", feature=d, fix=f"unlock {d} before moving {c}")
    after = {**current, **target}
    assignment = ids.map(after).astype("string")
    all_names = dict(zip(plan.districts["district_id"], plan.districts["name"]))
    all_names.update(names or {})
    new = describe_plan(inputs, assignment, names=all_names, locked=sorted(locked))
    before_ids, after_ids = set(plan.districts["district_id"]), set(new.districts["district_id"])
    touched = {d for _, src, dst in moved for d in (src, dst) if d is not None}
    touched |= set(names or {})
    change = Change(
        operation,
        added=tuple(sorted(after_ids - before_ids)),
        removed=tuple(sorted(before_ids - after_ids)),
        modified=tuple(sorted((touched & after_ids) & before_ids)),
        moved=tuple(moved),
        warnings=tuple(_warnings(plan, new, inputs, touched & after_ids, moved)),
    )
    return new, change


def _warnings(old: DistrictPlan, new: DistrictPlan, inputs: DistrictInputs, touched: set[str],
              moved: list[tuple[str, str | None, str | None]]) -> list[str]:
    before = dict(zip(old.districts["district_id"], old.districts["violations"]))
    after = dict(zip(new.districts["district_id"], new.districts["violations"]))
    out = []
    for d in sorted(touched):
        was = set(filter(None, before.get(d, "").split(";")))
        for v in filter(None, after[d].split(";")):
            if v not in was:
                out.append(f"district {d} {VIOLATIONS[v]}")
    elig = inputs.eligibility.set_index("community_id")
    for c, _, dst in moved:
        if c not in elig.index:
            continue
        if dst is not None and not bool(elig.loc[c, "eligible"]):
            out.append(f"community {c} is not eligible ({elig.loc[c, 'reason']}) but is now in district {dst}")
        if dst is None and bool(elig.loc[c, "eligible"]):
            out.append(f"community {c} is eligible but now in no district")
    return out


def _assignment(plan: DistrictPlan) -> dict[str, str | None]:
    return dict(zip(plan.members["community_id"].astype(str), plan.members["district_id"].astype(str)))


def _replace(plan: DistrictPlan, districts: gpd.GeoDataFrame) -> DistrictPlan:
    return dataclasses.replace(plan, districts=districts)


def _ids(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _known_district(plan: DistrictPlan, district_id: str) -> None:
    if district_id not in set(plan.districts["district_id"]):
        raise InputError(f"district {district_id} does not exist", layer="districts", feature=district_id,
                         fix="pick a district of the current plan")


def _next_id(plan: DistrictPlan) -> str:
    """The next free ``D<number>`` id, as wide as the plan's ids."""
    ids = plan.districts["district_id"].astype(str)
    numbers = pd.to_numeric(ids.str.extract(r"^D(\d+)$")[0], errors="coerce")
    width = int(ids.str.len().max() - 1) if len(ids) else 3
    return f"D{int(numbers.max(skipna=True) if numbers.notna().any() else 0) + 1:0{max(width, 3)}d}"
