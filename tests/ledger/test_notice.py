"""The public notice sheet: its QR code decodes, from the rendered PDF page, to the project's code."""

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from gisplanner.errors import InputError
from gisplanner.export.notice import notice_figure, project_notice, qr_payload, write_notice


def decode_pdf(path, dpi=200):
    page = pypdfium2.PdfDocument(str(path))[0]
    image = page.render(scale=dpi / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture
def notice_pdf(project, tmp_path):
    content, communities, outline, context = project_notice(project, "D1")
    return write_notice(notice_figure(content, communities, outline, context, paper="A4"), tmp_path / "公示.pdf")


def test_qr_code_on_the_pdf_decodes_to_the_project_code(notice_pdf):
    texts = decode_pdf(notice_pdf)
    assert len(texts) == 1
    assert texts[0].splitlines()[0] == "D1"
    assert "和平片区" in texts[0] and "700户" in texts[0]


def test_pdf_is_one_portrait_a4_page_with_the_notice_sections(notice_pdf):
    reader = PdfReader(notice_pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = reader.pages[0].extract_text()
    for heading in ("改造内容", "工程预算与资金筹措", "后续管理", "实施安排", "联系方式与监督"):
        assert heading in text
    assert "专业物业服务" in text and "和平街道 张工" in text
    assert "业委会（物管会）：已组建" in text and "居民出资：已落实" in text


def test_a_configured_url_goes_into_the_qr_code(project, tmp_path):
    project.settings["notice_url"] = "https://example.gov.cn/gzgs/{project_id}"
    content, communities, outline, context = project_notice(project, "D2")
    path = write_notice(notice_figure(content, communities, outline, context, paper="A3"), tmp_path / "n.pdf")
    assert decode_pdf(path, dpi=120) == ["https://example.gov.cn/gzgs/D2"]


def test_payload_puts_the_code_first():
    assert qr_payload("D9", ["名称", "10户"]) == "D9\n名称\n10户"


def test_unknown_project_is_named(project):
    with pytest.raises(InputError, match="台账中没有项目 X1"):
        project_notice(project, "X1")
