import datetime as dt
import math
import subprocess

import numpy as np
import plan_data as fx
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from pypdf import PdfReader
from pyproj import CRS, Proj, Transformer

from gisplanner.errors import ConfigError
from gisplanner.export import sheets
from gisplanner.export.layers import plan_layers, select_district

DAY = dt.date(2026, 11, 23)


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_every_chinese_character_on_a_sheet_is_in_the_font_used(plan):
    fig = sheets.sheet_figure(plan, "overview", when=DAY)
    fig.canvas.draw()
    checked = 0
    for text in fig.findobj(Text):
        cjk = {ch for ch in text.get_text() if ord(ch) >= 0x2E80}
        if not cjk:
            continue
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        with TTFont(str(path), fontNumber=getattr(path, "face_index", 0), lazy=True) as font:
            cmap = font.getBestCmap()  # an independent font reader
        assert all(ord(ch) in cmap for ch in cjk), (text.get_text(), path)
        checked += 1
    assert checked >= 10


def _glyph(char: str, family: list[str]) -> np.ndarray:
    fig = Figure(figsize=(0.6, 0.6), dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, char, family=family, size=30, ha="center", va="center")
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0] < 128


def test_chinese_text_renders_as_glyphs_not_boxes():
    family = [sheets.find_cjk_font()]
    with pytest.warns(UserWarning, match="missing from font"):
        tofu_a, tofu_b = _glyph("片", ["DejaVu Sans"]), _glyph("区", ["DejaVu Sans"])
    assert np.array_equal(tofu_a, tofu_b)  # the missing-glyph box is the same for every character
    pian, qu = _glyph("片", family), _glyph("区", family)
    assert pian.sum() > 30 and qu.sum() > 30
    assert (pian ^ qu).sum() > 0.3 * max(pian.sum(), qu.sum())
    assert (pian ^ tofu_a).sum() > 0.3 * pian.sum()


def test_missing_cjk_font_is_a_clear_config_error(monkeypatch):
    monkeypatch.setattr(sheets, "CJK_FAMILIES", ("No Such Font Family",))
    with pytest.raises(ConfigError, match="fonts-noto-cjk"):
        sheets.find_cjk_font()


def test_png_sheet_shows_its_legend(plan, tmp_path):
    fig = sheets.sheet_figure(plan, "gaps", when=DAY)
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["片区内小区", "未入片区小区", "设施服务范围（步行）", "1 类设施缺口", "2 类设施缺口", "片区边界"]
    path = tmp_path / "gaps.png"
    fig.savefig(path, dpi=60)
    image = np.asarray(Image.open(path).convert("L"))
    assert image.shape == (int(297 / 25.4 * 60), int(420 / 25.4 * 60))
    box = legend.get_window_extent().transformed(fig.dpi_scale_trans.inverted())  # inches
    h = image.shape[0]
    crop = image[int(h - box.y1 * 60):int(h - box.y0 * 60), int(box.x0 * 60):int(box.x1 * 60)]
    assert crop.size > 1000
    assert (crop < 100).mean() > 0.01  # ink of the legend's swatches and labels is in the PNG


def test_sheet_carries_title_block(plan):
    lines = texts(sheets.sheet_figure(plan, "districts", when=DAY))
    assert "老旧小区改造片区规划" in lines
    assert "片区与资源 · 全部片区" in lines
    assert "制图日期：2026-11-23" in lines
    assert "数据来源：© OpenStreetMap contributors" in lines
    assert "坐标系：WGS 84 / UTM zone 52N（EPSG:32652）" in " ".join(line.strip() for line in lines)  # wrapped
    assert "北" in lines and "0" in lines


def test_no_attribution_without_osm_data(plan):
    from dataclasses import replace

    lines = texts(sheets.sheet_figure(replace(plan, attribution=None), "overview", when=DAY))
    assert not any("OpenStreetMap" in line for line in lines)


def test_map_is_drawn_at_the_printed_scale(plan):
    fig = sheets.sheet_figure(plan, "overview", paper="A4", when=DAY)
    ax = fig.axes[0]
    scale = int(next(t for t in texts(fig) if t.startswith("比例尺："))[6:].split("（")[0].replace(",", ""))
    width_m_on_paper = ax.get_position().width * fig.get_size_inches()[0] * 0.0254
    height_m_on_paper = ax.get_position().height * fig.get_size_inches()[1] * 0.0254
    assert np.ptp(ax.get_xlim()) / width_m_on_paper == pytest.approx(scale)
    assert np.ptp(ax.get_ylim()) / height_m_on_paper == pytest.approx(scale)


