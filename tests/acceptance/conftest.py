"""Fixtures of the acceptance tests on the real reference data."""

import pytest

from gisplanner.io.importer import import_layers
from gisplanner.project import Project


@pytest.fixture(scope="module")
def focus(harbin_focus):
    """The Harbin focus file (Nangang, 3 km) imported into a new project, one per test module."""
    project = Project()
    import_layers(project, [harbin_focus], city="harbin")
    return project
