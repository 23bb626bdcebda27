"""Chinese survey layers and ledgers (台账): headers, values as written, and the join of a ledger by name."""

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.affinity

from gisplanner.errors import InputError
from gisplanner.io.importer import import_layers
from gisplanner.io.ledger import read_ledger
from gisplanner.project import Project

K_LON, K_LAT = 111320.0 * 0.6984, 110540.0  # metres per degree near Harbin (45.74° N)


def to_lonlat(geom):
    return shapely.affinity.affine_transform(geom, [1 / K_LON, 0, 0, 1 / K_LAT, 126.64, 45.74])


def _blocks(n, size=150.0, gap=40.0):
    return [to_lonlat(shapely.box(i * (size + gap), 0, i * (size + gap) + size, size)) for i in range(n)]


def _shapefile(tmp_path, frame):
    path = tmp_path / "小区.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as many Chinese survey files come: no .cpg
    return path


def _xlsx(tmp_path, header, rows, title=True):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["南岗区老旧小区改造台账（2024年）"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "台账.xlsx"
    book.save(path)
    return path


def test_a_gbk_shapefile_with_national_table_headers_imports_values_as_written(tmp_path):
    frame = gpd.GeoDataFrame({"小区名称": ["宣西小区", "三辅小区", "四史小区"],
                              "居民户数": ["342", "1,200", "约300户"],
                              "竣工年份": ["1985年", "85年", "2000年代"],
                              "楼栋数": ["6", "12", "4"]}, geometry=_blocks(3), crs=4326)
    project = Project()
    report = import_layers(project, [_shapefile(tmp_path, frame)])
    xq = project.layer("communities")
    assert xq["name"].tolist() == ["宣西小区", "三辅小区", "四史小区"]
    assert xq["households"].tolist() == [342.0, 1200.0, 300.0]
    assert xq["households_estimated"].tolist() == [False, False, True]
    assert xq["built_year"].tolist()[:2] == [1985, 1985] and pd.isna(xq["built_year"].iloc[2])
    assert (xq["built_year_low"].iloc[2], xq["built_year_high"].iloc[2]) == (2000, 2009)
    assert xq["n_buildings"].tolist() == [6, 12, 4]  # the survey's own counts, not mapped buildings
    assert [f.feature for f in report.of("value_ambiguous")] == [xq["feature_id"].iloc[2]]
    assert len(report.of("value_estimated")) >= 2  # 约300户 and 85年


def test_implausible_values_are_findings_and_not_used(tmp_path):
    frame = gpd.GeoDataFrame({"小区名称": ["甲", "乙"], "户数": ["-50", "200"], "建成年份": ["1985", "2099"]},
                             geometry=_blocks(2), crs=4326)
    project = Project()
    report = import_layers(project, [_shapefile(tmp_path, frame)])
    xq = project.layer("communities")
    messages = [f.message for f in report.of("value_implausible")]
    assert any("户数为负数" in m for m in messages) and any("晚于今年" in m for m in messages)
    assert xq["households"].iloc[0] > 0 and xq["households_estimated"].iloc[0]
    assert pd.isna(xq["built_year"].iloc[1])


def test_a_community_over_the_area_limit_is_reported(tmp_path):
    huge = to_lonlat(shapely.box(0, 0, 1000, 910))  # 91 ha
    frame = gpd.GeoDataFrame({"小区名称": [None]}, geometry=[huge], crs=4326)
    project = Project()
    report = import_layers(project, [_shapefile(tmp_path, frame)])
    assert any("超过30公顷上限" in f.message for f in report.of("value_implausible"))


def _polygons(tmp_path, names, streets=None):
    columns = {"小区名称": names}
    if streets:
        columns["所属街道"] = streets
    frame = gpd.GeoDataFrame(columns, geometry=_blocks(len(names)), crs=4326)
    path = tmp_path / "xq.gpkg"
    pyogrio.write_dataframe(frame, path, layer="小区")
    return path


def test_an_xlsx_ledger_joins_by_name_with_households_and_years_as_in_the_source(tmp_path):
    polygons = _polygons(tmp_path, ["宣西小区", "三辅小区", "四史小区", None])  # unnamed polygons match nothing
    ledger = _xlsx(tmp_path, ["序号", "所属街道", "小区名称", "居民户数", "建成年代"],
                   [[1, "花园街道", "三辅小区", 342, "1987年"], [2, "花园街道", "宣西 小区", "1.2万", "八十年代"]])
    project = Project()
    report = import_layers(project, [polygons, ledger])
    xq = project.layer("communities").set_index("name")
    assert xq.loc["三辅小区", "households"] == 342.0 and not xq.loc["三辅小区", "households_estimated"]
    assert xq.loc["三辅小区", "built_year"] == 1987
    assert xq.loc["宣西小区", "households"] == 12000.0
    assert pd.isna(xq.loc["宣西小区", "built_year"]) and xq.loc["宣西小区", "built_year_high"] == 1989
    assert xq.loc["四史小区", "households_estimated"]  # not in the ledger: estimated as before
    assert not report.of("ledger_unmatched")


def test_a_ledger_joins_onto_communities_already_in_the_project(tmp_path):
    project = Project()
    import_layers(project, [_polygons(tmp_path, ["宣西小区", "三辅小区"])])
    import_layers(project, [_xlsx(tmp_path, ["小区名称", "户数"], [["三辅小区", "约300户"]], title=False)])
    xq = project.layer("communities").set_index("name")
    assert xq.loc["三辅小区", "households"] == 300.0 and xq.loc["三辅小区", "households_estimated"]


def test_unmatched_and_doubly_matched_ledger_rows_are_findings(tmp_path):
    polygons = _polygons(tmp_path, ["和平小区", "和平小区", "宣西小区"], streets=["花园街道", "革新街道", "花园街道"])
    ledger = _xlsx(tmp_path, ["小区名称", "所属街道", "户数"],
                   [["和平小区", "革新街道", 500], ["不存在小区", None, 10], ["宣西小区", None, 200],
                    ["宣西小区", None, 300]])
    project = Project()
    report = import_layers(project, [polygons, ledger])
    xq = project.layer("communities")
    assert xq["households"].tolist()[:3] == [pytest.approx(xq["households"].iloc[0]), 500.0, 200.0]
    assert xq["households_estimated"].tolist() == [True, False, False]  # the 花园街道 和平小区 is estimated
    assert [f.feature for f in report.of("ledger_unmatched")] == ["第4行"]  # the spreadsheet's row number
    assert [f.feature for f in report.of("ledger_duplicate")] == ["第6行"]


def test_a_name_shared_without_a_street_to_tell_them_apart_is_ambiguous(tmp_path):
    polygons = _polygons(tmp_path, ["和平小区", "和平小区"])
    ledger = _xlsx(tmp_path, ["小区名称", "户数"], [["和平小区", 500]], title=False)
    project = Project()
    report = import_layers(project, [polygons, ledger])
    assert len(report.of("ledger_ambiguous")) == 1
    assert project.layer("communities")["households_estimated"].all()


def test_a_gbk_csv_ledger_keeps_its_text(tmp_path):
    path = tmp_path / "台账.csv"
    path.write_bytes("小区名称,居民户数,竣工年份\n宣西小区,\"1,200\",90年代\n".encode("gb18030"))
    rows = read_ledger(path)
    assert rows.iloc[0].tolist() == ["宣西小区", "1,200", "90年代"]


def test_a_ledger_without_communities_is_refused_with_the_fix(tmp_path):
    ledger = _xlsx(tmp_path, ["小区名称", "户数"], [["三辅小区", 300]])
    with pytest.raises(InputError, match="小区图层"):
        import_layers(Project(), [ledger])
