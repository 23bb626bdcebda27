import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import plan_data as fx
import pytest
from plan_data import XSS_NAME
from pyproj import Transformer
from shapely.geometry import Point

from gisplanner.export import webmap
from gisplanner.export.layers import select_district


class Page(HTMLParser):
    """Collects what a browser would fetch or run: tags with src/href, script bodies, visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.start_tags: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.start_tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith(("#", "data:")):
                self.external.append(value)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


def features(markup: str) -> list[dict]:
    """Every GeoJSON feature folium put in the page's script."""
    found = re.findall(r"geo_json_\w+_add\((\{.*\})\);$", markup, flags=re.M)
    return [f for data in found for f in json.loads(data)["features"]]


@pytest.fixture
def page_html(plan, tmp_path) -> str:
    return webmap.write_web_map(plan, tmp_path / "map.html").read_text(encoding="utf-8")


def test_page_fetches_nothing_from_the_network(page_html):
    assert parse(page_html).external == []


def test_page_carries_leaflet_inline(page_html):
    scripts = parse(page_html).scripts
    assert any("Leaflet 1.9.3" in s for s in scripts)
    assert any("L.map(" in s for s in scripts)


def test_page_says_it_works_offline_without_tiles(page_html):
    text = "".join(parse(page_html).text)
    assert webmap.OFFLINE_NOTE in text
    assert "© OpenStreetMap contributors" in text
    assert "tileLayer(" not in "".join(parse(page_html).scripts[1:])


def test_layers_can_be_toggled(page_html):
    control = re.search(r"overlays :\s*\{(.*?)\}", page_html, flags=re.S).group(1)
    names = [json.loads(f'"{n}"') for n in re.findall(r'"((?:[^"\\]|\\.)*)" :', control)]
    assert names == list(webmap.LAYERS) == ["道路", "小区", "生活圈缺口", "服务范围", "片区资源", "推荐候选用地",
                                            "片区", "拟建设施", "日照（按建筑）"]


def test_a_sensible_set_of_layers_is_on_when_the_page_opens(page_html):
    script = "".join(parse(page_html).scripts)
    added = set(re.findall(r"(feature_group_\w+)\.addTo\(map_\w+\)", script))
    names = {json.loads(f'"{n}"'): v for n, v in re.findall(r'"((?:[^"\\]|\\.)*)" : (feature_group_\w+)',
                                                             script)}
    shown = sorted(n for n, v in names.items() if v in added)
    assert shown == sorted(["道路", "片区", "小区", "生活圈缺口", "片区资源", "拟建设施"])


def test_legend_has_a_row_for_every_layer(page_html):
    legend = re.search(r"<details id='plan-legend' open>(.*?)</details>", page_html, flags=re.S).group(1)
    rows = [r for r in parse(legend).text if r.strip()]
    for name in webmap.LAYERS:
        assert name in rows, name


def test_scale_bar_is_metric_only(page_html):
    script = "".join(parse(page_html).scripts[1:])
    assert "L.control.scale({metric: true, imperial: false})" in script
    assert "imperial: true" not in script and '"imperial": true' not in script


def test_page_has_a_chinese_title_and_lets_a_phone_zoom(page_html):
    assert page_html.lstrip().startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    assert "<title>老旧小区改造片区规划 · 全部片区 · 网页地图</title>" in page_html
    viewport = re.findall(r'<meta name="viewport" content="([^"]*)"', page_html)
    assert viewport == ["width=device-width, initial-scale=1"]


def test_page_carries_no_third_party_attribution(page_html):
    script = "".join(parse(page_html).scripts[1:])
    assert '"attributionControl": false' in script
    assert "leafletjs.com" not in "".join(parse(page_html).text)


def test_script_in_a_name_stays_text(page_html):
    assert XSS_NAME not in page_html
    # The browser inserts each popup and tooltip with innerHTML: parse them the same way.
    named = [f for f in features(page_html) if "alert(1)" in f["properties"].get("_popup", "")]
    assert len(named) >= 3  # the community, its gaps, the idle land, the proposed facility
    for feature in named:
        for key in ("_popup", "_label"):
            fragment = parse(feature["properties"][key])
            assert "script" not in fragment.start_tags
        assert XSS_NAME in "".join(parse(feature["properties"]["_popup"]).text)


