"""fetch: where series come from (sources/) and the local cache (store.py).

The roots are defined here, with nothing heavy imported, so every command can find
them without loading pandas.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "FORECAST_DATA_DIR"


def data_root(explicit: Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_VAR) or "data")


def library_cache(name: str) -> Path:
    """Where a third-party library may keep its cache: <data root>/.cache/<name> (absolute)."""
    return (data_root() / ".cache" / name).resolve()
