"""The stage adapters: each loads its declared inputs from the run directory, calls a
pure core (prepare/, network/, scoring/, rollout/, plotting) and saves its outputs.

runner.py declares which files each stage reads and writes; keep them in step.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from forecast import atomic, rundir
from forecast.config import Config
from forecast.data.frequency import Frequency, gaps_said, infer_frequency, season_of
from forecast.errors import DataError, UsageError
from forecast.figures.run import plot_forecast, plot_loss, plot_residuals
from forecast.network.checkpoint import Checkpoint
from forecast.network.inputs import training_inputs
from forecast.network.training import train_model
from forecast.pipeline.competing import fit_competitors, fit_competitors_beside
from forecast.pipeline.context import Context
from forecast.pipeline.validation import stored_validation
from forecast.prepare.encoding import Encoding
from forecast.prepare.series import (
    column_names,
    plan_split,
    prepared_series,
    seasonal_profile,
    target_transform,
    transformed,
)
from forecast.rollout.intervals import forecast_rows
from forecast.rollout.rollout import keras_network
from forecast.rundir import RunDir
from forecast.rundir.artifacts import (
    SplitFile,
    load_model,
    read_competitors,
    read_encoding,
    read_frequency,
    read_history,
    read_metrics,
    read_predictions,
    read_series,
    read_split,
    read_split_starts,
    save_competitors,
    save_metrics,
    save_series,
    save_split,
    save_trained,
    write_csv,
)
from forecast.scoring.evaluation import Forecasts, Part, evaluate_part
from forecast.scoring.forecasters import NETWORK
from forecast.scoring.frames import predictions_frame
from forecast.scoring.metrics_file import Metrics

__all__ = ["Context", "competitors", "encode", "evaluate", "plot", "snapshot", "split", "train"]
log = logging.getLogger(__name__)
TRAIN_INPUTS = (rundir.SPLIT, rundir.ENCODING)  # declared in runner.STAGES; the checkpoint key hashes them


# --- snapshot ----------------------------------------------------------------------


def snapshot(ctx: Context) -> dict[str, Any]:
    frame = ctx.series if ctx.series is not None else prepared_series(ctx.config, ctx.data_dir)
    if said := gaps_said(pd.DatetimeIndex(frame.index)):
        log.warning("%s %s: %s", ctx.config.data.symbol, ctx.config.data.target, said)
    save_series(ctx.run, frame)
    return {
        "rows": len(frame),
        "first": frame.index[0].date().isoformat(),
        "last": frame.index[-1].date().isoformat(),
        "frequency": infer_frequency(pd.DatetimeIndex(frame.index)).name,
    }


# --- encode ----------------------------------------------------------------------


def _rhythm(ctx: Context) -> tuple[Frequency, int | None]:
    """The series' frequency as its snapshot recorded it, and its season (evaluate.season resolved on it)."""
    frequency = read_frequency(ctx.run)
    return frequency, season_of(ctx.config.evaluate.season, frequency)


def encode(ctx: Context) -> dict[str, Any]:
    config, frame, (frequency, season) = ctx.config, read_series(ctx.run), _rhythm(ctx)
    split = plan_split(len(frame), config, season)
    profile = seasonal_profile(frame, config, split.test_start, frequency, season)
    if len(split.train) < 100:
        log.warning(
            "only %d training windows: expect noisy metrics; fetch a longer period if you can", len(split.train)
        )
    kind = target_transform(frame, config)
    if config.prep.target_transform == "auto":  # say what it chose, and why
        why = {"log_return": "is positive throughout", "diff": "is not always positive", "none": "is window-normalised"}
        if profile is not None and kind == "diff":
            why["diff"] = "less its seasonal part"
        log.info("prep.target_transform auto: %s (%s %s %s)", kind, config.data.symbol, config.data.target, why[kind])
    if profile is not None:
        log.info(
            "prep.deseasonalize mstl: season(s) of %s rows removed, fitted on the %d rows before the test part",
            " and ".join(map(str, profile.cycles)),
            split.test_start,
        )
    names = column_names(frame, kind)
    values = transformed(frame, config, kind, season, profile)
    # The training part only, from the first row with a defined value: no test-period leakage.
    fit_part = values[split.train_start : split.test_start]
    _refuse_constant(frame.iloc[split.train_start : split.test_start], fit_part, names, config)
    try:
        encoding = Encoding.fit(values, split, config.prep, names, kind, season)
    except ValueError as exc:
        raise DataError(f"{config.data.symbol}: {exc}", hint="use prep.normalize: series") from exc
    fitted_on = {
        "rows": len(fit_part),
        "first": frame.index[split.train_start].date().isoformat(),
        "last": frame.index[split.test_start - 1].date().isoformat(),
    }
    ctx.run.write_json(rundir.ENCODING, replace(encoding, fitted_on=fitted_on, profile=profile).to_dict())
    return {"fitted_rows": len(fit_part)}


