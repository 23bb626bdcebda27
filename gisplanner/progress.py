"""The progress and cancel contract shared by the CLI and the desktop app.

Engine functions take a keyword-only ``progress`` argument. They call
``progress.update(done, total, message)`` between chunks of work; ``update`` raises
:class:`~gisplanner.errors.CancelledError` once ``progress.cancelled`` is set, so a
cancel takes effect inside the work loop without any Qt in the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gisplanner.errors import CancelledError


class Progress:
    """Progress sink with a thread-safe cancel flag.

    Parameters
    ----------
    callback
        Called as ``callback(done, total, message)`` on every update; the CLI passes a
        tqdm-like printer, the UI a Qt signal emitter.
    """

    def __init__(self, callback: Callable[[int, int, str], None] | None = None) -> None:
        self._callback = callback
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise CancelledError if cancel() was called."""
        if self._cancel.is_set():
            raise CancelledError("已取消")

    def stage(self, index: int, count: int, label: str) -> Progress:
        """A Progress for stage ``index`` of ``count``: its updates map into this one's range, with ``label``
        before their message, and it shares this one's cancel flag."""
        steps = 1000

        def forward(done: int, total: int, message: str) -> None:
            fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
            self.update(index * steps + int(fraction * steps), count * steps,
                        f"{label}：{message}" if message else label)

        child = Progress(forward)
        child._cancel = self._cancel
        return child

    def update(self, done: int, total: int, message: str = "") -> None:
        """Report ``done`` of ``total`` steps, then honour a pending cancel."""
        if self._callback is not None:
            self._callback(done, total, message)
        self.check()


def ensure_progress(progress: Progress | None) -> Progress:
    """Return ``progress`` or a silent Progress, so engine code can always call it."""
    return progress if progress is not None else Progress()
