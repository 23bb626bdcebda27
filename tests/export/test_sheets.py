import datetime as dt
import math
import subprocess
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import plan_data as fx
import pytest
import shapely
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
from gisplanner.export.layers import plan_layers, select_district, sills_by_building

DAY = dt.date(2026, 11, 23)


def texts(fig) -> list[str]:
    """Every line of text on the sheet (a panel list is one text block of many lines)."""
    return [line for t in fig.findobj(Text) for line in t.get_text().split("\n") if line]


def test_every_chinese_character_on_a_sheet_is_in_the_font_used(plan):
    fig = sheets.sheet_figure(plan, "index", when=DAY)
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
    assert labels == ["建筑", "道路", "街道、社区界线", "片区内小区", "未入片区小区", "设施服务范围（步行）",
                      "缺 1 类设施", "缺 2 类设施", "片区边界"]
    path = tmp_path / "gaps.png"
    fig.savefig(path, dpi=60)
    image = np.asarray(Image.open(path).convert("L"))
    assert image.shape == (int(297 / 25.4 * 60), int(420 / 25.4 * 60))
    box = legend.get_window_extent().transformed(fig.dpi_scale_trans.inverted())  # inches
    h = image.shape[0]
    crop = image[int(h - box.y1 * 60):int(h - box.y0 * 60), int(box.x0 * 60):int(box.x1 * 60)]
    assert crop.size > 1000
    assert (crop < 100).mean() > 0.01  # ink of the legend's swatches and labels is in the PNG


def test_sheet_carries_title_block_from_the_project_settings(plan):
    block = {"project_name": "花园街道老旧小区改造", "organisation": "某市规划设计研究院", "reviewer": "王工",
             "checker": "李工"}
    lines = texts(next(sheets.sheet_pages(replace(plan, title_block=block), sheets.SheetSpec("districts"),
                                          number="02", when=DAY)))
    for key, value in [("项目名称", "花园街道老旧小区改造"), ("编制单位", "某市规划设计研究院"),
                       ("图名", "片区与资源 · 全部片区"), ("图号", "02"), ("比例尺", "1:2,000"),
                       ("日期", "2026-11-23"), ("审核", "王工"), ("校对", "李工")]:
        assert key in lines and value in lines, key
    assert "数据来源：© OpenStreetMap contributors" in lines
    joined = "".join(lines).replace(" ", "")  # the statement is wrapped over two lines
    assert "坐标系：WGS84坐标系UTM投影第52带（北半球）（EPSG:32652）" in joined
    assert "北" in lines and "0" in lines


def test_title_block_leaves_blanks_to_fill_by_hand(plan):
    lines = texts(sheets.sheet_figure(plan, "districts", when=DAY))
    assert "老旧小区改造片区规划" in lines  # the plan title stands in for the project name
    assert "审核" in lines and "校对" in lines and "编制单位" in lines


def test_no_attribution_without_osm_data(plan):
    lines = texts(sheets.sheet_figure(replace(plan, attribution=None), "index", when=DAY))
    assert not any("OpenStreetMap" in line for line in lines)


def test_map_is_drawn_at_the_printed_scale(plan):
    fig = sheets.sheet_figure(plan, "index", paper="A4", when=DAY)
    ax = fig.axes[0]
    scale = int(next(t for t in texts(fig) if t.startswith("1:"))[2:].replace(",", ""))
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


def test_facility_sheet_colours_buildings_by_their_worst_sill(plan):
    fig = sheets.sheet_figure(plan, "facilities", when=DAY)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "建筑：窗台新增不满足日照" in labels  # b7 has one newly failing and one unaffected sill
    assert "建筑：窗台日照不受影响" not in labels and "建筑：窗台日照减少" not in labels
    assert "日照：1栋建筑、2个窗台采样点，每栋按其最不利窗台着色" in "".join(texts(fig)).replace(" ", "")


def test_sills_are_summed_up_per_building():
    sills = fx.sunlight()
    extra = sills.iloc[[1]].assign(sill_id="b9-0", building_id="b9", status="reduced", hours=1.0)
    summary = sills_by_building(pd.concat([sills, extra]), fx.buildings()).set_index("building_id")
    assert summary.loc["b7", "label"] == "窗台新增不满足日照" and summary.loc["b7", "n_sills"] == 2
    assert summary.loc["b7", "n_worst"] == 1 and summary.loc["b7", "min_hours"] == 1.5
    assert summary.loc["b7", "geometry"].equals(fx.buildings().geometry.iloc[0])  # the footprint
    assert summary.loc["b9", "label"] == "窗台日照减少"
    assert summary.loc["b9", "geometry"].equals(extra.geometry.iloc[0])  # no footprint: where its sills are


