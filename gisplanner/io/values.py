"""Numbers and years as Chinese ledgers and survey tables write them, and the plausibility of the values.

A ledger (台账) or survey table writes ``1,200``, ``1.2万``, ``约300户``, ``三百户``, ``85年``, ``1985年``,
``八十年代`` or ``2000年以前``. Each parse returns the value and how far it can be trusted:

- ``exact``: the text states the value (``1,200`` → 1200, ``1.2万`` → 12000, ``1985年5月`` → 1985);
- ``estimated``: the text gives a value but says it is approximate (``约300户``, ``300余户``, ``300-400户`` →
  350), or the reading completes it (``85年`` → 1985: the century is inferred);
- ``ambiguous``: the text gives only a range, no value (``八十年代``, ``2000年代``, ``90年代``,
  ``1985-1990年``, ``2000年以前``). A decade is never read as a year: ``low``/``high`` hold the range so a rule
  such as "built before the end of 2000" can still be decided where the whole range lies on one side;
- ``unparseable``: text that holds no number;
- ``missing``: empty, or a placeholder such as ``无``, ``不详``, ``—``.

:func:`implausible` lists the values no real community or building can have (a built year in the future or
before 1900, negative households, more than 100 floors, a height that disagrees with the floors, a community
larger than a set area), with the limits of :class:`PlausibilityLimits` (``Standards.settings.plausibility``).
Everything here is pure: no I/O, no standards loading.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

EXACT, ESTIMATED, AMBIGUOUS, UNPARSEABLE, MISSING = "exact", "estimated", "ambiguous", "unparseable", "missing"
#: Chinese names of the flags, for findings and tables.
FLAG_ZH = {EXACT: "确切", ESTIMATED: "估计", AMBIGUOUS: "不确定", UNPARSEABLE: "无法识别", MISSING: "缺失"}


@dataclass(frozen=True)
class Parsed:
    """One parsed value.

    ``value`` is None unless ``flag`` is exact or estimated; ``low``/``high`` bound the value where the text
    gives a range or a bound (None where open); ``note`` says in Chinese how the text was read.
    """

    value: float | None
    flag: str
    low: float | None = None
    high: float | None = None
    note: str = ""


_MISSING_TEXT = {"", "无", "不详", "未知", "暂无", "空", "-", "--", "—", "——", "/", "\\", "?", "？", "null", "none",
                 "nan", "na", "n/a", "#n/a"}
_APPROX_BEFORE = ("约", "大约", "大概", "近", "将近", "接近", "超过", "逾", "~", "≈", "不足", "不到")
_APPROX_AFTER = ("左右", "上下", "余", "多", "以上", "以下", "+", "许", "前后")
_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MULTIPLIERS = {"万": 1e4, "亿": 1e8}
# Area units are converted to m²; any other unit (户, 人, 栋, 层, m, 米, ㎡ ...) is dropped.
_AREA_UNITS = (("平方公里", 1e6), ("km2", 1e6), ("公顷", 1e4), ("ha", 1e4), ("亩", 1e4 / 15))
_NUMBER = r"\d+(?:\.\d+)?"
_RANGE_SEP = r"\s*(?:-|~|～|—|–|至|到)\s*"


def _normalise(text: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), lower case, no surrounding space."""
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    return text.replace("，", ",").replace("。", ".")


