"""The renovation ledger on real OpenStreetMap data (Nangang 3 km focus window, ../shared/refdata, ODbL).

OSM has no construction year: the communities get synthetic years 1975–2014 from
``numpy.random.default_rng(2024)`` in layer order, as in test_export_harbin.py. The ledger records every
district as a 2025 谋划 project with every precondition met, then takes the owners' committee away from the
first three: those must stay out of the plan, each with the reason.
"""

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from gisplanner import workflow
from gisplanner.analysis.districts import plan_districts
from gisplanner.annual_plan import project_annual_plan
from gisplanner.catalogue import district_inputs
from gisplanner.export.layers import OSM_ATTRIBUTION
from gisplanner.export.notice import write_project_notice
from gisplanner.export.package import export_plan_package, project_plan_layers
from gisplanner.export.review_form import attach_comments, read_review_form
from gisplanner.io.importer import import_layers
from gisplanner.ledger import normalise, project_ledger
from gisplanner.project import Project

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def harbin(harbin_focus):
    project = Project(city="harbin")
    import_layers(project, [harbin_focus])
    comm = project.layer("communities").copy()
    comm["built_year"] = pd.array(np.random.default_rng(2024).integers(1975, 2015, len(comm)), dtype="Int64")
    project.set_layer("communities", comm)
    project.store_results(plan_districts(district_inputs(project, workflow.params(project, "districts")),
                                         seed=1).results())
    ledger = project_ledger(project)
    ledger = ledger.assign(phase="planning", plan_year=2025, consent_share=0.8, consent_date="2025-03-01",
                           resident_funding_agreed=True, owners_committee_formed=True,
                           management_model="专业物业服务", central_subsidy_before=False)
    ledger.loc[:2, "owners_committee_formed"] = False
    project.tables["ledger"] = normalise(ledger)
    return project


def test_projects_without_an_owners_committee_stay_out_with_the_reason(harbin):
    plan = project_annual_plan(harbin, year=2025)
    selection = plan.selection.set_index("project_id")
    blocked = harbin.tables["ledger"]["project_id"].iloc[:3]
    assert not selection.loc[blocked, "selected"].any()
    assert (selection.loc[blocked, "reason"].str.contains("业委会（物管会）未组建")).all()
    assert selection["selected"].any()
    # no project holding a community built after 2005 is in, and the post-2000 share keeps the 15 % cap
    assert plan.post2000_share <= 0.15 + 1e-9
    late = selection["reason"].str.contains("2005年底后")
    assert not selection.loc[late, "selected"].any()


def test_notice_of_a_harbin_district_decodes_to_its_code_and_credits_osm(harbin, tmp_path):
    pid = str(harbin.tables["ledger"]["project_id"].iloc[3])
    path = write_project_notice(harbin, pid, tmp_path / "notice.pdf", when=dt.date(2026, 12, 1))
    image = pypdfium2.PdfDocument(str(path))[0].render(scale=200 / 72).to_pil()
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    assert [t.splitlines()[0] for t in texts] == [pid]
    assert OSM_ATTRIBUTION in PdfReader(path).pages[0].extract_text()


def test_every_comment_of_a_filled_harbin_form_is_attached(harbin, tmp_path):
    written = export_plan_package(harbin, tmp_path, formats=["xlsx"], when=dt.date(2026, 12, 1))
    form = next(p for p in written["xlsx"] if p.name == "review_form.xlsx")
    book = openpyxl.load_workbook(form)
    sheet = book["审查意见表"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 7, f"意见{row}")
        sheet.cell(row, 9, ("采纳", "不采纳", "待定")[row % 3])
    book.save(tmp_path / "filled.xlsx")
    result = read_review_form(tmp_path / "filled.xlsx", project_plan_layers(harbin))
    table = attach_comments(None, result.comments)
    assert result.findings == ()
    assert len(table) == sheet.max_row - 1
    assert set(table["comment"]) == {f"意见{r}" for r in range(2, sheet.max_row + 1)}
