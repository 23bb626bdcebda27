"""A sidecar lock file for a project: who writes it (pid, host), stale locks detected, re-entrant per process.

``.NAME.gpkg.lock`` beside the project holds JSON ``{"pid", "host", "since"}``. It is created with
``O_CREAT | O_EXCL``, so of two writers exactly one gets it; the other waits up to ``wait_s`` and is then refused
with a message naming the holder. A lock whose holder process no longer runs on this host is stale and taken
over. A lock of another host cannot be checked; it is respected, and the message says how to remove it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gisplanner.errors import InputError

#: How long a second writer waits for the lock before it is refused, seconds.
LOCK_WAIT_S = 30.0
_POLL_S = 0.1
# lock path -> how often this process holds it (a save inside an edit session takes it again)
_held: dict[Path, int] = {}


def lock_path(project: str | Path) -> Path:
    """The sidecar lock file of the project at ``project``."""
    project = Path(project).resolve()
    return project.with_name(f".{project.name}.lock")


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_stale(holder: dict | None, path: Path) -> bool:
    if holder is None:
        # Half-written by a writer killed between create and write: stale once it is a few seconds old.
        try:
            return time.time() - path.stat().st_mtime > 5.0
        except FileNotFoundError:
            return True
    return holder.get("host") == socket.gethostname() and not pid_alive(int(holder.get("pid", -1)))


def _try_create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "since": time.strftime("%Y-%m-%d %H:%M:%S")}, fh)
    return True


@contextmanager
def project_lock(project: str | Path, *, wait_s: float | None = None) -> Iterator[Path]:
    """Hold the write lock of ``project`` for the ``with`` block (waiting at most ``wait_s``, default
    :data:`LOCK_WAIT_S` seconds, for another writer to finish).

    Raises
    ------
    InputError
        When another program still holds it after ``wait_s`` seconds (naming its pid and host and the fix), or
        the folder does not allow the lock file to be written.
    """
    path = lock_path(project)
    if _held.get(path):
        _held[path] += 1
        try:
            yield path
        finally:
            _held[path] -= 1
        return
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if _try_create(path):
                break
        except FileNotFoundError:
            raise InputError("项目所在的文件夹不存在", file=str(Path(project)),
                             fix="检查路径，或先建好文件夹") from None
        except PermissionError:
            raise InputError("项目所在的文件夹不可写（无法建立锁文件）", file=str(Path(project)),
                             fix="把项目复制到有写权限的文件夹再修改") from None
        holder = _holder(path)
        if _is_stale(holder, path):
            path.unlink(missing_ok=True)  # its writer is gone; the next loop takes the lock
            continue
        if time.monotonic() >= deadline:
            who = (f"进程 {holder.get('pid')}（主机 {holder.get('host')}，自 {holder.get('since')} 起）"
                   if holder else "另一个程序")
            raise InputError(f"项目正被{who}修改，等待 {wait_s:g} 秒后仍未释放", file=str(Path(project)),
                             fix=f"等那个程序完成后重试；若确认它已退出，删除锁文件 {path}")
        time.sleep(_POLL_S)
    _held[path] = 1
    try:
        yield path
    finally:
        _held.pop(path, None)
        path.unlink(missing_ok=True)
