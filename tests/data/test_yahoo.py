"""The yfinance code path, through a fake of yfinance.Ticker (never the network)."""

from __future__ import annotations

import datetime as dt
import errno

import pandas as pd
import pytest
from curl_cffi.requests.exceptions import ConnectionError, DNSError, Timeout
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTzMissingError
from yfinance.utils import empty_df

from forecast.config import DataConfig
from forecast.data.sources import yahoo
from forecast.errors import DataError, MissingInputError, SourceUnavailableError, TryLaterError

from ..conftest import yahoo_frame


def cfg(**kw) -> DataConfig:
    return DataConfig(source="yahoo", symbol=kw.pop("symbol", "MSFT"), **kw)


def test_every_history_argument_is_explicit(fake_yahoo) -> None:
    yahoo.fetch(cfg())
    call = fake_yahoo.calls[0]
    assert call == {
        "ticker": "MSFT", "period": "max", "interval": "1d", "start": None, "end": None, "prepost": False,
        "actions": False, "auto_adjust": False, "back_adjust": False, "repair": False, "keepna": False,
        "rounding": False, "timeout": 30.0,
    }  # fmt: skip


def test_start_end_replace_period(fake_yahoo) -> None:
    yahoo.fetch(cfg(start=dt.date(2020, 1, 1), end=dt.date(2021, 1, 1), interval="1wk"))
    call = fake_yahoo.calls[0]
    assert (call["period"], call["start"], call["end"], call["interval"]) == (None, "2020-01-01", "2021-01-01", "1wk")


def test_yfinance_is_told_to_raise_errors(fake_yahoo) -> None:
    import yfinance

    yfinance.config.debug.hide_exceptions = True
    yahoo.fetch(cfg())
    assert yfinance.config.debug.hide_exceptions is False


@pytest.mark.parametrize("multiindex", [False, True])
def test_frame_is_normalised(fake_yahoo, multiindex: bool) -> None:
    fake_yahoo.responses = [yahoo_frame(days=3, multiindex=multiindex)]
    fetched = yahoo.fetch(cfg())
    frame = fetched.frame
    assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert frame.index.name == "date" and frame.index.tz is None
    assert list(frame.index) == list(pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))
    assert frame["close"].tolist() == [100.0, 101.0, 102.0]
    assert frame["adj_close"].tolist() == pytest.approx([90.0, 90.9, 91.8])
    assert fetched.adjusted == ("adj_close",)
    assert fetched.origin.startswith("yfinance ")


def test_daily_bars_keep_the_exchange_date_east_of_utc(fake_yahoo) -> None:
    # Tokyo midnight is the previous day in UTC: converting would shift every date.
    fake_yahoo.responses = [yahoo_frame(days=2, start="2024-03-04", tz="Asia/Tokyo")]
    frame = yahoo.fetch(cfg(symbol="7203.T")).frame
    assert [d.date().isoformat() for d in frame.index] == ["2024-03-04", "2024-03-05"]


def test_intraday_bars_are_utc(fake_yahoo) -> None:
    fake_yahoo.responses = [yahoo_frame(days=2, start="2024-01-02", intraday=True)]
    frame = yahoo.fetch(cfg(interval="5m")).frame
    assert frame.index[0] == pd.Timestamp("2024-01-02 14:30")  # 09:30 New York in January


def test_auto_adjust_is_recorded_not_guessed(fake_yahoo) -> None:
    fake_yahoo.responses = [yahoo_frame(auto_adjust=True)]
    fetched = yahoo.fetch(cfg(auto_adjust=True))
    assert fake_yahoo.calls[0]["auto_adjust"] is True
    assert "adj_close" not in fetched.frame.columns
    assert fetched.adjusted == ("open", "high", "low", "close")


def test_duplicated_last_bar_keeps_the_latest(fake_yahoo) -> None:
    frame = yahoo_frame(days=3)
    repeat = frame.iloc[[-1]].copy()
    repeat["Close"] = 555.0
    fake_yahoo.responses = [pd.concat([frame, repeat])]
    out = yahoo.fetch(cfg()).frame
    assert len(out) == 3 and out["close"].iloc[-1] == 555.0


def test_empty_frame_is_an_unknown_symbol(fake_yahoo) -> None:
    fake_yahoo.responses = [empty_df()]
    with pytest.raises(MissingInputError, match="no bars for NOPE") as info:
        yahoo.fetch(cfg(symbol="NOPE"))
    assert "delisted" in info.value.hint and info.value.exit_code == 66


@pytest.mark.parametrize(
    "error", [YFPricesMissingError("NOPE", "(1d 1926-01-01 -> 2024-01-01)"), YFTzMissingError("NOPE")]
)
def test_missing_errors_name_the_symbol(fake_yahoo, error) -> None:
    fake_yahoo.responses = [error]
    with pytest.raises(MissingInputError, match="NOPE"):
        yahoo.fetch(cfg(symbol="NOPE"))


def test_rate_limit_retries_with_backoff_then_succeeds(fake_yahoo) -> None:
    fake_yahoo.responses = [YFRateLimitError(), YFRateLimitError(), yahoo_frame(days=2)]
    assert len(yahoo.fetch(cfg()).frame) == 2
    assert fake_yahoo.sleeps == [2.0, 4.0]


def test_rate_limit_gives_up_with_try_later(fake_yahoo) -> None:
    fake_yahoo.responses = [YFRateLimitError()]
    with pytest.raises(TryLaterError) as info:
        yahoo.fetch(cfg(retries=2))
    assert len(fake_yahoo.calls) == 3 and info.value.exit_code == 75


def test_network_timeout_is_source_unavailable(fake_yahoo) -> None:
    fake_yahoo.responses = [Timeout("Operation timed out after 30001 milliseconds")]
    with pytest.raises(SourceUnavailableError, match="Timeout") as info:
        yahoo.fetch(cfg(retries=1))
    assert len(fake_yahoo.calls) == 2 and info.value.exit_code == 69


@pytest.mark.parametrize(
    "error",
    [
        DNSError("Failed to perform, curl: (6) Could not resolve host: query1.finance.yahoo.com", 6),
        ConnectionError("Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com", 7),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
    ],
)
def test_an_offline_machine_is_told_at_once_to_use_the_sample(fake_yahoo, error: OSError) -> None:
    # Waiting does not bring a network back, and no timeout fixes name resolution.
    fake_yahoo.responses = [error]
    with pytest.raises(SourceUnavailableError, match="Yahoo is unreachable for MSFT") as info:
        yahoo.fetch(cfg(retries=3))
    assert len(fake_yahoo.calls) == 1 and fake_yahoo.sleeps == []
    assert info.value.hint.startswith("for the bundled prices use --source sample") and info.value.exit_code == 69


def test_missing_columns_are_bad_data(fake_yahoo) -> None:
    fake_yahoo.responses = [yahoo_frame().drop(columns=["Adj Close"])]
    with pytest.raises(DataError, match="lacks columns adj_close"):
        yahoo.fetch(cfg())


def test_an_incomplete_or_duplicated_last_bar_is_never_cached(fake_yahoo, caplog) -> None:
    import numpy as np

    frame = yahoo_frame(days=5)
    frame = pd.concat([frame, frame.iloc[[-1]]])  # the last bar twice
    frame.iloc[-1, frame.columns.get_loc("Close")] = np.nan  # ... and still unfinished
    fake_yahoo.responses = [frame]
    fetched = yahoo.fetch(cfg())
    assert len(fetched.frame) == 4 and fetched.frame.index[-1] == pd.Timestamp("2024-01-05")
    assert "1 bar(s) with missing prices not cached (2024-01-08)" in caplog.text