def _refuse_constant(raw: pd.DataFrame, fit_part: np.ndarray, names: tuple[str, ...], config: Config) -> None:
    """A column that never moves over the training rows gives the scaler nothing to fit. Named
    as the user knows it: a flat price by its level (7.5), not by its log return (0)."""
    flat = [i for i in range(raw.shape[1]) if np.ptp(raw.iloc[:, i].to_numpy(dtype="float64")) == 0]
    # A flat raw column is constant whatever its encoding shows: less an MSTL season fitted on it,
    # a flat series is left with rounding noise that a scaler would blow up into a pattern.
    constant = [i for i, column in enumerate(fit_part.T) if np.ptp(column) == 0 or i in flat]
    if not constant:
        return
    first = constant[0]
    value = raw.iloc[0, first] if first in flat else fit_part[0, first]
    shown = [str(raw.columns[i]) if i in flat else names[i] for i in constant]
    calendar = [c.rsplit("_", 1)[0] for c in shown if c.endswith(("_sin", "_cos")) or c == "holiday"]
    hint = "choose another target or feature column"
    if calendar and calendar[0].startswith("fourier_"):
        hint = "lower prep.fourier_terms (or set it to 0)"
    elif calendar:  # the training span is too short for the date to move (month over three weeks)
        hint = f"drop {calendar[0]} from prep.calendar_features"
    raise DataError(
        f"column(s) {', '.join(shown)} of {config.data.symbol} are constant ({value:g}) over the "
        f"{len(fit_part)} training rows: nothing to learn",
        hint=hint,
    )


# --- split -------------------------------------------------------------------------


def split(ctx: Context) -> dict[str, Any]:
    frame, (frequency, season) = read_series(ctx.run), _rhythm(ctx)
    parts = plan_split(len(frame), ctx.config, season)
    # The profile encode fitted, fitted again on the same rows (a pure function of them), so that
    # split reads the series alone as it always has.
    profile = seasonal_profile(frame, ctx.config, parts.test_start, frequency, season)
    save_split(ctx.run, transformed(frame, ctx.config, season=season, profile=profile), parts)
    return {"train": len(parts.train), "val": len(parts.val), "test": len(parts.test)}


# --- train -------------------------------------------------------------------------


def train(ctx: Context) -> dict[str, Any]:
    if ctx.pretrained is not None:
        return copy_pretrained(ctx)
    if ctx.config.model.scope == "global":
        raise UsageError(
            f"run {ctx.run.path} belongs to a global model, which is trained on its whole universe at once",
            hint="train the universe's config again: forecast train --config CONFIG",
        )
    config, w = ctx.config, read_split(ctx.run)
    if config.evaluate.competitors:
        fit_competitors_beside(ctx)
    x_train, y_train, x_val, y_val = training_inputs([(w, read_encoding(ctx.run))], config)
    logs = ctx.run.file(rundir.TENSORBOARD) if config.train.tensorboard else None
    # A fit's saved state is resumed only for the same options, split and encoding.
    key = [config.model.model_dump_json(), config.train.model_dump_json(), *map(ctx.run.sha256, TRAIN_INPUTS)]
    checkpoint = Checkpoint(ctx.run.file(rundir.CHECKPOINT), hashlib.sha256(str(key).encode()).hexdigest())
    model, result = train_model(config.model, config.train, x_train, y_train, x_val, y_val, logs, checkpoint)
    info = save_trained(ctx.run, model, result)
    checkpoint.remove()  # model.keras is written: a rerun of this stage trains afresh
    return info


