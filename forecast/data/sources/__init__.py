"""Where series come from. Every source returns a `Fetched`: one normalised frame
(DatetimeIndex named `date`, sorted, unique; lower-case columns) and its provenance.

SPECS says what each source is; config validation, the CLI's help, loading, predict's
refresh and retrain derive from it. A new source is a module here plus its row in SPECS.
Sources are imported lazily: `forecast fetch --source sample` never imports yfinance.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SourceSpec:
    name: str  # data.source, and the module forecast/data/sources/<name>.py
    help: str  # one phrase for --help and the config reference
    cached: bool  # kept in the cache and read from there (else read afresh from the source every time)
    fetches: bool  # new bars come from the network: fetched on demand, refreshed by retrain and predict --refresh
    takes_path: bool  # data.path names the file to read
    named: bool  # needs data.symbol (or data.symbols for a universe)
    universe: bool  # can fan out over data.symbols
    daily_only: bool  # interval 1d only
    exchange_days: bool  # daily bars are exchange sessions: future dates follow the exchange calendar


SPECS: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            "yahoo",
            "prices from Yahoo Finance (network, cached)",
            cached=True,
            fetches=True,
            takes_path=False,
            named=True,
            universe=True,
            daily_only=False,
            exchange_days=True,
        ),
        SourceSpec(
            "sample",
            "bundled real data, offline (bokeh-sampledata): stock prices, and monthly, yearly and intraday series",
            cached=False,
            fetches=False,
            takes_path=False,
            named=True,
            universe=True,
            daily_only=True,
            exchange_days=True,
        ),
        SourceSpec(
            "csv",
            "a CSV file (data.path)",
            cached=False,
            fetches=False,
            takes_path=True,
            named=False,
            universe=False,
            daily_only=False,
            exchange_days=False,
        ),
        SourceSpec(
            "synthetic",
            "a generated sine with noise",
            cached=False,
            fetches=False,
            takes_path=False,
            named=False,
            universe=True,
            daily_only=True,
            exchange_days=False,
        ),
        SourceSpec(
            "frame",
            "a pandas Series or DataFrame from Python (forecast.train(config, data=...))",
            cached=True,
            fetches=False,
            takes_path=False,
            named=True,
            universe=False,
            daily_only=False,
            exchange_days=False,
        ),
    )
}
SOURCES = tuple(SPECS)


class DataRequest(Protocol):
    """What the sources and the cache read of a config's data section; forecast.config's
    DataConfig is one. A protocol, not an import: data/ sits below config/ in the layers."""

    source: str
    symbol: str | None  # set for one series (DataConfig fills it in for sources that name their series)
    path: Path | None
    period: str | None
    start: dt.date | None
    end: dt.date | None
    interval: str
    auto_adjust: bool
    date_column: str
    date_format: str | None
    repair: bool
    points: int
    seed: int
    timeout: float
    retries: int

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any: ...


@dataclass(frozen=True)
class Fetched:
    frame: pd.DataFrame
    # Columns adjusted for splits and dividends, as the source states it; never guessed.
    adjusted: tuple[str, ...]
    # The library and version that produced the bars, e.g. "yfinance 1.7.0".
    origin: str


def fetch(config: DataRequest) -> Fetched:
    module = importlib.import_module(f"forecast.data.sources.{config.source}")
    return module.fetch(config)
