"""Shared fixtures: offscreen Qt, and the real reference data in ../shared/refdata."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REFDATA = Path(__file__).resolve().parents[2] / "shared" / "refdata"


@pytest.fixture(scope="session")
def refdata() -> Path:
    """The folder ../shared/refdata beside the checkout; skips the test where it is absent."""
    if not REFDATA.is_dir():
        pytest.skip(f"reference data not found at {REFDATA} (../shared/refdata beside the checkout)")
    return REFDATA


@pytest.fixture(scope="session")
def harbin_focus(refdata: Path) -> Path:
    path = refdata / "harbin_central_osm" / "harbin_focus_nangang_3km.gpkg"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def harbin_central(refdata: Path) -> Path:
    path = refdata / "harbin_central_osm" / "harbin_central_osm.gpkg"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def suzhou_buildings(refdata: Path) -> Path:
    path = refdata / "suzhou_gusu_buildings" / "suzhou_gusu_buildings.geojson"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="module")
def client():
    """A dask LocalCluster of two worker processes, shared by the tests of one module."""
    from distributed import Client

    from gisplanner.batch import local_cluster

    with local_cluster(2) as cluster, Client(cluster) as c:
        yield c
