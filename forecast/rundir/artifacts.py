"""Typed load and save of a run's files: one function per artifact, named by the
constants in rundir/__init__.py. Every write goes to a temporary name, then os.replace.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import ValidationError

from forecast import atomic
from forecast.config import Config, load_config
from forecast.data.frequency import Frequency, infer_frequency, named
from forecast.errors import DataError, ForecastError, MissingInputError
from forecast.network.training import import_keras
from forecast.prepare.encoding import Encoding
from forecast.prepare.windows import Split
from forecast.rundir import (
    BACKTEST,
    COMPARISON,
    COMPETITORS,
    CONFIG,
    ENCODING,
    FORECAST_JSON,
    HISTORY,
    METRICS,
    MODEL,
    PREDICTIONS,
    SERIES,
    SPLIT,
    TUNE,
    UNIVERSE,
    VALIDATION,
    RunDir,
)
from forecast.rundir.files import BacktestFile, ComparisonFile, File, ForecastFile, TuneFile, UniverseFile
from forecast.rundir.verify import verified
from forecast.scoring.competitors import Outcome
from forecast.scoring.metrics_file import Metrics

FileT = TypeVar("FileT", bound=File)


@contextlib.contextmanager
def reading(run: RunDir, name: str) -> Iterator[Path]:
    """The run file `name`, checked against the sha256 its stage recorded (verify.verified), for
    reading: one that cannot be read (cut short, foreign) is an error naming it (exit 65), not an
    internal error."""
    path = verified(run, name)
    if not path.is_file():
        raise MissingInputError(f"{path} not found", hint=f"make it again: forecast train --run-dir {run.path}")
    try:
        yield path
    except (ForecastError, ImportError, KeyboardInterrupt):
        raise
    except Exception as exc:  # parquet, numpy, zip and csv readers raise many unrelated types
        raise DataError(
            f"{path} is unreadable ({type(exc).__name__}: {str(exc)[:160]})",
            hint=f"make it again: forecast train --run-dir {run.path} --force",
        ) from exc


def save_series(run: RunDir, frame: pd.DataFrame) -> None:
    with atomic.replacing(run.file(SERIES)) as tmp:
        frame.to_parquet(tmp, engine="pyarrow")


def read_series(run: RunDir) -> pd.DataFrame:
    with reading(run, SERIES) as path:
        return pd.read_parquet(path)


def read_config(run: RunDir, overrides: list[str] | None = None) -> Config:
    """config.yaml: the resolved config the run was made with (old names read quietly)."""
    return load_config(run.file(CONFIG), overrides, warn_renamed=False)


def read_encoding(run: RunDir) -> Encoding:
    """encoding.json: the run's encoding (target transform, window normalisation, MinMax)."""
    with reading(run, ENCODING):
        payload = run.read_json(ENCODING)
    if "lookback" not in payload:  # written before the encoding carried its window geometry
        prep = read_config(run).prep
        payload = {**payload, "lookback": prep.lookback, "output_steps": prep.output_steps}
    return Encoding.from_dict(payload)


@dataclass(frozen=True)
class SplitFile(Split):
    """split.npz: the model values before scaling, and the split's window positions."""

    values: np.ndarray  # (rows, channels): the target transformed, features as they are


def save_split(run: RunDir, values: np.ndarray, split: Split) -> None:
    """Model values before scaling and the window positions: windows are cut, normalised
    and scaled when used (prepare/encoding.py), never stored three times over."""
    atomic.write_npz(
        run.file(SPLIT),
        values=values,
        train=split.train,
        val=split.val,
        test=split.test,
        lookback=split.lookback,
        output_steps=split.output_steps,
        train_start=split.train_start,
        val_start=split.val_start,
        test_start=split.test_start,
        test_end=split.test_end,
    )


def read_split(run: RunDir) -> SplitFile:
    with reading(run, SPLIT) as path, np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    if "horizon" in arrays:  # windows.npz, written before 0.2
        arrays["output_steps"] = arrays.pop("horizon")
    lookback, train, values = int(arrays["lookback"]), arrays["train"], arrays["values"]
    # Written before the split stored its first and last rows: the first training window's inputs
    # start at the first row any window may read; the test part runs to the series' end.
    train_start = int(arrays.get("train_start", int(train[0]) - lookback if len(train) else 0))
    test_end = int(arrays["test_end"]) if "test_end" in arrays else len(values)
    return SplitFile(
        lookback,
        int(arrays["output_steps"]),
        train_start,
        int(arrays["val_start"]),
        int(arrays["test_start"]),
        test_end,
        train,
        arrays["val"],
        arrays["test"],
        values,
    )


def read_split_starts(run: RunDir) -> tuple[int, int]:
    """(validation start, test start) rows: two scalars, the window arrays stay on disk."""
    with reading(run, SPLIT) as path, np.load(path) as npz:
        return int(npz["val_start"]), int(npz["test_start"])


def read_frequency(run: RunDir) -> Frequency:
    """The series' frequency as the snapshot stage recorded it; inferred from series.parquet for
    a run whose snapshot did not record one."""
    recorded = run.manifest().get("stages", {}).get("snapshot", {}).get("info", {}).get("frequency")
    if recorded is not None:
        return named(recorded)
    return infer_frequency(pd.DatetimeIndex(read_series(run).index))


