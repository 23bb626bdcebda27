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
import sqlite3
from collections.abc import Callable, Hashable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import CRS

from gisplanner import __version__
from gisplanner.errors import InputError
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

    # ------------------------------------------------------------------ layers and results
    def has_layer(self, role: str) -> bool:
        return role in self.layers

    def layer(self, role: str) -> gpd.GeoDataFrame:
        """The layer of ``role``; InputError naming the role and the fix if the project has none."""
        if role not in self.layers:
            raise InputError(f"the project has no {role} layer", file=str(self.path) if self.path else None,
                             layer=role, fix=f"import a file with --role LAYER={role}")
        return self.layers[role]

    def set_layer(self, role: str, gdf: gpd.GeoDataFrame, *, source: Mapping[str, Any] | None = None) -> None:
        """Replace the layer of ``role``; it must already be in the project's metric CRS."""
        if role not in ROLES:
            raise InputError(f"unknown layer role {role!r}; roles are {', '.join(ROLES)}", layer=role)
        if self.crs is None:
            self.crs = gdf.crs
        elif gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(self.crs):
            raise InputError(f"layer is in {gdf.crs}, the project in {self.crs.to_string()}", layer=role,
                             fix="reproject it to the project CRS (the importer does this)")
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
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to ``path`` (or the project's own path); removes the autosave afterwards."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("the project has no file yet", fix="save it with a path (Save As)")
        target = target.resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        self._write(target)
        self.path = target
        recovery_path(target).unlink(missing_ok=True)
        return target

    def autosave(self) -> Path:
        """Write the recovery copy beside the project file (or in the working folder when unsaved)."""
        target = recovery_path(self.path if self.path is not None else Path.cwd() / "untitled.gpkg")
        self._write(target)
        return target

    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Open a project GeoPackage; InputError naming the file and the fix when it cannot be read."""
        path = Path(path)
        if not path.exists():
            raise InputError("no such project file", file=str(path), fix="check the path")
        try:
            layers = {name for name, _ in pyogrio.list_layers(path)}
            meta_frame = pyogrio.read_dataframe(path, layer=META_LAYER) if META_LAYER in layers else None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.DatabaseError) as exc:
            raise InputError(f"cannot read the project: {exc}", file=str(path),
                             fix="the file is damaged or not a GeoPackage; open its autosave "
                                 f"({recovery_path(path).name}) or a backup") from None
        if meta_frame is None:
            raise InputError("not a gisplanner project (no gisplanner_meta table)", file=str(path),
                             fix="import the file into a project with `gisplanner import`")
        meta = {k: json.loads(v) for k, v in zip(meta_frame["key"], meta_frame["value"])}
        version = int(meta.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise InputError(f"the project was written in format {version} by {meta.get('written_by')}; this "
                             f"gisplanner {__version__} reads format {FORMAT_VERSION} or older", file=str(path),
                             fix="update gisplanner to open it")
        project = cls(city=meta.get("city", "harbin"), crs=meta.get("crs"), name=meta.get("name", ""),
                      path=path.resolve())
        project.layer_sources = meta.get("layer_sources", {})
        project.overrides = [Override.from_dict(o) for o in meta.get("overrides", [])]
        project.placed_facilities = meta.get("placed_facilities", [])
        project.runs = {key: RunRecord.from_dict(run) for key, run in meta.get("runs", {}).items()}
        project.settings = meta.get("settings", {})
        dtypes = meta.get("dtypes", {})

        def read(layer: str, key: str) -> pd.DataFrame:
            try:
                frame = pyogrio.read_dataframe(path, layer=layer)
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
                raise InputError(f"cannot read layer: {exc}", file=str(path), layer=layer,
                                 fix="the file is damaged; open its autosave or a backup") from None
            for column, dtype in dtypes.get(key, {}).items():
                if column in frame:
                    frame[column] = frame[column].astype(dtype)
            return frame

        for role in meta.get("roles", []):
            project.layers[role] = read(role, f"layer:{role}")
        for name, is_geo in meta.get("results", {}).items():
            frame = read(RESULT_PREFIX + name, f"result:{name}")
            project.results[name] = frame if is_geo else pd.DataFrame(frame)
        for name in meta.get("tables", []):
            project.tables[name] = pd.DataFrame(read(TABLE_PREFIX + name, f"table:{name}"))
        return project
