"""A forecast of the real future from a trained run: the next N steps, dated, with intervals.

Everything comes from the run directory (model, scaler, config, the validation part
that calibrates the intervals) and the newest data in the cache. Before the model is
loaded, every run file used is checked against the sha256 the manifest recorded when
it was written: a tampered or swapped file is refused and nothing is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import rundir
from forecast.config import Config
from forecast.data.frequency import TRADING_DAYS, Frequency
from forecast.data.sources.shared import restrict
from forecast.data.store import Cache
from forecast.data.store import refresh as refresh_cache
from forecast.errors import DataError, UsageError
from forecast.network import runtime
from forecast.pipeline.validation import validation_rollouts
from forecast.prepare.series import encoded_values, known, model_columns, prepared_series
from forecast.rollout import conformal
from forecast.rollout.calendar import Calendar, resolve
from forecast.rollout.intervals import calibration, floored, forecast_rows, interval_bounds
from forecast.rollout.rollout import Network, keras_network
from forecast.rundir import RunDir
from forecast.rundir.artifacts import load_model, read_config, read_encoding, read_frequency, read_metrics
from forecast.rundir.files import ForecastFile, TestFigures
from forecast.rundir.verify import verify_run
from forecast.scoring.forecasters import COMBINATION, NETWORK
from forecast.scoring.published import Validation, combined_future, described, fitted_end

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forecast:
    table: pd.DataFrame  # date, step, forecast, lower_80, upper_80, ..., actual
    history: pd.Series  # the target up to the forecast origin (for the plot)
    info: ForecastFile  # forecast.json without its rows: run, model sha256, data, calendar, strategy, test figures


# --- data ----------------------------------------------------------------------------


def trained_network(run: RunDir) -> Network:
    """The run's network for a forecast: NumPy's forward pass over model.keras (no TensorFlow
    to import: network/runtime.py), or Keras' for a model that pass does not compute."""
    try:
        return runtime.load(run.file(rundir.MODEL))
    except runtime.Unsupported as exc:
        log.info("%s: %s is computed by Keras (the NumPy forward pass has no %s)", run.path, rundir.MODEL, exc)
        return keras_network(load_model(run))


def latest_series(
    config: Config, run: RunDir, data_dir: Path, refresh: bool, source: str | None = None
) -> tuple[pd.DataFrame, str]:
    """The model's columns over the newest data: the cache (refreshed first if asked) for a
    source that fetches, the source itself otherwise; the run's own snapshot if nothing newer.
    source: read the newest bars from this source instead of the run's (--source)."""
    data = config.data.model_copy(update={"end": None})  # data.end bounded training, not the future
    if source and source != data.source:  # validated as a whole: the symbol must exist in that source
        data = type(data).model_validate({**data.model_dump(), "source": source})
    latest = config.model_copy(update={"data": data})
    if not data.spec.fetches:
        if refresh:
            log.info("%s (source %s) is read as it is: --refresh has nothing to fetch", data.symbol, data.source)
        return prepared_series(latest, data_dir), f"{data.source} {data.symbol}"
    cache = Cache(data_dir)
    if refresh:
        saved = refresh_cache(cache, data)
        log.info("%s: %d new bar(s) fetched; the cache ends %s", data.symbol, saved.added, saved.meta["last"][:10])
    found = cache.usable(data.source, data.symbol, data.interval)
    if found is None:
        log.warning(
            "%s is not in the cache %s: forecasting from the data the run was trained on; "
            "add --refresh (or run forecast fetch %s) for newer bars",
            data.symbol,
            data_dir,
            data.symbol,
        )
        return pd.read_parquet(run.file(rundir.SERIES)), f"run {run.path.name}"
    return model_columns(restrict(found[0], data), latest), f"cache {data_dir}/{data.source} ({data.symbol})"


