"""Load and validate the standards config (gisplanner/resources/standards/*.yaml) into frozen objects.

Every entry of the config carries ``status`` and ``source``. A project may override any value by its dotted
path (``<file>.<key>...``, e.g. ``facilities.profiles.gb50180.types.kindergarten.radius_m``); the override
records who, when and why, and the overridden entry's status becomes ``override``.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from gisplanner.errors import ConfigError

#: The shipped standards: package data, so an installed wheel finds them as well as a source checkout.
STANDARDS_DIR = resources.files("gisplanner") / "resources" / "standards"
STATUSES = frozenset({"V2", "V2+", "U-recalled", "U-local", "U-inference", "tool-default", "override"})
FILES = ("sources", "levels", "facilities", "green", "sunlight", "landuse", "renovation", "settings", "checks",
         "ledger")
DAYS = ("dahan", "dongzhi")
# Land-use outcomes from least to most demanding of the applicant.
OUTCOMES = ("no_permit", "compatible", "defer_change", "no_land_premium", "conversion_local_rule",
            "statutory_procedure")
INTERVENTIONS = ("new", "conversion", "elevator", "equipment")
META_KEYS = frozenset({"status", "source", "note", "zh"})


# --------------------------------------------------------------------------------------------- objects
@dataclass(frozen=True)
class Value:
    """A single configured value with its provenance."""

    value: Any
    status: str
    source: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Level:
    key: str
    zh: str
    walk_min: float | None
    walk_distance_m: float | None
    walk_distance_range_m: tuple[float, float] | None
    population: tuple[float, float]
    dwellings: tuple[float, float]
    status: str
    source: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class SunRequirement:
    """A facility's own sunlight requirement: ``hours`` on the standard ``day`` (dahan/dongzhi)."""

    day: str
    hours: float
    calc: str = ""


@dataclass(frozen=True)
class FacilityType:
    key: str
    zh: str
    levels: tuple[str, ...]
    radius_m: float | None
    radius_soft_max_m: float | None
    gfa_m2: tuple[float, float] | None
    site_m2: tuple[float, float] | None
    lu2023: tuple[str, ...]
    sun: SunRequirement | None
    renovation_class: str | None
    gap_analysis: bool
    equipment: bool
    status: str
    source: tuple[str, ...]
    note: str = ""

    def threshold_m(self, level: Level) -> float | None:
        """Served-within distance (m) at ``level``: the type's radius, else the level's walk distance."""
        return self.radius_m if self.radius_m is not None else level.walk_distance_m


@dataclass(frozen=True)
class PublicGreen:
    level: str
    m2_per_person: float
    park_min_hm2: float
    park_min_width_m: float
    sports_share: tuple[float, float] | None
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class GreenRules:
    public: Mapping[str, PublicGreen]
    old_area_floor_ratio: Value
    block_new_m2_per_person: Value
    block_old_m2_per_person: Value
    block_min_width_m: Value
    block_outside_shadow_share: Value
    block_mandatory: Value
    green_ratio: Mapping[str, Value]
    storey_bounds: Mapping[str, tuple[float, float]]
    city_scale: Mapping[str, Value]
    kindergarten: Mapping[str, Value]

    def storey_class(self, mean_floors: float) -> str:
        """Storey class of Table 4.0.2 (low_rise, multi_rise_1, ...) for a block's mean floor count."""
        floors = max(1.0, round(mean_floors))
        for key, (low, high) in self.storey_bounds.items():
            if low <= floors <= high:
                return key
        return max(self.storey_bounds, key=lambda k: self.storey_bounds[k][1])


@dataclass(frozen=True)
class CountingRule:
    """How lit minutes add up: cumulative or continuous, shortest counted segment, most segments counted."""

    key: str
    cumulative: bool
    min_segment_min: Mapping[str, float]
    max_segments: int | None
    window: tuple[float, float] | None
    status: str
    source: tuple[str, ...]
    sweep_deg: float = 0.0


@dataclass(frozen=True)
class City:
    key: str
    zh: str
    zone: str | None
    zone_candidates: tuple[str, ...]
    pop_ge_50wan: bool
    lat: float
    lon: float
    counting: str
    require_local_rule: bool
    status: str
    source: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class SunlightRequirement:
    """What a window must get: ``hours`` on ``day`` inside ``window`` (true solar hours), counted by ``counting``."""

    day: str
    hours: float
    window: tuple[float, float]
    counting: CountingRule
    basis: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Table409Row:
    zones: tuple[str, ...]
    pop_ge_50wan: bool | None
    day: str
    hours: float
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class SunlightRules:
    windows: Mapping[str, tuple[float, float]]
    table_4_0_9: tuple[Table409Row, ...]
    sill_height_m: Value
    special: Mapping[str, SunRequirement]
    special_provenance: Mapping[str, Value]
    no_reduction_of_neighbours: Value
    elevator_retrofit_exempt: Value
    counting: Mapping[str, CountingRule]
    calculation: Mapping[str, Value]
    cities: Mapping[str, City]

    def city(self, name: str) -> City:
        key = name.lower()
        if key not in self.cities:
            by_zh = {c.zh: c for c in self.cities.values()}
            if name in by_zh:
                return by_zh[name]
            raise ConfigError(f"标准中没有这个城市；可选：{'、'.join(sorted(self.cities))}",
                              file="sunlight.yaml", key="cities", value=name)
        return self.cities[key]

    def requirement(self, city: str, *, special: str | None = None) -> SunlightRequirement:
        """Required sunlight for dwellings in ``city`` (Table 4.0.9), or for a ``special`` rule key.

        Raises ConfigError where the city's climate zone is not settled (e.g. Xining) and no special rule
        decides the day.
        """
        c = self.city(city)
        counting = self.counting[c.counting]
        if special is not None:
            if special not in self.special:
                raise ConfigError(f"没有这条特殊日照规定；可选：{'、'.join(self.special)}",
                                  file="sunlight.yaml", key="special", value=special)
            rule = self.special[special]
            prov = self.special_provenance[special]
            day, hours, basis, status = rule.day, rule.hours, prov.source, prov.status
        else:
            if c.zone is None or c.require_local_rule:
                raise ConfigError(
                    f"{c.zh}的建筑气候区划尚未确定（候选：{'、'.join(c.zone_candidates)}）；"
                    "请以地方规定修改项设置 `cities.<city>.zone`",
                    file="sunlight.yaml", key=f"cities.{c.key}.zone", value=c.zone)
            row = next((r for r in self.table_4_0_9 if c.zone in r.zones
                        and (r.pop_ge_50wan is None or r.pop_ge_50wan == c.pop_ge_50wan)), None)
            if row is None:
                raise ConfigError("GB 50180-2018 表 4.0.9 中没有适用的行", file="sunlight.yaml",
                                  key=f"cities.{c.key}.zone", value=c.zone)
            day, hours, basis, status = row.day, row.hours, row.source, row.status
        window = counting.window or self.windows[day]
        return SunlightRequirement(day=day, hours=hours, window=window, counting=counting,
                                   basis=tuple(basis) + tuple(counting.source), status=status)


