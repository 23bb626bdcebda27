"""Run engine functions off the UI thread: a QRunnable on the global pool that owns a QObject of signals.

The worker calls ``fn(*args, progress=..., **kwargs)`` with a :class:`~gisplanner.progress.Progress` whose
updates become the ``progressed`` signal and whose cancel flag stops the engine inside its work loop. It catches
every exception and emits plain data; it never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from pyproj import _context
from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from gisplanner.errors import CancelledError
from gisplanner.progress import Progress

log = logging.getLogger(__name__)

_running: set[Worker] = set()
_lock = threading.Lock()
# pyproj keeps each OS thread's PROJ context in thread-specific storage but frees it with the Python thread
# state. PyQt drops a pool thread's Python state after every run, so the next run on that thread would reuse a
# freed context and crash (to_crs segfaults on the second run). Keeping the context's owner alive per OS
# thread avoids that.
_proj_contexts: dict[int, object] = {}


def running_workers() -> list[Worker]:
    """Workers whose function has not returned yet (the test suite fails a test that leaves one)."""
    with _lock:
        return list(_running)


class WorkerSignals(QObject):
    """Signals of one worker; exactly one of finished/failed/cancelled is emitted, after the work is done.

    ``progressed(done, total, message)``, ``finished(result)``, ``failed(exception)``, ``cancelled()``.
    """

    progressed = pyqtSignal(int, int, str)
    finished = pyqtSignal(object)
    failed = pyqtSignal(object)
    cancelled = pyqtSignal()


class Worker(QRunnable):
    """One call of an engine function on the global thread pool.

    Parameters
    ----------
    fn
        The engine function; it must accept a keyword-only ``progress``.
    title
        What the status bar says while it runs.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, title: str = "", **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python keeps the reference; Qt must not delete the wrapper under it
        self.fn, self.args, self.kwargs, self.title = fn, args, kwargs, title
        self.signals = WorkerSignals()
        self.progress = Progress(self.signals.progressed.emit)

    def start(self, pool: QThreadPool | None = None) -> Worker:
        with _lock:
            _running.add(self)
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def cancel(self) -> None:
        """Ask the engine to stop at its next progress update."""
        self.progress.cancel()

    def run(self) -> None:
        outcome: tuple[str, Any]
        try:
            outcome = ("finished", self.fn(*self.args, progress=self.progress, **self.kwargs))
        except CancelledError:
            outcome = ("cancelled", None)
        except Exception as exc:  # every failure becomes data for the dialog, never a crash of the pool
            log.exception("worker %s failed", self.title or self.fn)
            outcome = ("failed", exc)
        manager = _context.get_context_manager()
        # Leave the registry before signalling, so whoever receives the signal sees no running worker.
        with _lock:
            if manager is not None:
                _proj_contexts[threading.get_native_id()] = manager
            _running.discard(self)
        kind, value = outcome
        if kind == "cancelled":
            self.signals.cancelled.emit()
        else:
            getattr(self.signals, kind).emit(value)