def _chinese_integer(text: str) -> int | None:
    """``三百`` → 300, ``一千二百`` → 1200, ``十二`` → 12, ``一九八五`` → 1985 (digit by digit); None if not one."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return total + (digit or 0)


def _chinese_numerals_to_digits(text: str) -> str:
    """Replace every run of Chinese numerals (with 万/亿 kept as multipliers) by its Arabic value."""
    return re.sub(r"[零〇○一二两三四五六七八九十百千]+",
                  lambda m: str(v) if (v := _chinese_integer(m.group())) is not None else m.group(), text)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and _normalise(value) in _MISSING_TEXT


def _approximate(text: str) -> bool:
    return text.startswith(_APPROX_BEFORE) or any(word in text for word in _APPROX_AFTER if word != "+") \
        or re.search(r"\d\s*\+", text) is not None


def _scaled(number: str, text_after: str) -> tuple[float, str]:
    """The number times the multiplier or area unit that follows it, and what was applied."""
    value = float(number)
    rest = text_after.lstrip()
    for word, factor in _MULTIPLIERS.items():
        if rest.startswith(word):
            value, rest = value * factor, rest[len(word):].lstrip()
            break
    for word, factor in _AREA_UNITS:
        if rest.startswith(word):
            return value * factor, word
    return value, ""


def parse_number(value: object) -> Parsed:
    """Read one number: a count, an area, floors or a height.

    Parameters
    ----------
    value
        A number, or text such as ``1,200``, ``1.2万``, ``约300户``, ``300-400户``, ``三百户``, ``6层``,
        ``18.5米``, ``2.3公顷`` (area units are converted to m²; other units are dropped).

    Returns
    -------
    Parsed
        See the module docstring for the flags. A range is ``estimated`` at its midpoint with ``low``/``high``.

    Examples
    --------
    >>> parse_number("1.2万")
    Parsed(value=12000.0, flag='exact', low=None, high=None, note='')
    >>> parse_number("约300户").flag
    'estimated'
    """
    if _is_missing(value):
        return Parsed(None, MISSING)
    if isinstance(value, bool):
        return Parsed(None, UNPARSEABLE, note="是/否值不是数字")
    if isinstance(value, int | float | np.integer | np.floating):
        return Parsed(float(value), EXACT) if math.isfinite(float(value)) else Parsed(None, UNPARSEABLE)
    original = str(value)
    text = _chinese_numerals_to_digits(_normalise(original))
    # Thousands separators only where they group by three ("1,200", "12,000,000"); "12,5" stays unread.
    text = re.sub(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d,])", lambda m: m.group().replace(",", ""), text)
    if re.search(r"\d,\d", text):
        return Parsed(None, AMBIGUOUS, note=f"“{original}”的逗号不是千位分隔，无法判断是小数还是两个数")
    sign = -1.0 if re.match(r"^-\s*\d", text) else 1.0
    found = re.search(rf"({_NUMBER})(?:\s*[万亿])?(?:{_RANGE_SEP}({_NUMBER}))?", text)
    if found is None:
        return Parsed(None, UNPARSEABLE, note=f"“{original}”中没有数字")
    if found.group(2) is not None:
        low, _ = _scaled(found.group(1), text[found.end(1):])
        high, _ = _scaled(found.group(2), text[found.end(2):])
        if low > high:
            low, high = high, low
        return Parsed((low + high) / 2, ESTIMATED, low, high, f"“{original}”是区间，取中值{(low + high) / 2:g}")
    number, unit = _scaled(found.group(1), text[found.end(1):])
    number *= sign
    others = re.findall(_NUMBER, text[found.end():])
    if others and not unit and not re.match(r"^\s*[万亿]?\s*(m2|m²|㎡|平方米|平米)", text[found.end(1):]):
        return Parsed(None, AMBIGUOUS, note=f"“{original}”含多个数字，无法判断取哪一个")
    note = f"按{unit}换算为平方米" if unit else ""
    if _approximate(text):
        return Parsed(number, ESTIMATED, note=f"“{original}”是约数" + (f"，{note}" if note else ""))
    return Parsed(number, EXACT, note=note)


_DECADE_PARTS = {"初": (0, 3), "前期": (0, 3), "早期": (0, 3), "中期": (4, 6), "中": (4, 6), "末": (7, 9),
                 "后期": (7, 9), "晚期": (7, 9)}


def _two_digit_year(yy: int, now_year: int) -> int:
    """Complete a two-digit year: up to this year's last two digits it is 20yy, above 19yy."""
    return 2000 + yy if yy <= now_year % 100 else 1900 + yy


def _decade(text: str, original: str, now_year: int) -> Parsed | None:
    """``八十年代``, ``80年代初``, ``1980年代``, ``2000年代``, ``1980s``, ``上世纪80年代`` as a year range."""
    found = re.search(r"(\d{1,4})\s*(?:年代|'?s\b)", text)
    if found is None:
        return None
    digits = found.group(1)
    if len(digits) == 4:
        start = int(digits)
    elif len(digits) == 2 or (len(digits) == 1 and digits == "0"):
        start = _two_digit_year(int(digits), now_year) if not re.search(r"(上世纪|二十世纪|20世纪)", text) \
            else 1900 + int(digits)
        if re.search(r"(21世纪|二十一世纪)", text):
            start = 2000 + int(digits)
    else:
        return None
    if start % 10:
        return None
    low, high = start, start + 9
    for word, (a, b) in _DECADE_PARTS.items():
        if word in text[found.end():]:
            low, high = start + a, start + b
            break
    return Parsed(None, AMBIGUOUS, float(low), float(high),
                  f"“{original}”是年代（{low}—{high}年），不是确切年份")


