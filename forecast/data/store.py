"""The local price cache: data/<source>/<SYMBOL>_<interval>.parquet plus a JSON sidecar.

<interval> is the bar size asked of a source that fetches by it (Yahoo: 1d, 1wk, 5m); a
series no interval was asked for (a CSV, a sample, a series from Python) is named by the
rhythm of its own dates (UNEMPLOYMENT_1mo, CO2_1wk; frequency.py's labels), so a weekly
CSV is never filed as daily.

Rules that keep a user's data safe:
- a save merges new bars into what is cached (new values win where dates overlap);
  the result never has fewer rows than the cache had, so a short or stale answer from
  a source can never shrink it (a series from Python replaces its namesake: it is the
  user's own data, not a source's bars);
- an answer from a network source that ends before the cache does (stale) or holds fewer
  bars over the span the cache covers (truncated) is refused before anything is written
  (exit 75, try later), and so is an empty answer for a symbol the cache holds;
- every write is atomic (temporary file, then os.replace): the parquet first, the
  sidecar last, and the sidecar's sha256 must match the parquet for a load to succeed;
- paths come from validated symbols only, so nothing is written outside the root.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import atomic
from forecast.data import ENV_VAR, data_root, library_cache  # noqa: F401  (re-exported: store is where callers look)
from forecast.data.answers import check_answer, merge, revise, span
from forecast.data.frequency import infer_frequency
from forecast.data.sources import SPECS, DataRequest, Fetched, fetch
from forecast.data.symbols import normalise_symbol
from forecast.errors import DataError, MissingInputError, TryLaterError, UsageError

log = logging.getLogger(__name__)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Saved:
    meta: dict[str, Any]
    path: Path
    added: int  # bars not in the cache before
    revised: int  # cached bars whose values the source changed (e.g. re-adjusted)


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def paths(self, source: str, symbol: str, interval: str) -> tuple[Path, Path]:
        return self._files(source, symbol, self.label(source, symbol, interval))

    def _files(self, source: str, symbol: str, label: str) -> tuple[Path, Path]:
        name = f"{normalise_symbol(symbol)}_{label}"
        folder = self.root / source
        parquet, sidecar = folder / f"{name}.parquet", folder / f"{name}.json"
        # Defence in depth: symbols are validated, but never trust a path we built.
        if self.root.resolve() not in parquet.resolve().parents:
            raise UsageError(f"symbol {symbol!r} would leave the cache root {self.root}")
        return parquet, sidecar

    def label(self, source: str, symbol: str, interval: str) -> str:
        """The <interval> of a cache file: as asked for a source that fetches by interval, else the
        label the series' dates gave when it was saved (the newest, should an interrupted
        replacement have left two)."""
        if SPECS[source].fetches:
            return interval
        held = [(sidecar.stat().st_mtime, label) for sidecar, label in self._held(source, symbol)]
        return max(held)[1] if held else interval

    def _held(self, source: str, symbol: str) -> list[tuple[Path, str]]:
        """(sidecar, label) of every file of a symbol in a source's folder (a symbol holds no
        underscore, so none other matches, and the label is what follows it)."""
        name = normalise_symbol(symbol)
        return [(sidecar, sidecar.stem.rpartition("_")[2]) for sidecar in (self.root / source).glob(f"{name}_*.json")]

    # --- reading ---------------------------------------------------------------

    def read_meta(self, sidecar: Path) -> dict[str, Any]:
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
            raise DataError(
                f"cache sidecar {sidecar} is unreadable ({exc})",
                hint="move it and its .parquet away, then fetch again",
            ) from exc
        if not isinstance(meta, dict):
            raise DataError(f"cache sidecar {sidecar} is not a JSON object", hint="move it away, then fetch again")
        return meta

    def load(self, source: str, symbol: str, interval: str) -> tuple[pd.DataFrame, dict[str, Any]]:
        parquet, sidecar = self.paths(source, symbol, interval)
        if not parquet.exists() or not sidecar.exists():
            raise MissingInputError(
                f"no cached {source} data for {symbol} ({interval}) under {self.root}",
                hint=f"run: forecast fetch {symbol} --source {source} --interval {interval}",
            )
        meta = self.read_meta(sidecar)
        try:
            digest = sha256_file(parquet)
        except OSError as exc:  # a folder in its place, unreadable
            raise DataError(
                f"cache file {parquet} is unreadable ({exc.strerror or exc})", hint="move it away, then fetch again"
            ) from exc
        if meta.get("sha256") != digest:
            raise DataError(
                f"cache file {parquet} does not match its sidecar's sha256 (interrupted write or edited by hand)",
                hint="move both files away, then fetch again",
            )
        try:
            frame = pd.read_parquet(parquet)
        except ImportError:
            raise  # pyarrow does not import: the environment, not this file (forecast/workers/environment.py)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise DataError(
                f"cache file {parquet} is unreadable: {exc}", hint="move it away, then fetch again"
            ) from exc
        return frame, meta

    def find(self, source: str, symbol: str, interval: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        parquet, sidecar = self.paths(source, symbol, interval)
        if not parquet.exists() and not sidecar.exists():
            return None
        return self.load(source, symbol, interval)

    def usable(self, source: str, symbol: str, interval: str) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """What find() gives; an entry of a source that fetches which cannot be read (cut short,
        edited, foreign) is named in a warning and moved aside (<file>.damaged), so that the
        next fetch asks for the whole history: None then."""
        try:
            return self.find(source, symbol, interval)
        except DataError as exc:
            if not SPECS[source].fetches:
                raise  # a series from Python: the user's own, not a source's to fetch again
            for path in self.paths(source, symbol, interval):
                if path.exists():
                    os.replace(path, path.with_name(f"{path.name}.damaged"))
            log.warning("%s; moved aside (.damaged): the whole history is fetched again", exc.message)
            return None

    def entries(self) -> list[dict[str, Any]]:
        """Sidecars of everything cached, sorted by source then symbol."""
        if not self.root.is_dir():
            return []
        found = []
        for sidecar in sorted(self.root.glob("*/*.json")):
            try:
                meta = self.read_meta(sidecar)
            except DataError as exc:
                meta = {"source": sidecar.parent.name, "symbol": sidecar.stem, "error": exc.message}
            meta["path"] = str(sidecar.with_suffix(".parquet"))
            found.append(meta)
        return found

    # --- writing ---------------------------------------------------------------

    def save(
        self, config: DataRequest, fetched: Fetched, replace: bool = False, accept_revision: bool = False
    ) -> Saved:
        """Merge fetched bars into the cache; replace=True stores exactly `fetched` (a user's own
        series from Python, which is not a source's bars to merge); accept_revision: the source's
        answer replaces the cached bars over its span, bars it dropped included (answers.revise),
        and the cache as it was is kept aside (<file>.before-revision)."""
        held, _ = self.paths(config.source, config.symbol, config.interval)  # what is cached, if anything
        old = None if replace else self.usable(config.source, config.symbol, config.interval)
        frame, added, revised = fetched.frame, len(fetched.frame), 0
        if old is not None:
            cached, meta = old
            if bool(meta.get("auto_adjust")) != config.auto_adjust:
                raise UsageError(
                    f"{held} holds auto_adjust={str(meta.get('auto_adjust')).lower()} prices; "
                    f"this fetch asks for auto_adjust={str(config.auto_adjust).lower()}",
                    hint="fetch with the same adjustment, or use another --data-dir",
                )
            if SPECS[config.source].fetches:
                check_answer(config, cached, fetched.frame, held, accept_revision)
            frame, added, revised = merge(cached, fetched.frame)
            if accept_revision and not fetched.frame.empty:
                frame, dropped = revise(cached, fetched.frame)
                if dropped:
                    shutil.copy2(held, held.with_name(f"{held.name}.before-revision"))
                    log.warning(
                        "%s: %d cached bar(s) the source no longer has were dropped (--accept-revision); "
                        "the cache as it was is kept as %s.before-revision",
                        config.symbol,
                        dropped,
                        held.name,
                    )
            if revised:
                log.warning(
                    "%s: %d cached bar(s) changed value at the source (e.g. re-adjusted after a dividend "
                    "or split); the new values replace them",
                    config.symbol,
                    revised,
                )
        frequency = infer_frequency(pd.DatetimeIndex(frame.index))
        interval = config.interval if SPECS[config.source].fetches else frequency.label
        parquet, sidecar = self._files(config.source, config.symbol, interval)
        with atomic.replacing(parquet) as tmp:
            frame.to_parquet(tmp, engine="pyarrow")
        meta = {
            "source": config.source,
            "symbol": config.symbol,
            "interval": interval,
            "origin": fetched.origin,
            "auto_adjust": config.auto_adjust,
            "adjusted_columns": list(fetched.adjusted),
            "columns": list(frame.columns),
            "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "rows": len(frame),
            # What the dates are (a Yahoo interval asked for says what was requested, not what came).
            "frequency": frequency.name,
            "first": frame.index[0].isoformat() if len(frame) else None,
            "last": frame.index[-1].isoformat() if len(frame) else None,
            "sha256": sha256_file(parquet),
        }
        atomic.write_text(sidecar, json.dumps(meta, indent=2) + "\n")
        if not SPECS[config.source].fetches:  # the series replaced one whose dates had another rhythm
            for other, label in self._held(config.source, config.symbol):
                if label != interval:
                    other.with_suffix(".parquet").unlink(missing_ok=True)
                    other.unlink()
        return Saved(meta, parquet, added, revised)


# Refetch this far before the cache's last bar: a provisional last bar (fetched during
# the session) is replaced by the final one, and a missed day is filled in.
REFRESH_OVERLAP_DAYS = 7


def fetch_into(cache: Cache, config: DataRequest, accept_revision: bool = False) -> Saved:
    """Fetch from the source and merge into the cache (on any failure nothing is written)."""
    try:
        fetched = fetch(config)
    except MissingInputError as exc:
        found = cache.usable(config.source, config.symbol, config.interval) if SPECS[config.source].fetches else None
        if found is None:
            raise
        held = span(found[0])
        raise TryLaterError(
            f"{exc.message}, though the cache holds {config.symbol} ({held}): most likely a source outage or "
            f"rate limit, not an unknown symbol; the cache is unchanged",
            hint="try again later",
        ) from exc
    return cache.save(config, fetched, accept_revision=accept_revision)


def refresh(cache: Cache, config: DataRequest) -> Saved:
    """Bring a yahoo series up to date: fetch only bars from shortly before the cached end.

    The merge never drops a cached bar; on a source failure nothing is written.
    """
    found = cache.usable(config.source, config.symbol, config.interval)
    if found is None:
        return fetch_into(cache, config)
    since = (found[0].index[-1] - pd.Timedelta(days=REFRESH_OVERLAP_DAYS)).date()
    recent = config.model_copy(update={"start": since, "end": None, "period": None})
    return fetch_into(cache, recent)
