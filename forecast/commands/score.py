"""`forecast score`: did the forecasts we published hold up? Every logged forecast whose target
dates are now in the data, scored against what happened and against naive from the same
origins, per model and per horizon step, beside the model's test-period figures.

    forecast predict (by hand, from cron, forecast.predict) -> runs/forecasts/<name>/*.parquet
    forecast score [NAME | --all] [--since DATE]            -> live RMSE, MAE, MASE, skill, coverage
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import atomic, rundir
from forecast.config.data import DataConfig
from forecast.data import data_root
from forecast.data.load import load_series
from forecast.errors import ForecastError, NothingToScore
from forecast.figures.live import plot_live
from forecast.live import log as forecast_log
from forecast.live.drift import coverage_drift, skill_drift
from forecast.live.score import joined, live_verdict, score, test_figures
from forecast.reports.build import write_report
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_metrics, read_predictions
from forecast.scoring.metrics_file import Metrics

log = logging.getLogger(__name__)


def _data_end(scored: list[LiveScore]) -> str:
    ends = [live.data_end for live in scored if live.data_end]
    return max(ends) if ends else "before them"


@dataclass
class LiveScore:
    name: str
    model_run: str  # the newest forecasts' model: the test figures are its
    forecaster: str  # what it published: "model" (the network) or "combination"
    forecasts: int  # logged forecasts (origins) with at least one actual
    pending: int  # logged forecasts still waiting for every actual
    first: str | None  # first and last target date scored
    last: str | None
    data_end: str | None  # the last date of the data the actuals come from
    steps: list[dict[str, Any]] = field(default_factory=list)  # live.score.score: "all", then each step
    drift: dict[str, Any] = field(default_factory=dict)  # live.drift: skill and each band, and the verdict
    # The step-1 forecasts against naive from the same origins (scoring/verdict.py), as JSON
    verdict: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def score_models(
    name: str | None = None,
    *,
    since: dt.date | None = None,
    include_as_of: bool = False,
    model_run: str | None = None,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    publish: bool = False,
) -> list[LiveScore]:
    """Score the logged forecasts of model `name` (None: every model in the log); model_run: only
    those one run made (retrain --when-drifted and models show ask about the champion's own).
    publish: write live.json, live.png and the model run's report (forecast score does; a
    question from retrain or models show writes nothing)."""
    root = runs_root(runs_dir)
    logged = forecast_log.read(root, name, since)
    if model_run is not None:
        logged = logged[logged["model_run"] == model_run]
    who = f" for {name}" if name else ""
    if logged.empty:
        where = forecast_log.log_root(root) / (name or "")
        raise NothingToScore(
            f"nothing to score: no forecasts logged{who} under {where}" + (f" from {since} on" if since else ""),
            hint=f"forecasts are logged by forecast predict: forecast predict {name or 'lstm'}",
        )
    if not include_as_of:
        afterwards = int(logged.loc[logged["as_of"].astype(bool), "predict_run"].nunique())
        logged = logged[~logged["as_of"].astype(bool)]
        if logged.empty:
            raise NothingToScore(
                f"nothing to score: the {afterwards} forecast(s) logged{who} were made afterwards with --as-of, "
                "from past dates: they are not live forecasts",
                hint="score them anyway with --include-as-of",
            )
    scored = []
    for model, rows in logged.groupby("name", sort=True):
        live, joined_rows, metrics = _one(str(model), rows, data_root(data_dir))
        if publish:
            publish_views(live, joined_rows, forecast_log.log_root(root) / live.name, metrics)
        scored.append(live)
    if not any(live.steps for live in scored):  # forecasts logged, but no target date has an actual yet
        pending = sum(live.pending for live in scored)
        raise NothingToScore(
            f"nothing to score yet: {pending} forecast(s) logged{who}, none of whose target dates is in the data "
            f"(the first target is {logged['date'].min().date()}, the data ends {_data_end(scored)})",
            hint="score again once the actuals are in the data (forecast fetch, or predict --refresh)",
        )
    return scored


def drift_of(scored: pd.DataFrame, run: RunDir, forecaster: str, metrics: Metrics | None) -> dict[str, Any]:
    """Live step-1 skill and band coverage against what the model run's test period makes plausible."""
    if metrics is None or not run.exists(rundir.PREDICTIONS):
        return {"drifted": False, "why": "no test period to compare with (the model run is gone)"}
    test = read_predictions(run, step=1)
    column = "predicted" if forecaster == "model" or forecaster not in test else forecaster
    test_d = (test[column] - test["actual"]) ** 2 - (test["naive"] - test["actual"]) ** 2
    live = scored[scored["step"] == 1]
    out: dict[str, Any] = {
        "skill": skill_drift((live["error"] ** 2 - live["naive_error"] ** 2).to_numpy(), test_d.to_numpy())
    }
    intervals = (metrics.combination or {}).get("intervals") if forecaster != "model" else metrics.intervals
    for level, figures in ((intervals or {}).get("coverage") or {}).items():
        if f"in_{level}" in live:
            out[f"coverage_{level}"] = coverage_drift(live[f"in_{level}"].dropna().to_numpy(), figures.get("test"))
    out["drifted"] = any(part.get("drifted") for part in out.values() if isinstance(part, dict))
    return out


