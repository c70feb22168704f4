"""The forecast log: every forecast `forecast predict` publishes, kept so that it can be scored
when its actuals arrive (`forecast score`, issue 21).

    <runs root>/forecasts/<name>/<origin>_<predict run>.parquet    one file per forecast
    <runs root>/forecasts/<name>/live.json, live.png              the newest forecast score

<name> is the model's name (the config's `name`, the registry's model). Each forecast is one
parquet file, written to a temporary name and renamed into place: an append that is atomic
(a crash or Ctrl-C leaves the log as it was) and never rewrites what was logged. The folder
reads as one table, one row per forecast step, cheap to filter by name, origin or date.

A row holds what is needed to score it later without the run that made it: the origin (the
last bar the forecast saw) and its value, which is also naive's forecast from that origin,
the target date, the point forecast and the bands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from pathlib import Path

import pandas as pd

from forecast import atomic
from forecast.rundir.files import ForecastFile

log = logging.getLogger(__name__)
FOLDER = "forecasts"
# Views beside the log, rewritten by every `forecast score`: the scores and their figure.
LIVE_JSON, LIVE_PNG = "live.json", "live.png"
# One vocabulary with forecast.csv: date, step, forecast, lower_80, upper_80, ...
KEYS = (
    "made",
    "name",
    "predict_run",
    "model_run",
    "champion",
    "symbol",
    "target",
    "forecaster",
    "as_of",
    "origin",
    "origin_value",
    "data",
)


def log_root(runs_root: Path) -> Path:
    return runs_root / FOLDER


def record(
    runs_root: Path,
    name: str,
    table: pd.DataFrame,
    info: ForecastFile,
    *,
    predict_run: Path,
    champion: bool,
    data: str,
) -> Path:
    """Log one forecast (predict's table and info): one new file, never an edit of an old one.
    data: the model's data section as JSON, to find its actuals later without its run (pruned)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bands = [c for c in table.columns if c.startswith(("lower_", "upper_"))]
    rows = table[["date", "step", "forecast", *bands]].copy()
    rows["date"] = pd.to_datetime(rows["date"])
    facts = {
        "made": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "name": name,
        "predict_run": predict_run.name,
        "model_run": info.run,
        "champion": champion,
        "symbol": info.symbol,
        "target": info.target,
        "forecaster": info.forecaster,
        "as_of": info.as_of is not None,  # made afterwards from a past date: not a live forecast
        "origin": pd.Timestamp(info.last_bar),
        "origin_value": info.last_value,
        "data": data,
    }
    frame = pd.concat([pd.DataFrame({k: [facts[k]] * len(rows) for k in KEYS}), rows.reset_index(drop=True)], axis=1)
    folder = log_root(runs_root) / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{info.last_bar}_{predict_run.name}.parquet"
    with atomic.replacing(path) as tmp:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    return path


def _models(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def read(runs_root: Path, name: str | None = None, since: dt.date | None = None) -> pd.DataFrame:
    """Every logged forecast step (of model `name`, or all), made from an origin on or after `since`.
    A file that cannot be read as a logged forecast (cut short, empty, foreign) is named in a
    warning and moved aside (<file>.damaged): the others are scored, and it is never read again."""
    root = log_root(runs_root)
    folders = [root / name] if name else _models(root)
    # Not the dot-named temporary file of a forecast being logged right now (atomic.replacing).
    files = sorted(f for folder in folders if folder.is_dir() for f in folder.glob("[!.]*.parquet"))
    frames = [frame for frame in map(_logged, files) if frame is not None]
    if not frames:
        return pd.DataFrame(columns=[*KEYS, "date", "step", "forecast"])
    frame = pd.concat(frames, ignore_index=True)
    if since is not None:
        frame = frame[frame["origin"] >= pd.Timestamp(since)]
    return frame.reset_index(drop=True)


def _logged(path: Path) -> pd.DataFrame | None:
    try:
        frame = pd.read_parquet(path)
        missing = [key for key in (*KEYS, "date", "step", "forecast") if key not in frame.columns]
        if missing:
            raise ValueError(f"it has no column {missing[0]}")
    except ImportError:
        raise  # pyarrow does not import: the environment, not this file
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        aside = path.with_name(f"{path.name}.damaged")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        log.warning(
            "the logged forecast %s is unreadable (%s): moved aside to %s; the others are scored",
            path,
            _first_line(exc),
            aside.name,
        )
        return None
    return frame


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
