"""Real series beyond stock prices, bundled by `bokeh-sampledata`: monthly, yearly and
intraday data for `--source sample`, offline. Each is read as the package ships it; nothing
is filled in or smoothed.

    UNEMPLOYMENT     US unemployment rate (%), monthly, 1948-2016: column rate
    MARRIAGES        US marriages and divorces per 1,000 people, yearly, 1867-1981 (the file
                     has no figures for 1982-83 and 1995-96, so the gap-free span ends in 1981):
                     columns marriages_per_1000, divorces_per_1000
    GLUCOSE          one person's continuous glucose monitor (mg/dL), every 5 minutes,
                     March-October 2010: column glucose
    SEA-TEMPERATURE  sea-surface temperature (degrees C) off the US coast, every 30 minutes,
                     February 2016-March 2017: column temperature
    COMMITS          commits to Bokeh's repository per day (the committer's local date; 0 on a
                     day without any), December 2012-April 2017: column commits
    LINCOLN-WEATHER  daily highest and lowest temperature (degrees F) at Lincoln, Nebraska,
                     2016 (the file has no readings for 17 June, a day left out): columns tmax, tmin
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _read(name: str, **options: object) -> pd.DataFrame:
    import bokeh_sampledata

    return pd.read_csv(bokeh_sampledata.package_path(name), **options)


def unemployment() -> pd.DataFrame:
    wide = _read("unemployment1948.csv")
    long = wide.melt(id_vars="Year", value_vars=list(MONTHS), var_name="month", value_name="rate")
    long["date"] = pd.to_datetime(long["Year"].astype(str) + "-" + long["month"], format="%Y-%b")
    return long.set_index("date")[["rate"]].sort_index()


def marriages() -> pd.DataFrame:
    table = _read("us_marriages_divorces.csv")
    table = table[table["Year"] <= 1981]
    table.index = pd.to_datetime(table["Year"].astype(str), format="%Y").rename("date")
    return table[["Marriages_per_1000", "Divorces_per_1000"]].rename(columns=str.lower)


def glucose() -> pd.DataFrame:
    table = _read("CGM.csv.gz", parse_dates=["datetime"])
    return table.set_index(table["datetime"].rename("date"))[["glucose"]]


def sea_temperature() -> pd.DataFrame:
    table = _read("sea_surface_temperature.csv.gz")
    index = pd.to_datetime(table["time (UTC)"], utc=True).dt.tz_localize(None).rename("date")
    return pd.DataFrame({"temperature": table["temperature (celsius)"].to_numpy()}, index=index)


def commits() -> pd.DataFrame:
    import datetime as dt
    import gzip

    import bokeh_sampledata

    with gzip.open(bokeh_sampledata.package_path("commits.txt.gz"), "rt") as lines:
        # "Sat, 22 Apr 2017 15:11:58 -0500": the day as the committer lived it, not UTC's.
        days = [dt.datetime.strptime(line.strip(), "%a, %d %b %Y %H:%M:%S %z").date() for line in lines if line.strip()]
    counts = pd.Series(1, index=pd.DatetimeIndex(days)).groupby(level=0).sum()
    every_day = pd.date_range(counts.index.min(), counts.index.max(), freq="D", name="date")
    return pd.DataFrame({"commits": counts.reindex(every_day, fill_value=0).astype("float64")})


def lincoln_weather() -> pd.DataFrame:
    table = _read("lincoln_weather.csv", parse_dates=["DATE"])
    table.index = table["DATE"].rename("date")
    return table[["TMAX", "TMIN"]].rename(columns=str.lower).astype("float64").dropna()


# name -> (its columns, how to read it)
SERIES: dict[str, tuple[tuple[str, ...], Callable[[], pd.DataFrame]]] = {
    "UNEMPLOYMENT": (("rate",), unemployment),
    "MARRIAGES": (("marriages_per_1000", "divorces_per_1000"), marriages),
    "GLUCOSE": (("glucose",), glucose),
    "SEA-TEMPERATURE": (("temperature",), sea_temperature),
    "COMMITS": (("commits",), commits),
    "LINCOLN-WEATHER": (("tmax", "tmin"), lincoln_weather),
}
