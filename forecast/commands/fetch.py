"""`forecast fetch` and `forecast data list|show`: series into the local cache, and what it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast.config import data_config_from_options
from forecast.data import data_root
from forecast.data.frequency import infer_frequency
from forecast.data.sources import SOURCES, SPECS
from forecast.data.store import Cache, fetch_into
from forecast.data.symbols import normalise_symbol, symbol_from_filename
from forecast.errors import ForecastError, MissingInputError, UsageError

# One result per symbol: the cache's sidecar with path, added and revised; or symbol, error, exit_code.
Result = dict[str, Any]


def fetch(
    symbols: str | list[str],
    *,
    source: str = "yahoo",
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    interval: str = "1d",
    auto_adjust: bool = False,
    date_column: str = "date",
    date_format: str | None = None,
    repair: bool = False,
    accept_revision: bool = False,
    data_dir: Path | None = None,
    on_each: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Fetch each symbol (with a path-taking source such as csv: each file) into the cache,
    merging new bars, never shrinking it (accept_revision: a source's revised history replaces the
    cached bars over its span, the old cache kept aside). One symbol's failure raises; with several, each
    failure becomes a result and the others go on."""
    names = [symbols] if isinstance(symbols, str) else list(symbols)
    cache = Cache(data_root(data_dir))
    takes_path = source in SPECS and SPECS[source].takes_path
    results: list[Result] = []
    for name in names:
        if not takes_path and name.lower().endswith(".csv"):
            raise UsageError(
                f"{name} looks like a CSV file, not a symbol", hint=f"run: forecast fetch {name} --source csv"
            )
        try:
            config = data_config_from_options(
                source=source,
                symbol=None if takes_path else name,
                path=name if takes_path else None,
                period=period,
                start=start,
                end=end,
                interval=interval,
                auto_adjust=auto_adjust,
                date_column=date_column,
                date_format=date_format,
                repair=repair,
            )
            saved = fetch_into(cache, config, accept_revision)
            result: Result = {**saved.meta, "path": str(saved.path), "added": saved.added, "revised": saved.revised}
        except ForecastError as exc:
            if len(names) == 1:
                raise
            result = {"symbol": name, "error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code}
        results.append(result)
        if on_each is not None:
            on_each(result)
    return results


def cached(data_dir: Path | None = None) -> list[dict[str, Any]]:
    """The cache's sidecars, sorted by source then symbol (an unreadable one has an error)."""
    return Cache(data_root(data_dir)).entries()


def show_cached(symbol: str, source: str | None = None, interval: str = "1d", data_dir: Path | None = None) -> list:
    """[(frame, sidecar)] of a cached symbol, for one source or every source that has it.
    A CSV is found by the path it was fetched from too (fetch prices.csv, data show prices.csv)."""
    try:
        is_file = symbol.lower().endswith(".csv")
        symbol = symbol_from_filename(Path(symbol).stem) if is_file else normalise_symbol(symbol)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if source is not None and source not in SOURCES:
        raise UsageError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    cache = Cache(data_root(data_dir))
    found = [hit for s in ([source] if source else SOURCES) if (hit := cache.find(s, symbol, interval))]
    for frame, meta in found:  # a sidecar written before 0.2 did not record it
        meta.setdefault("frequency", infer_frequency(frame.index).name)
    if not found:
        raise MissingInputError(
            f"{symbol} ({interval}) is not in the cache {cache.root}",
            hint=f"run: forecast fetch {symbol}  (or see: forecast data list)",
        )
    return found
