"""Sun positions over a standard day (大寒/冬至) in local true solar time (真太阳时)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib import spa

from gisplanner.errors import ConfigError

#: Apparent solar longitude (degrees) at which each standard day's solar term (节气) begins.
SOLAR_TERM_LONGITUDE = {"dahan": 300.0, "dongzhi": 270.0}
#: Month and day near which the term falls, the start of the search.
_TERM_GUESS = {"dahan": (1, 20), "dongzhi": (12, 21)}
#: The calendar of the solar terms is Beijing time (UTC+8): a term at 23:59 Beijing time is that day.
BEIJING_UTC_OFFSET_H = 8.0


def _apparent_solar_longitude(unixtime: float, delta_t: float) -> float:
    """Apparent geocentric longitude of the sun (degrees, 0–360) from NREL SPA's series (pvlib.spa)."""
    jce = spa.julian_ephemeris_century(spa.julian_ephemeris_day(spa.julian_day(unixtime), delta_t))
    jme = spa.julian_ephemeris_millennium(jce)
    nutation = np.empty(2)
    spa.longitude_obliquity_nutation(jce, spa.mean_elongation(jce), spa.mean_anomaly_sun(jce),
                                     spa.mean_anomaly_moon(jce), spa.moon_argument_latitude(jce),
                                     spa.moon_ascending_longitude(jce), nutation)
    geo = spa.geocentric_longitude(spa.heliocentric_longitude(jme))
    aberration = spa.aberration_correction(spa.heliocentric_radius_vector(jme))
    return float(np.mod(spa.apparent_sun_longitude(geo, nutation[0], aberration), 360.0))


def solar_term_instant(year: int, day: str) -> dt.datetime:
    """UTC instant at which the solar term of ``day`` begins in ``year``.

    Parameters
    ----------
    year
        Gregorian year.
    day
        ``"dahan"`` (大寒, solar longitude 300°) or ``"dongzhi"`` (冬至, 270°).

    Returns
    -------
    datetime.datetime
        Naive UTC time, accurate to a few seconds (NREL SPA longitude, ΔT from pvlib).
    """
    if day not in SOLAR_TERM_LONGITUDE:
        raise ConfigError("没有这个日照标准日；用 `dahan`（大寒日）或 `dongzhi`（冬至日）", key="day", value=day)
    target = SOLAR_TERM_LONGITUDE[day]
    month, mday = _TERM_GUESS[day]
    t = pd.Timestamp(year=year, month=month, day=mday, tz="UTC").timestamp()
    delta_t = float(spa.calculate_deltat(year, month))
    for _ in range(6):
        # Newton steps on λ(t); the sun moves about 0.9856° a day.
        lam = _apparent_solar_longitude(t, delta_t)
        error = (lam - target + 180.0) % 360.0 - 180.0
        t -= error / 0.9856 * 86400.0
        if abs(error) < 1e-6:
            break
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=t)


def standard_day(year: int, day: str) -> dt.date:
    """Calendar date (Beijing time) of the standard day 大寒 (``"dahan"``) or 冬至 (``"dongzhi"``) of ``year``.

    Examples
    --------
    >>> standard_day(2021, "dongzhi")  # the term began at 23:59 Beijing time
    datetime.date(2021, 12, 21)
    """
    instant = solar_term_instant(year, day) + dt.timedelta(hours=BEIJING_UTC_OFFSET_H)
    return instant.date()


@dataclass(frozen=True)
class SunPath:
    """Sun positions at the midpoints of equal time steps over a window of true solar time.

    Attributes
    ----------
    date
        The local calendar date.
    latitude, longitude
        Degrees (WGS84) of the place.
    window
        (start, end) in true solar hours, e.g. (8.0, 16.0).
    step_min
        Time step in minutes; each position stands for one step centred on it.
    times_utc
        Naive UTC times of the positions.
    solar_time_h
        True solar time of each position, hours.
    altitude_deg, azimuth_deg
        Geometric sun altitude (no refraction) and compass azimuth (0 = north, clockwise), degrees.
    """

    date: dt.date
    latitude: float
    longitude: float
    window: tuple[float, float]
    step_min: float
    times_utc: pd.DatetimeIndex
    solar_time_h: np.ndarray
    altitude_deg: np.ndarray
    azimuth_deg: np.ndarray

    @property
    def window_hours(self) -> float:
        """Length of the window, hours."""
        return self.window[1] - self.window[0]


def sun_path(latitude: float, longitude: float, date: dt.date, *, window: tuple[float, float] = (8.0, 16.0),
             step_min: float = 1.0) -> SunPath:
    """Sun positions over ``window`` (true solar hours) of ``date`` at one place, every ``step_min`` minutes.

    True solar time is UTC + longitude/15 h + the equation of time (NREL SPA, via pvlib). Positions are
    taken at the middle of each step, so n = window length / step positions cover the window exactly.

    Parameters
    ----------
    latitude, longitude
        Degrees, WGS84.
    date
        Local calendar date, e.g. from :func:`standard_day`.
    window
        Start and end in true solar hours.
    step_min
        Time step, minutes; must divide the window.

    Returns
    -------
    SunPath
    """
    start, end = window
    n = (end - start) * 60.0 / step_min
    if step_min <= 0 or n < 1 or abs(n - round(n)) > 1e-9:
        raise ConfigError("时间步长须为正，且能整除有效日照时间带", key="step_min",
                          value=step_min)
    tst = start + (np.arange(round(n)) + 0.5) * step_min / 60.0
    midnight = pd.Timestamp(date)
    guess = midnight + pd.to_timedelta(tst - longitude / 15.0, unit="h")
    # The equation of time changes by well under a second within minutes, so one correction suffices.
    eot = pvlib.solarposition.get_solarposition(guess, latitude, longitude)["equation_of_time"].to_numpy()
    times = pd.DatetimeIndex(guess - pd.to_timedelta(eot, unit="min"))
    pos = pvlib.solarposition.get_solarposition(times, latitude, longitude)
    return SunPath(date=date, latitude=float(latitude), longitude=float(longitude), window=(start, end),
                   step_min=float(step_min), times_utc=times, solar_time_h=tst,
                   altitude_deg=pos["elevation"].to_numpy(), azimuth_deg=pos["azimuth"].to_numpy())
