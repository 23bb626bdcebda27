"""The plan package of real OpenStreetMap data (Nangang 3 km focus window, ../shared/refdata, ODbL).

OSM has no construction year: the communities get synthetic years 1975–2014 from
``numpy.random.default_rng(2024)`` in layer order, as in test_districts_harbin.py.
"""

import datetime as dt
import re

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from pypdf import PdfReader

from gisplanner import workflow
from gisplanner.analysis.districts import plan_districts
from gisplanner.catalogue import district_inputs
from gisplanner.export.package import export_plan_package
from gisplanner.io.importer import import_layers
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def focus(harbin_focus, tmp_path_factory):
    project = Project(city="harbin")
    import_layers(project, [harbin_focus])
    comm = project.layer("communities").copy()
    comm["built_year"] = pd.array(np.random.default_rng(2024).integers(1975, 2015, len(comm)), dtype="Int64")
    project.set_layer("communities", comm)
    for name, frame in plan_districts(district_inputs(project, workflow.params(project, "districts")), seed=1).results().items():
        project.store_results({name: frame})
    out = tmp_path_factory.mktemp("harbin_package")
    # one sheet per district is checked on small plans (tests/export); here it would add minutes
    return project, out, export_plan_package(project, out, when=dt.date(2026, 11, 23), district_sheets=False)


def test_plan_table_totals_equal_the_district_members(focus):
    project, _, written = focus
    members = project.results["district_members"]["community_id"]
    comm = project.layer("communities").set_index("feature_id").loc[list(members)]
    sheet = openpyxl.load_workbook(written["xlsx"][0])["计划表"]
    assert (sheet["A6"].value, sheet["B6"].value) == ("哈尔滨市", "全市小计:")
    households = np.maximum(1, np.floor(comm["households"] + 0.5))  # every household count is a whole number
    assert sheet["E6"].value == len(comm)
    assert sheet["H6"].value == households.sum()
    assert sheet["K6"].value == comm["n_buildings"].sum()
    # communities without buildings: 80 m² per household, marked estimated, never 0
    floor = comm["floor_area_m2"].where(comm["floor_area_m2"] > 0, households * 80.0)
    assert sheet["N6"].value == pytest.approx(floor.round().sum() / 1e4, abs=1e-4)


def test_every_district_is_in_the_geopackage(focus):
    project, _, written = focus
    districts = pyogrio.read_dataframe(written["gpkg"][0], layer="districts")
    assert sorted(districts["district_id"]) == sorted(project.results["districts"]["district_id"])
    assert len(pyogrio.read_dataframe(written["gpkg"][0], layer="resources")) == len(
        project.results["district_resources"])


def test_osm_attribution_is_on_every_sheet_and_the_web_map(focus):
    _, _, written = focus
    for page in PdfReader(written["pdf"][0]).pages:
        assert "© OpenStreetMap contributors" in page.extract_text()
    assert "© OpenStreetMap contributors" in written["html"][0].read_text(encoding="utf-8")


def test_web_map_of_real_names_loads_nothing_from_the_network(focus):
    project, _, written = focus
    markup = written["html"][0].read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?:", markup)
    members = len(project.results["district_members"])
    assert markup.count('"_label"') >= members  # every member community is drawn, with its popup
