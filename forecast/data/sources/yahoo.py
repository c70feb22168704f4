"""Yahoo Finance through yfinance's single-symbol history call (yf.Ticker).

Every argument is passed explicitly, so a change of yfinance's defaults cannot change
what we fetch. yfinance's failure shapes become ForecastErrors:

- empty frame or YF*MissingError -> MissingInputError (unknown/delisted symbol, no trading)
- YFRateLimitError               -> bounded retries with backoff, then TryLaterError
- no name resolution, refused     -> SourceUnavailableError at once, naming --source sample (offline)
- other network error or timeout -> bounded retries, then SourceUnavailableError
- missing price columns          -> DataError
"""

from __future__ import annotations

import errno
import logging
import socket
import time

import numpy as np
import pandas as pd

from forecast.data import library_cache
from forecast.data.sources import DataRequest, Fetched
from forecast.data.sources.shared import normalise
from forecast.errors import (
    DataError,
    MissingInputError,
    SourceUnavailableError,
    TryLaterError,
    UsageError,
)

log = logging.getLogger(__name__)

# Seconds before retry k (1-based): 2, 4, 8, ... capped. A module attribute so tests
# can replace the sleep.
BACKOFF_BASE = 2.0
BACKOFF_CAP = 30.0
sleep = time.sleep
# curl: 5 could not resolve the proxy, 6 could not resolve the host, 7 could not connect.
CURL_UNREACHABLE = (5, 6, 7)


def history_arguments(config: DataRequest) -> dict[str, object]:
    """The exact keyword arguments given to yfinance.Ticker.history."""
    ranged = config.start is not None or config.end is not None
    return {
        "period": None if ranged else (config.period or "max"),
        "interval": config.interval,
        "start": config.start.isoformat() if config.start else None,
        "end": config.end.isoformat() if config.end else None,
        "prepost": False,
        "actions": False,
        "auto_adjust": config.auto_adjust,
        "back_adjust": False,
        "repair": False,
        "keepna": False,
        "rounding": False,
        "timeout": config.timeout,
    }


def unreachable(exc: OSError) -> bool:
    """No name resolution, or nothing listening: this machine is offline (or walled off), which
    waiting does not change. Timeouts and resets are transient, and retried."""
    code = int(getattr(exc, "code", 0) or 0)  # curl's error code, on curl_cffi's errors
    return (
        code in CURL_UNREACHABLE
        or isinstance(exc, (socket.gaierror, ConnectionRefusedError))
        or exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED)
    )


def _describe(config: DataRequest) -> str:
    args = history_arguments(config)
    span = f"period {args['period']}" if args["period"] else f"{args['start'] or '...'} to {args['end'] or 'now'}"
    return f"{config.symbol} ({config.interval}, {span})"


def fetch(config: DataRequest) -> Fetched:
    # yfinance falls back to plain requests when curl_cffi does not import, and then fails
    # on its first request with an AttributeError: import it first, so a broken curl_cffi
    # is reported as what it is (forecast/workers/environment.py).
    import curl_cffi  # noqa: F401
    import yfinance as yf
    from yfinance.exceptions import (
        YFException,
        YFInvalidPeriodError,
        YFRateLimitError,
        YFTickerMissingError,
    )

    # yfinance 1.x logs errors and returns an empty frame unless told to raise; this
    # switch replaces the deprecated raise_errors= argument of history().
    yf.config.debug.hide_exceptions = False
    # yfinance's time-zone and cookie caches go under the data root, not into $HOME.
    yf.set_tz_cache_location(str(library_cache("yfinance")))
    arguments = history_arguments(config)
    what = _describe(config)

    for attempt in range(config.retries + 1):
        last = attempt == config.retries
        try:
            raw = yf.Ticker(config.symbol).history(**arguments)
            break
        except YFRateLimitError as exc:
            if last:
                raise TryLaterError(
                    f"Yahoo rate-limited {what} after {attempt + 1} attempts",
                    hint="wait a few minutes and run the same command again",
                ) from exc
            reason = "rate limited"
        except YFInvalidPeriodError as exc:
            raise UsageError(f"Yahoo refused period for {what}: {exc}") from exc
        except YFTickerMissingError as exc:
            raise MissingInputError(
                f"Yahoo has no prices for {what}: {exc.rationale}",
                hint="check the symbol on finance.yahoo.com (unknown or delisted symbol, or no trading in that range)",
            ) from exc
        except YFException as exc:
            raise SourceUnavailableError(f"Yahoo failed for {what}: {exc}", hint="try again later") from exc
        except OSError as exc:  # curl_cffi's network errors and timeouts are OSErrors
            if unreachable(exc):  # offline: no retry helps, and no timeout either
                raise SourceUnavailableError(
                    f"Yahoo is unreachable for {what} ({type(exc).__name__}: {exc})",
                    hint="for the bundled prices use --source sample (or FORECAST_SOURCE=sample)",
                ) from exc
            if last:
                raise SourceUnavailableError(
                    f"could not reach Yahoo for {what}: {type(exc).__name__}: {exc}",
                    hint="check the network connection, or raise data.timeout",
                ) from exc
            reason = f"network error ({type(exc).__name__})"
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        log.warning("%s for %s; retry %d of %d in %.0f s", reason, config.symbol, attempt + 1, config.retries, delay)
        sleep(delay)

    if raw is None or raw.empty:
        raise MissingInputError(
            f"Yahoo returned no bars for {what}",
            hint="unknown or delisted symbol, or no trading in that range; check the symbol and dates",
        )
    try:
        frame = normalise(raw, config.interval)
    except ValueError as exc:
        raise DataError(f"Yahoo answer for {what} has an unexpected shape: {exc}") from exc
    required = ("open", "high", "low", "close", "volume") + (() if config.auto_adjust else ("adj_close",))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"Yahoo answer for {what} lacks columns {', '.join(missing)} (has {', '.join(frame.columns)})",
            hint="try again later; if it persists, report it with --verbose output",
        )
    missing_prices = frame[list(required)].isna().any(axis=1).to_numpy()
    # Trailing bars only: an unfinished session. A gap inside the series is kept, and
    # training refuses it with its dates, rather than silently skipping a day.
    incomplete = pd.Series(np.logical_and.accumulate(missing_prices[::-1])[::-1], index=frame.index)
    if incomplete.any():
        # Never cached, so the next fetch (which overlaps the cache's end) stores the final values.
        log.warning(
            "%s: %d bar(s) with missing prices not cached (%s); a later fetch fills them in",
            config.symbol,
            int(incomplete.sum()),
            ", ".join(d.isoformat()[:10] for d in frame.index[incomplete][:3]),
        )
        frame = frame[~incomplete]
    if frame.empty:
        raise MissingInputError(f"Yahoo returned only empty bars for {what}", hint="check the symbol and dates")
    adjusted = ("open", "high", "low", "close") if config.auto_adjust else ("adj_close",)
    return Fetched(frame, adjusted, f"yfinance {yf.__version__}")
