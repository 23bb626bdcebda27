"""Import wizard, standards settings with reasoned overrides, layers panel, identify, error texts."""

import geopandas as gpd
import pytest
import shapely
from PyQt6.QtCore import Qt

from gisplanner.errors import InputError
from gisplanner.project import Project
from gisplanner.ui.dialogs import ImportWizard, StandardsDialog, error_text
from gisplanner.ui.layer_store import LayerStore
from gisplanner.ui.layers_panel import LayersPanel
from gisplanner.ui.main_window import MainWindow
from gisplanner.ui.styles import classify


@pytest.fixture
def communities_file(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["和平小区", "革新小区"], "households": [300, 200]},
        geometry=[shapely.box(126.640, 45.745, 126.642, 45.746), shapely.box(126.643, 45.745, 126.645, 45.746)],
        crs=4326)
    path = tmp_path / "xiaoqu.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def new_window(qtbot, settings):
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.ask = lambda title, text: True  # pytest-qt closes it at teardown; unsaved edits would ask
    return window


def test_input_error_text_names_where_and_what_to_do():
    title, details = error_text(InputError("no households field", file="a.shp", layer="communities",
                                           feature="C7", fix="map the field"))
    assert title == "输入数据有问题"
    assert details.splitlines() == ["文件：a.shp", "图层：小区", "要素：C7",
                                    "问题：no households field", "怎么办：map the field"]


def test_unexpected_error_still_says_what_to_do():
    title, details = error_text(KeyError("household"))
    assert title == "程序出错" and "怎么办" in details and "KeyError" in details


def test_numeric_error_is_explained_as_input():
    title, details = error_text(ZeroDivisionError("division by zero"))
    assert title == "输入数据有问题" and "数值计算失败" in details and "怎么办" in details


def test_import_wizard_roles_then_import_in_a_worker(qtbot, settings, communities_file):
    window = new_window(qtbot, settings)
    wizard = ImportWizard(window)
    qtbot.addWidget(wizard)
    wizard.add_files([str(communities_file)])
    wizard._fill_roles()
    combo = wizard.roles.cellWidget(0, 1)
    assert wizard.roles.item(0, 0).text() == "xiaoqu" and combo.currentData() == "skip"  # name says nothing
    assert wizard.role_map == {"xiaoqu": "skip"}
    combo.setCurrentIndex(combo.findData("communities"))
    assert wizard.role_map == {"xiaoqu": "communities"}
    with qtbot.waitSignal(window.store.project_replaced, timeout=30_000):
        window.import_files(wizard)
    qtbot.waitUntil(lambda: window.worker is None)
    project = window.store.project
    assert list(project.layers) == ["communities"]
    assert project.crs.is_projected
    assert window.store.names == ["communities"]
    assert "population" in window.import_report.detailedText()  # the estimate is reported


def test_field_page_presets_detected_fields_and_passes_corrections(qtbot, settings, communities_file, tmp_path):
    frame = gpd.read_file(communities_file).rename(columns={"households": "户数"})
    frame["人口数量"] = [900.0, 650.0]  # a field name the detection does not know
    path = tmp_path / "xiaoqu.geojson"
    frame.to_file(path, driver="GeoJSON")
    window = new_window(qtbot, settings)
    wizard = ImportWizard(window)
    qtbot.addWidget(wizard)
    wizard.add_files([str(path)])
    wizard._fill_roles()
    combo = wizard.roles.cellWidget(0, 1)
    combo.setCurrentIndex(combo.findData("communities"))
    wizard._fill_fields()
    rows = {wizard.fields.item(r, 2).text(): wizard.fields.cellWidget(r, 3) for r in range(wizard.fields.rowCount())}
    assert rows["households"].currentData() == "户数" and rows["name"].currentData() == "name"
    assert rows["population"].currentData() is None
    assert wizard.field_maps == {}
    rows["population"].setCurrentIndex(rows["population"].findData("人口数量"))
    assert wizard.field_maps == {"communities": {"population": "人口数量"}}
    with qtbot.waitSignal(window.store.project_replaced, timeout=30_000):
        window.import_files(wizard)
    qtbot.waitUntil(lambda: window.worker is None)
    communities = window.store.project.layer("communities")
    assert communities["population"].tolist() == [900.0, 650.0]
    assert not communities["population_estimated"].any()


@pytest.fixture
def standards_dialog(qtbot):
    dialog = StandardsDialog(Project(city="harbin"))
    qtbot.addWidget(dialog)
    return dialog


def _row_of(dialog, path):
    return next(i for i, r in enumerate(dialog._rows) if r is not None and r.path == path)


def test_standards_table_names_entries_status_and_source_in_chinese(standards_dialog):
    row = _row_of(standards_dialog, "levels.levels.lc10.walk_distance_m")
    table = standards_dialog.table
    assert table.item(row, 0).text() == "步行距离（m）"
    assert table.item(row, 2).text() == "条文已核对"  # V2
    assert table.item(row, 3).text() == "《中国大百科全书》“十分钟生活圈居住区”词条"
    assert standards_dialog.city.currentData() == "harbin"