def _one(name: str, rows: pd.DataFrame, data_dir: Path) -> tuple[LiveScore, pd.DataFrame, Metrics | None]:
    """One model's live figures, the logged rows joined with their actuals, and its run's metrics."""
    newest = rows.sort_values(["made", "origin"]).iloc[-1]
    data = DataConfig.model_validate_json(newest["data"])
    frame = load_series(data, data_dir)
    actual = frame[newest["target"]]
    scored = joined(rows, actual)
    run, forecaster = RunDir(Path(newest["model_run"])), str(newest["forecaster"])
    metrics = read_metrics(run) if run.exists(rundir.METRICS) else None
    if metrics is None:
        log.warning("%s: the model run %s is gone: live figures without its test figures", name, run.path)
    origins = rows.groupby("predict_run")["date"].max()
    live = LiveScore(
        name=name,
        model_run=str(run.path),
        forecaster=forecaster,
        forecasts=int(scored["predict_run"].nunique()),
        pending=int((origins > actual.index.max()).sum()),
        first=scored["date"].min().date().isoformat() if len(scored) else None,
        last=scored["date"].max().date().isoformat() if len(scored) else None,
        data_end=actual.index.max().date().isoformat() if len(actual) else None,
        steps=score(scored, metrics, forecaster) if len(scored) else [],
        drift=drift_of(scored, run, forecaster, metrics),
        verdict=None if (said := live_verdict(scored, name)) is None else said.model_dump(mode="json"),
    )
    return live, scored, metrics


def publish_views(live: LiveScore, scored: pd.DataFrame, folder: Path, metrics: Metrics | None) -> None:
    """live.json and live.png beside the log (views, rewritten by every score), and the model
    run's report.html again, now with its "Live accuracy" section (reports/live_part.py)."""
    atomic.write_text(folder / forecast_log.LIVE_JSON, json.dumps(live.as_dict(), indent=2, default=str) + "\n")
    if len(scored[scored["step"] == 1]) >= 2:
        test = test_figures(metrics, live.forecaster)
        with atomic.replacing(folder / forecast_log.LIVE_PNG) as tmp:
            plot_live(scored, live.name, test.get(1) or test.get(0, {}), tmp)
    run = RunDir(Path(live.model_run))
    if run.manifest().get("status") == "complete":
        try:  # the model run's page, a view: a run file it cannot use does not stop the scores
            write_report(run)
        except ForecastError as exc:
            log.warning("the report of %s was not rewritten: %s", run.path, exc.message)
