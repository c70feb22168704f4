"""Real data bundled by the `bokeh-sampledata` package, offline.

Daily prices (Quandl WIKI, public domain): AAPL, GOOG, IBM and MSFT from 2000-03-01 to
2013-03-01 (FB from 2012): open, high, low, close and volume unadjusted; adj_close adjusted
for splits and dividends. And series beyond stocks (sample_series.py): UNEMPLOYMENT
(monthly), MARRIAGES (yearly), GLUCOSE (every 5 minutes), SEA-TEMPERATURE (every 30 minutes),
COMMITS and LINCOLN-WEATHER (daily).
"""

from __future__ import annotations

from importlib.metadata import version

import pandas as pd

from forecast.data.sources import DataRequest, Fetched
from forecast.data.sources.sample_series import SERIES
from forecast.data.sources.shared import auto_adjust, normalise, restrict
from forecast.errors import MissingInputError


def symbols() -> list[str]:
    return sorted(_table()["Ticker"].unique()) + list(SERIES)


def _table() -> pd.DataFrame:
    import bokeh_sampledata

    return pd.read_csv(bokeh_sampledata.package_path("stocks.csv.gz"))


def fetch(config: DataRequest) -> Fetched:
    if config.symbol in SERIES:
        columns, read = SERIES[config.symbol]
        frame = normalise(read(), config.interval, keep=columns)
        return Fetched(restrict(frame, config), (), f"bokeh-sampledata {version('bokeh-sampledata')}")
    table = _table()
    rows = table[table["Ticker"] == config.symbol]
    if rows.empty:
        choices = ", ".join([*sorted(table["Ticker"].unique()), *SERIES])
        raise MissingInputError(
            f"sample data has no symbol {config.symbol!r}",
            hint=f"choose one of {choices}, or use --source yahoo",
        )
    frame = normalise(rows.drop(columns="Ticker").set_index("Date"), "1d")
    adjusted: tuple[str, ...] = ("adj_close",)
    if config.auto_adjust:
        frame, adjusted = auto_adjust(frame), ("open", "high", "low", "close")
    return Fetched(restrict(frame, config), adjusted, f"bokeh-sampledata {version('bokeh-sampledata')}")
