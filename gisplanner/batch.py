"""Batch runs over many cities as tasks on dask.distributed: import, districts, life circle, placement checks
and the plan package per city, then the provincial roll-up.

Each city is one task (:func:`run_city`) that writes its own folder ``OUT/<key>/`` as it finishes (built in
``OUT/.work`` and moved into place, so a folder is either complete or absent). ``OUT/batch.json`` records every
city's state after each change. A rerun skips a city whose skip key is that of its finished run
(``OUT/<key>/run.json``): the key (:func:`city_key`) holds the city's input data and the run records its run
will make (:func:`gisplanner.workflow.planned_runs`: each analysis's parameters from the standards with the
project's overrides, the placements, the overrides in force), the standards and the program version; a
project file saved again with nothing changed (results, run times) keeps its key. The client never reads a
project's results, and reads its layers only when the file's bytes differ from those of the last run.

A failing city is recorded with its message and does not stop the others. A worker that dies mid-city (killed,
out of memory) makes the scheduler run the city again on another worker, up to distributed's
``allowed-failures``; past that the city is recorded as failed with the reason, never left out.

Workers need the input and output paths on a shared file system (one machine, or a network drive).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import shapely

from gisplanner import __version__
from gisplanner.errors import GisPlannerError, InputError
from gisplanner.standards import STANDARDS_DIR

#: States a city goes through; ``skipped`` is a finished city whose inputs have not changed.
STATES = ("pending", "running", "done", "skipped", "failed")
STATE_ZH = {"pending": "等待", "running": "运行中", "done": "完成", "skipped": "未变化，跳过", "failed": "失败"}
RUN_RECORD = "run.json"
CITY_SUMMARY = "city_summary.json"
BATCH_RECORD = "batch.json"


@dataclass(frozen=True)
class CityJob:
    """One city of a batch.

    Attributes
    ----------
    key
        Folder name of the city's outputs (letters, digits, ``_`` and ``-``).
    name
        The city's name as printed (e.g. 哈尔滨市).
    project
        A gisplanner project file; or None with ``sources``.
    sources
        Layer files to import into a new project (a city cut from a province's layers).
    placements
        Proposed facilities to check: keyword arguments of the placement analysis (:class:`gisplanner.catalogue.PlacementParams`).

    Funding by source is not given here: the roll-up takes it from each city's ledger
    (:func:`gisplanner.export.province.city_funding`).
    """

    key: str
    name: str
    project: str | None = None
    sources: tuple[str, ...] = ()
    placements: tuple[Mapping[str, Any], ...] = ()

    def inputs(self) -> list[Path]:
        """The files the city reads (with a Shapefile's side files)."""
        files = [Path(self.project)] if self.project else [Path(s) for s in self.sources]
        out = []
        for f in files:
            out.append(f)
            if f.suffix.lower() == ".shp":
                out.extend(sorted(p for p in f.parent.glob(f"{f.stem}.*") if p != f))
        return out


@dataclass(frozen=True)
class BatchOptions:
    """What every city runs with (part of each city's fingerprint)."""

    seed: int = 0
    formats: tuple[str, ...] = ("gpkg", "pdf", "csv", "xlsx")
    plan_year: int | None = None  # the plan table's year (communities' plan_year field); None: all eligible
    city: str | None = None  # sunlight/standards city key for imported layers (projects carry their own)


@dataclass
class CityState:
    """A city's line in ``batch.json``."""

    key: str
    name: str
    state: str = "pending"
    fingerprint: str = ""
    changed: str = ""  # why the city runs again (Chinese), empty for a first run
    seconds: float | None = None
    worker: str | None = None
    attempts: int = 0
    peak_rss_mb: float | None = None
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchProgress:
    """Counts shown while a batch runs."""

    total: int
    done: int
    running: int
    failed: int
    skipped: int
    message: str = ""

    def text(self) -> str:
        return (f"城市 {self.total} 个：完成 {self.done}，跳过 {self.skipped}，运行中 {self.running}，"
                f"失败 {self.failed}，等待 {self.total - self.done - self.skipped - self.running - self.failed}"
                + (f" | {self.message}" if self.message else ""))


@dataclass(frozen=True)
class BatchReport:
    """Every city's final state, in the order given."""

    out_dir: Path
    cities: tuple[CityState, ...]

    def by_state(self, state: str) -> list[CityState]:
        return [c for c in self.cities if c.state == state]


# ---------------------------------------------------------------------------------------------- fingerprints
def _hash_file(h: hashlib._Hash, path: Any) -> None:
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)


def standards_fingerprint(directory: Any = STANDARDS_DIR) -> str:
    """sha256 of the standards YAML files (a folder or package resources), names and contents."""
    h = hashlib.sha256()
    for path in sorted((p for p in directory.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        h.update(path.name.encode())
        _hash_file(h, path)
    return h.hexdigest()


def _digest_frame(h: hashlib._Hash, frame: Any) -> None:
    """A layer or table into the hash: column names, values and geometry (WKB)."""
    import geopandas as gpd
    import pandas as pd

    h.update(json.dumps([str(c) for c in frame.columns], ensure_ascii=False).encode())
    geometry = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else None
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name) if geometry is not None else frame)
    for column in plain.columns:
        if plain[column].dtype == object:
            plain[column] = plain[column].astype(str)  # lists and dicts are not hashable as they are
    h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
    if geometry is not None:
        h.update(b"".join(g or b"" for g in shapely.to_wkb(geometry)))


class CityKey(NamedTuple):
    """A city's skip key (sha256), the parts it is made of, and the sha256 of each input file by path."""

    fingerprint: str
    parts: dict[str, Any]
    files: dict[str, str]


def input_digests(job: CityJob) -> dict[str, str]:
    """sha256 of each file the city reads (:meth:`CityJob.inputs`), by path; InputError for a missing one."""
    digests = {}
    for path in job.inputs():
        if not path.exists():
            raise InputError(f"城市 {job.name} 的输入文件不存在", file=str(path), fix="检查城市列表中的路径")
        h = hashlib.sha256()
        _hash_file(h, path)
        digests[str(path)] = h.hexdigest()
    return digests


def city_key(job: CityJob, options: BatchOptions, *, standards: str | None = None,
             earlier: Mapping[str, Any] | None = None) -> CityKey:
    """The skip key of a city, the parts it is made of and its input files' digests.

    Parts: ``inputs`` (digest of the project's layers, tables, city, CRS, settings and placed facilities; of
    the files of imported layers), ``runs``/``placements``/``overrides`` (the run records the city's run will
    make, :func:`gisplanner.workflow.planned_runs`), ``standards`` (digest of the standards files),
    ``version``, ``options`` and ``name``. Results and run times stored in the project are left out, so a
    project saved again with nothing changed keeps its key.

    ``earlier`` is the city's last run record (:func:`earlier_run`): when its input files are byte for byte
    those of now, its ``inputs`` digest stands and only the project's settings are read, so a rerun of a large
    unchanged city does not load its layers.

    Raises
    ------
    InputError
        An input file is missing or unreadable, or a placement names an unknown parameter.
    """
    from gisplanner.project import Project
    from gisplanner.workflow import planned_runs

    files = input_digests(job)
    known = (earlier or {}).get("key_parts", {}).get("inputs")
    same_bytes = bool(known) and earlier.get("input_files") == files and earlier.get("version") == __version__
    if job.project:
        project = Project.load(job.project, layers=not same_bytes, results=False)
        if same_bytes:
            inputs = known
        else:
            h = hashlib.sha256()
            h.update(json.dumps({"city": project.city, "crs": project.crs.to_wkt() if project.crs else None,
                                 "name": project.name, "settings": project.settings,
                                 "placed": project.placed_facilities},
                                sort_keys=True, ensure_ascii=False, default=str).encode())
            for kind, frames in (("layer", project.layers), ("table", project.tables)):
                for name in sorted(frames):
                    h.update(f"{kind}:{name}".encode())
                    _digest_frame(h, frames[name])
            inputs = h.hexdigest()
    else:
        inputs = hashlib.sha256(json.dumps([(Path(p).name, d) for p, d in files.items()]).encode()).hexdigest()
        project = Project(city=options.city) if options.city else Project()
    parts = {"inputs": inputs, **planned_runs(project, seed=options.seed, placements=job.placements),
             "standards": standards or standards_fingerprint(), "version": __version__,
             "options": dataclasses.asdict(options), "name": job.name}
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return CityKey(hashlib.sha256(text.encode()).hexdigest(), json.loads(text), files)


def what_changed(before: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str:
    """Why a city runs again, in Chinese, from the key parts of its last run and of this one ("" for a city
    that has not run before)."""
    from gisplanner.catalogue import analysis

    if not before:
        return ""
    reasons = []
    if before.get("inputs") != now["inputs"]:
        reasons.append("输入数据已变化")
    runs_before = before.get("runs", {})
    changed = [analysis(key).zh for key in now["runs"] if runs_before.get(key) != now["runs"][key]]
    if changed:
        reasons.append(f"分析参数已变化（{'、'.join(changed)}）")
    if before.get("placements") != now["placements"]:
        reasons.append("拟建设施核查参数已变化")
    if before.get("overrides") != now["overrides"]:
        reasons.append("项目的标准修改已变化")
    if before.get("standards") != now["standards"] or before.get("version") != now["version"]:
        reasons.append("标准文件或程序版本已变化")
    if before.get("options") != now["options"] or before.get("name") != now["name"]:
        reasons.append("批处理选项已变化")
    return "；".join(reasons) or "上次运行未完成"


def earlier_run(city_dir: Path) -> dict[str, Any] | None:
    """The run record of the city's last finished run, None when there is none."""
    try:
        return json.loads((city_dir / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def finished_run(city_dir: Path, fingerprint: str) -> dict[str, Any] | None:
    """The run record of a complete earlier run with this skip key, else None."""
    record = earlier_run(city_dir)
    if record is None or record.get("fingerprint") != fingerprint or record.get("state") != "done":
        return None
    if not (city_dir / CITY_SUMMARY).exists():
        return None
    return record


def _write_json(path: Path, data: Any) -> None:
    """Atomic: written beside, then renamed over."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- one city
def reset_peak_memory() -> None:
    """Start this process's memory high-water mark afresh (Linux), so that the peak read after a city is that
    city's own, not an earlier city's on the same worker."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb() -> float:
    """This process's peak resident memory since its start or the last :func:`reset_peak_memory`, MB.

    Linux's ``VmHWM`` where there is one: ``ru_maxrss`` carries over from the parent process, so a worker
    started by a client that had loaded a large project would report the client's peak.
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_city_project(job: CityJob, options: BatchOptions) -> Any:
    """The city's project: opened from its file, or its layer files imported into a new one."""
    from gisplanner.project import Project

    if job.project:
        return Project.load(job.project)
    if not job.sources:
        raise InputError(f"城市 {job.name} 既没有项目文件也没有图层文件",
                         fix="给出该城市的项目 .gpkg 或图层文件")
    from gisplanner.io.importer import import_layers

    project = Project(name=job.name)
    import_layers(project, list(job.sources), city=options.city)
    return project


def run_city(job: CityJob, out_dir: str, options: BatchOptions, key: CityKey) -> dict[str, Any]:
    """Run one city and write ``OUT/<key>/``: project.gpkg (with results), plan/ (the plan package),
    city_summary.json (the roll-up's inputs) and run.json (the run record, with the skip key, its
    ``key_parts`` and the ``input_files`` digests). Returns the run record.

    A self-contained task: everything it needs comes in its arguments, so any worker can run it.
    """
    from gisplanner.export.package import export_plan_package
    from gisplanner.export.province import city_summary
    from gisplanner.workflow import run_all

    start = time.perf_counter()
    reset_peak_memory()
    out = Path(out_dir)
    work = out / ".work"
    work.mkdir(parents=True, exist_ok=True)
    # Counted on disk, since a retry after a dead worker starts in a fresh process.
    attempts_file = work / f"{job.key}.attempts"
    attempts = int(attempts_file.read_text() or 0) + 1 if attempts_file.exists() else 1
    attempts_file.write_text(str(attempts))
    for left in work.glob(f"{job.key}@*"):
        # what a worker that died midway left behind
        shutil.rmtree(left, ignore_errors=True)
    staging = work / f"{job.key}@{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        project = load_city_project(job, options)
        if not project.name:
            project.name = job.name
        summary = run_all(project, seed=options.seed, placements=list(job.placements))
        project.save(staging / "project.gpkg")
        export_plan_package(project, staging / "plan", formats=list(options.formats), plan_year=options.plan_year)
        _write_json(staging / CITY_SUMMARY, city_summary(project, key=job.key, name=job.name,
                                                         plan_year=options.plan_year))
        record = {"key": job.key, "name": job.name, "state": "done", "fingerprint": key.fingerprint,
                  "key_parts": key.parts, "input_files": key.files,
                  "finished": dt.datetime.now().isoformat(timespec="seconds"),
                  "seconds": round(time.perf_counter() - start, 3),
                  "worker": f"{socket.gethostname()}:{os.getpid()}", "attempts": attempts,
                  "peak_rss_mb": round(peak_memory_mb(), 1),
                  "summary": summary,
                  "options": dataclasses.asdict(options), "version": __version__}
        _write_json(staging / RUN_RECORD, record)
        final = out / job.key
        if final.exists():
            old = work / f"{job.key}@old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(staging, final)
        return record
    finally:
        # Not reached when the worker is killed: the count then carries over to the retry.
        attempts_file.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- the batch
def failure_message(exc: BaseException) -> str:
    """A city's failure as the user reads it."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return ("问题：计算该城市的工作进程多次意外退出（内存不足或被终止），已放弃该城市。"
                "怎么办：减少每个工作进程同时计算的城市（--workers）或增加内存后重新运行；其他城市不受影响。")
    if isinstance(exc, GisPlannerError):
        return f"问题：{exc}"
    return f"问题：计算出错（{type(exc).__name__}: {exc}）。怎么办：检查该城市的数据；详细信息见 batch.json。"


#: Two defaults of dask's workers that slow the engines. The nanny sets glibc's ``MALLOC_TRIM_THRESHOLD_``,
#: which also fixes glibc's mmap threshold, so every large numpy temporary is mapped and unmapped afresh (the
#: sunlight engine ran 38 % slower with it); and a statistical profiler samples the worker's stack every 10 ms.
#: Tiled sunlight of central Harbin on two workers: 20.2 s with both, 15.3 s without (bench/README.md).
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                 "distributed.worker.profile.enabled": False}


def local_cluster(n_workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``n_workers`` processes with one thread each (the engines are numpy
    and GEOS heavy: a process per core uses the machine best), set up by :data:`WORKER_CONFIG`."""
    import copy

    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        # A deep copy: a nanny keeps a shallow merge of the config for the workers it restarts, whose nested
        # values the end of this block would set back.
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                            config=copy.deepcopy(dask.config.config))


def _open_client(scheduler: str | None, n_workers: int) -> tuple[Any, Callable[[], None]]:
    from distributed import Client

    if scheduler:
        client = Client(scheduler)
        return client, client.close
    cluster = local_cluster(n_workers)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client, close


def run_batch(jobs: Sequence[CityJob], out_dir: str | Path, *, options: BatchOptions = BatchOptions(),
              client: Any = None, scheduler: str | None = None, n_workers: int = 2, force: bool = False,
              on_progress: Callable[[BatchProgress], None] | None = None) -> BatchReport:
    """Run every city as a task on dask.distributed and record each one's outcome as it finishes.

    Parameters
    ----------
    jobs
        The cities; keys must be unique.
    out_dir
        Output folder (created): one folder per city and ``batch.json``.
    options
        Seed, export formats, city key for imported layers.
    client
        A ``distributed.Client`` to use; else one is opened on ``scheduler`` (an address such as
        ``tcp://host:8786``) or on a new LocalCluster of ``n_workers`` processes, and closed afterwards.
    force
        Run every city even where its earlier run is still valid.
    on_progress
        Called with the counts whenever a city starts, finishes or fails.

    Returns
    -------
    BatchReport
    """
    from distributed import wait

    keys = [j.key for j in jobs]
    bad = [k for k in keys if not k or not all(c.isalnum() or c in "_-" for c in k)]
    if bad:
        raise InputError(f"城市代号 {bad[0]!r} 不能用作文件夹名", fix="只用字母、数字、_ 和 -")
    duplicate = sorted({k for k in keys if keys.count(k) > 1})
    if duplicate:
        raise InputError(f"城市代号 {duplicate[0]!r} 重复", fix="每个城市用各自的代号")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    standards = standards_fingerprint()
    states = {j.key: CityState(j.key, j.name) for j in jobs}
    todo = []
    keys_of: dict[str, CityKey] = {}
    for job in jobs:
        state = states[job.key]
        before = earlier_run(out / job.key)
        try:
            keys_of[job.key] = city_key(job, options, standards=standards, earlier=before)
        except GisPlannerError as exc:
            state.state, state.message = "failed", failure_message(exc)
            continue
        state.fingerprint = keys_of[job.key].fingerprint
        earlier = None if force else finished_run(out / job.key, state.fingerprint)
        if earlier is not None:
            state.state, state.message = "skipped", f"输入数据与运行记录未变化，沿用 {earlier.get('finished', '')} 的结果"
            state.seconds, state.summary = earlier.get("seconds"), earlier.get("summary", {})
            state.worker, state.peak_rss_mb = earlier.get("worker"), earlier.get("peak_rss_mb")
        else:
            state.changed = "按要求全部重算" if force else what_changed(
                before.get("key_parts") if before else None, keys_of[job.key].parts)
            todo.append(job)

    shown: list[tuple[str, ...]] = []

    def report(message: str = "") -> None:
        """Record the states and show the counts, when anything changed."""
        now = tuple(s.state for s in states.values())
        if shown and now == shown[-1] and not message:
            return
        shown.append(now)
        _write_json(out / BATCH_RECORD, {"updated": dt.datetime.now().isoformat(timespec="seconds"),
                                         "cities": [dataclasses.asdict(s) for s in states.values()]})
        if on_progress is not None:
            counts = {s: now.count(s) for s in STATES}
            on_progress(BatchProgress(len(states), counts["done"], counts["running"], counts["failed"],
                                      counts["skipped"], message))

    report("开始")
    for job in todo:
        # A count left by an earlier batch that was stopped midway does not belong to this one.
        (out / ".work" / f"{job.key}.attempts").unlink(missing_ok=True)
    if todo:
        close: Callable[[], None] = lambda: None  # noqa: E731
        if client is None:
            client, close = _open_client(scheduler, n_workers)
        futures: dict[Any, CityJob] = {}
        try:
            futures = {client.submit(run_city, job, str(out), options, keys_of[job.key],
                                     key=f"city-{job.key}-{states[job.key].fingerprint[:12]}", pure=False): job
                       for job in todo}
            pending = set(futures)
            while pending:
                try:
                    finished, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
                except TimeoutError:  # nothing finished within the poll interval: refresh who is running
                    finished = set()
                message = ""
                for future in finished:
                    state = states[futures[future].key]
                    if future.status == "finished":
                        record = future.result()
                        state.state = "done"
                        for name in ("seconds", "worker", "attempts", "peak_rss_mb", "summary"):
                            setattr(state, name, record.get(name))
                        retried = "" if record.get("attempts", 1) == 1 else \
                            f"工作进程中途退出，已重算（第 {record['attempts']} 次）"
                        state.message = "；".join(m for m in (state.changed and f"重算原因：{state.changed}",
                                                             retried) if m)
                        message = f"{state.name} 完成（{record['seconds']:.1f} 秒）"
                    else:
                        exc = future.exception()
                        state.state = "failed"
                        state.message = failure_message(exc)
                        state.summary = {"traceback": "".join(traceback.format_exception(exc))[-4000:]}
                        message = f"{state.name} 失败"
                running = _running_keys(client)
                for future in pending:
                    key = futures[future].key
                    # Assigned to a worker and started there (a worker may hold a queued one too).
                    started = future.key in running and (out / ".work" / f"{key}.attempts").exists()
                    states[key].state = "running" if started else "pending"
                report(message)
        finally:
            for future in futures:
                with contextlib.suppress(Exception):
                    future.release()
            close()
    report("全部结束")
    return BatchReport(out, tuple(states[k] for k in keys))


def _running_keys(client: Any) -> set[str]:
    """Keys of the tasks the workers are processing now."""
    try:
        return {key for keys in client.processing().values() for key in keys}
    except Exception:  # a scheduler that is going away: no one is running
        return set()


# ---------------------------------------------------------------------------------------------- inputs
def _folder_key(value: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value.strip()) or "_"


def read_city_list(path: str | Path) -> list[CityJob]:
    """Cities from a JSON file: ``{"cities": [{"key", "name", "project" | "sources", "placements"}]}``; paths
    are relative to the file's folder. Funding is not listed here: it comes from each city's ledger, and an
    entry that still gives one is refused rather than silently ignored."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["cities"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"无法读取城市列表（{exc}）", file=str(path),
                         fix='写成 `{"cities": [{"key": "harbin", "name": "哈尔滨市", "project": "harbin.gpkg"}]}`'
                         ) from exc
    jobs = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name") or not (entry.get("project") or entry.get("sources")):
            raise InputError(f"城市列表第 {n + 1} 项缺少名称或项目（图层文件）", file=str(path),
                             feature=str(n + 1), fix="每个城市都给出 `name` 和 `project`（或 `sources`）")
        if "funding" in entry:
            raise InputError(f"城市列表第 {n + 1} 项给出了 `funding`：资金来源不再从城市列表读取", file=str(path),
                             feature=str(n + 1),
                             fix="删除 `funding`，把各项资金填入该市项目的改造台账（gisplanner ledger --import）")
        resolve = lambda p: str((path.parent / p).resolve())  # noqa: E731
        jobs.append(CityJob(key=entry.get("key") or _folder_key(entry["name"]), name=entry["name"],
                            project=resolve(entry["project"]) if entry.get("project") else None,
                            sources=tuple(resolve(s) for s in entry.get("sources", ())),
                            placements=tuple(entry.get("placements", ()))))
    return jobs


def project_jobs(paths: Sequence[str | Path]) -> list[CityJob]:
    """One city per project file: key from the file name, name from the project (else the file name)."""
    from gisplanner.project import Project

    jobs = []
    for path in paths:
        path = Path(path)
        name = Project.load(path, layers=False).name or path.stem
        jobs.append(CityJob(key=_folder_key(path.stem), name=name, project=str(path.resolve())))
    return jobs


def split_by_field(files: Sequence[str | Path], field_name: str, out_dir: str | Path, *,
                   margin_m: float = 2000.0) -> list[CityJob]:
    """Cut a province's layers into one layer file per value of ``field_name`` (a city or county field).

    Layers carrying the field are split by it; the others (walking network, buildings, facilities...) are
    cut to each city's extent grown by ``margin_m`` metres, so facilities and roads just over the city's
    edge still serve it. Writes ``OUT/inputs/<key>.gpkg`` with the original layer names.

    Returns
    -------
    list of CityJob
        One per value, in sorted order, importing its layer file.
    """
    import geopandas as gpd
    import pyogrio

    layers: dict[str, gpd.GeoDataFrame] = {}
    for file in files:
        file = Path(file)
        if not file.exists():
            raise InputError("图层文件不存在", file=str(file), fix="检查路径")
        for name, _ in pyogrio.list_layers(file):
            layer_name = file.stem if file.suffix.lower() in (".shp", ".geojson", ".json") else name
            layers[layer_name] = gpd.read_file(file, layer=name)
    carrying = {n: f for n, f in layers.items() if field_name in f.columns}
    if not carrying:
        raise InputError(f"没有图层含有字段 {field_name!r}", file=", ".join(str(f) for f in files),
                         fix="用 --split-by 给出存放各小区所属市、县的字段")
    values = sorted({str(v) for f in carrying.values() for v in f[field_name].dropna().unique()})
    out = Path(out_dir) / "inputs"
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for value in values:
        parts = [f[f[field_name].astype(str) == value].to_crs(4326) for f in carrying.values()]
        minx, miny, maxx, maxy = _total_bounds(parts)
        lat = (miny + maxy) / 2
        dlat, dlon = margin_m / 111_320.0, margin_m / (111_320.0 * max(np.cos(np.radians(lat)), 0.1))
        area = shapely.box(minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)
        key = _folder_key(value)
        target = out / f"{key}.gpkg"
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp.gpkg")
        try:
            for name, frame in layers.items():
                if name in carrying:
                    part = frame[frame[field_name].astype(str) == value]
                else:
                    clip = gpd.GeoSeries([area], crs=4326).to_crs(frame.crs).iloc[0] if frame.crs else area
                    part = frame.iloc[frame.sindex.query(clip, predicate="intersects")] if len(frame) else frame
                if len(part):
                    pyogrio.write_dataframe(part, tmp, layer=name, driver="GPKG")
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        jobs.append(CityJob(key=key, name=value, sources=(str(target),)))
    return jobs


def _total_bounds(frames: Sequence[Any]) -> tuple[float, float, float, float]:
    """Bounds of several GeoDataFrames in one CRS."""
    bounds = np.array([f.total_bounds for f in frames if len(f)])
    return float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()), float(bounds[:, 3].max())


def write_province(report: BatchReport, *, province: str = "") -> dict[str, Path]:
    """The provincial roll-up of the finished (and skipped) cities into ``OUT/province``."""
    from gisplanner.export.province import read_city_summaries, write_rollup

    finished = [c for c in report.cities if c.state in ("done", "skipped")]
    dirs = [report.out_dir / c.key for c in finished]
    return write_rollup(read_city_summaries(dirs), dirs, report.out_dir / "province",
                        failed=[c.name for c in report.by_state("failed")], province=province)


# ---------------------------------------------------------------------------------------------- one large city
def tiled_life_circle(project: Any, *, tile_m: float = 3000.0, params: Any = None,
                      client: Any = None) -> dict[str, Any]:
    """The whole life-circle analysis of a project computed tile by tile (as dask tasks with ``client``):
    the result frames of :func:`gisplanner.catalogue.life_circle_results` with the same parameters
    (``params``: :class:`gisplanner.catalogue.LifeCircleParams`, the standards' when None).

    Access, gaps, coverage, facility snaps and candidate sites equal the whole-city run; each service-area
    polygon is the union of the tiles' pieces, equal to the whole run's up to its line simplification (a
    fifteenth of the band width, 2 m for the 30 m band).
    """
    from gisplanner.analysis import tiles
    from gisplanner.analysis.sites import SITE_LAYERS, choose_sites, site_table
    from gisplanner.catalogue import (
        LifeCircleParams,
        check_facility_ids,
        district_of_communities,
        life_circle_frames,
        life_circle_requirements,
        params_from_standards,
    )

    standards = project.standards()
    params = params if params is not None else params_from_standards(LifeCircleParams, standards)
    req = life_circle_requirements(project, params)
    communities, facilities = project.layer("communities"), project.layer("facilities")
    sites = site_table({role: project.layers.get(role) for role in SITE_LAYERS})
    districts = district_of_communities(project)
    reach = tiles.life_circle_reach(req, search_limit_m=params.search_limit_m, access_snap_m=params.access_snap_m)
    parts = tiles.life_circle_tiles(project.layer("walk_network"), communities, facilities, tile_m=tile_m,
                                    reach_m=reach, gates=project.layers.get("gates"), sites=sites,
                                    service_reach_m=float(req["threshold_m"].max()) + params.access_snap_m,
                                    walkable_highways=params.walkable_highways,
                                    min_component_nodes=params.small_component_nodes,
                                    access_snap_m=params.access_snap_m)
    results = tiles.map_tiles(tiles.run_life_circle_tile, parts, standards.category_map, req, client=client,
                              tag_rules=standards.tag_rules, access_snap_m=params.access_snap_m,
                              search_limit_m=params.search_limit_m, districts=districts,
                              walkable_highways=params.walkable_highways,
                              min_component_nodes=params.small_component_nodes, service_areas_of=req,
                              per_facility=params.per_facility, facility_ids=params.facility_ids,
                              site_requirements=req)
    gaps, fac = tiles.merge_life_circle(results, communities, facilities, req, districts=districts)
    check_facility_ids(params, fac)
    areas = tiles.merge_service_areas(results, req, fac, crs=communities.crs, per_facility=params.per_facility,
                                      facility_ids=params.facility_ids)
    # Distances up to the largest threshold of all rows: the rows kept (service gaps) compare them with
    # their own thresholds, which the exact distances below the largest one decide alike.
    on_net, dist = tiles.merge_site_distances(results, len(communities))
    return life_circle_frames(project, params, req, gaps, fac, areas, lambda service_req: choose_sites(
        on_net, dist, communities, gaps.community_access, service_req, sites, k=params.sites_k,
        crs=communities.crs))


def tiled_sunlight(project: Any, *, tile_m: float = 1000.0, client: Any = None) -> Any:
    """Sill sunlight hours of a project's residential buildings tile by tile (as dask tasks with ``client``),
    with the options sunlight analysis (:func:`gisplanner.catalogue.sunlight_setup`) uses; equal to its ``points``."""
    from gisplanner.analysis import tiles
    from gisplanner.catalogue import sunlight_setup

    buildings = project.layer("buildings")
    sun, requirement, options = sunlight_setup(project)
    parts = tiles.sunlight_tiles(buildings, sun, tile_m=tile_m)
    points = tiles.map_tiles(tiles.run_sunlight_tile, parts, sun, requirement, client=client, **options)
    return tiles.merge_sunlight(points, buildings)
