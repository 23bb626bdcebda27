"""Fixtures of the ledger tests: the small project of ledger_data.py."""

import pytest
from ledger_data import project as build_project

from gisplanner.standards import load_standards


@pytest.fixture(scope="session")
def standards():
    return load_standards()


@pytest.fixture
def project():
    return build_project()
