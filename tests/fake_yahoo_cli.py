"""The forecast CLI in a child process, with yfinance answered from a local file.

Tests that need a real process (file locks, SIGKILL) run `python tests/fake_yahoo_cli.py
ARGS...`; yfinance.Ticker(...).history() returns the frame stored at $FAKE_YAHOO_FRAME
(a parquet file shaped like yfinance's answer). Nothing touches the network.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
import yfinance


class _Ticker:
    def __init__(self, ticker: str, session: object = None) -> None:
        self.ticker = ticker

    def history(self, **kwargs: object) -> pd.DataFrame:
        return pd.read_parquet(os.environ["FAKE_YAHOO_FRAME"])


yfinance.Ticker = _Ticker  # type: ignore[misc]

if __name__ == "__main__":
    from forecast.cli import main

    sys.argv[0] = "forecast"
    main()
