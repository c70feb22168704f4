"""The stage adapters: each loads its declared inputs from the run directory, calls a
pure core (scaling, windows, training, evaluation, plotting) and saves its outputs.

pipeline.py declares which files each stage reads and writes; keep them in step.
"""

from __future__ import annotations

import io
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import atomic
from forecast.config import Config
from forecast.errors import DataError, UsageError
from forecast.prepare.inputs import fit_scaler, model_windows
from forecast.prepare.scaling import MinMax
from forecast.prepare.transforms import calendar_columns, first_row, model_values
from forecast.prepare.windows import Split, split_rows
from forecast.runs import rundir
from forecast.runs.rundir import RunDir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    config: Config
    run: RunDir
    data_dir: Path  # the cache root, for the snapshot stage
    pretrained: Path | None = None  # a global model's run: its model is this run's (universe/pooled.py)


def columns(config: Config) -> list[str]:
    """Model inputs: the target first, then extra features (the scaler's column 0 is the target)."""
    return [config.data.target, *[f for f in config.data.features if f != config.data.target]]


# --- snapshot ----------------------------------------------------------------------


def load_series(config: Config, data_dir: Path) -> pd.DataFrame:
    """The series as the config selects it: from the cache for yahoo (fetched into the
    cache first if absent), straight from the source for local ones."""
    from forecast.data.sources import fetch
    from forecast.data.sources.frame import restrict
    from forecast.data.store import Cache

    data = config.data
    if data.source != "yahoo":
        return fetch(data).frame
    cache = Cache(data_dir)
    found = cache.find(data.source, data.symbol, data.interval)
    if found is None:
        log.info("%s is not in the cache %s; fetching it from Yahoo", data.symbol, data_dir)
        cache.save(data, fetch(data))
        found = cache.load(data.source, data.symbol, data.interval)
    return restrict(found[0], data)


def check_series(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    wanted = columns(config)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(missing)} not in the {config.data.symbol} series "
            f"(it has: {', '.join(frame.columns)})",
            hint="set data.target / data.features to existing columns",
        )
    frame = frame[wanted]
    bad = frame[frame.isna().any(axis=1)]
    if len(bad):
        dates = ", ".join(d.date().isoformat() for d in bad.index[:5])
        raise DataError(
            f"{len(bad)} row(s) of {config.data.symbol} have missing values in {', '.join(wanted)} (e.g. {dates})",
            hint="repair the data (for CSV: --set data.repair=true drops such rows) or choose other columns",
        )
    return frame


