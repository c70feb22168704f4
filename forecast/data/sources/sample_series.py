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


# name -> (its columns, how to read it)
SERIES: dict[str, tuple[tuple[str, ...], Callable[[], pd.DataFrame]]] = {
    "UNEMPLOYMENT": (("rate",), unemployment),
    "MARRIAGES": (("marriages_per_1000", "divorces_per_1000"), marriages),
    "GLUCOSE": (("glucose",), glucose),
    "SEA-TEMPERATURE": (("temperature",), sea_temperature),
}