def parse_year(value: object, *, now_year: int | None = None) -> Parsed:
    """Read one year: a built year (建成年代/建成年份/竣工年份).

    Parameters
    ----------
    value
        A number, or text such as ``1985``, ``1985年``, ``1985-05-01``, ``85年``, ``一九八五年``, ``约1985年``,
        ``八十年代``, ``2000年代``, ``1985-1990年``, ``2000年以前``.
    now_year
        This year (default: today's), to complete two-digit years (``05年`` → 2005, ``85年`` → 1985).

    Returns
    -------
    Parsed
        The year as ``value`` (exact or estimated); decades, ranges and bounds are ``ambiguous`` with
        ``low``/``high`` (an open side None). Implausible years (2099, 1850) are returned as read: see
        :func:`implausible`.

    Examples
    --------
    >>> parse_year("1985年").value
    1985.0
    >>> p = parse_year("2000年代"); (p.value, p.flag, p.low, p.high)
    (None, 'ambiguous', 2000.0, 2009.0)
    """
    now_year = now_year or dt.date.today().year
    if _is_missing(value):
        return Parsed(None, MISSING)
    if isinstance(value, bool):
        return Parsed(None, UNPARSEABLE, note="是/否值不是年份")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if not math.isfinite(number) or number != int(number) or number < 0:
            return Parsed(None, UNPARSEABLE, note=f"“{value}”不是年份")
        if number < 100:
            year = _two_digit_year(int(number), now_year)
            return Parsed(float(year), ESTIMATED, note=f"两位年份“{int(number)}”按{year}年读")
        return Parsed(number, EXACT)
    original = str(value)
    text = _normalise(original)
    text = re.sub(r"[零〇○一二三四五六七八九十]+(?=\s*(年|$))",
                  lambda m: str(v) if (v := _chinese_integer(m.group())) is not None else m.group(), text)
    decade = _decade(text, original, now_year)
    if decade is not None:
        return decade
    # A date written as digits only: 19850501 or 198505.
    compact = re.fullmatch(r"((?:19|20)\d\d)(?:0[1-9]|1[0-2])(?:\d\d)?", text)
    years = [int(compact.group(1))] if compact else [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", text)]
    estimated_note = ""
    if not years:
        short = re.search(r"(?<!\d)(\d{2})(?=\s*年)", text) or re.fullmatch(r"'?(\d{2})", text)
        if short is None:
            return Parsed(None, UNPARSEABLE, note=f"“{original}”中没有年份")
        years = [_two_digit_year(int(short.group(1)), now_year)]
        estimated_note = f"两位年份按{years[0]}年读"
    if re.search(r"(以前|之前|前|以后|之后|后)(?:建成|竣工|建设|$)", text) and len(years) == 1 \
            and not re.search(r"前后", text):
        before = re.search(r"(以前|之前|前)", text) is not None
        low, high = (None, float(years[0])) if before else (float(years[0]), None)
        return Parsed(None, AMBIGUOUS, low, high,
                      f"“{original}”只给出{'上' if before else '下'}限，不是确切年份")
    if len(set(years)) > 1:
        # "1985-1990年" or "1985年、1992年" (built in phases): a range, no single year.
        return Parsed(None, AMBIGUOUS, float(min(years)), float(max(years)),
                      f"“{original}”含多个年份（{min(years)}—{max(years)}年），无法取一个")
    if _approximate(text):
        return Parsed(float(years[0]), ESTIMATED, note=f"“{original}”是约数" +
                      (f"，{estimated_note}" if estimated_note else ""))
    if estimated_note:
        return Parsed(float(years[0]), ESTIMATED, note=f"“{original}”：{estimated_note}")
    return Parsed(float(years[0]), EXACT)


def _parse_series(values: pd.Series, parse) -> pd.DataFrame:
    """Apply a scalar parse once per distinct value; columns value, flag, low, high, note."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    parsed = [parse(u) for u in uniques] + [parse(None)]  # code -1 (missing) takes the last entry
    table = pd.DataFrame([(p.value, p.flag, p.low, p.high, p.note) for p in parsed],
                         columns=["value", "flag", "low", "high", "note"])
    frame = table.iloc[np.where(codes < 0, len(uniques), codes)].set_axis(values.index)
    for column in ("value", "low", "high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["flag"] = frame["flag"].astype("string")
    frame["note"] = frame["note"].astype("string")
    return frame


def parse_numbers(values: pd.Series) -> pd.DataFrame:
    """:func:`parse_number` over a column: a frame (same index) with ``value`` (float, NaN unless exact or
    estimated), ``flag``, ``low``, ``high`` and ``note``."""
    return _parse_series(values, parse_number)


def parse_years(values: pd.Series, *, now_year: int | None = None) -> pd.DataFrame:
    """:func:`parse_year` over a column: as :func:`parse_numbers`, ``value`` a float year (NaN for decades)."""
    now_year = now_year or dt.date.today().year
    return _parse_series(values, lambda v: parse_year(v, now_year=now_year))


class PlausibilityLimits(Protocol):
    """What :func:`implausible` reads: ``gisplanner.standards.PlausibilityParams``
    (``Standards.settings.plausibility``)."""

    built_year_min: float
    floors_max: float
    height_max_m: float
    storey_height_range_m: tuple[float, float]
    community_area_max_m2: float


def implausible(frame: pd.DataFrame, limits: PlausibilityLimits, *, area_m2: pd.Series | None = None,
                now_year: int | None = None) -> pd.DataFrame:
    """Values no community or building can have.

    Parameters
    ----------
    frame
        Any of the columns ``built_year`` (year), ``households``, ``population``, ``n_buildings``
        (counts), ``floors``, ``height_m`` (m); missing values are skipped.
    limits
        The limits (built year from ``built_year_min`` to this year, at most ``floors_max`` floors and
        ``height_max_m`` metres, a storey height ``height_m / floors`` within ``storey_height_range_m``,
        a community at most ``community_area_max_m2``).
    area_m2
        Community areas (m², same index), checked against ``community_area_max_m2``; None to skip.
    now_year
        This year (default today's): a built year after it is in the future.

    Returns
    -------
    DataFrame
        One row per implausible value: ``row`` (index label of ``frame``), ``field``, ``value`` and
        ``message`` (Chinese, says the limit). Empty (same columns) when all is plausible.
    """
    now_year = now_year or dt.date.today().year
    problems: list[pd.DataFrame] = []

    def add(mask: pd.Series, field: str, values: pd.Series, message) -> None:
        """Rows where ``mask`` holds; ``message(label, value)`` says why in Chinese."""
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            picked = values[mask].astype(float)
            problems.append(pd.DataFrame({"row": picked.index, "field": field, "value": picked.to_numpy(),
                                          "message": [message(k, v) for k, v in picked.items()]}))

    def column(name: str) -> pd.Series | None:
        return pd.to_numeric(frame[name], errors="coerce").astype(float) if name in frame else None

    if (year := column("built_year")) is not None:
        add(year > now_year, "built_year", year, lambda _, v: f"建成年份{v:g}晚于今年（{now_year}年）")
        add(year < limits.built_year_min, "built_year", year,
            lambda _, v: f"建成年份{v:g}早于{limits.built_year_min:g}年，不像老旧小区的建成年份")
    for name, zh in (("households", "户数"), ("population", "人口"), ("n_buildings", "楼栋数")):
        if (count := column(name)) is not None:
            add(count < 0, name, count, lambda _, v, zh=zh: f"{zh}为负数（{v:g}）")
    floors = column("floors")
    if floors is not None:
        add(floors > limits.floors_max, "floors", floors, lambda _, v: f"层数{v:g}超过{limits.floors_max:g}层")
        add(floors < 0, "floors", floors, lambda _, v: f"层数为负数（{v:g}）")
    height = column("height_m")
    if height is not None:
        add(height > limits.height_max_m, "height_m", height,
            lambda _, v: f"建筑高度{v:g}米超过{limits.height_max_m:g}米")
        add(height < 0, "height_m", height, lambda _, v: f"建筑高度为负数（{v:g}米）")
    if floors is not None and height is not None:
        low, high = limits.storey_height_range_m
        storey = height / floors.where(floors > 0)
        ok_alone = (height <= limits.height_max_m) & (floors <= limits.floors_max)
        add(ok_alone & ((storey < low) | (storey > high)), "height_m", height,
            lambda k, v: f"高度{v:g}米与{floors[k]:g}层不符：平均层高{storey[k]:.1f}米，不在{low:g}—{high:g}米之间")
    if area_m2 is not None:
        area = pd.to_numeric(area_m2, errors="coerce").astype(float)
        add(area > limits.community_area_max_m2, "area_m2", area,
            lambda _, v: f"小区面积{v / 1e4:.1f}公顷，超过{limits.community_area_max_m2 / 1e4:g}公顷上限，"
                      f"可能是多个小区或整片居住用地")
    if not problems:
        return pd.DataFrame({"row": pd.Series(dtype=object), "field": pd.Series(dtype="string"),
                             "value": pd.Series(dtype=float), "message": pd.Series(dtype="string")})
    return pd.concat(problems, ignore_index=True)