def test_map_scale_picks_the_smallest_nice_scale_that_fits():
    # 400 m across 10 in needs 1:1575, 200 m across 5 in the same: the next nice scale is 1:2000
    assert sheets.map_scale((400.0, 200.0), (10.0, 5.0)) == 2000
    assert sheets.map_scale((0.0254 * 2500, 1.0), (1.0, 1.0)) == 2500
    assert sheets.map_scale((1e6, 1.0), (1.0, 1.0)) == 39_371_000  # beyond the list: rounded up to 1,000


def test_gap_classes_split_communities_with_gaps():
    assert [c[:2] for c in sheets.gap_classes(np.array([0, 1, 1, 3]))] == [(1, 1), (3, 3)]
    # 8 distinct counts in 4 classes of two: quartiles of the communities with gaps, zeros left out
    counts = np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert [c[:2] for c in sheets.gap_classes(counts)] == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert sheets.gap_classes(np.zeros(3)) == []


def test_scale_bar_length_is_a_round_number():
    assert [sheets.nice_length(v) for v in (0.9, 3.0, 740.0, 1000.0)] == [0.5, 2.0, 500.0, 1000.0]


def test_north_arrow_follows_meridian_convergence():
    crs = CRS(32652)
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(126.6, 45.75)
    angle = sheets.true_north_deg(crs, x, y)
    assert angle == pytest.approx(-Proj(crs).get_factors(126.6, 45.75).meridian_convergence, abs=0.01)
    # closed form for a transverse Mercator zone: γ ≈ Δλ · sin φ (central meridian 129°E)
    assert angle == pytest.approx(2.4 * math.sin(math.radians(45.75)), abs=0.02)


@pytest.mark.parametrize(("paper", "size_mm"), [("A4", (297, 210)), ("A1", (841, 594))])
def test_paper_sizes_are_landscape(plan, paper, size_mm):
    fig = sheets.sheet_figure(plan, "facilities", paper=paper, when=DAY)
    assert tuple(np.round(fig.get_size_inches() * 25.4)) == size_mm


def test_district_without_gaps_says_so(plan):
    lines = texts(sheets.sheet_figure(select_district(plan, "D2"), "gaps", when=DAY))
    assert "本片区无生活圈服务缺口" in lines


def test_district_without_resources_says_so(plan):
    lines = texts(sheets.sheet_figure(select_district(plan, "D1"), "districts", when=DAY))
    assert "本片区无可利用资源（空闲地、锅炉房、公有房屋）" in lines


def test_facility_sheet_shows_sills_by_sunlight_impact(plan):
    legend = sheets.sheet_figure(plan, "facilities", when=DAY).legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert "窗台新增不满足日照" in labels and "窗台日照不受影响" in labels
    assert "窗台日照减少" not in labels  # no sill of that class


def test_facility_sheet_lists_the_verdicts_needing_action(plan):
    lines = texts(sheets.sheet_figure(plan, "facilities", when=DAY))
    assert "P1 幼儿园：需征询居民意见" in lines
    assert "  邻近住宅日照：需征询居民意见" in lines
    assert not any(line.startswith("  用地规模") for line in lines)  # passed checks are not listed


def test_pdf_and_png_open_with_independent_readers(plan, tmp_path):
    written = sheets.write_sheets(plan, tmp_path, paper="A4", dpi=30, when=DAY)
    assert [p.name for p in written["png"]] == [
        "sheet_1_overview.png", "sheet_2_districts.png", "sheet_3_gaps.png", "sheet_4_facilities.png"]
    reader = PdfReader(written["pdf"][0])
    assert len(reader.pages) == 4
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)
    assert "生活圈服务缺口" in reader.pages[2].extract_text()
    subprocess.run(["pdftoppm", "-png", "-r", "20", "-f", "4", "-l", "4", str(written["pdf"][0]),
                    str(tmp_path / "page")], check=True, capture_output=True)
    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"))
    assert (page < 128).mean() > 0.005


def test_plan_without_districts_draws_every_theme_and_names_stay_literal():
    communities = fx.communities()
    communities.loc[1, "name"] = "$x^{2}$ 小区"  # mathtext would typeset this
    layers = plan_layers(crs=fx.CRS, communities=communities)
    for theme in sheets.THEMES:
        fig = sheets.sheet_figure(layers, theme, when=DAY)
        fig.canvas.draw()
        if theme == "overview":
            lines = texts(fig)
            assert "$x^{2}$ 小区" in lines
            assert "片区 0 个，片区内小区 0 个" in lines
            label = next(t for t in fig.findobj(Text) if t.get_text() == "$x^{2}$ 小区")
            assert not label.get_parse_math()
