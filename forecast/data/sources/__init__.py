"""Where series come from. Every source returns a `Fetched`: one normalised frame
(DatetimeIndex named `date`, sorted, unique; lower-case columns) and its provenance.

Sources are imported lazily: `forecast fetch --source sample` never imports yfinance.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from forecast.config import DataConfig

SOURCES = ("yahoo", "sample", "csv", "synthetic")


@dataclass(frozen=True)
class Fetched:
    frame: pd.DataFrame
    # Columns adjusted for splits and dividends, as the source states it; never guessed.
    adjusted: tuple[str, ...]
    # The library and version that produced the bars, e.g. "yfinance 1.7.0".
    origin: str


def fetch(config: DataConfig) -> Fetched:
    module = importlib.import_module(f"forecast.data.sources.{config.source}")
    return module.fetch(config)