def save_validation(run: RunDir, origins: np.ndarray, forecast: np.ndarray) -> None:
    """The network's (origins, steps) forecasts of the validation part, for predict's bands."""
    atomic.write_npz(run.file(VALIDATION), origins=origins, forecast=forecast)


def read_validation(run: RunDir) -> tuple[np.ndarray, np.ndarray]:
    with reading(run, VALIDATION) as path, np.load(path) as npz:
        return npz["origins"], npz["forecast"]


def save_competitors(run: RunDir, outcome: Outcome) -> None:
    """Each competitor's (test windows, steps) forecasts, what was fitted and why any was
    skipped (as JSON text: nothing here needs pickle to load)."""
    arrays = {f"forecast_{name}": values for name, values in outcome.forecasts.items()}
    arrays |= {f"validation_{name}": values for name, values in outcome.validation.items()}
    atomic.write_npz(run.file(COMPETITORS), info=np.array(json.dumps(outcome.info())), **arrays)


def read_competitors(run: RunDir) -> Outcome:
    """What the competitors stage saved; nothing for a run made before 0.2 had competitors."""
    if not run.exists(COMPETITORS):
        return Outcome()
    with reading(run, COMPETITORS) as path, np.load(path) as npz:
        info = json.loads(str(npz["info"]))
        forecasts = {key.removeprefix("forecast_"): npz[key] for key in npz.files if key.startswith("forecast_")}
        validation = {key.removeprefix("validation_"): npz[key] for key in npz.files if key.startswith("validation_")}
    return Outcome(forecasts, info["fitted"], skipped=info["skipped"], validation=validation)


def load_model(run: RunDir):
    keras = import_keras()
    # safe_mode (the default, stated here on purpose): no arbitrary code from the file.
    with reading(run, MODEL) as path:
        return keras.saving.load_model(path, safe_mode=True)


def save_trained(run: RunDir, model: Any, result: Any) -> dict[str, Any]:
    # Written only after training finished: an interrupted fit leaves no model to trust.
    with atomic.replacing(run.file(MODEL)) as tmp:
        model.save(tmp)
    history = pd.DataFrame(result.history)
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    run.write_text(HISTORY, history.to_csv())
    return {
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "parameters": int(model.count_params()),
        "fit_seconds": round(result.seconds, 3),
    }


def save_metrics(run: RunDir, metrics: Metrics) -> None:
    run.write_json(METRICS, metrics.to_json())


def read_metrics(run: RunDir) -> Metrics:
    """metrics.json, checked against its type: a file of another shape is an error naming it."""
    try:
        with reading(run, METRICS):
            payload = run.read_json(METRICS)
        return Metrics.model_validate(payload)
    except ValidationError as exc:
        raise DataError(
            f"{run.file(METRICS)} is not a metrics file of this version ({exc.errors()[0]['msg']})",
            hint=f"score the run again: forecast evaluate {run.path}",
        ) from exc


def read_history(run: RunDir) -> pd.DataFrame:
    with reading(run, HISTORY) as path:
        return pd.read_csv(path, index_col="epoch")


def write_csv(path: Path, table: pd.DataFrame) -> None:
    """Streamed to a temporary file (no whole-file string in memory), then renamed into place.
    Daily series are written with plain dates; intraday ones keep their times."""
    daily = bool((table["date"] == table["date"].dt.normalize()).all())
    with atomic.replacing(path) as tmp:
        table.to_csv(tmp, index=False, date_format="%Y-%m-%d" if daily else "%Y-%m-%dT%H:%M:%S")


# --- the JSON files of compare, backtest, tune, predict and a global model (files.py) -----------


def _typed(run: RunDir, name: str, kind: type[FileT]) -> FileT:
    """A JSON run file checked against its type: a file of another shape is an error naming it."""
    try:
        with reading(run, name):
            payload = run.read_json(name)
        return kind.model_validate(payload)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise DataError(
            f"{run.file(name)} is not a {name} of this version ({where}: {problem['msg']})",
            hint=f"make the run again; {run.path} is left as it is",
        ) from exc


def save_comparison(run: RunDir, comparison: ComparisonFile) -> None:
    run.write_json(COMPARISON, comparison.to_json())


def read_comparison(run: RunDir) -> ComparisonFile:
    return _typed(run, COMPARISON, ComparisonFile)


def save_backtest(run: RunDir, backtest: BacktestFile) -> None:
    run.write_json(BACKTEST, backtest.to_json())


def read_backtest(run: RunDir) -> BacktestFile:
    return _typed(run, BACKTEST, BacktestFile)


def save_tune(run: RunDir, tune: TuneFile) -> None:
    run.write_json(TUNE, tune.to_json())


def read_tune(run: RunDir) -> TuneFile:
    return _typed(run, TUNE, TuneFile)


def save_forecast(run: RunDir, forecast: ForecastFile) -> None:
    run.write_json(FORECAST_JSON, forecast.to_json())


def read_forecast(run: RunDir) -> ForecastFile:
    return _typed(run, FORECAST_JSON, ForecastFile)


def save_universe(run: RunDir, universe: UniverseFile) -> None:
    run.write_json(UNIVERSE, universe.to_json())


def read_predictions(run: RunDir, step: int | None = None) -> pd.DataFrame:
    """predictions.csv: a row per test window and step (dates parsed); only step `step` if given."""
    with reading(run, PREDICTIONS) as path:
        table = pd.read_csv(path, parse_dates=["date"])
    return table if step is None else table[table["step"] == step]