@dataclass(frozen=True)
class DecisionRow:
    id: str
    when: Mapping[str, Any]
    outcome: str
    basis: tuple[str, ...]
    checks: tuple[str, ...]
    status: str
    source: tuple[str, ...]
    note: str = ""
    policy: str = ""


@dataclass(frozen=True)
class PolicyRule:
    """What a decision row's policy lets the applicant do (``action``), on what ``conditions``, what to do next,
    and the sentence it rests on per scope (``quotes``: ``national`` or a province key -> (document, section,
    quote))."""

    key: str
    zh: str
    action: str
    conditions: tuple[str, ...]
    next_steps: tuple[str, ...]
    quotes: Mapping[str, tuple[str, str, str]]
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class PermitRule:
    key: str
    cities: tuple[str, ...]
    max_new_floor_area_m2: float
    max_investment_wan_yuan: float
    status: str
    source: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class LandUseRules:
    codes: Mapping[str, str]
    decisions: tuple[DecisionRow, ...]
    permit_rules: Mapping[str, PermitRule]
    local_conversion_cities: tuple[str, ...]
    osm_codes: Mapping[str, str]
    osm_codes_provenance: Value
    policies: Mapping[str, PolicyRule] = field(default_factory=dict)

    def name(self, code: str) -> str:
        """Name of a 2023 code, or of its nearest listed parent; raises ConfigError for an unknown code."""
        code = str(code).strip()
        for length in range(len(code), 1, -2):
            if code[:length] in self.codes:
                return self.codes[code[:length]]
        raise ConfigError("不是 2023 版国土空间用地用海分类代码", file="landuse.yaml", key="codes", value=code)


@dataclass(frozen=True)
class RenovationClass:
    key: str
    zh: str
    definition: str
    items: Mapping[str, str]
    cities: tuple[str, ...]
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Eligibility:
    built_before_end_of: int
    extension_built_before_end_of: int
    extension_max_share_of_households: float
    extension_enabled: bool
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class RenovationRules:
    eligibility: Eligibility
    classes: Mapping[str, RenovationClass]
    local_classes: Mapping[str, RenovationClass]
    plan_rows: tuple[str, ...]
    plan_metrics: tuple[str, ...]
    plan_periods: tuple[str, ...]


@dataclass(frozen=True)
class Subsidy:
    """A provincial subsidy rule (ledger.yaml ``subsidies``): ``amount_yuan`` per household or elevator,
    booked to funding source ``to``; ``needs_central`` rules lapse for a project already centrally funded."""

    key: str
    zh: str
    to: str
    per: str
    amount_yuan: float
    needs_central: bool
    status: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class LedgerRules:
    """Phases, annual-plan preconditions per province, consent share, funding sources, subsidies, priority."""

    phases: Mapping[str, str]
    plan_phases: tuple[str, ...]
    consent_min_share: float
    management_models: tuple[str, ...]
    preconditions: Mapping[str, tuple[str, ...]]
    province_zh: Mapping[str, str]
    province_cities: Mapping[str, tuple[str, ...]]
    funding_sources: Mapping[str, str]
    subsidies: Mapping[str, tuple[Subsidy, ...]]
    priority_weights: Mapping[str, float]

    def province(self, city: str) -> str:
        """The province key whose rules apply to ``city`` (``national`` when no province lists it)."""
        return next((k for k, cities in self.province_cities.items() if city in cities), "national")


@dataclass(frozen=True)
class EstimationParams:
    """Parameters for estimating missing floors, heights, households and population (settings.yaml
    ``estimation``, the only place they are set)."""

    default_floors: float
    floor_height_m: float
    area_per_household_m2: float
    persons_per_household: float
    default_far: float
    boiler_room_area_m2: float


@dataclass(frozen=True)
class TagRule:
    """One row of the facility tag table: the raw tags it needs (regular expressions) and the types it gives."""

    key: str
    when: Mapping[str, str]
    types: tuple[str, ...]
    zh: str
    status: str
    source: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class DataCoverage:
    """When a facility type counts as missing from the data (数据缺失) rather than absent (服务缺口)."""

    min_share_of_expected: float
    confirmed_absent: tuple[str, ...]


@dataclass(frozen=True)
class PlausibilityParams:
    """Limits beyond which an imported value is reported as implausible (gisplanner.io.values.implausible);
    settings.yaml ``plausibility`` is the only place they are set."""

    built_year_min: float
    floors_max: float
    height_max_m: float
    storey_height_range_m: tuple[float, float]
    community_area_max_m2: float


@dataclass(frozen=True)
class AnalysisSettings:
    access_snap_m: float
    search_limit_m: float
    small_component_nodes: int
    walkable_highways: tuple[str, ...]
    adjacency_gap_m: float
    street_gap_max_m: float
    barrier_highways: tuple[str, ...]
    district_population: tuple[float, float]
    district_max_extent_m: float
    resource_reach_m: float
    estimation: EstimationParams
    default_sites_k: int
    plausibility: PlausibilityParams


@dataclass(frozen=True)
class Override:
    """A project's change of one standards value: who, when, why, and what it replaced."""

    path: str
    value: Any
    who: str
    why: str
    when: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    old_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Override:
        return cls(**{k: data[k] for k in ("path", "value", "who", "why", "when", "old_value") if k in data})


@dataclass(frozen=True)
class StandardRow:
    """One leaf value of the config, for tables in the UI: its path, value and provenance."""

    path: str
    value: Any
    status: str
    source: tuple[str, ...]
    note: str


