"""No English in what a reviewer reads: every exported file of the demo plan package, the placement report
(JSON message fields and HTML) and what the commands print (``info``, a listing of layer and field
identifiers to type, is left out); units, standards, formats and names are allowed
(tests/english.py)."""

import contextlib
import io

import pytest
from english import english_words, file_strings, offending

from gisplanner.cli import main

pytestmark = pytest.mark.slow

TEXT_SUFFIXES = {".csv", ".txt", ".md", ".html", ".json", ".xlsx", ".pdf"}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The demo plan package, a placement report beside it, and what the commands printed."""
    out = tmp_path_factory.mktemp("package")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--export", str(out)]) == 0
        assert main(["check", str(out / "demo_oldtown.gpkg"), "--facility", "kindergarten", "--site",
                     "boiler_rooms:K001", "--floors", "2", "--out", str(out / "check.json"),
                     "--html", str(out / "check.html"), "--no-store"]) == 0
    return out, printed.getvalue()


def _files(out, *suffixes):
    return sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in suffixes)


def _english(paths):
    return offending(s for path in paths for s in file_strings(path))


def test_the_scan_finds_english_words():
    assert english_words("问题：no site selected") == ["no", "site", "selected"]
    assert english_words("GB 50180 第 4.0.9 条，plan.gpkg，EPSG:4547，D001，10 m²") == []


def test_the_scan_reads_every_text_format_of_the_package(package):
    # a scan of nothing would pass: the package must hold each format the scan reads (Markdown is optional)
    assert {p.suffix for p in _files(package[0], *TEXT_SUFFIXES)} >= TEXT_SUFFIXES - {".md"}


def test_tables_have_no_english(package):
    assert _english(_files(package[0], ".csv", ".txt", ".xlsx")) == {}


def test_html_pages_have_no_english(package):
    assert _english(_files(package[0], ".html")) == {}


def test_sheets_pdf_has_no_english(package):
    assert _english(_files(package[0], ".pdf")) == {}


def test_report_json_messages_have_no_english(package):
    assert _english(_files(package[0], ".json")) == {}


def test_cli_output_has_no_english(package):
    assert offending(("stdout", line) for line in package[1].splitlines()) == {}
