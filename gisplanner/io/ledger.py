"""Community ledgers (台账) without geometry: one row per community in .xlsx or .csv, joined onto the community
polygons by name, with the street (所属街道) and residents' committee (所属社区) to tell apart communities of one
name. Every ledger row that matches no polygon, or more than one, is a finding and changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from gisplanner.errors import InputError
from gisplanner.io.fields import CANDIDATES, detect_fields
from gisplanner.io.findings import Finding

SUFFIXES = (".xlsx", ".xlsm", ".csv")
#: Ledger columns joined onto communities (the rest of the canonical columns are the polygons' own).
JOINED = ("households", "population", "built_year", "n_buildings", "floor_area_m2", "area_type")
_HEADER_ROWS = 15  # a title (XX区老旧小区改造台账) and notes may stand above the header row


def is_ledger(path: str | Path) -> bool:
    """True for a spreadsheet or CSV file (a table without geometry)."""
    return Path(path).suffix.lower() in SUFFIXES


def _header_row(raw: pd.DataFrame) -> int:
    """The first row whose cells name a community (小区名称 ...): the header under any title rows."""
    for i in range(min(_HEADER_ROWS, len(raw))):
        cells = [str(c) for c in raw.iloc[i].tolist() if pd.notna(c)]
        if "name" in detect_fields(cells, "communities"):
            return i
    return -1


def read_ledger(path: str | Path) -> pd.DataFrame:
    """The rows of a ledger, every cell as written (text stays text: ``约300户``, ``八十年代``).

    The header is the first row naming a community (小区名称/名称 ...), so title rows above it are skipped;
    a CSV is read as UTF-8 (with or without BOM), else as GB18030.

    Raises
    ------
    InputError
        The file cannot be read, or no row within the first 15 names the community column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("文件不存在。", file=str(path), fix="检查路径和文件名。")
    try:
        if path.suffix.lower() == ".csv":
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    raw = pd.read_csv(path, header=None, dtype=object, encoding=encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise InputError("CSV文件既不是UTF-8也不是GBK/GB18030编码。", file=str(path),
                                 fix="在Excel或WPS中另存为“CSV UTF-8”后重新导入。")
        else:
            raw = pd.read_excel(path, header=None, dtype=object, sheet_name=0)
    except (OSError, ValueError) as exc:
        raise InputError(f"无法读取台账：{exc}", file=str(path),
                         fix="确认文件完整，且是.xlsx或.csv格式（.xls请另存为.xlsx）。") from None
    header = _header_row(raw)
    if header < 0:
        raise InputError("台账前15行中找不到小区名称列。", file=str(path),
                         fix="表头应有“小区名称”（或“名称”）列；也可用 --field communities.name=列名 指定。")
    columns = [str(c).strip() if pd.notna(c) else f"列{j + 1}" for j, c in enumerate(raw.iloc[header])]
    rows = raw.iloc[header + 1:].set_axis(columns, axis=1)
    rows = rows.dropna(how="all")
    rows.index = rows.index + 1  # the spreadsheet's own row number (1-based), named in findings
    return rows


def name_key(values: pd.Series) -> pd.Series:
    """Names compared loosely: full-width to half-width, no spaces or punctuation, lower case."""
    def key(text: object) -> str | None:
        if not isinstance(text, str) or not text.strip():
            return None
        text = unicodedata.normalize("NFKC", text).casefold()
        return re.sub(r"[\s·•・,，.。、\-_—()（）\[\]【】\"'“”‘’]", "", text) or None
    return values.map(key).astype("string")


def _short(values: pd.Series) -> pd.Series:
    """A name key without a trailing 小区/社区/家属区/家属楼, tried where the full name matches nothing."""
    return values.str.replace(r"(小区|家属区|家属楼|住宅区|社区)$", "", regex=True)


def match_rows(ledger_keys: pd.DataFrame, community_keys: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The community row each ledger row matches, by name, then street and 社区 where a name repeats.

    Parameters
    ----------
    ledger_keys, community_keys
        Columns ``name`` (see :func:`name_key`) and, where known, ``subdistrict`` and ``shequ`` keys.

    Returns
    -------
    (match, candidates)
        Per ledger row: the position of the matched community (-1 where none or several), and how many
        communities remained after the tie-breaks (0 = unmatched, >1 = ambiguous).
    """
    match = pd.Series(-1, index=ledger_keys.index)
    counts = pd.Series(0, index=ledger_keys.index)
    full = community_keys["name"]
    short = _short(full)
    for row, key in ledger_keys["name"].items():
        if pd.isna(key):
            continue
        # communities without a name (NA) match nothing
        hits = list((full == key).fillna(False).to_numpy(bool).nonzero()[0])
        if not hits:
            hits = list((short == _short(pd.Series([key])).iloc[0]).fillna(False).to_numpy(bool).nonzero()[0])
        for column in ("subdistrict", "shequ"):
            if len(hits) > 1 and column in ledger_keys and column in community_keys:
                wanted = ledger_keys.at[row, column]
                if pd.notna(wanted):
                    narrowed = [h for h in hits if community_keys[column].iloc[h] is not pd.NA
                                and community_keys[column].iloc[h] == wanted]
                    hits = narrowed or hits
        counts[row] = len(hits)
        if len(hits) == 1:
            match[row] = hits[0]
    return match, counts


def _given(group: pd.DataFrame, row: object) -> bool:
    """Whether a ledger row states a value of the group (a decade counts: it replaces a year with its range)."""
    flag = next((c for c in group.columns if c.endswith("_flag")), None)
    if flag is not None:
        return group.at[row, flag] in ("exact", "estimated", "ambiguous")
    return bool(pd.notna(group.iloc[:, 0][row]))


def join_ledger(communities: pd.DataFrame, ledger: pd.DataFrame, values: Mapping[str, pd.DataFrame], *,
                mapping: Mapping[str, str], file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Write the ledger's values onto the communities they match.

    Parameters
    ----------
    communities
        Canonical communities (``feature_id``, ``name``; ``subdistrict``/``shequ`` where known).
    ledger
        The ledger rows (:func:`read_ledger`).
    values
        Canonical column of :data:`JOINED` -> a frame (same index as ``ledger``) of that column and its companions
        (``households_flag``, ``built_year_low`` ...), written together where the row states the value.
    mapping
        Canonical column -> ledger column (from :func:`gisplanner.io.fields.detect_fields`).
    file
        The ledger file, named in findings.

    Returns
    -------
    (communities, findings)
        A copy with the matched rows' values (a ledger value replaces the polygon's; a missing one leaves it);
        a ``ledger_unmatched`` or ``ledger_ambiguous`` finding per row that changed nothing, and a
        ``ledger_duplicate`` finding where two rows match one community (the first row is kept).
    """
    layer = Path(file).name
    keys = pd.DataFrame({"name": name_key(ledger[mapping["name"]])}, index=ledger.index)
    own = pd.DataFrame({"name": name_key(communities["name"])})
    for column in ("subdistrict", "shequ"):
        if column in mapping and column in communities:
            keys[column] = name_key(ledger[mapping[column]])
            own[column] = name_key(communities[column]).to_numpy()
    match, counts = match_rows(keys, own)
    findings: list[Finding] = []
    taken: dict[int, int] = {}
    out = communities.copy()
    for row, position in match.items():
        name = ledger.at[row, mapping["name"]]
        where = f"第{row}行“{name}”"
        if pd.isna(keys.at[row, "name"]):
            findings.append(Finding("ledger_unmatched", layer, f"第{row}行", f"台账{where}没有小区名称，未关联。"))
            continue
        if position < 0:
            if counts[row] == 0:
                findings.append(Finding("ledger_unmatched", layer, f"第{row}行",
                                        f"台账{where}在小区图层中找不到同名小区，未关联；请核对名称或补绘小区范围。"))
            else:
                findings.append(Finding("ledger_ambiguous", layer, f"第{row}行",
                                        f"台账{where}对应{counts[row]}个同名小区，所属街道/社区也无法区分，未关联；"
                                        f"请在台账中补充所属街道和所属社区。"))
            continue
        if position in taken:
            findings.append(Finding("ledger_duplicate", layer, f"第{row}行",
                                    f"台账{where}与第{taken[position]}行对应同一个小区"
                                    f"（{out['feature_id'].iloc[position]}），已按第{taken[position]}行关联。"))
            continue
        taken[position] = row
        for group in values.values():
            if not _given(group, row):
                continue
            for column, parsed in group.items():
                if column not in out:
                    out[column] = pd.Series(pd.NA, index=out.index, dtype=parsed.dtype)
                out.iloc[position, out.columns.get_loc(column)] = parsed[row]
    return out, findings


def ledger_mapping(ledger: pd.DataFrame, overrides: Mapping[str, str] | None, file: str) -> dict[str, str]:
    """The ledger's columns for the canonical community columns (``name`` required)."""
    mapping = detect_fields([str(c) for c in ledger.columns], "communities", overrides=overrides, file=file)
    if "name" not in mapping:
        raise InputError("台账没有小区名称列。", file=file,
                         fix=f"用 --field communities.name=列名 指定；可识别的列名：{'、'.join(CANDIDATES['communities']['name'])}。")
    return mapping