def test_popups_show_statistics(page_html):
    popups = {f["properties"]["_label"]: parse(f["properties"]["_popup"]) for f in features(page_html)
              if "_popup" in f["properties"]}
    text = "".join(popups["三辅小区"].text)
    assert "户数510.50" in text and "楼栋数7" in text and "建成年代1995" in text


def test_braces_in_data_cannot_open_a_template_tag():
    assert webmap.popup_table("{% raw %}", []) == "<b>&#123;% raw %&#125;</b><table></table>"


def test_districts_are_drawn_as_outlines_so_community_popups_stay_reachable(page_html):
    districts = [f for f in features(page_html) if f["properties"]["_label"] in ("花园片区", "革新片区")]
    assert [f["geometry"]["type"] for f in districts] == ["LineString", "LineString"]


def test_district_without_gaps_has_empty_gap_layer(plan, tmp_path):
    markup = webmap.write_web_map(select_district(plan, "D2"), tmp_path / "d2.html").read_text(encoding="utf-8")
    labels = [f["properties"]["_label"] for f in features(markup)]
    assert not any("项缺口" in label for label in labels)
    assert "革新片区" in "".join(parse(markup).text)


def test_district_without_resources_maps_cleanly(plan, tmp_path):
    markup = webmap.write_web_map(select_district(plan, "D1"), tmp_path / "d1.html").read_text(encoding="utf-8")
    labels = [f["properties"]["_label"] for f in features(markup)]
    assert "废弃锅炉房" not in labels
    assert any("2 项缺口" in label for label in labels)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_scripts_parse_as_javascript(page_html, tmp_path):
    script = tmp_path / "page.js"
    script.write_text("\n;\n".join(parse(page_html).scripts), encoding="utf-8")
    subprocess.run(["node", "--check", str(script)], check=True, capture_output=True)


def test_legend_explains_the_verdict_and_sunlight_colours(page_html):
    text = [t for t in parse(page_html).text if t.strip()]
    proposed, sun = text.index("拟建设施"), text.index("日照（按建筑）")
    assert text[proposed + 1] == "需征询居民意见"  # only verdicts drawn are listed: P1's worst is consult
    assert "有条件" not in text
    assert text[sun + 1] == "窗台新增不满足日照"
    assert "窗台日照不受影响" not in text  # unaffected sills stay off the web map


def test_web_map_shows_each_building_with_sills_of_concern_once(page_html):
    sills = [f for f in features(page_html) if f["geometry"]["type"] == "Point"]
    assert [f["properties"]["_label"] for f in sills] == ["窗台新增不满足日照：建筑 b7，2 个窗台中 1 个，最少 1.50 小时"]
    lon, lat = sills[0]["geometry"]["coordinates"]  # at the footprint of b7, not at either sill
    x, y = Transformer.from_crs(4326, fx.CRS, always_xy=True).transform(lon, lat)
    assert fx.buildings().geometry.iloc[0].contains(Point(x, y))


def test_roads_carry_their_names(page_html):
    roads = [f for f in features(page_html) if f["geometry"]["type"] == "LineString" and "_popup" not in f["properties"]]
    assert [f["properties"]["_label"] for f in roads] == ["宣化街"]  # the footway is left to the sheets


def test_chinese_is_written_as_itself_and_markup_stays_escaped(page_html):
    data = "\n".join(re.findall(r"^\s*geo_json_\w+_add\(.*$", page_html, flags=re.M))
    assert "宣西小区" in data and "\\u5ba3" not in data  # 宣 as one character, not a six-byte escape
    assert "<script>" not in data and "</" not in data  # a name can never close the page's script
    assert '"bbox"' not in data  # no per-feature bounding boxes either


def test_unescape_keeps_escaped_backslashes_and_separators():
    line = r'geo_json_x_add({"a": "\u5b89\\u5b89\u2028\u003c"});'
    assert webmap._DATA_LINE.sub(lambda m: webmap._ESCAPED.sub(webmap._unescape, m.group(0)), line) == \
        r'geo_json_x_add({"a": "安\\u5b89\u2028\u003c"});'
