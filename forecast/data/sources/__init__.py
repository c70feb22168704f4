"""Where series come from. Every source returns a `Fetched`: one normalised frame
(DatetimeIndex named `date`, sorted, unique; lower-case columns) and its provenance.

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

SOURCES = ("yahoo", "sample", "csv", "synthetic")


class DataRequest(Protocol):
    """What the sources and the cache read of a config's data section; forecast.config's
    DataConfig is one. A protocol, not an import: data/ sits below config/ in the layers."""

    source: str
    ticker: str | None
    path: Path | None
    period: str | None
    start: dt.date | None
    end: dt.date | None
    interval: str
    auto_adjust: bool
    date_column: str
    repair: bool
    points: int
    seed: int
    timeout: float
    retries: int

    @property
    def symbol(self) -> str: ...

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