def cut_at(frame: pd.DataFrame, as_of: dt.date | None, trained_until: str) -> pd.DataFrame:
    """The history a forecast from `as_of` may use: rows up to and including that date."""
    if as_of is None:
        return frame
    if pd.Timestamp(as_of) < pd.Timestamp(trained_until):
        raise UsageError(
            f"--as-of {as_of} is before {trained_until}, the last date this run's model and scaler were "
            f"fitted on: its forecast would have seen the future",
            hint=f"pick a date on or after {trained_until}, or train a run that ends earlier (data.end)",
        )
    history = frame[frame.index < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    if history.empty:
        raise DataError(f"no data on or before --as-of {as_of} (the series starts {frame.index[0].date()})")
    last = frame.index[-1]
    if pd.Timestamp(as_of) > last.normalize():  # the data holds nothing after its last bar to compare with
        log.warning(
            "--as-of %s is after the last bar in the data (%s): the forecast starts from %s and has no actuals; "
            "fetch newer bars (--refresh) to forecast from a later date",
            as_of,
            last.date(),
            last.date(),
        )
    return history


# --- the forecast --------------------------------------------------------------------


def strategy(steps: int, output_steps: int) -> str:
    if steps <= output_steps:
        return "direct"
    return "recursive" if output_steps == 1 else f"direct {output_steps} steps per call, recursive beyond"


def _future_inputs(
    config: Config, dates: pd.DatetimeIndex, steps: int, kept: list[str], frequency: Frequency
) -> np.ndarray | None:
    """The inputs of future steps that are known in advance: the calendar and Fourier columns
    among the model's columns `kept` (a calendar feature constant over the series was left out),
    made as the series' own were (prepare/series.known), from the series' recorded frequency."""
    features = [f for f in config.data.features if f != config.data.target]
    if features and steps > config.prep.output_steps:
        raise UsageError(
            f"this model reads {', '.join(features)}, whose future values are unknown, so it can forecast at "
            f"most prep.output_steps = {config.prep.output_steps} step(s) ahead, not {steps}",
            hint=f"use --horizon {config.prep.output_steps}, or train with a larger prep.output_steps",
        )
    columns = known(dates, config, frequency)
    calendar = [values for name, values in columns.items() if name in kept]
    if not calendar:
        return None
    inputs = np.column_stack(calendar)  # (steps, calendar channels)
    if features:  # steps <= output_steps: never fed back, any placeholder will do
        inputs = np.column_stack([np.zeros((steps, len(features))), inputs])
    return inputs[None, :, :]


def _calibration(validation: Validation, config: Config, steps: int) -> dict[str, Any] | None:
    """Conformal half-widths for `steps` steps ahead, from forecasts of the validation part."""
    origins = validation.origins
    frame = validation.frame
    intervals = calibration(
        frame.index, frame.iloc[:, 0].to_numpy(dtype="float64"), origins, validation.forecast, config.evaluate.intervals
    )
    if intervals is None:
        log.warning(
            "no validation windows %d steps long to calibrate intervals on: no bands; "
            "raise prep.val_fraction or lower --horizon",
            steps,
        )
        return None
    for level in config.evaluate.intervals:
        why = conformal.too_few(len(origins), level)
        if why:
            log.warning("%s; raise prep.val_fraction or lower --horizon", why)
    return intervals


def make_forecast(
    run: RunDir,
    data_dir: Path,
    steps: int | None = None,
    refresh: bool = False,
    as_of: dt.date | None = None,
    source: str | None = None,
) -> Forecast:
    config = read_config(run)
    manifest = verify_run(run)
    steps = steps or config.predict.horizon
    encoding = read_encoding(run)
    trained_until = encoding.fitted_on["last"]
    latest, origin_text = latest_series(config, run, data_dir, refresh, source)
    history = cut_at(latest, as_of, trained_until)
    prep = config.prep
    needed = encoding.rows_needed
    if len(history) < needed:
        raise DataError(
            f"{len(history)} bars up to {history.index[-1].date()}: the model needs {needed} "
            f"(prep.lookback {prep.lookback})",
            hint="use a later --as-of, or fetch more history",
        )
    # Exchange sessions only for exchange data: daily bars of an exchange source whose dates
    # are trading days (a monthly series from the same source steps by months), as the run's
    # snapshot recorded them.
    daily_stock = config.data.spec.exchange_days and read_frequency(run) == TRADING_DAYS
    calendar: Calendar = resolve(history.index, config.predict.calendar, daily_stock, data_dir / ".cache" / "sessions")
    dates = calendar.future(history.index[-1], steps)
    future_inputs = _future_inputs(config, dates, steps, list(history.columns), read_frequency(run))

    network = trained_network(run)  # only after every check above (verify_run)
    values = encoded_values(history, config, encoding)
    levels = history.iloc[:, 0].to_numpy(dtype="float64")
    # Origin row len(history) is one past the last bar: the window is the last lookback bars.
    origin = np.array([len(history)])
    forecast = forecast_rows(network, encoding, history, values, origin, steps, future_inputs)
    validation = validation_rollouts(network, run, steps, manifest)
    metrics = read_metrics(run)  # a complete run (verify_run) has its scores
    members: dict[str, np.ndarray] = {}
    if metrics.combination is not None:  # the run's combination is its forecast (evaluate.combine)
        fit_end = fitted_end(history.index, trained_until)
        forecast, validation, members = combined_future(metrics, config, levels, fit_end, forecast, validation)
    forecast = floored(forecast, levels)  # a count's forecast never goes below zero, as its bands do not
    intervals = _calibration(validation, config, steps)
    bounds = interval_bounds(intervals, forecast, levels[-1:], history=levels)

    table = pd.DataFrame({"date": dates.date, "step": np.arange(1, steps + 1), "forecast": forecast[0]})
    for name, bound in bounds.items():
        table[name] = bound[0]
    for name, member in members.items():  # the combination's members, for the curious
        table[name] = member[0]
    if as_of is not None:
        actual = latest.iloc[:, 0].reindex(dates)
        table["actual"] = actual.to_numpy()
        _check_calendar(latest, history.index[-1], dates, calendar)

    forecaster = COMBINATION if members else NETWORK
    verdict = metrics.verdict(forecaster)
    coverage = ((metrics.combination or {}).get("intervals") if members else metrics.intervals) or {}
    info = ForecastFile(
        run=str(run.path),
        model_sha256=manifest["stages"]["train"]["outputs"][rundir.MODEL],
        model=config.model.kind,
        symbol=config.data.symbol,
        target=config.data.target,
        data=origin_text,
        as_of=as_of.isoformat() if as_of else None,
        last_bar=history.index[-1].date().isoformat(),
        last_value=float(levels[-1]),
        horizon=steps,
        strategy=strategy(steps, prep.output_steps),
        calendar={"name": calendar.name, "reason": calendar.reason},
        intervals=None
        if intervals is None
        else {k: intervals[k] for k in ("method", "calibration", "half_width", "relative")},
        forecaster=forecaster,
        combination=described(metrics) if members else None,
        # Of the forecaster, on the run's test part: its verdict against naive (scoring/verdict.py)
        # is what predict's warning, the figure and the page say.
        test=TestFigures(
            skill=metrics.scores[forecaster]["skill"],
            verdict=verdict,
            beats_naive=bool(verdict is not None and verdict.better),
            coverage={k: v["test"] for k, v in (coverage.get("coverage") or {}).items()},
        ),
    )
    return Forecast(table, history.iloc[:, 0], info)


def _check_calendar(latest: pd.DataFrame, last: pd.Timestamp, dates: pd.DatetimeIndex, calendar: Calendar) -> None:
    """Bars the data has inside the forecast span but the calendar skipped: say so."""
    span = latest.index[(latest.index > last) & (latest.index <= dates[-1])]
    skipped = span.difference(dates)
    if len(skipped):
        log.warning(
            "the data has bar(s) on %s, which the %s calendar skips: the future dates may be off",
            ", ".join(d.date().isoformat() for d in skipped[:3]),
            calendar.name,
        )


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: dates as ISO strings, NaN (no band, no actual yet) as null."""
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()} for row in rows]
