import dataclasses
from html.parser import HTMLParser

import geopandas as gpd
import pytest
from shapely import Point, box

from gisplanner.analysis.checks import CheckResult
from gisplanner.analysis.placement import PlacementReport
from gisplanner.export.report_html import _scale_bar_m, report_html, report_svg, write_report_html
from gisplanner.labels import codes

CRS = "EPSG:32652"
EVIL = "<script>alert(1)</script>"


class _Collect(HTMLParser):
    """Start tags with their attributes, and all text, as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page):
    parser = _Collect()
    parser.feed(page)
    parser.close()
    return parser


def _report(name=EVIL):
    checks = (
        CheckResult("site_status", "锅炉房停用", "fail", f"the boiler room {EVIL} is still 'in_service'",
                    {"site": "boiler_rooms:br1", "status": "in_service"}, ("S-mnr2024",),
                    ("move the heat supply",)),
        CheckResult("land_use", "用地性质", "warn", "statutory_procedure",
                    {"parcels": [{"parcel_id": "g1", "current_name": EVIL, "overlap": 2500.0}],
                     "triggered_checks": ["green", "sunlight"]}, (EVIL,), ()),
        CheckResult("green_public_lc10", "公共绿地", "pass", "ok", {"after_m2_per_person": 1.23456}),
    )
    return PlacementReport("kindergarten", "幼儿园", name, "conversion", "boiler_rooms:br1",
                           box(100, 100, 120, 120).wkt, CRS, "refused", checks, "2026-01-01T00:00:00+00:00")


def _context():
    green = gpd.GeoDataFrame({"name": [EVIL]}, geometry=[box(0, 0, 50, 50)], crs=CRS)
    boilers = gpd.GeoDataFrame({"name": ["一号锅炉房"]}, geometry=[Point(110, 110)], crs=CRS)
    return {"green_space": green, "boiler_rooms": boilers}


def test_script_in_names_is_text_not_an_element():
    page = _parse(report_html(_report(), context=_context()))
    assert "script" not in [tag for tag, _ in page.tags]
    assert any(EVIL in chunk for chunk in page.text)


def test_page_shows_every_check_with_its_verdict_class():
    page = _parse(report_html(_report()))
    classes = [attrs.get("class") for tag, attrs in page.tags if tag == "td" and attrs.get("class")]
    assert classes == ["v-fail", "v-warn", "v-pass"]
    # The overall and verdict words are those of the one label table, as in the app and the exports.
    assert codes("overall")["refused"] in page.text
    assert codes("verdict")["warn"] in page.text


def test_record_lists_become_tables_with_chinese_headers_and_numbers_are_rounded():
    text = "".join(_parse(report_html(_report())).text)
    assert "地块编号" in text and "2,500" in text
    assert "1.23" in text and "绿地、日照" in text


def test_codes_sites_and_sources_are_named():
    text = "".join(_parse(report_html(_report())).text)
    assert "锅炉房 br1" in text and "存量房屋改建" in text and "在用" in text
    assert "《关于进一步加强规划土地政策支持老旧小区改造更新工作的通知》" in text  # S-mnr2024
    assert "S-mnr2024" not in text


def test_the_site_is_named_by_layer_id_and_its_name():
    text = "".join(_parse(report_html(dataclasses.replace(_report(), site_name="一号锅炉房"))).text)
    assert "锅炉房 br1 一号锅炉房" in text


def test_map_draws_the_footprint_in_pixels():
    # 20 m footprint with 10 m margin: a 40 m window (x, y 90..130) at 400 px is 10 px per metre, y flipped;
    # box() rings start at (maxx, miny) and run counter-clockwise.
    svg = report_svg(box(100, 100, 120, 120), margin_m=10, width_px=400)
    footprint = [attrs for tag, attrs in _parse(svg).tags if tag == "path"][-1]
    assert footprint["d"] == "M300.0 300.0 L300.0 100.0 L100.0 100.0 L100.0 300.0 L300.0 300.0 Z"


def test_map_draws_only_context_inside_the_window():
    far = gpd.GeoDataFrame({"name": ["far"]}, geometry=[box(5000, 5000, 5100, 5100)], crs=CRS)
    svg = report_svg(box(100, 100, 120, 120), {"green_space": far, **_context()}, margin_m=150)
    tags = [tag for tag, _ in _parse(svg).tags]
    # green near (one path), boiler room point (circle), footprint (path); the far park is left out.
    assert tags.count("path") == 2 and tags.count("circle") == 1


def test_point_footprint_is_drawn_as_a_marker():
    tags = [tag for tag, _ in _parse(report_svg(Point(0, 0), margin_m=50)).tags]
    assert tags.count("circle") == 1 and "path" not in tags


@pytest.mark.parametrize(("span", "bar"), [(340, 50), (1000, 200), (45, 10)])
def test_scale_bar_is_a_round_length_under_a_quarter_of_the_width(span, bar):
    assert _scale_bar_m(span) == bar


def test_write_report_html_writes_utf8(tmp_path):
    path = write_report_html(_report("幼儿园改造"), tmp_path / "r.html", attribution="© OpenStreetMap contributors")
    text = path.read_text(encoding="utf-8")
    assert "幼儿园改造" in text and "© OpenStreetMap contributors" in text
