"""Standard days and sun paths in true solar time, against almanac dates and pvlib."""

import datetime as dt

import numpy as np
import pandas as pd
import pvlib
import pytest

from gisplanner.analysis.sun import solar_term_instant, standard_day, sun_path
from gisplanner.errors import ConfigError

# Published Chinese almanac (Beijing time) dates of 大寒 and 冬至.
ALMANAC = [
    (2021, "dongzhi", dt.date(2021, 12, 21)),  # began 23:59:09, one minute before midnight
    (2022, "dongzhi", dt.date(2022, 12, 22)),
    (2023, "dongzhi", dt.date(2023, 12, 22)),
    (2024, "dongzhi", dt.date(2024, 12, 21)),
    (2021, "dahan", dt.date(2021, 1, 20)),
    (2024, "dahan", dt.date(2024, 1, 20)),
    (2025, "dahan", dt.date(2025, 1, 20)),  # began 04:00, i.e. Jan 19 in UTC
]


@pytest.mark.parametrize(("year", "day", "expected"), ALMANAC)
def test_standard_day_matches_almanac(year, day, expected):
    assert standard_day(year, day) == expected


def test_solar_term_instant_to_the_minute():
    # 2021 冬至: 2021-12-21 23:59:09 Beijing time = 15:59:09 UTC.
    instant = solar_term_instant(2021, "dongzhi")
    assert abs((instant - dt.datetime(2021, 12, 21, 15, 59, 9)).total_seconds()) < 60


def test_unknown_standard_day_is_a_config_error():
    with pytest.raises(ConfigError):
        standard_day(2024, "xiazhi")


def test_sun_path_steps_are_midpoints_covering_the_window():
    path = sun_path(31.3, 120.6, dt.date(2026, 1, 20), window=(8.0, 16.0), step_min=1.0)
    assert len(path.times_utc) == 480
    assert path.solar_time_h[0] == pytest.approx(8.0 + 0.5 / 60)
    assert path.solar_time_h[-1] == pytest.approx(16.0 - 0.5 / 60)


def test_true_solar_time_agrees_with_pvlib_hour_angle():
    lat, lon = 45.76, 126.63
    path = sun_path(lat, lon, dt.date(2025, 12, 21), window=(9.0, 15.0), step_min=5.0)
    times = pd.DatetimeIndex(path.times_utc).tz_localize("UTC")
    eot = pvlib.solarposition.equation_of_time_spencer71(times.day_of_year)
    hour_angle = pvlib.solarposition.hour_angle(times, lon, eot)
    # Spencer's equation of time differs from SPA's by well under a minute.
    np.testing.assert_allclose(hour_angle / 15.0 + 12.0, path.solar_time_h, atol=1.0 / 60)


def test_sun_crosses_the_meridian_at_true_noon():
    path = sun_path(31.3, 120.6, dt.date(2026, 1, 20), window=(11.0, 13.0), step_min=1.0)
    noon = np.argmin(np.abs(path.azimuth_deg - 180.0))
    assert abs(path.solar_time_h[noon] - 12.0) <= 1.0 / 60
    assert abs(path.solar_time_h[np.argmax(path.altitude_deg)] - 12.0) <= 1.0 / 60


def test_noon_altitude_follows_latitude_and_declination():
    lat, lon = 31.3, 120.6
    date = dt.date(2026, 1, 20)
    path = sun_path(lat, lon, date, window=(11.5, 12.5), step_min=60.0)
    declination = np.degrees(pvlib.solarposition.declination_spencer71(pd.Timestamp(date).day_of_year))
    # Spencer's declination is good to about 0.1°.
    assert path.altitude_deg[0] == pytest.approx(90.0 - lat + declination, abs=0.2)


def test_step_that_does_not_divide_the_window_is_refused():
    with pytest.raises(ConfigError):
        sun_path(31.3, 120.6, dt.date(2026, 1, 20), window=(8.0, 16.0), step_min=7.0)