# --------------------------------------------------------------------------------------------- parsing
class _Reader:
    """Typed access to one YAML file's raw data, raising ConfigError with file, key and value."""

    def __init__(self, file: str, sources: Mapping[str, str], quotes: Mapping[str, Any] | None = None) -> None:
        self.file = file
        self.sources = sources
        self.quotes = quotes or {}

    def fail(self, key: str, value: Any, message: str) -> ConfigError:
        return ConfigError(message, file=self.file, key=key, value=value)

    def mapping(self, raw: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            raise self.fail(key, raw, "应为键值映射")
        return raw

    def get(self, raw: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in raw:
            raise self.fail(f"{path}.{key}", None, "缺少该键")
        return raw[key]

    def number(self, raw: Mapping[str, Any], key: str, path: str, *, optional: bool = False,
               minimum: float = 0.0) -> float | None:
        value = raw.get(key)
        if value is None:
            if optional:
                return None
            raise self.fail(f"{path}.{key}", value, "缺少数值")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(f"{path}.{key}", value, f"应为不小于 {minimum} 的数")
        return float(value)

    def range(self, raw: Mapping[str, Any], key: str, path: str, *, optional: bool = True
              ) -> tuple[float, float] | None:
        value = raw.get(key)
        if value is None:
            if optional:
                return None
            raise self.fail(f"{path}.{key}", value, "缺少 [下限, 上限] 范围")
        if (not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
                or value[0] > value[1] or value[0] < 0):
            raise self.fail(f"{path}.{key}", value, "应为 [下限, 上限]，且 0 ≤ 下限 ≤ 上限")
        return float(value[0]), float(value[1])

    def flag(self, raw: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", value, "应为 `true` 或 `false`")
        return value

    def strings(self, raw: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.fail(f"{path}.{key}", value, "应为列表")
        return tuple(str(v) for v in value)

    def provenance(self, raw: Mapping[str, Any], path: str) -> tuple[str, tuple[str, ...], str]:
        status = raw.get("status")
        if status not in STATUSES:
            raise self.fail(f"{path}.status", status, f"状态（`status`）须为其中之一：{'、'.join(sorted(STATUSES))}")
        source = raw.get("source")
        if isinstance(source, str):
            source = [source]
        if not source or not isinstance(source, Sequence):
            raise self.fail(f"{path}.source", source, "每个条目都须有非空的来源（`source`）列表")
        for ref in source:
            ref_id = str(ref).split()[0]
            if status != "override" and ref_id not in self.sources:
                raise self.fail(f"{path}.source", ref, "来源编号不在 sources.yaml 中")
        return str(status), tuple(str(s) for s in source), str(raw.get("note", ""))

    def value(self, raw: Any, path: str) -> Value:
        raw = self.mapping(raw, path)
        status, source, note = self.provenance(raw, path)
        return Value(self.get(raw, "value", path), status, source, note)

    def number_value(self, raw: Any, path: str) -> Value:
        v = self.value(raw, path)
        self.number({"value": v.value}, "value", path)
        return v

    def hour(self, text: Any, path: str) -> float:
        try:
            hours, minutes = str(text).split(":")
            result = int(hours) + int(minutes) / 60
        except ValueError:
            raise self.fail(path, text, "应为时刻，格式 `HH:MM`") from None
        if not 0 <= result <= 24:
            raise self.fail(path, text, "应为一天中的时刻")
        return result


def _levels(r: _Reader, raw: Mapping[str, Any]) -> dict[str, Level]:
    levels = {}
    for key, entry in r.mapping(raw.get("levels"), "levels").items():
        path = f"levels.{key}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        levels[key] = Level(
            key=key, zh=str(r.get(entry, "zh", path)),
            walk_min=r.number(entry, "walk_min", path, optional=True),
            walk_distance_m=r.number(entry, "walk_distance_m", path, optional=True),
            walk_distance_range_m=r.range(entry, "walk_distance_range_m", path),
            population=r.range(entry, "population", path, optional=False),
            dwellings=r.range(entry, "dwellings", path, optional=False),
            status=status, source=source, note=note)
    for key, entry in r.mapping(raw.get("rules"), "rules").items():
        r.value(entry, f"rules.{key}")
    return levels


def _facility_profiles(r: _Reader, raw: Mapping[str, Any], levels: Mapping[str, Level],
                       ) -> dict[str, dict[str, FacilityType]]:
    profiles: dict[str, dict[str, FacilityType]] = {}
    for name, profile in r.mapping(raw.get("profiles"), "profiles").items():
        ppath = f"profiles.{name}"
        profile = r.mapping(profile, ppath)
        r.provenance(profile, ppath)
        types = {}
        for key, entry in r.mapping(profile.get("types"), f"{ppath}.types").items():
            path = f"{ppath}.types.{key}"
            entry = r.mapping(entry, path)
            status, source, note = r.provenance(entry, path)
            type_levels = r.strings(entry, "levels", path)
            if not type_levels or any(lv not in levels for lv in type_levels):
                raise r.fail(f"{path}.levels", list(type_levels), f"层级须在其中：{'、'.join(levels)}")
            sun = entry.get("sun")
            if sun is not None:
                sun = r.mapping(sun, f"{path}.sun")
                if sun.get("day") not in DAYS:
                    raise r.fail(f"{path}.sun.day", sun.get("day"), "日照标准日须为 `dahan`（大寒日）或 `dongzhi`（冬至日）")
                sun = SunRequirement(day=sun["day"], hours=r.number(sun, "hours", f"{path}.sun"),
                                     calc=str(sun.get("calc", "")))
            renovation_class = entry.get("renovation_class")
            if renovation_class not in (None, "basic", "improve", "upgrade"):
                raise r.fail(f"{path}.renovation_class", renovation_class, "应为 `basic`（基础类）、`improve`（完善类）或 `upgrade`（提升类）")
            types[key] = FacilityType(
                key=key, zh=str(r.get(entry, "zh", path)), levels=type_levels,
                radius_m=r.number(entry, "radius_m", path, optional=True, minimum=1),
                radius_soft_max_m=r.number(entry, "radius_soft_max_m", path, optional=True, minimum=1),
                gfa_m2=r.range(entry, "gfa_m2", path), site_m2=r.range(entry, "site_m2", path),
                lu2023=r.strings(entry, "lu2023", path), sun=sun, renovation_class=renovation_class,
                gap_analysis=r.flag(entry, "gap_analysis", path, True),
                equipment=r.flag(entry, "equipment", path, False),
                status=status, source=source, note=note)
        profiles[name] = types
    return profiles


def _tag_rules(r: _Reader, raw: Mapping[str, Any], profiles: Mapping[str, Mapping[str, FacilityType]]
               ) -> tuple[TagRule, ...]:
    entry = r.mapping(raw.get("tag_rules"), "tag_rules")
    r.provenance(entry, "tag_rules")
    known = {key for types in profiles.values() for key in types}
    rules = []
    for key, rule in r.mapping(entry.get("rules"), "tag_rules.rules").items():
        path = f"tag_rules.rules.{key}"
        rule = r.mapping(rule, path)
        status, source, note = r.provenance(rule, path)
        when = {str(k): str(v) for k, v in r.mapping(rule.get("when"), f"{path}.when").items()}
        for tag, pattern in when.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise r.fail(f"{path}.when.{tag}", pattern, f"不是有效的正则表达式：{exc}") from None
        types = r.strings(rule, "types", path)
        unknown = [t for t in types if t not in known]
        if unknown:
            raise r.fail(f"{path}.types", unknown, "不是任何设施配置目录中的设施类型")
        rules.append(TagRule(str(key), MappingProxyType(when), types, str(r.get(rule, "zh", path)), status,
                             source, note))
    return tuple(rules)


def _data_coverage(r: _Reader, raw: Mapping[str, Any], profiles: Mapping[str, Mapping[str, FacilityType]]
                   ) -> DataCoverage:
    entry = r.mapping(raw.get("data_coverage"), "data_coverage")
    share = float(r.number_value(entry.get("min_share_of_expected"), "data_coverage.min_share_of_expected").value)
    absent = r.value(entry.get("confirmed_absent"), "data_coverage.confirmed_absent")
    types = r.strings({"value": absent.value}, "value", "data_coverage.confirmed_absent")
    known = {key for p in profiles.values() for key in p}
    if unknown := [t for t in types if t not in known]:
        raise r.fail("data_coverage.confirmed_absent", unknown, "不是任何设施配置目录中的设施类型")
    return DataCoverage(share, types)


def _category_map(r: _Reader, raw: Mapping[str, Any], profiles: Mapping[str, Mapping[str, FacilityType]]
                  ) -> dict[str, tuple[str, ...]]:
    entry = r.mapping(raw.get("category_map"), "category_map")
    r.provenance(entry, "category_map")
    known = {key for types in profiles.values() for key in types}
    result: dict[str, tuple[str, ...]] = {}
    for category in r.mapping(entry.get("categories"), "category_map.categories"):
        mapped = r.strings(entry["categories"], category, "category_map.categories")
        unknown = [t for t in mapped if t not in known]
        if unknown:
            raise r.fail(f"category_map.categories.{category}", unknown, "不是任何设施配置目录中的设施类型")
        result[str(category)] = mapped
    for types in profiles.values():
        for key, ftype in types.items():
            result.setdefault(key, (key,))
            result.setdefault(ftype.zh, (key,))
    return result


def _green(r: _Reader, raw: Mapping[str, Any], levels: Mapping[str, Level]) -> GreenRules:
    public = {}
    for key, entry in r.mapping(raw.get("public_green"), "public_green").items():
        path = f"public_green.{key}"
        if key not in levels:
            raise r.fail(path, key, "不是生活圈层级的键")
        entry = r.mapping(entry, path)
        status, source, _ = r.provenance(entry, path)
        public[key] = PublicGreen(key, r.number(entry, "m2_per_person", path),
                                  r.number(entry, "park_min_hm2", path), r.number(entry, "park_min_width_m", path),
                                  r.range(entry, "sports_share", path), status, source)
    r.value(raw.get("excludes_lower_levels"), "excludes_lower_levels")
    block = r.mapping(raw.get("block_concentrated"), "block_concentrated")

    def numbers(section: str) -> dict[str, Value]:
        return {k: r.number_value(v, f"{section}.{k}")
                for k, v in r.mapping(raw.get(section), section).items()}

    storeys = r.mapping(raw.get("storey_classes"), "storey_classes")
    r.provenance(storeys, "storey_classes")
    bounds = {k: r.range(storeys["bounds"], k, "storey_classes.bounds", optional=False)
              for k in r.mapping(storeys.get("bounds"), "storey_classes.bounds")}
    ratios = numbers("green_ratio")
    missing = [k for k in bounds if k not in ratios]
    if missing:
        raise r.fail("green_ratio", missing, "每个层数分类都须有绿地率")
    return GreenRules(
        public=MappingProxyType(public),
        old_area_floor_ratio=r.number_value(raw.get("old_area_floor_ratio"), "old_area_floor_ratio"),
        block_new_m2_per_person=r.number_value(block.get("new_m2_per_person"), "block_concentrated.new_m2_per_person"),
        block_old_m2_per_person=r.number_value(block.get("old_m2_per_person"), "block_concentrated.old_m2_per_person"),
        block_min_width_m=r.number_value(block.get("min_width_m"), "block_concentrated.min_width_m"),
        block_outside_shadow_share=r.number_value(block.get("outside_shadow_share"),
                                                  "block_concentrated.outside_shadow_share"),
        block_mandatory=r.value(block.get("mandatory"), "block_concentrated.mandatory"),
        green_ratio=MappingProxyType(ratios), storey_bounds=MappingProxyType(bounds),
        city_scale=MappingProxyType(numbers("city_scale")),
        kindergarten=MappingProxyType(numbers("kindergarten")))


def _sunlight(r: _Reader, raw: Mapping[str, Any]) -> SunlightRules:
    windows = {}
    for day, entry in r.mapping(raw.get("windows"), "windows").items():
        path = f"windows.{day}"
        if day not in DAYS:
            raise r.fail(path, day, "日照标准日须为 `dahan`（大寒日）或 `dongzhi`（冬至日）")
        entry = r.mapping(entry, path)
        r.provenance(entry, path)
        start, end = r.hour(entry.get("start"), f"{path}.start"), r.hour(entry.get("end"), f"{path}.end")
        if start >= end:
            raise r.fail(path, [entry.get("start"), entry.get("end")], "开始须早于结束")
        windows[day] = (start, end)
    table = []
    for i, entry in enumerate(raw.get("table_4_0_9") or []):
        path = f"table_4_0_9.{i}"
        entry = r.mapping(entry, path)
        status, source, _ = r.provenance(entry, path)
        day = entry.get("day")
        if day not in windows:
            raise r.fail(f"{path}.day", day, "日照标准日须为 `dahan`（大寒日）或 `dongzhi`（冬至日）")
        hours = r.number(entry, "hours", path)
        if hours > windows[day][1] - windows[day][0]:
            raise r.fail(f"{path}.hours", hours, "要求的日照时数超过该日的有效日照时间带")
        pop = entry.get("pop_ge_50wan")
        if pop not in (True, False, None):
            raise r.fail(f"{path}.pop_ge_50wan", pop, "应为 `true`、`false` 或 `null`")
        table.append(Table409Row(r.strings(entry, "zones", path), pop, day, hours, status, source))
    special, special_prov = {}, {}
    for key, entry in r.mapping(raw.get("special"), "special").items():
        path = f"special.{key}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        if entry.get("day") not in DAYS:
            raise r.fail(f"{path}.day", entry.get("day"), "日照标准日须为 `dahan`（大寒日）或 `dongzhi`（冬至日）")
        special[key] = SunRequirement(entry["day"], r.number(entry, "hours", path), str(entry.get("calc", "")))
        special_prov[key] = Value(special[key].hours, status, source, note)
    counting = {}
    for key, entry in r.mapping(raw.get("counting"), "counting").items():
        path = f"counting.{key}"
        entry = r.mapping(entry, path)
        status, source, _ = r.provenance(entry, path)
        mins = r.mapping(entry.get("min_segment_min"), f"{path}.min_segment_min")
        window = entry.get("window")
        if window is not None:
            window = (r.hour(window.get("start"), f"{path}.window.start"),
                      r.hour(window.get("end"), f"{path}.window.end"))
        max_segments = entry.get("max_segments")
        if max_segments is not None and (not isinstance(max_segments, int) or max_segments < 1):
            raise r.fail(f"{path}.max_segments", max_segments, "应为不小于 1 的整数或 `null`")
        counting[key] = CountingRule(
            key=key, cumulative=r.flag(entry, "cumulative", path, True),
            min_segment_min=MappingProxyType({d: r.number(mins, d, f"{path}.min_segment_min") for d in DAYS}),
            max_segments=max_segments, window=window, status=status, source=source,
            sweep_deg=r.number(entry, "sweep_deg", path, optional=True) or 0.0)
    cities = {}
    for key, entry in r.mapping(raw.get("cities"), "cities").items():
        path = f"cities.{key}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        if entry.get("counting") not in counting:
            raise r.fail(f"{path}.counting", entry.get("counting"), f"应为其中之一：{'、'.join(counting)}")
        zone = entry.get("zone")
        if zone is not None and not any(zone in row.zones for row in table):
            raise r.fail(f"{path}.zone", zone, "气候区不在 GB 50180-2018 表 4.0.9 中")
        cities[key] = City(
            key=key, zh=str(entry.get("zh", key)), zone=zone,
            zone_candidates=r.strings(entry, "zone_candidates", path),
            pop_ge_50wan=r.flag(entry, "pop_ge_50wan", path, True),
            lat=r.number(entry, "lat", path, minimum=-90), lon=r.number(entry, "lon", path, minimum=-180),
            counting=entry["counting"], require_local_rule=r.flag(entry, "require_local_rule", path, False),
            status=status, source=source, note=note)
    climate = r.mapping(raw.get("climate_zones"), "climate_zones")
    r.provenance(climate, "climate_zones")
    return SunlightRules(
        windows=MappingProxyType(windows), table_4_0_9=tuple(table),
        sill_height_m=r.number_value(raw.get("sill_height_m"), "sill_height_m"),
        special=MappingProxyType(special), special_provenance=MappingProxyType(special_prov),
        no_reduction_of_neighbours=r.value(raw.get("no_reduction_of_neighbours"), "no_reduction_of_neighbours"),
        elevator_retrofit_exempt=r.value(raw.get("elevator_retrofit_exempt"), "elevator_retrofit_exempt"),
        counting=MappingProxyType(counting),
        calculation=MappingProxyType({k: r.value(v, f"calculation.{k}")
                                      for k, v in r.mapping(raw.get("calculation"), "calculation").items()}),
        cities=MappingProxyType(cities))


def _landuse(r: _Reader, raw: Mapping[str, Any]) -> LandUseRules:
    codes_entry = r.mapping(raw.get("codes"), "codes")
    r.provenance(codes_entry, "codes")
    codes = {str(k): str(v) for k, v in r.mapping(codes_entry.get("table"), "codes.table").items()}
    for code in codes:
        if not code.isdigit() or len(code) not in (2, 4, 6):
            raise r.fail("codes.table", code, "2023 版用地代码为 2、4 或 6 位数字")
    conditions = {"intervention", "adds_far", "new_construction_land", "facility_levels",
                  "current_code_prefix", "target_code_prefix", "inside_community", "site_kind"}
    policies = _policies(r, raw)
    decisions = []
    for i, entry in enumerate(raw.get("decisions") or []):
        path = f"decisions.{i}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        when = r.mapping(entry.get("when", {}), f"{path}.when")
        unknown = set(when) - conditions
        if unknown:
            raise r.fail(f"{path}.when", sorted(unknown), f"条件须在其中：{'、'.join(sorted(conditions))}")
        for key in ("current_code_prefix", "target_code_prefix"):
            for prefix in when.get(key, []):
                if str(prefix) not in codes:
                    raise r.fail(f"{path}.when.{key}", prefix, "不是 2023 版国土空间用地用海分类代码")
        for intervention in when.get("intervention", []):
            if intervention not in INTERVENTIONS:
                raise r.fail(f"{path}.when.intervention", intervention, f"应为其中之一：{'、'.join(INTERVENTIONS)}")
        if entry.get("outcome") not in OUTCOMES:
            raise r.fail(f"{path}.outcome", entry.get("outcome"), f"应为其中之一：{'、'.join(OUTCOMES)}")
        decisions.append(DecisionRow(str(entry.get("id", i)), MappingProxyType(dict(when)), entry["outcome"],
                                     r.strings(entry, "basis", path), r.strings(entry, "checks", path),
                                     status, source, note, str(entry.get("policy", ""))))
        if decisions[-1].policy and decisions[-1].policy not in policies:
            raise r.fail(f"{path}.policy", decisions[-1].policy, "不是 `policies` 中的键")
    permits = {}
    for key, entry in r.mapping(raw.get("permit_rules"), "permit_rules").items():
        path = f"permit_rules.{key}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        permits[key] = PermitRule(key, r.strings(entry, "cities", path),
                                  r.number(entry, "no_construction_permit_max_new_floor_area_m2", path),
                                  r.number(entry, "no_construction_permit_max_investment_wan_yuan", path),
                                  status, source, note)
    local = r.mapping(raw.get("local_conversion_rules"), "local_conversion_rules")
    r.provenance(local, "local_conversion_rules")
    osm = r.mapping(raw.get("osm_landuse"), "osm_landuse")
    status, source, note = r.provenance(osm, "osm_landuse")
    osm_codes = {str(tag): str(code) for tag, code in r.mapping(osm.get("tags"), "osm_landuse.tags").items()}
    for tag, code in osm_codes.items():
        if code not in codes:
            raise r.fail(f"osm_landuse.tags.{tag}", code, "不是 `codes.table` 中的 2023 版用地代码")
    return LandUseRules(MappingProxyType(codes), tuple(decisions), MappingProxyType(permits),
                        r.strings(local, "cities", "local_conversion_rules"), MappingProxyType(osm_codes),
                        Value(dict(osm_codes), status, source, note), MappingProxyType(policies))


def _policies(r: _Reader, raw: Mapping[str, Any]) -> dict[str, PolicyRule]:
    """The ``policies`` of landuse.yaml with their quotes looked up in sources.yaml ``quotes``."""
    out = {}
    for key, entry in r.mapping(raw.get("policies", {}), "policies").items():
        path = f"policies.{key}"
        entry = r.mapping(entry, path)
        status, source, _ = r.provenance(entry, path)
        quotes = {}
        for scope, quote_key in r.mapping(entry.get("quotes"), f"{path}.quotes").items():
            quote = r.quotes.get(quote_key)
            if quote is None:
                raise r.fail(f"{path}.quotes.{scope}", quote_key, "不是 sources.yaml `quotes` 中的键")
            quotes[str(scope)] = (str(quote["source"]), str(quote["section"]), str(quote["quote"]))
        if "national" not in quotes:
            raise r.fail(f"{path}.quotes", sorted(quotes), "每条政策都须有全国文件的原文摘录")
        out[str(key)] = PolicyRule(str(key), str(entry.get("zh", key)), str(entry.get("action", "")),
                                   r.strings(entry, "conditions", path), r.strings(entry, "next_steps", path),
                                   MappingProxyType(quotes), status, source)
    return out


def _renovation(r: _Reader, raw: Mapping[str, Any]) -> RenovationRules:
    elig = r.mapping(raw.get("eligibility"), "eligibility")
    base = r.number_value(elig.get("built_before_end_of"), "eligibility.built_before_end_of")
    ext = r.mapping(elig.get("extension"), "eligibility.extension")
    status, source, _ = r.provenance(ext, "eligibility.extension")
    share = r.number(ext, "max_share_of_households", "eligibility.extension")
    if share > 1:
        raise r.fail("eligibility.extension.max_share_of_households", share, "比例须在 0 与 1 之间")
    eligibility = Eligibility(int(base.value), int(r.number(ext, "built_before_end_of", "eligibility.extension")),
                              share, r.flag(ext, "enabled", "eligibility.extension", False), status, source)

    def classes(section: str) -> dict[str, RenovationClass]:
        result = {}
        for key, entry in r.mapping(raw.get(section), section).items():
            path = f"{section}.{key}"
            entry = r.mapping(entry, path)
            st, src, _ = r.provenance(entry, path)
            result[key] = RenovationClass(key, str(r.get(entry, "zh", path)), str(entry.get("definition", "")),
                                          MappingProxyType(dict(entry.get("items") or {})),
                                          r.strings(entry, "cities", path), st, src)
        return result

    table = r.mapping(raw.get("plan_table"), "plan_table")
    r.provenance(table, "plan_table")
    cost = r.mapping(raw.get("cost"), "cost")
    r.provenance(cost, "cost")
    if cost.get("default_unit_costs"):
        raise r.fail("cost.default_unit_costs", cost["default_unit_costs"],
                     "不得预置默认单价：单价只来自用户的单价表")
    return RenovationRules(eligibility, MappingProxyType(classes("classes")),
                           MappingProxyType(classes("local_classes")), r.strings(table, "rows", "plan_table"),
                           r.strings(table, "metrics", "plan_table"), r.strings(table, "periods", "plan_table"))


def _settings(r: _Reader, raw: Mapping[str, Any]) -> AnalysisSettings:
    def num(section: str, key: str) -> float:
        return float(r.number_value(r.mapping(raw.get(section), section).get(key), f"{section}.{key}").value)

    def strings(section: str, key: str) -> tuple[str, ...]:
        v = r.value(r.mapping(raw.get(section), section).get(key), f"{section}.{key}")
        return r.strings({"value": v.value}, "value", f"{section}.{key}")

    pop = r.value(raw["districts"].get("population_range"), "districts.population_range")
    population = r.range({"value": pop.value}, "value", "districts.population_range", optional=False)
    estimation = EstimationParams(**{k: num("estimation", k) for k in
                                     ("default_floors", "floor_height_m", "area_per_household_m2",
                                      "persons_per_household", "default_far", "boiler_room_area_m2")})
    storey = r.value(raw["plausibility"].get("storey_height_range_m"), "plausibility.storey_height_range_m")
    plausibility = PlausibilityParams(
        storey_height_range_m=r.range({"value": storey.value}, "value", "plausibility.storey_height_range_m",
                                      optional=False),
        **{k: num("plausibility", k) for k in ("built_year_min", "floors_max", "height_max_m",
                                                 "community_area_max_m2")})
    return AnalysisSettings(
        access_snap_m=num("network", "access_snap_m"), search_limit_m=num("network", "search_limit_m"),
        small_component_nodes=int(num("network", "small_component_nodes")),
        walkable_highways=strings("network", "walkable_highways"),
        adjacency_gap_m=num("districts", "adjacency_gap_m"),
        street_gap_max_m=num("districts", "street_gap_max_m"),
        barrier_highways=strings("districts", "barrier_highways"),
        district_population=population, district_max_extent_m=num("districts", "max_extent_m"),
        resource_reach_m=num("districts", "resource_reach_m"), estimation=estimation,
        default_sites_k=int(num("sites", "default_k")), plausibility=plausibility)


@dataclass(frozen=True)
class CheckEntry:
    """One placement check of ``checks.yaml``: its key and Chinese title (``{level}`` for one per level)."""

    key: str
    zh: str
    status: str
    source: tuple[str, ...]
    note: str = ""

    @property
    def per_level(self) -> bool:
        return "{level}" in self.zh


@dataclass(frozen=True)
class ChecksTable:
    """The placement checks in report order (``checks.yaml``)."""

    entries: Mapping[str, CheckEntry]

    def title(self, key: str, level_zh: Mapping[str, str]) -> str:
        """The Chinese title of a check result ``key`` (``<check>_<level>`` for a per-level check), naming the
        level by ``level_zh``; the key itself when no check has it."""
        if key in self.entries and not self.entries[key].per_level:
            return self.entries[key].zh
        for check, entry in self.entries.items():
            if entry.per_level and key.startswith(f"{check}_"):
                level = key.removeprefix(f"{check}_")
                return entry.zh.format(level=level_zh.get(level, level))
        return key


def _checks(r: _Reader, raw: Mapping[str, Any]) -> ChecksTable:
    entries = {}
    for key, entry in r.mapping(raw.get("checks"), "checks").items():
        path = f"checks.{key}"
        entry = r.mapping(entry, path)
        status, source, note = r.provenance(entry, path)
        zh = str(r.get(entry, "zh", path))
        try:
            zh.format(level="")
        except (KeyError, IndexError, ValueError):
            raise r.fail(f"{path}.zh", zh, "标题中只能使用字段 `{level}`") from None
        entries[str(key)] = CheckEntry(str(key), zh, status, source, note)
    return ChecksTable(MappingProxyType(entries))


PRECONDITIONS = ("consent", "resident_funding", "owners_committee", "management_model", "no_prior_central",
                 "built_year_limit")


def _ledger(r: _Reader, raw: Mapping[str, Any], provinces: Mapping[str, Any]) -> LedgerRules:
    """The ledger rules; ``provinces`` is renovation.yaml's city -> province map, the only one, so the
    preconditions of a province apply to the cities that map names (ledger.yaml keeps no city lists)."""
    phases = r.value(raw.get("phases"), "phases").value
    plan_phases = r.strings({"value": r.value(raw.get("plan_phases"), "plan_phases").value}, "value", "plan_phases")
    if not isinstance(phases, Mapping) or any(p not in phases for p in plan_phases):
        raise r.fail("plan_phases", list(plan_phases), "每个计划阶段都须是 `phases` 之一")
    share = r.number_value(r.mapping(raw.get("consent"), "consent").get("min_share"), "consent.min_share").value
    if share > 1:
        raise r.fail("consent.min_share", share, "比例须在 0 与 1 之间")
    models = r.strings({"value": r.value(raw.get("management_models"), "management_models").value}, "value",
                       "management_models")
    items, zh, cities = {}, {}, {}
    for key, entry in r.mapping(raw.get("preconditions"), "preconditions").items():
        path = f"preconditions.{key}"
        entry = r.mapping(entry, path)
        r.provenance(entry, path)
        items[key] = r.strings(entry, "items", path)
        unknown = [i for i in items[key] if i not in PRECONDITIONS]
        if unknown:
            raise r.fail(f"{path}.items", unknown[0], f"可用的前置条件：{'、'.join(PRECONDITIONS)}")
        zh[key] = str(r.get(entry, "zh", path))
        if key != "national":
            if key not in provinces:
                raise r.fail(path, key, "须为 renovation.yaml `provinces` 中的省份键（或 `national`）")
            cities[key] = tuple(str(c) for c in provinces[key].get("cities", ()))
    if "national" not in items:
        raise r.fail("preconditions.national", None, "须有全国通用的前置条件（`national`）")
    sources = r.value(raw.get("funding_sources"), "funding_sources").value
    subsidies = {}
    for province, rules in r.mapping(raw.get("subsidies") or {}, "subsidies").items():
        parsed = []
        for key, entry in r.mapping(rules, f"subsidies.{province}").items():
            path = f"subsidies.{province}.{key}"
            entry = r.mapping(entry, path)
            status, source, _ = r.provenance(entry, path)
            if entry.get("to") not in sources:
                raise r.fail(f"{path}.to", entry.get("to"), f"应为资金来源之一：{'、'.join(sources)}")
            if entry.get("per") not in ("household", "elevator"):
                raise r.fail(f"{path}.per", entry.get("per"), "应为 `household`（户）或 `elevator`（部）")
            parsed.append(Subsidy(key, str(r.get(entry, "zh", path)), entry["to"], entry["per"],
                                  r.number(entry, "amount_yuan", path), r.flag(entry, "needs_central", path, False),
                                  status, source))
        subsidies[province] = tuple(parsed)
    priority = r.mapping(raw.get("priority"), "priority")
    r.provenance(priority, "priority")
    weights = {k: r.number(priority["weights"], k, "priority.weights") for k in ("gaps", "households", "age")}
    return LedgerRules(MappingProxyType(dict(phases)), plan_phases, float(share), models,
                       MappingProxyType(items), MappingProxyType(zh), MappingProxyType(cities),
                       MappingProxyType(dict(sources)), MappingProxyType(subsidies), MappingProxyType(weights))


# --------------------------------------------------------------------------------------------- standards
@dataclass(frozen=True)
class Standards:
    """All standard values, typed and validated; build with :func:`load_standards`."""

    raw: Mapping[str, Any] = field(repr=False)
    overrides: tuple[Override, ...]
    levels: Mapping[str, Level]
    profiles: Mapping[str, Mapping[str, FacilityType]]
    category_map: Mapping[str, tuple[str, ...]]
    tag_rules: tuple[TagRule, ...]
    data_coverage: DataCoverage
    green: GreenRules
    sunlight: SunlightRules
    landuse: LandUseRules
    renovation: RenovationRules
    settings: AnalysisSettings
    ledger: LedgerRules
    sources: Mapping[str, str]
    checks: ChecksTable

    def facility_types(self, profile: str = "gb50180") -> Mapping[str, FacilityType]:
        if profile not in self.profiles:
            raise ConfigError(f"没有这个设施配置目录；可选：{'、'.join(self.profiles)}",
                              file="facilities.yaml", key="profiles", value=profile)
        return self.profiles[profile]

    def facility_type(self, key: str, profile: str = "gb50180") -> FacilityType:
        types = self.facility_types(profile)
        if key not in types:
            raise ConfigError(f"没有这个设施类型；可选：{'、'.join(f'{k}（{t.zh}）' for k, t in types.items())}",
                              file="facilities.yaml", key=f"profiles.{profile}.types", value=key)
        return types[key]

    def facility_classes(self, profile: str = "gb50180") -> dict[str, str]:
        """Chinese renovation class name of every facility type that has one."""
        classes = self.renovation.classes
        return {key: classes[t.renovation_class].zh for key, t in self.facility_types(profile).items()
                if t.renovation_class in classes}

    def rows(self) -> list[StandardRow]:
        """Every leaf value with the provenance of the entry it belongs to (for the settings table)."""
        return list(_walk_rows(self.raw, (), None))

    def with_override(self, override: Override) -> Standards:
        """A new Standards with ``override`` applied on top of this one's overrides."""
        return load_standards(self.overrides + (override,))


def _walk_rows(node: Any, path: tuple[str, ...], prov: tuple[str, tuple[str, ...], str] | None
               ) -> Iterator[StandardRow]:
    if isinstance(node, Mapping):
        if "status" in node and "source" in node:
            source = node["source"]
            prov = (str(node["status"]), tuple([source] if isinstance(source, str) else source),
                    str(node.get("note", "")))
        for key, child in node.items():
            if key in META_KEYS and prov is not None and node.get("status") is not None:
                continue
            yield from _walk_rows(child, path + (str(key),), prov)
    elif isinstance(node, list) and node and all(isinstance(v, Mapping) for v in node):
        for i, child in enumerate(node):
            yield from _walk_rows(child, path + (str(i),), prov)
    elif path and path[0] != "sources":
        status, source, note = prov if prov is not None else ("", (), "")
        yield StandardRow(".".join(path), node, status, source, note)


#: libyaml's safe loader where PyYAML was built with it: the same documents, about ten times faster than the
#: pure-Python one (every project load and every batch skip key reads the standards).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_raw(directory: Path | Traversable) -> dict[str, Any]:
    raw = {}
    for name in FILES:
        path = directory / f"{name}.yaml"
        try:
            with path.open(encoding="utf-8") as fh:
                data = yaml.load(fh, Loader=_YAML_LOADER)
        except FileNotFoundError:
            raise ConfigError("标准配置文件不存在", file=str(path)) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"不是有效的 YAML：{exc}", file=str(path)) from None
        if not isinstance(data, dict):
            raise ConfigError("文件顶层应是键值映射", file=str(path), value=type(data).__name__)
        raw[name] = data
    return raw


def _apply_override(raw: dict[str, Any], override: Override) -> Override:
    """Set ``override.value`` at its path in ``raw``; mark the owning entry; return it with old_value."""
    keys = override.path.split(".")
    if len(keys) < 2 or keys[0] not in raw:
        raise ConfigError("修改项路径须以标准文件名开头（如 green.public_green…）", key=override.path,
                          value=override.value)
    node: Any = raw
    entry = None
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) and key.isdigit() else (
            node.get(key) if isinstance(node, dict) else None)
        if node is None:
            raise ConfigError("标准中没有这个键", key=override.path, value=override.value)
        if isinstance(node, dict) and "status" in node:
            entry = node
    last = keys[-1]
    if not isinstance(node, dict) or last not in node:
        raise ConfigError("标准中没有这个键", key=override.path, value=override.value)
    if last in META_KEYS:
        raise ConfigError("`status`、`source`、`notes` 是说明，不是可修改的值", key=override.path)
    old = node[last]
    node[last] = override.value
    if entry is not None:
        entry["status"] = "override"
        entry["source"] = [f"override by {override.who} on {override.when}: {override.why}"]
    return Override(override.path, override.value, override.who, override.why, override.when, old)


