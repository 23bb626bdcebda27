"""The Project: layers by role, metric CRS, city, settings, results; saved as one GeoPackage.

The GeoPackage holds every role layer under its role name, every result under ``result__<name>``, the user's
own tables (the renovation ledger, review comments) under ``table__<name>`` and a
``gisplanner_meta`` attribute table (key, JSON value): format version, city, CRS, layer sources, standards
overrides, placed facilities, analysis settings and the column types to restore. Saves are atomic: the file is
written beside the target, flushed to disk, then renamed over it, so a save killed midway leaves the previous
file intact. ``autosave()`` writes a recovery copy beside the project.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import CRS

from gisplanner import __version__
from gisplanner.errors import ConfigError, InputError
from gisplanner.filelock import pid_alive, project_lock
from gisplanner.labels import code_label
from gisplanner.outputs import read_only
from gisplanner.standards import Override, Standards, load_standards

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
META_LAYER = "gisplanner_meta"
RESULT_PREFIX = "result__"
TABLE_PREFIX = "table__"
ROLES = ("communities", "buildings", "walk_network", "facilities", "green_space", "landuse", "idle_land",
         "boiler_rooms", "public_buildings", "admin_boundaries", "gates", "railways", "rivers")
# Column dtypes that a GeoPackage round trip loses (nullable integers come back as floats).
_RESTORABLE_DTYPES = {"Int64", "boolean"}


def recovery_path(path: str | Path) -> Path:
    """Where the autosave of the project at ``path`` is written."""
    path = Path(path)
    return path.with_name(f"{path.stem}.autosave.gpkg")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RunRecord:
    """How a set of results was made: the analysis, its parameters (JSON-ready), the standards overrides in
    force and when it ran (UTC, ISO 8601)."""

    analysis: str
    params: Mapping[str, Any]
    overrides: tuple[Mapping[str, Any], ...]
    ran_at: str
    outputs: tuple[str, ...] = ()

    @classmethod
    def now(cls, analysis: str, params: Mapping[str, Any], overrides: tuple[Override, ...],
            outputs: tuple[str, ...]) -> RunRecord:
        return cls(analysis, dict(params), tuple(o.to_dict() for o in overrides),
                   dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), tuple(outputs))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "overrides": list(self.overrides), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(data["analysis"], dict(data["params"]), tuple(data.get("overrides", ())), data["ran_at"],
                   tuple(data.get("outputs", ())))


#: What a project event says changed: ``layers``, ``results``, ``standards`` (overrides or city), ``placed``.
EVENTS = ("layers", "results", "standards", "placed")
Listener = Callable[[str, Mapping[str, Any]], None]


class Project:
    """A renovation planning project.

    Attributes
    ----------
    city
        Key of ``gisplanner/resources/standards/sunlight.yaml`` cities (climate zone, location, counting rule).
    crs
        The metric CRS every layer is stored in, or None until the first import.
    layer_sources
        role -> {"file", "layer", "source_crs", "field_map", ...}: where each layer came from.
    overrides
        Standards overrides of this project (who, when, why, old value).
    placed_facilities
        Proposed facilities with their check verdicts (JSON-serialisable dicts, footprint as WKT).
    settings
        Analysis settings (JSON-serialisable).
    results
        Result frames by name (GeoDataFrame or DataFrame); only :meth:`store_results` writes them.
    tables
        The user's own attribute tables by name (the renovation ledger, review comments): not derived from the
        layers, so no analysis rerun replaces them.
    runs
        The run record of each analysis key that has run (:class:`RunRecord`), saved with the project.

    Listeners added with :meth:`subscribe` hear ``(event, details)`` for every change (:data:`EVENTS`).
    """

    def __init__(self, *, city: str = "harbin", crs: CRS | str | int | None = None, name: str = "",
                 path: str | Path | None = None) -> None:
        self.name = name
        self.city = city
        self.crs = CRS.from_user_input(crs) if crs is not None else None
        self.path = Path(path) if path is not None else None
        self.layers: dict[str, gpd.GeoDataFrame] = {}
        self.layer_sources: dict[str, dict[str, Any]] = {}
        self.overrides: list[Override] = []
        self.placed_facilities: list[dict[str, Any]] = []
        self.settings: dict[str, Any] = {}
        self.results: dict[str, pd.DataFrame] = {}
        self.tables: dict[str, pd.DataFrame] = {}
        self.runs: dict[str, RunRecord] = {}
        self._standards: Standards | None = None
        self._cache: dict[Hashable, Any] = {}
        self._listeners: list[Listener] = []
        self._stamp: tuple[int, int, int] | None = None  # of the file as loaded or last saved here
        self._partial = False  # loaded without its layers or results: saving it would drop them

    # ------------------------------------------------------------------ layers and results
    def has_layer(self, role: str) -> bool:
        return role in self.layers

    def layer(self, role: str) -> gpd.GeoDataFrame:
        """The layer of ``role``; InputError naming the role and the fix if the project has none."""
        if role not in self.layers:
            raise InputError(f"项目中没有{code_label(role, 'layer')}图层", file=str(self.path) if self.path else None,
                             layer=role, fix=f"用 gisplanner import 文件 --role 图层名={role} 导入")
        return self.layers[role]

    def set_layer(self, role: str, gdf: gpd.GeoDataFrame, *, source: Mapping[str, Any] | None = None) -> None:
        """Replace the layer of ``role``; it must already be in the project's metric CRS."""
        if role not in ROLES:
            raise InputError(f"没有 {role!r} 这个图层角色；可用的角色：{'、'.join(ROLES)}", layer=role)
        if self.crs is None:
            self.crs = gdf.crs
        elif gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(self.crs):
            raise InputError(f"图层的坐标系是 {gdf.crs}，项目的是 {self.crs.to_string()}", layer=role,
                             fix="通过 gisplanner import 导入，导入时会转换到项目坐标系")
        self.layers[role] = gdf
        if source is not None:
            self.layer_sources[role] = dict(source)
        self._changed("layers", roles=[role])

    def remove_layer(self, role: str) -> None:
        self.layers.pop(role, None)
        self.layer_sources.pop(role, None)
        self._changed("layers", roles=[role])

    def store_results(self, frames: Mapping[str, pd.DataFrame | None], *, run: RunRecord | None = None) -> None:
        """The one way results are written: store (a None frame removes) and record the run that made them.

        ``run`` is the record of the analysis that computed them; an edit of a result passes None and keeps
        the record of the run it edits.
        """
        for name, frame in frames.items():
            if frame is None:
                self.results.pop(name, None)
            else:
                self.results[name] = frame
        if run is not None:
            self.runs[run.analysis] = run
        self._changed("results", names=list(frames), analysis=run.analysis if run is not None else None)

    def restore_run(self, analysis: str, run: RunRecord | None) -> None:
        """Put back the run record of ``analysis`` that goes with results restored by an undo (None: no run)."""
        if run is None:
            self.runs.pop(analysis, None)
        else:
            self.runs[analysis] = run

    def add_placed_facility(self, record: Mapping[str, Any]) -> None:
        """Keep a checked proposal (:meth:`PlacementReport.placed_facility`)."""
        self.placed_facilities.append(dict(record))
        self._changed("placed", facility_id=record.get("facility_id"))

    def set_city(self, city: str) -> None:
        """Change the city (its sunlight standard, permit thresholds, local rules)."""
        self.city = city
        self._changed("standards", city=city)

    # ------------------------------------------------------------------ events and cached inputs
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, details)`` after every change; see :data:`EVENTS`."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """An input computed once and shared by the analyses (the walking graph, the district inputs) until a
        layer or the standards change."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _changed(self, event: str, **details: Any) -> None:
        if event in ("layers", "standards"):
            self._cache.clear()
        for listener in list(self._listeners):
            listener(event, details)

    # ------------------------------------------------------------------ standards
    def standards(self) -> Standards:
        """The standards with this project's overrides applied (cached until overrides change)."""
        if self._standards is None or self._standards.overrides != tuple(self.overrides):
            self._standards = load_standards(self.overrides)
        return self._standards

    def add_override(self, override: Override) -> Override:
        """Apply and record a standards override; returns it with the replaced value filled in."""
        applied = load_standards([*self.overrides, override]).overrides[-1]
        self.overrides.append(applied)
        self._changed("standards", override=applied.path)
        return applied

    # ------------------------------------------------------------------ location
    def lonlat_center(self) -> tuple[float, float]:
        """(lon, lat) in degrees of the centre of all layers, for sun positions and web maps."""
        frames = [g for g in self.layers.values() if len(g)]
        if not frames or self.crs is None:
            city = self.standards().sunlight.city(self.city)
            return city.lon, city.lat
        bounds = pd.DataFrame([g.total_bounds for g in frames], columns=["x0", "y0", "x1", "y1"])
        center = gpd.GeoSeries.from_xy([(bounds.x0.min() + bounds.x1.max()) / 2],
                                       [(bounds.y0.min() + bounds.y1.max()) / 2], crs=self.crs).to_crs(4326)
        return float(center.x[0]), float(center.y[0])

    # ------------------------------------------------------------------ save and load
    def _meta(self) -> dict[str, Any]:
        frames = {**{f"layer:{r}": g for r, g in self.layers.items()},
                  **{f"result:{n}": f for n, f in self.results.items()},
                  **{f"table:{n}": f for n, f in self.tables.items()}}
        dtypes = {key: {c: str(t) for c, t in frame.dtypes.items() if str(t) in _RESTORABLE_DTYPES}
                  for key, frame in frames.items()}
        return {
            "format_version": FORMAT_VERSION,
            "written_by": f"gisplanner {__version__}",
            "name": self.name,
            "city": self.city,
            "crs": self.crs.to_wkt() if self.crs is not None else None,
            "roles": sorted(self.layers),
            "layer_sources": self.layer_sources,
            "results": {n: isinstance(f, gpd.GeoDataFrame) for n, f in self.results.items()},
            "tables": sorted(self.tables),
            "overrides": [o.to_dict() for o in self.overrides],
            "placed_facilities": self.placed_facilities,
            "runs": {key: run.to_dict() for key, run in self.runs.items()},
            "settings": self.settings,
            "dtypes": dtypes,
        }

    def _write(self, target: Path) -> None:
        """Write the whole project to ``target`` (a new file), atomically, and fsync it."""
        if self._partial:
            raise InputError("这个项目只读取了设置（或没有读取结果），保存会丢掉其余内容", file=str(target),
                             fix="完整打开项目后再保存")
        tmp = target.with_name(f".{target.stem}.saving-{os.getpid()}.gpkg")
        tmp.unlink(missing_ok=True)
        try:
            for role, gdf in self.layers.items():
                pyogrio.write_dataframe(gdf, tmp, layer=role, driver="GPKG")
            for name, frame in self.results.items():
                pyogrio.write_dataframe(frame, tmp, layer=RESULT_PREFIX + name, driver="GPKG")
            for name, frame in self.tables.items():
                pyogrio.write_dataframe(frame, tmp, layer=TABLE_PREFIX + name, driver="GPKG")
            meta = self._meta()
            meta_frame = pd.DataFrame({"key": list(meta), "value": [
                json.dumps(v, ensure_ascii=False, default=str) for v in meta.values()]})
            pyogrio.write_dataframe(meta_frame, tmp, layer=META_LAYER, driver="GPKG")
            _keep_mode_and_owner(tmp, target)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (or the project's own path); removes the autosave afterwards.

        The save holds the project's lock file (:mod:`gisplanner.filelock`), refuses a read-only file or folder,
        keeps the file's mode and owner, and refuses to overwrite the project's own file when another program has
        changed it since it was opened here (its changes would be lost).
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("项目还没有文件", fix="用“另存为”给它一个文件名")
        target = target.resolve()
        if target.is_dir():
            raise InputError("保存位置是一个文件夹", file=str(target), fix="给出项目文件名，例如 项目.gpkg")
        if target.exists() and read_only(target):
            raise InputError("项目文件是只读的，不能保存", file=str(target),
                             fix="另存为一个新文件，或先放开该文件的写权限")
        if not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        if read_only(target.parent):
            raise InputError("项目所在的文件夹是只读的，不能保存", file=str(target),
                             fix="另存到有写权限的文件夹")
        with project_lock(target):
            if target == self.path and self._stamp is not None and _stamp(target) not in (None, self._stamp):
                raise InputError("项目文件在打开后被其他程序改过，保存会丢掉那些修改", file=str(target),
                                 fix="另存为一个新文件，再重新打开原项目核对")
            self._write(target)
        self.path = target
        self._stamp = _stamp(target)
        recovery_path(target).unlink(missing_ok=True)
        return target

    @classmethod
    @contextmanager
    def editing(cls, path: str | Path, *, write: bool = True, create: Mapping[str, Any] | None = None,
                wait_s: float | None = None) -> Iterator[Project]:
        """Load the project at ``path`` holding its lock until the block ends, so a change made and saved in the
        block cannot be lost to another writer that loaded the file meanwhile (two imports at once).

        ``write=False`` only loads (no lock: reading needs none). ``create``: keyword arguments of a new Project
        when the file does not exist yet (else InputError). A read-only project is refused before any work.
        """
        path = Path(path)
        if not write:
            yield cls.load(path)
            return
        if path.exists() and read_only(path):
            raise InputError("项目文件是只读的，不能写入结果", file=str(path),
                             fix="加 --no-save 只写输出文件，或复制项目后在副本上运行")
        with project_lock(path, wait_s=wait_s):
            if path.exists() or create is None:
                project = cls.load(path)
            else:
                project = cls(**create)
            yield project

    def autosave(self) -> Path:
        """Write the recovery copy beside the project file (or in the working folder when unsaved)."""
        target = recovery_path(self.path if self.path is not None else Path.cwd() / "untitled.gpkg")
        self._write(target)
        return target

    @classmethod
    def load(cls, path: str | Path, *, layers: bool = True, results: bool = True) -> Project:
        """Open a project GeoPackage; InputError naming the file, the entry and the fix when it cannot be read.

        ``layers=False`` reads the settings only (name, city, CRS, overrides, placed facilities, run records),
        no layer, table or result; ``results=False`` leaves the results out (a large city's sill points alone
        run to a gigabyte). Save files left behind by a killed save (``.NAME.saving-PID.gpkg`` of a process
        that is gone) are removed.
        """
        path = Path(path)
        if not path.exists():
            raise InputError("项目文件不存在", file=str(path), fix="检查路径")
        if path.is_dir():
            raise InputError("这是一个文件夹，不是项目文件", file=str(path), fix="给出 .gpkg 项目文件")
        remove_stale_saves(path)
        try:
            in_file = {name for name, _ in pyogrio.list_layers(path)}
            meta_frame = pyogrio.read_dataframe(path, layer=META_LAYER) if META_LAYER in in_file else None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.DatabaseError) as exc:
            raise InputError(f"无法读取项目文件：{exc}", file=str(path),
                             fix="文件已损坏或不是 GeoPackage；打开它的自动保存文件"
                                 f"（{recovery_path(path).name}）或备份") from None
        except PermissionError:
            raise InputError("没有读取项目文件的权限", file=str(path), fix="请管理员放开读权限") from None
        if meta_frame is None:
            raise InputError("不是 gisplanner 项目（没有 gisplanner_meta 表）", file=str(path),
                             fix="用 `gisplanner import` 把该文件导入一个项目")
        meta = _read_meta(meta_frame, path)
        try:
            version = int(meta.get("format_version", 0))
        except (TypeError, ValueError):
            raise _bad_entry(path, "format_version", meta.get("format_version")) from None
        if version > FORMAT_VERSION:
            raise InputError(f"项目由 {meta.get('written_by')} 以格式 {version} 写入；本程序 gisplanner "
                             f"{__version__} 只能读格式 {FORMAT_VERSION} 及更早的", file=str(path),
                             fix="升级 gisplanner 后再打开")
        try:
            crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
        except Exception:  # pyproj raises CRSError or TypeError for anything it cannot read
            raise _bad_entry(path, "crs", meta.get("crs")) from None
        if crs is not None and not crs.is_projected:
            raise _bad_entry(path, "crs", crs.name, why="不是以米为单位的投影坐标系")
        city = meta.get("city", "harbin")
        if not isinstance(city, str) or not city:
            raise _bad_entry(path, "city", city)
        project = cls(city=city, crs=crs, name=str(meta.get("name") or ""), path=path.resolve())
        for key, kind in (("layer_sources", dict), ("placed_facilities", list), ("settings", dict),
                          ("dtypes", dict), ("roles", list), ("results", dict), ("overrides", list)):
            if not isinstance(meta.get(key, kind()), kind):
                raise _bad_entry(path, key, meta.get(key))
        project.layer_sources = meta.get("layer_sources", {})
        overrides = []
        for i, entry in enumerate(meta.get("overrides", [])):
            try:
                overrides.append(Override.from_dict(entry))
            except (KeyError, TypeError, ValueError, AttributeError, ConfigError):
                raise _bad_entry(path, f"overrides[{i}]", entry) from None
        try:
            if overrides:
                load_standards(overrides)
        except ConfigError as exc:
            raise InputError(f"项目里保存的标准修改无法应用：{exc}", file=str(path), layer=META_LAYER,
                             fix="在“设置 → 城市与标准”中删除该修改，或用备份打开") from None
        project.overrides = overrides
        project.placed_facilities = meta.get("placed_facilities", [])
        project.runs = {key: RunRecord.from_dict(run) for key, run in meta.get("runs", {}).items()}
        project.settings = meta.get("settings", {})
        dtypes = meta.get("dtypes", {})

        def read(layer: str, key: str) -> pd.DataFrame:
            if layer not in in_file:
                raise InputError("项目记录了这个图层，但文件里没有", file=str(path), layer=layer,
                                 fix="文件已损坏；打开它的自动保存文件或备份")
            try:
                frame = pyogrio.read_dataframe(path, layer=layer)
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.DatabaseError) as exc:
                raise InputError(f"无法读取图层：{exc}", file=str(path), layer=layer,
                                 fix="文件已损坏；打开它的自动保存文件或备份") from None
            for column, dtype in (dtypes.get(key) or {}).items():
                if column in frame:
                    try:
                        frame[column] = frame[column].astype(dtype)
                    except (TypeError, ValueError):
                        raise _bad_entry(path, f"dtypes.{key}.{column}", dtype) from None
            return frame

        for role in meta.get("roles", []):
            if role not in ROLES:
                raise _bad_entry(path, "roles", role, why="不是已知的图层角色")
            if layers:
                project.layers[role] = read(role, f"layer:{role}")
        for name, is_geo in meta.get("results", {}).items() if layers and results else ():
            frame = read(RESULT_PREFIX + name, f"result:{name}")
            project.results[name] = frame if is_geo else pd.DataFrame(frame)
        for name in meta.get("tables", []) if layers else ():
            project.tables[name] = pd.DataFrame(read(TABLE_PREFIX + name, f"table:{name}"))
        project._stamp = _stamp(path)
        project._partial = not (layers and results)
        return project


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells whether a file changed: modification time, size and inode; None when it is absent."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _keep_mode_and_owner(tmp: Path, target: Path) -> None:
    """Give the new file the permissions and owner of the one it replaces (a rename would drop them)."""
    try:
        st = target.stat()
    except FileNotFoundError:
        return
    os.chmod(tmp, st.st_mode & 0o7777)
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:  # only the superuser may give a file away; the mode is kept regardless
        log.info("cannot keep the owner of %s", target)


