"""UI test fixtures: no worker may outlive its test, Qt warnings fail the test, a private settings file."""

import shutil

import pytest
from PyQt6.QtCore import QSettings, QThreadPool, QtMsgType

from gisplanner.ui.workers import running_workers

# The offscreen platform plugin says this whenever a top-level window with docks is shown; it is about the
# plugin, not about our code, and carries no information on screen.
KNOWN_PLATFORM_MESSAGES = ("This plugin does not support propagateSizeHints()",)


@pytest.fixture(autouse=True)
def no_worker_left_running():
    yield
    left = running_workers()
    if left:
        for worker in left:
            worker.cancel()
        QThreadPool.globalInstance().waitForDone(10_000)
        pytest.fail(f"{len(left)} worker(s) still running after the test: {[w.title for w in left]}")


@pytest.fixture(autouse=True)
def qt_warnings_fail(qtlog):
    yield
    bad = [r.message for r in qtlog.records
           if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
           and r.message not in KNOWN_PLATFORM_MESSAGES]
    if bad:
        pytest.fail(f"Qt warnings: {bad}")


@pytest.fixture
def settings(tmp_path):
    """QSettings in a file of the test's own, so recent files never touch the user's settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def demo_file(tmp_path):
    """A copy of the bundled demo project (built by gisplanner.demo), so tests may save over it."""
    from gisplanner.ui.app import demo_path

    target = tmp_path / "demo.gpkg"
    shutil.copy(demo_path(), target)
    return target
