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

from gisplanner.analysis.district_names import unique_name
from gisplanner.analysis.districts import DistrictInputs, DistrictPlan, describe_plan
from gisplanner.errors import InputError
from gisplanner.labels import code_label


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
        raise InputError(f"小区 {strangers[0]} 不在片区 {district_id} 中", layer="district_members",
                         feature=strangers[0], fix="选择该片区内要移出的小区")
    return _reassign(plan, inputs, "remove", dict.fromkeys(ids))


def merge_districts(plan: DistrictPlan, district_ids: Iterable[str], *, inputs: DistrictInputs,
                    name: str | None = None) -> tuple[DistrictPlan, Change]:
    """Merge districts into the first one given; the others are removed."""
    ids = list(dict.fromkeys(district_ids))
    if len(ids) < 2:
        raise InputError("合并至少需要两个片区", fix="选择两个或更多片区")
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
        raise InputError(f"小区 {outside[0]} 不在片区 {district_id} 中", layer="district_members",
                         feature=outside[0], fix="选择该片区内要拆分出去的小区")
    if not ids or set(ids) == members:
        raise InputError(f"拆分片区 {district_id} 须选择其中一部分（不是全部）小区",
                         fix="选择要拆分出去的部分")
    new_id = _next_id(plan)
    names = {new_id: name} if name else {}
    return _reassign(plan, inputs, "split", dict.fromkeys(ids, new_id), names=names)


def rename_district(plan: DistrictPlan, district_id: str, name: str) -> tuple[DistrictPlan, Change]:
    """Give ``district_id`` a new name (allowed on locked districts)."""
    _known_district(plan, district_id)
    if not str(name).strip():
        raise InputError("片区名称不能为空", feature=district_id, fix="输入一个名称")
    names = dict(zip(plan.districts["district_id"].astype(str), plan.districts["name"].astype(str)))
    if not unique_name(str(name).strip(), district_id, names):
        other = next(d for d, n in names.items() if n == str(name).strip() and d != district_id)
        raise InputError(f"片区名称“{str(name).strip()}”已被片区 {other} 使用", feature=district_id,
                         fix="换一个名称，片区名称须唯一")
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
        raise InputError(f"小区 {unknown[0]} 不存在", layer="communities", feature=unknown[0],
                         fix="选择项目中的小区")
    if not target:
        raise InputError(f"{code_label(operation, 'edit_operation')}需要先选择小区", fix="选择一个或多个小区")
    current = _assignment(plan)
    locked = set(plan.districts.loc[plan.districts["locked"].astype(bool), "district_id"])
    moved = [(c, current.get(c), to) for c, to in target.items() if current.get(c) != to]
    for c, src, dst in moved:
        for d in (src, dst):
            if d in locked:
                raise InputError(f"片区 {d} 已锁定", feature=d, fix=f"先解锁片区 {d}，再移动小区 {c}")
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
                out.append(f"片区 {d} {code_label(v, 'violation')}")
    elig = inputs.eligibility.set_index("community_id")
    for c, _, dst in moved:
        if c not in elig.index:
            continue
        if dst is not None and not bool(elig.loc[c, "eligible"]):
            out.append(f"小区 {c} 不在改造范围内（{elig.loc[c, 'reason']}），但现已划入片区 {dst}")
        if dst is None and bool(elig.loc[c, "eligible"]):
            out.append(f"小区 {c} 在改造范围内，但现未划入任何片区")
    return out


def _assignment(plan: DistrictPlan) -> dict[str, str | None]:
    return dict(zip(plan.members["community_id"].astype(str), plan.members["district_id"].astype(str)))


def _replace(plan: DistrictPlan, districts: gpd.GeoDataFrame) -> DistrictPlan:
    return dataclasses.replace(plan, districts=districts)


def _ids(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _known_district(plan: DistrictPlan, district_id: str) -> None:
    if district_id not in set(plan.districts["district_id"]):
        raise InputError(f"片区 {district_id} 不存在", layer="districts", feature=district_id,
                         fix="选择当前方案中的片区")


def _next_id(plan: DistrictPlan) -> str:
    """The next free ``D<number>`` id, as wide as the plan's ids."""
    ids = plan.districts["district_id"].astype(str)
    numbers = pd.to_numeric(ids.str.extract(r"^D(\d+)$")[0], errors="coerce")
    width = int(ids.str.len().max() - 1) if len(ids) else 3
    return f"D{int(numbers.max(skipna=True) if numbers.notna().any() else 0) + 1:0{max(width, 3)}d}"
