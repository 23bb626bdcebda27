"""One error boundary in the CLI: file-system, GDAL, GEOS, numeric failures and Ctrl-C become one Chinese line."""

import errno
import json

import pytest
import shapely

from gisplanner.errors import ConfigError, InputError, explain
from tests.reliability.conftest import assert_refused, digest


def _fail_with(monkeypatch, exc):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr("gisplanner.workflow.run", boom)


@pytest.mark.parametrize("exc, words", [
    (OSError(errno.ENOSPC, "No space left on device", "/data/out.gpkg"), ("磁盘已满", "/data/out.gpkg")),
    (PermissionError(errno.EACCES, "Permission denied", "/data/x"), ("没有读写权限", "/data/x")),
    (shapely.errors.GEOSException("TopologyException: side location conflict"), ("几何运算失败",)),
    (FloatingPointError("overflow encountered"), ("数值计算失败",)),
    (MemoryError(), ("内存不足",)),
    (ZeroDivisionError("division by zero"), ("数值计算失败",)),
])
def test_failures_inside_a_command_become_one_line(cli, project_file, monkeypatch, exc, words):
    _fail_with(monkeypatch, exc)
    before = digest(project_file)
    assert_refused(cli("districts", project_file, "--out", project_file.with_name("d.gpkg")), *words)
    assert digest(project_file) == before


def test_ctrl_c_prints_cancelled_and_exits_130(cli, project_file, monkeypatch):
    _fail_with(monkeypatch, KeyboardInterrupt())
    before = digest(project_file)
    code, _, err = cli("districts", project_file, "--out", project_file.with_name("d.gpkg"))
    assert code == 130 and "已取消" in err
    assert digest(project_file) == before


def test_an_unexpected_error_is_one_line_without_traceback(cli, project_file, monkeypatch):
    _fail_with(monkeypatch, KeyError("surprise"))
    code, _, err = cli("districts", project_file, "--out", project_file.with_name("d.gpkg"))
    assert code == 2 and "程序内部错误" in err and "-v" in err and err.count("\n") == 1


def test_a_full_disk_while_saving_leaves_the_project_byte_identical(cli, project_file, monkeypatch):
    import pyogrio

    real = pyogrio.write_dataframe

    def full(frame, path, **kw):
        if ".saving-" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(frame, path, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    before = digest(project_file)
    assert_refused(cli("districts", project_file, "--out", project_file.with_name("d.gpkg")), "磁盘已满")
    assert digest(project_file) == before
    assert not list(project_file.parent.glob(".P.saving-*"))


def test_a_damaged_input_file_is_named(cli, project_file, tmp_path):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"this is no GeoPackage" * 20)
    before = digest(project_file)
    code, _, err = cli("import", bad, "--project", project_file)
    assert code == 2 and "broken.gpkg" in err and "问题" in err
    assert digest(project_file) == before


def test_a_missing_output_folder_is_created(cli, project_file):
    out = project_file.parent / "new" / "deeper" / "d.gpkg"
    code, _, err = cli("districts", project_file, "--out", out, "--no-save")
    assert code == 0, err
    assert out.exists()


def test_a_file_in_the_way_of_the_output_folder_is_named(cli, project_file):
    blocker = project_file.parent / "blocker"
    blocker.write_text("x")
    assert_refused(cli("districts", project_file, "--out", blocker / "d.gpkg"), "blocker", "挡住")


def test_an_output_that_is_a_folder_is_refused(cli, project_file):
    assert_refused(cli("districts", project_file, "--out", project_file.parent), "文件夹")


def test_an_output_in_a_read_only_folder_is_refused(cli, project_file, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert_refused(cli("districts", project_file, "--out", locked / "d.gpkg", "--no-save"), "locked", "只读")
    finally:
        locked.chmod(0o755)


def test_an_export_folder_where_a_file_stands_is_refused(cli, project_file):
    stands = project_file.parent / "pkg"
    stands.write_text("x")
    before = digest(project_file)
    assert_refused(cli("export", project_file, "--out", stands), "pkg")
    assert digest(project_file) == before


def test_import_json_mode_reports_the_error_as_json(cli, project_file, tmp_path):
    code, out, err = cli("import", tmp_path / "absent.geojson", "--project", project_file, "--json")
    assert code == 2 and "absent.geojson" in err
    assert "absent.geojson" in json.loads(out)["error"]


@pytest.mark.parametrize("code, words", [(errno.ENOENT, "不存在"), (errno.EROFS, "只读"), (errno.ENOTDIR, "挡住"),
                                         (errno.EISDIR, "文件夹"), (errno.EDQUOT, "配额")])
def test_each_errno_gets_its_own_explanation(code, words):
    explained = explain(OSError(code, "x", "/a/b"))
    assert isinstance(explained, InputError) and words in explained.message and explained.file == "/a/b"
    assert explained.fix


def test_an_input_error_reads_in_chinese_wherever_it_is_printed():
    exc = InputError("条目无法读取", file="p.gpkg", layer="gisplanner_meta", feature="crs", fix="打开备份")
    assert str(exc) == "条目无法读取（文件 p.gpkg，图层 项目设置表（gisplanner_meta），要素 crs）；怎么办：打开备份"


def test_a_config_error_names_file_key_and_value_in_chinese():
    exc = ConfigError("不是数字", file="green.yaml", key="ratio.new", value="abc")
    assert str(exc) == "不是数字（文件 green.yaml，键 ratio.new，值 'abc'）"
