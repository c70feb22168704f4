"""A series handed over from Python becomes the config's data: saved to the cache as
source `frame` under a name, so the run reads it (and can be resumed, and predict from
it) like any cached series."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from forecast.config import Config, ConfigLike, build_config, raw_config
from forecast.data.sources import Fetched
from forecast.data.sources.frame import from_pandas
from forecast.data.sources.shared import snake
from forecast.data.store import Cache
from forecast.data.symbols import normalise_symbol
from forecast.errors import DataError, UsageError

log = logging.getLogger(__name__)


def with_frame(config: ConfigLike, overrides: list[str] | None, data: Any, data_dir: Path) -> Config:
    """The config reading `data` (a pandas Series or DataFrame) as source frame.

    The series is named by its own name (Series.name), else data.symbol, else SERIES. A
    data section written for another source (a shipped config's MSFT from Yahoo, with its
    dates) describes other data: only its target and features carry over."""
    raw = raw_config(config, overrides)
    section = raw.get("data") or {}
    if not isinstance(section, dict) or section.get("symbols") or section.get("symbols_file"):
        raise UsageError(
            "data= is one series, and this config names a universe (data.symbols)",
            hint="train one series at a time, or drop data.symbols",
        )
    if section.get("source") != "frame":
        dropped = sorted(set(section) - {"source", "target", "features"})
        if dropped:
            log.info(
                "the series from Python replaces the config's data source: data.%s not applied", ", data.".join(dropped)
            )
        section = {k: v for k, v in section.items() if k in ("target", "features")}
    own = getattr(data, "name", None)
    raw_name = own if isinstance(own, str) and own else section.get("symbol") or "SERIES"
    try:
        name = normalise_symbol(str(raw_name))
    except ValueError as exc:
        raise UsageError(f"cannot name the series {raw_name!r}: {exc}", hint="set data.symbol to a short name") from exc
    frame = from_pandas(data, name)
    target = section.get("target", "adj_close")
    if target not in frame.columns:
        if len(frame.columns) != 1:
            raise DataError(
                f"data.target {target} is not a column of the series {name} (it has: {', '.join(frame.columns)})",
                hint="set data.target",
            )
        target = frame.columns[0]
    raw["data"] = {**section, "source": "frame", "symbol": name, "path": None, "target": target}
    raw.setdefault("name", snake(name) or "series")
    resolved = build_config(raw, f"config {raw['name']} with a series from Python")
    Cache(data_dir).save(resolved.data, Fetched(frame, (), "pandas, from Python"), replace=True)
    return resolved