def test_facility_sheet_lists_the_verdicts_needing_action(plan):
    lines = texts(sheets.sheet_figure(plan, "facilities", when=DAY))
    assert "P1 幼儿园：需征询居民意见" in lines
    assert "  邻近住宅日照：需征询居民意见" in lines
    assert not any(line.startswith("  用地规模") for line in lines)  # passed checks are not listed


def test_pdf_and_png_open_with_independent_readers(plan, tmp_path):
    written = sheets.write_sheets(plan, tmp_path, paper="A4", dpi=30, when=DAY)
    assert [p.name for p in written["png"]] == [
        "sheet_01_index.png", "sheet_02_districts.png", "sheet_03_gaps_lc5.png", "sheet_04_gaps_lc10.png",
        "sheet_05_facilities.png"]
    reader = PdfReader(written["pdf"][0])
    assert len(reader.pages) == 7  # and the sheets of D1 and D2, in the PDF only
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)
    assert "五分钟生活圈服务缺口" in reader.pages[2].extract_text()
    assert "片区图 · 革新片区" in reader.pages[6].extract_text()
    subprocess.run(["pdftoppm", "-png", "-r", "20", "-f", "4", "-l", "4", str(written["pdf"][0]),
                    str(tmp_path / "page")], check=True, capture_output=True)
    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"))
    assert (page < 128).mean() > 0.005


def test_plan_without_districts_draws_every_theme_and_names_stay_literal():
    communities = fx.communities()
    communities.loc[1, "name"] = "$x^{2}$ 小区"  # mathtext would typeset this
    layers = plan_layers(crs=fx.CRS, communities=communities)
    for theme in ("index", "districts", "gaps", "facilities"):
        fig = sheets.sheet_figure(layers, theme, when=DAY)
        fig.canvas.draw()
        if theme == "index":
            lines = texts(fig)
            assert "$x^{2}$ 小区" in lines
            assert "尚未划定片区；小区 5 个" in lines
            label = next(t for t in fig.findobj(Text) if t.get_text() == "$x^{2}$ 小区")
            assert not label.get_parse_math()


def label_boxes(fig) -> list[tuple[str, object]]:
    """The name labels placed on the map (zorder 20) and their boxes as drawn."""
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in fig.axes[0].texts if t.get_zorder() == 20]