_SAVING = re.compile(r"\.(?P<stem>.+)\.(saving|writing)-(?P<pid>\d+)\.gpkg")


def remove_stale_saves(path: str | Path) -> list[Path]:
    """Remove the save files of the project at ``path`` left by a save that was killed; returns them.

    A save writes ``.NAME.saving-PID.gpkg`` and renames it over the project; a process killed midway leaves it
    behind, as large as the project. Files of processes still running (a save in progress) are kept.
    """
    path = Path(path).resolve()
    removed = []
    try:
        candidates = list(path.parent.glob(f".{path.stem}.*-*.gpkg"))
    except OSError:
        return removed
    for candidate in candidates:
        match = _SAVING.fullmatch(candidate.name)
        if match is None or match["stem"] != path.stem or pid_alive(int(match["pid"])):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
            log.info("removed %s left by an interrupted save", candidate)
        except OSError:
            continue
    return removed


def _bad_entry(path: Path, entry: str, value: Any, *, why: str = "无法读取") -> InputError:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return InputError(f"项目设置表的条目 {entry} {why}：{shown}", file=str(path), layer=META_LAYER,
                      feature=entry, fix="文件已损坏或被手工改过；打开它的自动保存文件"
                                         f"（{recovery_path(path).name}）或备份")


def _read_meta(frame: pd.DataFrame, path: Path) -> dict[str, Any]:
    if "key" not in frame.columns or "value" not in frame.columns:
        raise InputError("项目设置表缺少 key/value 列", file=str(path), layer=META_LAYER,
                         fix="文件已损坏；打开它的自动保存文件或备份")
    meta: dict[str, Any] = {}
    for key, value in zip(frame["key"], frame["value"]):
        try:
            meta[str(key)] = json.loads(value)
        except (TypeError, ValueError):
            raise _bad_entry(path, str(key), value, why="不是有效的 JSON") from None
    return meta
