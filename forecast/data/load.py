"""The series a config selects: from the cache for Yahoo (fetched into it first when
absent), straight from the source for local ones, cut to the config's dates."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from forecast.data.sources import DataRequest, fetch
from forecast.data.sources.frame import restrict
from forecast.data.store import Cache

log = logging.getLogger(__name__)


def load_series(data: DataRequest, data_dir: Path) -> pd.DataFrame:
    if data.source != "yahoo":
        return fetch(data).frame
    cache = Cache(data_dir)
    found = cache.find(data.source, data.symbol, data.interval)
    if found is None:
        log.info("%s is not in the cache %s; fetching it from Yahoo", data.symbol, data_dir)
        cache.save(data, fetch(data))
        found = cache.load(data.source, data.symbol, data.interval)
    return restrict(found[0], data)