def model_columns(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The model's columns: the target first, then data.features, then calendar inputs."""
    frame = check_series(frame, config)
    if config.prep.calendar:
        frame = frame.assign(**calendar_columns(frame.index, config.prep.calendar))
    return frame


def prepared_series(config: Config, data_dir: Path) -> pd.DataFrame:
    return model_columns(load_series(config, data_dir), config)


def snapshot(ctx: Context) -> dict[str, Any]:
    frame = prepared_series(ctx.config, ctx.data_dir)
    with atomic.replacing(ctx.run.file(rundir.SERIES)) as tmp:
        frame.to_parquet(tmp, engine="pyarrow")
    return {"rows": len(frame), "first": frame.index[0].date().isoformat(), "last": frame.index[-1].date().isoformat()}


def read_series(run: RunDir) -> pd.DataFrame:
    return pd.read_parquet(run.file(rundir.SERIES))


# --- scale -------------------------------------------------------------------------


def plan_split(n_rows: int, config: Config) -> Split:
    """The chronological split, refusing before any training when it leaves too little."""
    prep = config.prep
    start = first_row(prep.target_transform)
    split = split_rows(n_rows, prep.lookback, prep.horizon, prep.test_fraction, prep.val_fraction, start)
    needed = {"training": split.train, "test": split.test}
    if prep.val_fraction > 0:
        needed["validation"] = split.val
    empty = [part for part, starts in needed.items() if len(starts) == 0]
    if empty:
        raise DataError(
            f"{n_rows} rows with lookback {prep.lookback} + horizon {prep.horizon} and test_fraction "
            f"{prep.test_fraction} leave no {' or '.join(empty)} windows "
            f"(train {len(split.train)}, validation {len(split.val)}, test {len(split.test)})",
            hint="fetch a longer period or lower prep.lookback",
        )
    return split


def transformed(frame: pd.DataFrame, config: Config) -> np.ndarray:
    """What the model sees before scaling: the target transformed, features as they are."""
    kind = config.prep.target_transform
    try:
        return model_values(frame.to_numpy(dtype="float64"), kind)
    except ValueError as exc:
        raise DataError(
            f"prep.target_transform {kind} cannot be applied to {config.data.symbol} {config.data.target}: {exc}",
            hint="use diff or none for series that can be zero or negative",
        ) from exc


def column_names(frame: pd.DataFrame, config: Config) -> tuple[str, ...]:
    kind = config.prep.target_transform
    return (f"{frame.columns[0]}:{kind}" if kind != "none" else str(frame.columns[0]), *map(str, frame.columns[1:]))


def scale(ctx: Context) -> dict[str, Any]:
    config, frame = ctx.config, read_series(ctx.run)
    split = plan_split(len(frame), config)
    if len(split.train) < 100:
        log.warning(
            "only %d training windows: expect noisy metrics; fetch a longer period if you can", len(split.train)
        )
    names = column_names(frame, config)
    values = transformed(frame, config)
    # The training part only, from the first row with a defined value: no test-period leakage.
    fit_part = values[split.train_start : split.test_start]
    constant = [name for name, column in zip(names, fit_part.T, strict=True) if np.ptp(column) == 0]
    if constant:
        raise DataError(
            f"column(s) {', '.join(constant)} of {config.data.symbol} are constant "
            f"({fit_part[0, names.index(constant[0])]:g}) over the {len(fit_part)} training rows: nothing to learn",
            hint="choose another target or feature column",
        )
    try:
        scaler = fit_scaler(values, split, config.prep, names)
    except ValueError as exc:
        raise DataError(f"{config.data.symbol}: {exc}", hint="use prep.normalize: global") from exc
    payload = scaler.to_dict()
    payload["target_transform"] = config.prep.target_transform
    payload["normalize"] = config.prep.normalize
    payload["fitted_on"] = {
        "rows": len(fit_part),
        "first": frame.index[split.train_start].date().isoformat(),
        "last": frame.index[split.test_start - 1].date().isoformat(),
    }
    ctx.run.write_json(rundir.SCALER, payload)
    return {"fitted_rows": len(fit_part)}


def read_scaler(run: RunDir) -> MinMax:
    return MinMax.from_dict(run.read_json(rundir.SCALER))


# --- window ------------------------------------------------------------------------


def window(ctx: Context) -> dict[str, Any]:
    frame = read_series(ctx.run)
    split = plan_split(len(frame), ctx.config)
    buffer = io.BytesIO()
    # Model values before scaling: windows are cut, normalised and scaled when used (inputs.py).
    np.savez(
        buffer, values=transformed(frame, ctx.config), train=split.train, val=split.val, test=split.test,
        lookback=split.lookback, horizon=split.horizon, val_start=split.val_start, test_start=split.test_start,
    )  # fmt: skip
    atomic.write_bytes(ctx.run.file(rundir.WINDOWS), buffer.getvalue())
    return {"train": len(split.train), "val": len(split.val), "test": len(split.test)}


def read_windows(run: RunDir) -> dict[str, np.ndarray]:
    with np.load(run.file(rundir.WINDOWS)) as npz:
        return {key: npz[key] for key in npz.files}


def part(w: dict[str, np.ndarray], name: str, scaler: MinMax, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The network's inputs and targets for one part ('train', 'val' or 'test')."""
    return model_windows(w["values"], w[name], scaler, config.prep)


# --- train -------------------------------------------------------------------------


def import_keras_first() -> None:
    """TensorFlow's banners are silenced only if forecast imports it (training.import_keras)."""
    from forecast.train.training import import_keras

    import_keras()


def train(ctx: Context) -> dict[str, Any]:
    if ctx.pretrained is not None:
        return copy_pretrained(ctx)
    if ctx.config.model.scope == "global":
        raise UsageError(
            f"run {ctx.run.path} belongs to a global model, which is trained on its whole universe at once",
            hint="train the universe's config again: forecast train --config CONFIG",
        )
    from forecast.train.training import train_model

    config, w, scaler = ctx.config, read_windows(ctx.run), read_scaler(ctx.run)
    x_train, y_train, x_val, y_val = training_inputs([(w, scaler)], config)
    logs = ctx.run.file(rundir.TENSORBOARD) if config.train.tensorboard else None
    model, result = train_model(config.model, config.train, x_train, y_train, x_val, y_val, logs)
    return save_trained(ctx.run, model, result)


def training_inputs(members: list[tuple[dict[str, np.ndarray], MinMax]], config: Config) -> tuple:
    """(x_train, y_train, x_val, y_val) for Keras: arrays of every member's windows, each
    scaled by its own scaler, or batch-cutting datasets when they would not fit in memory."""
    import_keras_first()
    from forecast.train.batches import STREAM_ABOVE, WindowBatches, window_bytes

    names = ("train", "val")
    size = sum(window_bytes(w[name], w["values"].shape[1], config.prep) for w, _ in members for name in names)
    if size <= STREAM_ABOVE:
        arrays = []
        for name in names:
            parts = [part(w, name, scaler, config) for w, scaler in members]
            arrays += [np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])]
        return tuple(arrays)
    if len(members) > 1:
        raise DataError(
            f"the pooled windows would take {size / 2**30:.1f} GB",
            hint="use model.scope: ticker, or a shorter history (data.start)",
        )
    ((w, scaler),) = members
    log.info("%.1f GB of windows: cutting them batch by batch instead of holding them", size / 2**30)
    batch, seed = config.train.batch_size, config.train.seed
    x_train = WindowBatches(w["values"], w["train"], scaler, config.prep, batch, shuffle=True, seed=seed)
    x_val = WindowBatches(w["values"], w["val"], scaler, config.prep, batch, shuffle=False, seed=seed)
    return x_train, None, x_val, None


