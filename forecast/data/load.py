"""The series a config selects: from the cache for Yahoo (fetched into it first when
absent) and for a series from Python, straight from the source for local files and
samples; cut to the config's dates."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from forecast.data.sources import SPECS, DataRequest, fetch
from forecast.data.sources.shared import restrict
from forecast.data.store import Cache, fetch_into
from forecast.errors import MissingInputError

log = logging.getLogger(__name__)


def load_series(data: DataRequest, data_dir: Path) -> pd.DataFrame:
    spec = SPECS[data.source]
    if not spec.cached:
        return fetch(data).frame
    cache = Cache(data_dir)
    found = cache.usable(data.source, data.symbol, data.interval)
    if found is None and not spec.fetches:
        raise MissingInputError(
            f"no series named {data.symbol} from Python in the cache {data_dir}",
            hint="hand it over again: forecast.train(config, data=series)",
        )
    if found is None:
        log.info("%s is not in the cache %s; fetching it (source %s)", data.symbol, data_dir, data.source)
        fetch_into(cache, data)
        found = cache.load(data.source, data.symbol, data.interval)
    return restrict(found[0], data)
