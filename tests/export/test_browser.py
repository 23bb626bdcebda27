"""The exported web map and review page in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright through its executable path, so nothing is downloaded (scripts/bootstrap.sh installs both).

Checked at a meeting room's 1366×768 and a phone's 390×844: no request leaves file://, no console error, layer
toggles and a district popup work, names carrying ``<script>``/``onerror`` stay text and open no dialog, and the
layout keeps the map, the layer list and the legend on screen. Set ``GISPLANNER_SCREENSHOTS=DIR`` to keep the
screenshots (docs/ holds the demo's).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import plan_data as fx
import pytest
from pyproj import Transformer

from gisplanner.export import review, tables, webmap

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: bash scripts/test.sh "
                                                             "installs it (test extra)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: bash scripts/test.sh installs "
                                                          "it (apt-get install chromium)")]

ONERROR = "<img src=x onerror=alert(2)>"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The web map and review page of the small plan, with a district and a community named to attack."""
    plan = fx.build_plan()
    communities = plan.communities.copy()
    communities.loc[communities["feature_id"] == "c4", "name"] = ONERROR
    districts = plan.districts.copy()
    districts.loc[districts["district_id"] == "D2", "name"] = f"{ONERROR}革新片区"
    proposed = plan.proposed.copy()
    proposed.loc[0, "check_land_use"] = "fail"
    plan = replace(plan, communities=communities, districts=districts, proposed=proposed)
    out = tmp_path_factory.mktemp("browser")
    return {"webmap": webmap.write_web_map(plan, out / "webmap.html"),
            "review": review.write_review(plan, tables.plan_tables(plan, fx.items()), out / "review.html")}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A page opened in a fresh context, with everything it asked the network for and said on the console."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def visit(browser, path: Path, size: str) -> Visit:
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1, locale="zh-CN")
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))

    def dialog(d) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    # anything not a local file is refused, so a leak shows as a failed request as well as in the list
    context.route(lambda url: not url.startswith(("file:", "data:")), lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return seen


def keep(page, name: str) -> None:
    target = os.environ.get("GISPLANNER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / name))


def container_point(page, x: float, y: float) -> tuple[float, float]:
    """Page pixel of a point in the plan's CRS."""
    lon, lat = Transformer.from_crs(fx.CRS, 4326, always_xy=True).transform(x, y)
    point = page.evaluate("([lat, lon]) => planMap.latLngToContainerPoint(L.latLng(lat, lon))", [lat, lon])
    return point["x"], point["y"]


def overlay_count(page) -> int:
    return page.evaluate("() => { let n = 0; planMap.eachLayer(() => n++); return n; }")


@pytest.mark.parametrize("size", SIZES)
def test_web_map_stays_offline_and_quiet(browser, pages, size):
    seen = visit(browser, pages["webmap"], size)
    assert seen.requests and all(url.startswith(("file:", "data:")) for url in seen.requests), seen.requests
    assert seen.errors == []
    assert seen.page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert seen.page.title() == "老旧小区改造片区规划 · 全部片区 · 网页地图"
    seen.page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_layout_keeps_map_layers_and_legend_on_screen(browser, pages, size):
    seen = visit(browser, pages["webmap"], size)
    page = seen.page
    width, height = SIZES[size]
    box = page.locator(".folium-map").bounding_box()
    assert (box["width"], box["height"]) == (width, height)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # nothing runs off sideways
    control = page.locator(".leaflet-control-layers").bounding_box()
    note = page.locator("#plan-note").bounding_box()
    for b in (control, note):
        assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= width and b["y"] + b["height"] <= height
    overlaps = not (control["x"] + control["width"] <= note["x"] or note["x"] + note["width"] <= control["x"]
                    or control["y"] + control["height"] <= note["y"] or note["y"] + note["height"] <= control["y"])
    assert not overlaps
    expanded = "leaflet-control-layers-expanded" in page.locator(".leaflet-control-layers").get_attribute("class")
    legend_open = page.evaluate("() => document.getElementById('plan-legend').open")
    # a phone shows the map first: the layer list folds into its button and the legend closes
    assert (expanded, legend_open) == ((True, True) if size == "desktop" else (False, False))
    if size == "desktop":
        # the two controls leave most of the map free
        assert control["width"] * control["height"] + note["width"] * note["height"] < 0.3 * width * height
    keep(page, f"webmap_{width}x{height}.png")
    page.context.close()


def test_layer_toggles_add_and_remove_layers(browser, pages):
    seen = visit(browser, pages["webmap"], "desktop")
    page = seen.page
    before = overlay_count(page)
    service = page.locator(".leaflet-control-layers-overlays label", has_text="服务范围").locator("input")
    assert not service.is_checked()  # off when the page opens
    service.check()
    assert overlay_count(page) > before
    communities = page.locator(".leaflet-control-layers-overlays label", has_text="小区").first.locator("input")
    assert communities.is_checked()
    communities.uncheck()
    after = overlay_count(page)
    communities.check()
    assert overlay_count(page) > after
    assert seen.errors == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_district_popup_opens_on_its_outline(browser, pages, size):
    seen = visit(browser, pages["webmap"], size)
    page = seen.page
    x, y = container_point(page, fx.X0 + 210, fx.Y0 + 50)  # D1's east side, in the street between c2 and c3
    if size == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "花园片区" in text and "片区编号" in text and "D1" in text
    keep(page, f"webmap_popup_{SIZES[size][0]}x{SIZES[size][1]}.png")
    assert seen.errors == [] and seen.dialogs == []
    page.context.close()


def test_names_with_markup_stay_text_and_fire_nothing(browser, pages):
    seen = visit(browser, pages["webmap"], "desktop")
    page = seen.page
    page.mouse.move(*container_point(page, fx.X0 + 380, fx.Y0 + 50))  # c4's tooltip shows its name as written
    page.get_by_role("tooltip", name=ONERROR, exact=True).wait_for(timeout=5000)
    # c1 (<script>), c4 (onerror), D2's outline (onerror): each popup shows the name as written
    for (x, y), name in [((fx.X0 + 50, fx.Y0 + 50), fx.XSS_NAME), ((fx.X0 + 380, fx.Y0 + 50), ONERROR),
                         ((fx.X0 + 430, fx.Y0 + 20), f"{ONERROR}革新片区")]:
        page.mouse.click(*container_point(page, x, y))
        page.locator(".leaflet-popup-content", has_text=name).wait_for(timeout=5000)
    assert page.evaluate("() => document.querySelectorAll('.leaflet-pane img, .leaflet-pane script').length") == 0
    page.wait_for_timeout(300)  # an onerror handler would have run by now
    assert seen.dialogs == [] and seen.errors == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_review_page_reads_at_both_sizes_with_failures_marked(browser, pages, size):
    seen = visit(browser, pages["review"], size)
    page = seen.page
    width, _ = SIZES[size]
    assert seen.errors == [] and seen.dialogs == []
    assert all(url.startswith("file:") for url in seen.requests)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # tables scroll inside themselves
    failed = page.locator("td.fail").first
    assert "用地性质：不通过" in failed.inner_text()
    assert failed.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 224, 220)"
    lines = failed.locator("span.line")
    assert lines.count() == 5  # one verdict per line
    tops = [lines.nth(i).bounding_box()["y"] for i in range(5)]
    assert tops == sorted(tops) and len(set(tops)) == 5
    colour = [lines.nth(i).evaluate("e => getComputedStyle(e).color") for i in range(5)]
    assert colour[4] == "rgb(165, 15, 21)" and colour[0] != colour[4]  # only the failed check stands out
    assert ONERROR in page.locator("body").inner_text()
    keep(page, f"review_{width}x{SIZES[size][1]}.png")
    page.context.close()