def save_trained(run: RunDir, model: Any, result: Any) -> dict[str, Any]:
    # Written only after training finished: an interrupted fit leaves no model to trust.
    with atomic.replacing(run.file(rundir.MODEL)) as tmp:
        model.save(tmp)
    history = pd.DataFrame(result.history)
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    run.write_text(rundir.HISTORY, history.to_csv())
    return {
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "parameters": int(model.count_params()),
        "fit_seconds": round(result.seconds, 3),
    }


def copy_pretrained(ctx: Context) -> dict[str, Any]:
    """A member of a global model: its model and history are the pooled run's, byte for byte."""
    source = RunDir.open(ctx.pretrained)  # type: ignore[arg-type]
    for name in (rundir.MODEL, rundir.HISTORY):
        with atomic.replacing(ctx.run.file(name)) as tmp:
            shutil.copyfile(source.file(name), tmp)
    info = source.manifest().get("train", {})
    return {**info, "pretrained": str(source.path)}


# --- evaluate ----------------------------------------------------------------------


def load_model(run: RunDir):
    from forecast.train.training import import_keras

    keras = import_keras()
    # safe_mode (the default, stated here on purpose): no arbitrary code from the file.
    return keras.saving.load_model(run.file(rundir.MODEL), safe_mode=True)