def copy_pretrained(ctx: Context) -> dict[str, Any]:
    """A member of a global model: its model and history are the global model's run's, byte for byte."""
    source = RunDir.open(ctx.pretrained)  # type: ignore[arg-type]
    for name in (rundir.MODEL, rundir.HISTORY):
        with atomic.replacing(ctx.run.file(name)) as tmp:
            shutil.copyfile(source.file(name), tmp)
    info = source.manifest().get("train", {})
    return {**info, "pretrained": str(source.path)}


# --- competitors -------------------------------------------------------------------


def competitors(ctx: Context) -> dict[str, Any]:
    """The statistical competitors' forecasts of the test windows, fitted on the rows before them."""
    outcome = fit_competitors(ctx)
    save_competitors(ctx.run, outcome)
    return {**outcome.info(), "seconds": {name: round(t, 3) for name, t in outcome.seconds.items()}}


# --- evaluate ----------------------------------------------------------------------


def test_part(frame: pd.DataFrame, w: SplitFile, season: int | None, frequency: str | None) -> Part:
    """The run's test windows as a part of its series, its validation windows beside them."""
    return Part(
        frame.iloc[:, 0].to_numpy(dtype="float64"),
        pd.DatetimeIndex(frame.index),
        w.test,
        w.output_steps,
        (0, w.test_start),
        w.lookback,
        season,
        frequency,
        w.val,
    )


def evaluate(ctx: Context) -> dict[str, Any]:
    run, config = ctx.run, ctx.config
    frame, encoding, w = read_series(run), read_encoding(run), read_split(run)
    network = keras_network(load_model(run))
    test, val = (
        forecast_rows(network, encoding, frame, w.values, starts, w.output_steps) if len(starts) else None
        for starts in (w.test, w.val)
    )
    frequency, season = _rhythm(ctx)
    part = test_part(frame, w, season, frequency.name)
    evaluated = evaluate_part(
        part,
        {NETWORK: Forecasts(test, val)},
        read_competitors(run),  # type: ignore[arg-type]
        model_kind=config.model.kind,
        combine_them=config.evaluate.combine,
        levels=config.evaluate.intervals,
    )
    stored_validation(network, run, config)
    del network, w, test, val  # on long series these are hundreds of MB the CSV below does not need
    write_csv(run.file(rundir.PREDICTIONS), predictions_frame(frame.index, evaluated))
    metrics = Metrics.of(evaluated, config, frame.index)
    save_metrics(run, metrics)
    return {"rmse": metrics.rmse, "naive_rmse": metrics.naive_rmse, "skill": metrics.skill}


# --- plot --------------------------------------------------------------------------


def split_dates(frame: pd.DataFrame, run: RunDir) -> dict[str, str]:
    """First date of the series and of its validation and test parts (for the figures)."""
    val_start, test_start = read_split_starts(run)

    def day(row: int) -> str:  # a date for daily bars, the time too for intraday ones
        stamp = frame.index[row]
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()

    dates = {"first": day(0), "test": day(test_start)}
    if val_start < test_start:
        dates["validation"] = day(val_start)
    return dates


def plot(ctx: Context) -> dict[str, Any]:
    run, config = ctx.run, ctx.config
    figures = (rundir.FORECAST_PNG, rundir.RESIDUALS_PNG, rundir.LOSS_PNG)
    if not config.plot.enabled:
        for name in figures:
            run.file(name).unlink(missing_ok=True)  # stale figures would contradict the metrics
        return {"disabled": True}
    frame = read_series(run)
    predictions = read_predictions(run)
    history = read_history(run)
    metrics = read_metrics(run)
    with atomic.replacing(run.file(rundir.FORECAST_PNG)) as tmp:
        plot_forecast(frame.iloc[:, 0], predictions, metrics, split_dates(frame, run), config, tmp)
    with atomic.replacing(run.file(rundir.RESIDUALS_PNG)) as tmp:
        plot_residuals(predictions, metrics, config, tmp)
    with atomic.replacing(run.file(rundir.LOSS_PNG)) as tmp:
        plot_loss(history, metrics, config, tmp)
    return {}