def crowded_plan(n: int = 240):
    """``n`` 30 m communities with long names packed 20 to a row in one district: not every name can fit."""
    from shapely.geometry import box

    comm = gpd.GeoDataFrame({"feature_id": [f"k{i}" for i in range(n)],
                             "name": [f"一个名字很长很长的第{i}号老旧住宅小区" for i in range(n)], "households": 100.0},
                            geometry=[box(fx.X0 + 32 * (i % 20), fx.Y0 + 32 * (i // 20), fx.X0 + 32 * (i % 20) + 30,
                                          fx.Y0 + 32 * (i // 20) + 30) for i in range(n)], crs=fx.CRS)
    district = gpd.GeoDataFrame({"district_id": ["D9"], "name": ["拥挤片区"]},
                                geometry=[shapely.union_all(comm.geometry.to_numpy()).envelope], crs=fx.CRS)
    members = pd.DataFrame({"district_id": "D9", "community_id": comm["feature_id"]})
    return plan_layers(crs=fx.CRS, communities=comm, districts=district, members=members, roads=fx.roads())


def test_labels_never_overlap_and_the_smaller_ones_give_way():
    fig = sheets.sheet_figure(crowded_plan(), "index", when=DAY)
    fig.canvas.draw()
    boxes = label_boxes(fig)
    names = [text for text, _ in boxes]
    assert "拥挤片区" in names  # the district's name is the largest and goes first
    assert 20 <= sum(n.startswith("一个名字") for n in names) < 240  # many communities fit, the rest drop
    for i, (a_text, a) in enumerate(boxes):
        for b_text, b in boxes[i + 1:]:
            assert not a.overlaps(b), (a_text, b_text)
    dropped = 240 + 1 - len([n for n in names if n != "宣化街"])
    assert f"注记：为免压盖，{dropped} 个较小注记未标注，见片区图与附表" in "".join(texts(fig)).replace("\n", "")


def test_labels_stay_clear_of_the_scale_bar_and_north_arrow(plan):
    fig = sheets.sheet_figure(crowded_plan(), "index", paper="A4", when=DAY)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    fixed = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text() in ("北", "0")]
    assert len(fixed) == 2
    for text, box in label_boxes(fig):
        assert not any(box.overlaps(f) for f in fixed), text


def test_place_labels_moves_a_label_before_dropping_it():
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from gisplanner.export.labels import LabelRequest, area_anchors, place_labels

    fig = Figure(figsize=(4, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, 100), ylim=(0, 100))
    font = lambda size: FontProperties(family=[sheets.find_cjk_font()], size=size)  # noqa: E731
    big = LabelRequest("大片区名称", area_anchors(50, 50, 6), 20, 5)
    small = LabelRequest("小区", area_anchors(50, 50, 3), 9, 1)
    placed, dropped = place_labels(ax, [small, big], font)
    assert [t.get_text() for t in placed] == ["大片区名称", "小区"] and dropped == 0
    assert placed[0].get_position() == (50, 50) and placed[1].get_position() != (50, 50)  # the smaller moved
    r = fig.canvas.get_renderer()
    assert not placed[0].get_window_extent(r).overlaps(placed[1].get_window_extent(r))


def test_roads_are_drawn_with_their_names_along_them(plan):
    fig = sheets.sheet_figure(plan, "districts", when=DAY)
    fig.canvas.draw()
    road = next(t for t in fig.axes[0].texts if t.get_text() == "宣化街")
    assert road.get_rotation() == pytest.approx(0.0, abs=0.5)  # an east-west street reads level
    assert road.get_position()[1] == pytest.approx(fx.Y0 - 8)
    from matplotlib.collections import LineCollection

    widths = sorted(w for c in fig.axes[0].collections if isinstance(c, LineCollection) for w in c.get_linewidths())
    assert len(widths) >= 2 and widths[-1] > 3 * widths[0]  # the street drawn wider than the footway


def test_road_labels_turn_to_read_upright():
    from shapely.geometry import LineString

    roads = gpd.GeoDataFrame({"highway": ["primary"], "name": ["西大直街"]},
                             geometry=[LineString([(fx.X0 + 500, fx.Y0 + 400), (fx.X0, fx.Y0)])], crs=fx.CRS)
    layers = plan_layers(crs=fx.CRS, communities=fx.communities(), roads=roads)
    fig = sheets.sheet_figure(layers, "index", when=DAY)
    road = next(t for t in fig.axes[0].texts if t.get_text() == "西大直街")
    assert road.get_rotation() == pytest.approx(math.degrees(math.atan2(400, 500)), abs=0.5)  # not 180° more


def test_gap_sheets_one_per_level_name_the_communities(plan):
    specs = sheets.sheet_specs(plan)
    assert [(s.theme, s.level) for s in specs] == [("index", None), ("districts", None), ("gaps", "lc5"),
                                                   ("gaps", "lc10"), ("facilities", None)]
    lines = texts(sheets.sheet_figure(plan, "gaps", level="lc10", when=DAY))
    assert "十分钟生活圈服务缺口 · 全部片区" in lines
    # c1 lacks day care at 10 min (the line is wrapped in the panel)
    assert "<script>alert(1)</script>：缺老年人日间照料中心" in "".join(lines).replace(" ", "")
    assert not any("宣西小区" in line for line in lines)  # c2's only gap is at 5 min
    lc5 = texts(sheets.sheet_figure(plan, "gaps", level="lc5", when=DAY))
    assert "  宣西小区：缺幼儿园" in lc5 and "宣西小区" in lc5  # listed and labelled on the map


def test_long_lists_continue_on_following_sheets_never_cut():
    layers = crowded_plan(60)
    pages = list(sheets.sheet_pages(select_district(layers, "D9"), sheets.SheetSpec("district"), number="P001",
                                    when=DAY))
    assert len(pages) == 3  # 60 two-line entries: the map sheet's panel, then 90 lines a 续 sheet
    everything = "".join(line for page in pages for line in texts(page)).replace(" ", "")
    assert "P001-1" in everything and "P001-2" in everything and "片区内容（续）" in everything
    for i in range(60):
        assert f"一个名字很长很长的第{i}号老旧住宅小区（100户" in everything, i
    assert not any(line.startswith("另") or "……另" in line for line in everything)


def test_every_district_gets_its_sheet_and_the_index_gives_its_number(plan, tmp_path):
    written = sheets.write_sheets(plan, tmp_path, formats=["pdf"], when=DAY)
    pages = [page.extract_text() for page in PdfReader(written["pdf"][0]).pages]
    assert "花园片区（2 个小区），见图 P001" in pages[0] and "革新片区（2 个小区），见图 P002" in pages[0]
    assert "片区图 · 花园片区" in pages[5] and "P001" in pages[5]
    assert "三辅小区" in pages[6] and "四史小区" in pages[6]


def test_sheets_in_china_are_drawn_in_cgcs2000_gauss_kruger(plan, tmp_path):
    assert sheets.sheet_crs(plan).to_epsg() == 4551  # central Harbin: CM 126°E
    written = sheets.write_sheets(plan, tmp_path, formats=["pdf"], when=DAY)
    text = PdfReader(written["pdf"][0]).pages[0].extract_text().replace(" ", "").replace("\n", "")
    assert "2000国家大地坐标系（CGCS2000）高斯–克吕格投影3°带，中央经线126°E（EPSG:4551）" in text
    assert "UTM" not in text


def test_sheets_outside_china_stay_in_the_project_crs():
    from shapely.geometry import box

    paris = gpd.GeoDataFrame({"feature_id": ["p"], "name": ["巴黎"]}, geometry=[box(452000, 5411000, 452100, 5411100)],
                             crs="EPSG:32631")
    assert sheets.sheet_crs(plan_layers(crs="EPSG:32631", communities=paris)).to_epsg() == 32631


def test_characters_no_sheet_font_draws_are_left_out_without_a_warning(plan):
    # An emoji in an OSM name (Harbin has some): Noto CJK and DejaVu have no glyph for it; matplotlib would
    # warn (an error in this suite) and print an empty box.
    roads = plan.roads.assign(name=plan.roads["name"].replace({"宣化街": "宣化街🚲"}))
    resources = plan.resources.assign(name=plan.resources["name"].replace({"废弃锅炉房": "废弃 🏠 锅炉房"}))
    fig = sheets.sheet_figure(replace(plan, roads=roads, resources=resources), "districts", when=DAY)
    fig.canvas.draw()
    lines = texts(fig)
    assert "宣化街" in lines and "废弃 锅炉房" in lines
    assert not any(ch in line for line in lines for ch in "🚲🏠")


def test_drawable_text_keeps_what_the_font_has():
    chars = sheets.font_chars((sheets.find_cjk_font(), "DejaVu Sans"))
    assert sheets.drawable_text("哈尔滨 Café № 1\n二期", chars) == "哈尔滨 Café № 1\n二期"
    assert sheets.drawable_text("🏠 红星小区", chars) == "红星小区"


def test_a_district_sheet_names_an_unnamed_community_with_a_gap_by_its_id(plan):
    communities = plan.communities.assign(name=plan.communities["name"].where(plan.communities["feature_id"] != "c1"))
    unnamed = plan_layers(crs=fx.CRS, communities=communities, districts=fx.districts(), members=fx.members(),
                          gaps=fx.gaps(), facility_zh=fx.FACILITY_ZH, level_zh=fx.LEVEL_ZH)
    lines = "\n".join(texts(sheets.sheet_figure(select_district(unnamed, "D1"), "district", when=DAY)))
    assert "未命名小区（c1）" in lines and "nan" not in lines


@pytest.mark.parametrize("theme, district", [("districts", None), ("district", "D2")])
def test_a_resource_without_a_name_is_listed_by_its_id(plan, theme, district):
    """OSM resources often have no name: a string column holds NA there, which is not a truth value."""
    resources = plan.resources.assign(name=pd.array([pd.NA, "废弃锅炉房"], dtype="string"))
    layers = replace(plan, resources=resources)
    lines = "\n".join(texts(sheets.sheet_figure(select_district(layers, district) if district else layers, theme,
                                                when=DAY)))
    assert "b1（锅炉房" in lines and "<NA>" not in lines