def predictions_frame(dates: pd.DatetimeIndex, assessed, bands: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """date, step, actual, then every forecaster: model as 'predicted', baselines by name;
    then the model's interval bounds (lower_80, upper_80, ...)."""
    m, horizon = assessed.rows.shape
    columns = {
        "date": dates[assessed.rows.ravel()],
        "step": np.tile(np.arange(1, horizon + 1), m),
        "actual": assessed.actual.ravel(),
    }
    for name, forecast in assessed.forecasts.items():
        columns["predicted" if name == "model" else name] = forecast.ravel()
    for name, bound in (bands or {}).items():
        columns[name] = bound.ravel()
    return pd.DataFrame(columns)


def write_csv(path: Path, table: pd.DataFrame) -> None:
    """Streamed to a temporary file (no whole-file string in memory), then renamed into place.
    Daily series are written with plain dates; intraday ones keep their times."""
    daily = bool((table["date"] == table["date"].dt.normalize()).all())
    with atomic.replacing(path) as tmp:
        table.to_csv(tmp, index=False, date_format="%Y-%m-%d" if daily else "%Y-%m-%dT%H:%M:%S")


def assess_run(frame: pd.DataFrame, w: dict[str, np.ndarray], predicted: np.ndarray, config: Config):
    from forecast.evaluate.evaluation import assess

    try:
        return assess(
            frame.iloc[:, 0].to_numpy(dtype="float64"),  # actuals from the raw series, not inverted scaled values
            w["test"],
            predicted,
            lookback=int(w["lookback"]),
            season=config.evaluate.season,
            train_end=int(w["test_start"]),
        )
    except ValueError as exc:
        raise DataError(f"cannot compute the baselines: {exc}", hint="lower evaluate.season") from exc


def forecast_rows(model, frame: pd.DataFrame, w: dict[str, np.ndarray], origins: np.ndarray, steps: int,
                  scaler: MinMax, config: Config) -> np.ndarray:  # fmt: skip
    """(m, steps) forecasts in the target's units from each origin row (see predict/rollout.py)."""
    from forecast.predict.rollout import keras_network, rollout

    values = w["values"]
    known = values[origins[:, None] + np.arange(steps)[None, :], 1:] if values.shape[1] > 1 else None
    levels = frame.iloc[:, 0].to_numpy(dtype="float64")
    return rollout(keras_network(model), values, levels, origins, steps, scaler, config.prep, known)


def calibrate(model, frame: pd.DataFrame, w: dict[str, np.ndarray], origins: np.ndarray, steps: int,
              scaler: MinMax, config: Config) -> dict[str, Any] | None:  # fmt: skip
    """Conformal half-widths per level and step from forecasts of the validation part."""
    from forecast.predict import conformal

    if len(origins) == 0:
        return None
    levels = frame.iloc[:, 0].to_numpy(dtype="float64")
    relative = bool((levels > 0).all())
    forecast = forecast_rows(model, frame, w, origins, steps, scaler, config)
    actual = levels[origins[:, None] + np.arange(steps)[None, :]]
    calibration = conformal.scores(actual, forecast, levels[origins - 1], relative)
    last_row = int(origins[-1]) + steps - 1
    return {
        "method": "split conformal, absolute errors" + (" relative to the last known value" if relative else ""),
        "relative": relative,
        "calibration": {
            "part": "validation",
            "windows": int(len(origins)),
            "first": frame.index[int(origins[0])].date().isoformat(),
            "last": frame.index[last_row].date().isoformat(),
        },
        "half_width": {
            conformal.label(level): [
                None if not np.isfinite(v) else float(v) for v in conformal.half_widths(calibration, level)
            ]
            for level in config.evaluate.intervals
        },
    }


def interval_bounds(intervals: dict[str, Any] | None, forecast: np.ndarray, last_level: np.ndarray):
    """{'lower_80': (m, steps), 'upper_80': ...} around forecasts; NaN where a band is unbounded."""
    from forecast.predict import conformal

    out: dict[str, np.ndarray] = {}
    for name, widths in (intervals or {}).get("half_width", {}).items():
        finite = np.array([np.nan if v is None else v for v in widths], dtype="float64")
        lower, upper = conformal.bands(forecast, last_level, finite, intervals["relative"])
        out[f"lower_{name}"], out[f"upper_{name}"] = lower, upper
    return out


def per_step_scores(assessed) -> list[dict[str, Any]]:
    """RMSE of the model and of naive at each step ahead (horizon > 1)."""
    from forecast.evaluate.evaluation import skill

    rows = []
    for k in range(assessed.actual.shape[1]):
        actual = assessed.actual[:, k]
        model = float(np.sqrt(np.mean((assessed.forecasts["model"][:, k] - actual) ** 2)))
        naive = float(np.sqrt(np.mean((assessed.forecasts["naive"][:, k] - actual) ** 2)))
        rows.append({"step": k + 1, "rmse": model, "naive_rmse": naive, "skill": skill(model, naive)})
    return rows


def evaluate(ctx: Context) -> dict[str, Any]:
    from forecast.predict import conformal

    run, config = ctx.run, ctx.config
    frame, scaler, w = read_series(run), read_scaler(run), read_windows(run)
    model = load_model(run)
    starts, horizon = w["test"], int(w["horizon"])
    predicted = forecast_rows(model, frame, w, starts, horizon, scaler, config)
    assessed = assess_run(frame, w, predicted, config)
    intervals = calibrate(model, frame, w, w["val"], horizon, scaler, config)
    bands = interval_bounds(intervals, predicted, frame.iloc[:, 0].to_numpy(dtype="float64")[starts - 1])
    if intervals is not None:
        intervals["coverage"] = {}
        for name in intervals["half_width"]:
            total, steps = conformal.coverage(assessed.actual, bands[f"lower_{name}"], bands[f"upper_{name}"])
            intervals["coverage"][name] = {"test": total, "per_step": steps}
    test_windows, test_start = int(len(w["test"])), int(w["test_start"])
    del model, w, predicted  # on long series these are hundreds of MB the CSV below does not need
    write_csv(run.file(rundir.PREDICTIONS), predictions_frame(frame.index, assessed, bands))
    scores = assessed.metrics
    metrics = {
        "target": config.data.target,
        "symbol": config.data.symbol,
        "model": config.model.kind,
        "units": "target units (inverse-transformed)",
        "test": {
            "windows": test_windows,
            "first": frame.index[assessed.rows[0, 0]].date().isoformat(),
            "last": frame.index[assessed.rows[-1, -1]].date().isoformat(),
            "first_row": test_start,
            "horizon": horizon,
        },
        "metrics": scores,
        "skill": scores["model"]["skill"],
        "beats_naive": bool(scores["model"]["skill"] is not None and scores["model"]["skill"] > 0),
        "diebold_mariano": assessed.dm,
        "mase_scale": assessed.mase_scale,
        "season": config.evaluate.season,
        "per_step": per_step_scores(assessed) if horizon > 1 else None,
        "intervals": intervals,
    }
    run.write_json(rundir.METRICS, metrics)
    return {"rmse": scores["model"]["rmse"], "naive_rmse": scores["naive"]["rmse"], "skill": metrics["skill"]}


# --- plot --------------------------------------------------------------------------


def split_dates(frame: pd.DataFrame, run: RunDir) -> dict[str, str]:
    """First date of the series and of its validation and test parts (for the figures)."""
    with np.load(run.file(rundir.WINDOWS)) as npz:  # two scalars: the window arrays stay on disk
        val_start, test_start = int(npz["val_start"]), int(npz["test_start"])

    def day(row: int) -> str:  # a date for daily bars, the time too for intraday ones
        stamp = frame.index[row]
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()

    dates = {"first": day(0), "test": day(test_start)}
    if val_start < test_start:
        dates["validation"] = day(val_start)
    return dates


def plot(ctx: Context) -> dict[str, Any]:
    from forecast.plotting import plot_forecast, plot_loss, plot_residuals

    run, config = ctx.run, ctx.config
    figures = (rundir.FORECAST_PNG, rundir.RESIDUALS_PNG, rundir.LOSS_PNG)
    if not config.plot.enabled:
        for name in figures:
            run.file(name).unlink(missing_ok=True)  # stale figures would contradict the metrics
        return {"disabled": True}
    frame = read_series(run)
    predictions = pd.read_csv(run.file(rundir.PREDICTIONS), parse_dates=["date"])
    history = pd.read_csv(run.file(rundir.HISTORY), index_col="epoch")
    metrics = run.read_json(rundir.METRICS)
    with atomic.replacing(run.file(rundir.FORECAST_PNG)) as tmp:
        plot_forecast(frame.iloc[:, 0], predictions, metrics, split_dates(frame, run), config, tmp)
    with atomic.replacing(run.file(rundir.RESIDUALS_PNG)) as tmp:
        plot_residuals(predictions, metrics, config, tmp)
    with atomic.replacing(run.file(rundir.LOSS_PNG)) as tmp:
        plot_loss(history, metrics, config, tmp)
    return {}