def test_standards_are_grouped_by_table_under_a_heading_row(standards_dialog):
    row = _row_of(standards_dialog, "levels.levels.lc10.walk_distance_m")
    heading = max(r for r in range(row) if standards_dialog._rows[r] is None)
    assert standards_dialog.table.item(heading, 0).text().startswith("生活圈层级 · 十分钟生活圈居住区")
    assert standards_dialog.table.columnSpan(heading, 0) == len(standards_dialog.COLUMNS)


def test_sources_name_the_document_and_article(standards_dialog):
    row = _row_of(standards_dialog, "sunlight.sill_height_m.value")
    assert standards_dialog.table.item(row, 3).text().startswith("GB 50180-2018《城市居住区规划设计标准》表 4.0.9")


def test_code_values_are_shown_named_and_edited_back_to_codes(standards_dialog):
    row = _row_of(standards_dialog, "settings.districts.barrier_highways.value")
    item = standards_dialog.table.item(row, 1)
    assert item.text() == "高速公路、快速路、主干路"
    standards_dialog.ask_reason = lambda path: "本市次干路也分隔片区"
    item.setText("高速公路、快速路、主干路、次干路")
    path, value, _ = standards_dialog.overrides[-1]
    assert (path, value) == ("settings.districts.barrier_highways.value", ["motorway", "trunk", "primary", "secondary"])


def test_filter_keeps_the_heading_of_matching_rows(standards_dialog):
    standards_dialog.search.setText("窗台高度")
    shown = [r for r in range(standards_dialog.table.rowCount()) if not standards_dialog.table.isRowHidden(r)]
    assert [standards_dialog._rows[r] is None for r in shown] == [True, False]


def test_override_asks_for_a_reason_and_records_it(standards_dialog):
    row = _row_of(standards_dialog, "levels.levels.lc10.walk_distance_m")
    asked = []
    standards_dialog.ask_reason = lambda path: asked.append(path) or "本市控规要求"
    standards_dialog.table.item(row, 1).setText("600")
    assert asked == ["levels.levels.lc10.walk_distance_m"]
    assert standards_dialog.overrides == [("levels.levels.lc10.walk_distance_m", 600, "本市控规要求")]
    assert standards_dialog.table.item(row, 2).text() == "本项目修改"


def test_override_without_a_reason_is_undone(standards_dialog):
    row = _row_of(standards_dialog, "levels.levels.lc10.walk_distance_m")
    original = standards_dialog.table.item(row, 1).text()
    standards_dialog.ask_reason = lambda path: None
    standards_dialog.table.item(row, 1).setText("600")
    assert standards_dialog.overrides == []
    assert standards_dialog.table.item(row, 1).text() == original


@pytest.fixture
def panel(qtbot):
    frame = gpd.GeoDataFrame({"feature_id": ["A", "B", "C"], "district_id": ["D1", "D2", "D1"]},
                             geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:32652")
    store = LayerStore()
    store.set_frame("communities", frame.drop(columns="district_id"), kind="role")
    store.set_frame("districts", frame)
    widget = LayersPanel(store)
    qtbot.addWidget(widget)
    return widget


def test_panel_lists_layers_top_first_with_legend_classes(panel):
    tree = panel.tree
    assert [tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(2)] == ["districts",
                                                                                          "communities"]
    districts = panel.item("districts")
    layer = panel.store.layer("districts")
    assert districts.childCount() == len(classify(layer.frame, layer.style)) == 2
    assert districts.child(0).text(0).startswith("D1") and "(2)" in districts.child(0).text(0)


def test_panel_checkbox_opacity_and_order_reach_the_store(panel):
    panel.item("districts").setCheckState(0, Qt.CheckState.Unchecked)
    assert not panel.store.layer("districts").visible
    panel.tree.setCurrentItem(panel.item("communities"))
    assert panel.store.active == "communities"
    panel.opacity.setValue(30)
    assert panel.store.layer("communities").opacity == pytest.approx(0.3)
    panel.buttons["up"].click()
    assert panel.store.names == ["districts", "communities"]
    assert not panel.buttons["remove"].isEnabled()  # role layers are not removed from the panel


def test_identify_lists_the_features_under_the_click(qtbot, settings, demo_file):
    window = new_window(qtbot, settings)
    window.open_path(demo_file)
    community = window.store.layer("communities").frame.iloc[0]
    point = community.geometry.representative_point()
    dialog = window.identify(shapely.box(point.x - 1, point.y - 1, point.x + 1, point.y + 1))
    qtbot.addWidget(dialog)
    layers = [dialog.tree.topLevelItem(i).text(0) for i in range(dialog.tree.topLevelItemCount())]
    assert "小区" in layers
    item = dialog.tree.topLevelItem(layers.index("小区"))
    assert item.child(0).text(0) == community["feature_id"]