def load_standards(overrides: Sequence[Override] = (), *, directory: Path | str | None = None) -> Standards:
    """Load, validate and return the standards, with ``overrides`` applied in order.

    Raises
    ------
    ConfigError
        naming the file, key and value of the first broken entry.
    """
    directory = Path(directory) if directory is not None else STANDARDS_DIR
    raw = _read_raw(directory)
    applied = []
    for override in overrides:
        if not override.who or not override.why:
            raise ConfigError("修改标准值须写明修改人和理由", key=override.path, value=override.value)
        applied.append(_apply_override(raw, override))
    sources = raw["sources"].get("sources") or {}

    def reader(name: str) -> _Reader:
        return _Reader(f"{name}.yaml", sources, raw["sources"].get("quotes") or {})

    levels = _levels(reader("levels"), raw["levels"])
    profiles = _facility_profiles(reader("facilities"), raw["facilities"], levels)
    return Standards(
        raw=MappingProxyType(copy.deepcopy(raw)), overrides=tuple(applied),
        levels=MappingProxyType(levels),
        profiles=MappingProxyType({k: MappingProxyType(v) for k, v in profiles.items()}),
        category_map=MappingProxyType(_category_map(reader("facilities"), raw["facilities"], profiles)),
        tag_rules=_tag_rules(reader("facilities"), raw["facilities"], profiles),
        data_coverage=_data_coverage(reader("facilities"), raw["facilities"], profiles),
        green=_green(reader("green"), raw["green"], levels),
        sunlight=_sunlight(reader("sunlight"), raw["sunlight"]),
        landuse=_landuse(reader("landuse"), raw["landuse"]),
        renovation=_renovation(reader("renovation"), raw["renovation"]),
        settings=_settings(reader("settings"), raw["settings"]),
        ledger=_ledger(reader("ledger"), raw["ledger"], raw["renovation"].get("provinces") or {}),
        sources=MappingProxyType(dict(sources)), checks=_checks(reader("checks"), raw["checks"]))
