"""The built wheel works outside the source tree: standards, assets and the demo export come with it."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a fresh clone holds that a wheel build reads (no .venv, .git, caches or earlier builds).
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                ".ruff_cache", ".import_linter_cache", "out")


@pytest.mark.slow
def test_a_wheel_installed_outside_the_source_tree_runs_the_demo_export(tmp_path):
    source = shutil.copytree(ROOT, tmp_path / "source", ignore=IGNORE)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                   check=True, cwd=tmp_path)
    wheel = next(dist.glob("gisplanner-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies (geopandas, PyQt6, ...) come from the test environment as a plain path entry: its .pth
    # files, among them the editable install of this checkout, are not run, so gisplanner comes from the wheel.
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(python), "-c", "import gisplanner; print(gisplanner.__file__)"], cwd=work,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(venv)
    out = work / "package"
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run([str(venv / "bin" / "gisplanner"), "demo", "--export", str(out)], cwd=work,
                         capture_output=True, text=True, env=environment)
    assert run.returncode == 0, run.stderr
    for name in ("demo_oldtown.gpkg", "plan.gpkg", "sheets.pdf", "webmap.html", "review.html", "plan_tables.xlsx"):
        assert (out / name).stat().st_size > 0, name
