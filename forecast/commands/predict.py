"""`forecast predict`: a forecast of the real future (commands/future.py) written to a new
predict run: forecast.csv, forecast.json, forecast_future.png. The model's run is never
written to."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from forecast import atomic, rundir
from forecast.commands.future import Forecast, make_forecast, records
from forecast.commands.resolve import find_run
from forecast.data import data_root
from forecast.errors import MissingInputError, UsageError
from forecast.figures.future import plot_future
from forecast.live import log as forecast_log
from forecast.pipeline.lifecycle import new_run
from forecast.registry.registry import Registry, models_root
from forecast.reports import tracking
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_config, save_forecast


@dataclass(frozen=True)
class Prediction:
    run: Path  # runs/predict-<name>-<time>/
    forecast: Forecast  # .table: date, step, forecast, lower_80, upper_80, ... (actual with as_of)


def predict(
    run: str | os.PathLike[str] | None = None,
    *,
    model: str | None = None,
    horizon: int | None = None,
    refresh: bool = False,
    as_of: dt.date | None = None,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    models_dir: Path | None = None,
    track: bool = False,
    plot: bool = True,
    source: str | None = None,
) -> Prediction:
    """Forecast the next `horizon` steps after the newest bar (or as_of) with RUN, or with
    the champion of the registry model `model`. plot=False: no figure (forecast_future.png),
    which spares drawing it and importing matplotlib, a third of predict's time (issue 19).
    source: read the newest bars from this source, not the run's data.source (--source)."""
    trained = model_run(run, model, runs_root(runs_dir), models_dir)
    result = make_forecast(trained, data_root(data_dir), horizon, refresh, as_of, source)
    config = tracking.asked(read_config(trained), track)
    tracking.require(config)
    facts = {"model_run": str(trained.path), "model": config.model.kind}
    with new_run(
        runs_root(runs_dir), f"predict-{config.name}", "predict", config, save_config=False, **facts
    ) as started:
        out = started.run
        out.write_text(rundir.FORECAST_CSV, result.table.to_csv(index=False))
        save_forecast(out, result.info.model_copy(update={"forecast": records(result.table)}))
        if plot and config.plot.enabled:
            with atomic.replacing(out.file(rundir.FORECAST_FUTURE_PNG)) as tmp:
                plot_future(result.history, result.table, result.info, config.plot.dpi, tmp)
        started.extra.update({"last_bar": result.info.last_bar, "horizon": result.info.horizon})
        # Logged last, once the forecast is written: `forecast score` joins it with the actuals later.
        champion = is_champion(trained, config.name, models_dir)
        logged = forecast_log.record(
            runs_root(runs_dir),
            config.name,
            result.table,
            result.info,
            predict_run=out.path,
            champion=champion,
            data=config.data.model_copy(update={"end": None}).model_dump_json(),
        )
        started.extra["logged"] = str(logged)
    return Prediction(out.path, result)


def is_champion(run: RunDir, name: str, models_dir: Path | None) -> bool:
    """Whether `run` is what the registry serves for model `name` right now."""
    champion = Registry(models_root(models_dir), name).champion()
    return champion is not None and Path(champion["run"]).resolve() == run.path.resolve()


def model_run(run: str | os.PathLike[str] | None, model: str | None, root: Path, models_dir: Path | None) -> RunDir:
    """The run to forecast with: RUN, or the champion of the registry model `model`."""
    if (run is None) == (model is None):
        raise UsageError(
            "predict needs RUN or --model NAME (not both)",
            hint="e.g. forecast predict lstm: the lstm model's champion, else your newest complete lstm run",
        )
    if run is not None:
        return find_run(run, root, models_dir)
    champion = Registry.open(models_root(models_dir), model).champion()  # type: ignore[arg-type]
    if champion is None:
        raise MissingInputError(
            f"model {model} has no champion yet (no retrain has promoted one)",
            hint=f"see why: forecast models show {model}",
        )
    return RunDir.open(Path(champion["run"]))
