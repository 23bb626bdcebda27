"""Styles split frames into legend classes: graduated bins, fixed and palette categories, colour ramps."""

import numpy as np
import pandas as pd

from gisplanner.ui.styles import RAMPS, Style, classify, default_style, display_name, ramp_colors


def test_graduated_classes_follow_the_breaks():
    frame = pd.DataFrame({"shortfall_m": [50.0, 100.0, 100.1, 700.0, np.nan]})
    style = Style(kind="graduated", column="shortfall_m", ramp="shortfall", breaks=(100.0, 500.0), unit="m")
    classes = classify(frame, style)
    assert [c.label for c in classes] == ["≤ 100 m", "100–500 m", "> 500 m", "无数据"]
    assert [np.flatnonzero(c.mask).tolist() for c in classes] == [[0, 1], [2], [3], [4]]


def test_every_row_lands_in_exactly_one_class():
    frame = pd.DataFrame({"hours": np.linspace(-1, 9, 101)})
    classes = classify(frame, default_style("sill_points"))
    assert np.sum([c.mask for c in classes], axis=0).tolist() == [1] * 101


def test_fixed_categories_come_first_with_their_colours_then_palette():
    frame = pd.DataFrame({"status": ["reduced", "other", "newly_failing", "reduced"]})
    classes = classify(frame, default_style("sunlight_impact"))
    assert [c.label for c in classes] == ["新增不达标窗户", "日照减少仍达标", "other"]
    assert classes[0].fill == "#b30000"
    assert classes[1].mask.tolist() == [True, False, False, True]


def test_missing_style_column_falls_back_to_one_class():
    classes = classify(pd.DataFrame({"x": [1, 2]}), default_style("gaps"))
    assert len(classes) == 1 and classes[0].mask.all()


def test_ramp_ends_are_the_ramp_stops():
    colors = ramp_colors("shortfall", 9)
    assert colors[0] == RAMPS["shortfall"][0] and colors[-1] == RAMPS["shortfall"][-1]
    assert colors[4] == RAMPS["shortfall"][2]  # the middle of 9 samples falls on the middle of 5 stops


def test_display_names_in_chinese_with_suffix():
    assert display_name("communities") == "小区"
    assert display_name("gaps_lc5") == "生活圈服务缺口 lc5"
    assert display_name("whatever") == "whatever"


def test_every_spatial_output_of_the_catalogue_has_its_own_style():
    from gisplanner import catalogue
    from gisplanner.ui.styles import HIDDEN_RESULTS, RESULT_STYLES

    spatial = {o.name for o in catalogue.OUTPUTS.values() if o.spatial}
    assert spatial <= set(RESULT_STYLES)
    assert HIDDEN_RESULTS <= spatial


def test_every_output_has_a_chinese_layer_name():
    from gisplanner import catalogue

    for name in catalogue.OUTPUTS:
        assert display_name(name) != name and not display_name(name).isascii(), name
