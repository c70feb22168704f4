"""One model's retrain: fetch new bars, train a challenger, keep the better model.

    lock -> refresh the cache -> newer bars? -> train a challenger run
         -> score challenger, champion and naive on the same holdout -> decide -> record -> prune

The holdout is the challenger's test part minus anything either model was fitted on
(its training and validation rows), so neither is scored on data it saw. Both models
forecast it from the same cached series, each with its own scaler and lookback,
through the rollout `evaluate` and `predict` use. Nothing is written to the registry
until a decision is made, and champion.json is replaced atomically: a retrain killed
at any point leaves the champion and the cache as they were.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import rundir
from forecast.commands.future import latest_series, trained_network
from forecast.config import Config, dump_config
from forecast.config.universe import run_name
from forecast.data.store import Cache, refresh
from forecast.errors import ConfigError, SourceUnavailableError, TryLaterError
from forecast.lock import exclusive
from forecast.pipeline.context import Context
from forecast.pipeline.runner import Listener, run_pipeline
from forecast.prepare.rhythm import prepared_for
from forecast.prepare.series import encoded_values
from forecast.registry.registry import Registry
from forecast.registry.rules import champion_record, decide, last_trained_end, prune
from forecast.rollout.intervals import forecast_rows
from forecast.rundir import RunDir, utc_now
from forecast.rundir.artifacts import read_config, read_encoding, read_metrics, read_series, read_split
from forecast.rundir.verify import verify_run
from forecast.scoring.competitors import Outcome as CompetitorOutcome
from forecast.scoring.evaluation import Evaluation, Forecasts, Part, evaluate_part
from forecast.scoring.forecasters import COMBINATION, NETWORK
from forecast.scoring.published import fitted_end, forecast_from

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    name: str
    decision: str  # promoted | kept | rejected | up_to_date | not_drifted (retrain --when-drifted)
    reason: str
    record: dict[str, Any]  # the line appended to history.jsonl

    def summary(self) -> str:
        """The one line a retrain prints (cron mails it, or appends it to the log)."""
        run = self.record.get("run")
        tail = f" [{Path(run).name}]" if run else ""
        return f"{self.name}: {self.decision.replace('_', ' ')}: {self.reason}{tail}"


# --- scoring on the holdout ----------------------------------------------------------


def holdout_dates(challenger: RunDir, champion: RunDir | None) -> tuple[pd.DatetimeIndex, int]:
    """First target dates of the challenger's test windows that neither model was fitted on."""
    w, frame = read_split(challenger), read_series(challenger)
    dates = frame.index[w.test]
    if champion is not None:
        fitted = pd.Timestamp(read_encoding(champion).fitted_on["last"])
        dates = dates[dates > fitted]
    return dates, w.output_steps


def holdout_evaluation(run: RunDir, dates: pd.DatetimeIndex, steps: int, data_dir: Path) -> tuple[Evaluation, str]:
    """A run's forecasters on the windows starting at `dates`, scored by the evaluation every part
    gets (scoring/evaluation.py), and the name of the one it publishes: its network, or its
    combination (with the run's weights and the competitor it fitted, as predict publishes it)."""
    verify_run(run)
    config = read_config(run)
    frame, _ = latest_series(config, run, data_dir, refresh=False)
    rows = frame.index.get_indexer(dates)
    origins = rows[(rows >= 0) & (rows + steps <= len(frame))]
    if len(origins) == 0:
        raise ValueError("none of the holdout dates is in this model's series")
    network = trained_network(run)  # as predict computes it: the holdout scores what it publishes
    encoding = read_encoding(run)
    forecast = forecast_rows(network, encoding, frame, encoded_values(frame, config, encoding), origins, steps)
    levels = frame.iloc[:, 0].to_numpy(dtype="float64")
    metrics = read_metrics(run)
    fit_end = fitted_end(frame.index, encoding.fitted_on["last"])  # the run's first test row
    ours, published = {NETWORK: Forecasts(forecast)}, NETWORK
    if metrics.combination is not None:  # the run's weights, not refitted
        combined, _ = forecast_from(metrics, config, levels, fit_end, origins, forecast)
        ours[COMBINATION], published = Forecasts(combined), COMBINATION
    part = Part(
        levels,
        pd.DatetimeIndex(frame.index),
        origins,
        steps,
        (0, fit_end),
        encoding.lookback,
        metrics.season,
        metrics.frequency,
    )
    return evaluate_part(part, ours, CompetitorOutcome(), model_kind=config.model.kind), published


def holdout_scores(run: RunDir, dates: pd.DatetimeIndex, steps: int, data_dir: Path) -> dict[str, Any]:
    """What the registry records of a run on the holdout: its published forecaster's RMSE and MAE,
    naive's RMSE and the verdict against naive."""
    evaluated, published = holdout_evaluation(run, dates, steps, data_dir)
    scores, verdict = evaluated.metrics[published], evaluated.verdict(published)
    return {
        "rmse": scores["rmse"],
        "mae": scores["mae"],
        "naive_rmse": evaluated.metrics["naive"]["rmse"],
        "windows": len(evaluated.part.test),
        "forecaster": published,
        "verdict": verdict.model_dump(mode="json") if verdict else None,
    }


# --- the retrain ---------------------------------------------------------------------


@contextlib.contextmanager
def run_log(run: RunDir) -> Iterator[None]:
    """Everything logged during the retrain also goes to <run>/retrain.log, in full."""
    handler = logging.FileHandler(run.file(rundir.RETRAIN_LOG), encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(rundir.UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def retrain_one(
    config: Config,
    runs_root: Path,
    data_dir: Path,
    models_root: Path,
    force: bool = False,
    listener: Listener | None = None,
) -> Outcome:
    if config.data.end is not None:
        log.info("retrain learns from every bar up to the newest: data.end %s is not applied", config.data.end)
        config = config.model_copy(update={"data": config.data.model_copy(update={"end": None})})
    registry = Registry(models_root, config.name)
    runs_root = runs_root.resolve()
    with exclusive(registry.lock_path, f"a retrain of {config.name}"):
        champion = registry.champion()
        if champion and champion.get("symbol") not in (None, config.data.symbol):
            raise ConfigError(
                f"model {config.name} under {models_root} forecasts {champion['symbol']}, this config "
                f"{config.data.symbol}",
                hint=f"give this config its own name, e.g. name: {config.name}-{config.data.symbol.lower()}",
            )
        base = {"time": utc_now(), "symbol": config.data.symbol}
        if config.data.spec.fetches:
            try:
                saved = refresh(Cache(data_dir), config.data)
                log.info(
                    "%s: %d new bar(s); the cache ends %s", config.data.symbol, saved.added, saved.meta["last"][:10]
                )
            except (SourceUnavailableError, TryLaterError) as exc:  # unreachable, or a stale/short answer
                registry.record({**base, "decision": "failed", "reason": f"fetch failed: {exc.message}"})
                said = "" if "unchanged" in exc.message else "; the cache is unchanged"
                raise TryLaterError(f"{exc.message}{said}", hint="the next retrain will try again") from exc
        config, frame = prepared_for(config, data_dir)  # with its rhythm's defaults, as train does
        newest = frame.index[-1].date().isoformat()
        trained_end, trained_run = last_trained_end(registry)
        if trained_end is not None and newest <= trained_end and not force:
            reason = f"the newest bar, {newest}, was already trained on ({Path(trained_run or '').name})"
            outcome = {**base, "decision": "up_to_date", "data_end": newest, "reason": reason}
            registry.record(outcome)
            return Outcome(config.name, "up_to_date", reason, outcome)

        run = RunDir.create(runs_root, run_name(config), dump_config(config))
        registry.record({**base, "decision": "started", "run": str(run.path)})
        with run_log(run):
            try:
                run_pipeline(Context(config, run, data_dir), listener=listener)
            except Exception as exc:
                message = getattr(exc, "message", f"{type(exc).__name__}: {exc}")
                registry.record({**base, "decision": "failed", "run": str(run.path), "reason": message})
                raise
            outcome = _judge(config, run, champion, data_dir, base)
            if outcome["decision"] == "promoted":
                registry.set_champion(champion_record(config, run, outcome, "retrain"))
            registry.record(outcome)
            outcome["pruned"] = prune(registry, config.retrain.keep_runs, runs_root)
            for path in outcome["pruned"]:
                log.info("pruned %s", path)
            log.info("%s: %s: %s", config.name, outcome["decision"], outcome["reason"])
        return Outcome(config.name, outcome["decision"], outcome["reason"], outcome)


def _judge(config: Config, run: RunDir, champion: dict[str, Any] | None, data_dir: Path, base: dict) -> dict[str, Any]:
    champion_run = RunDir(Path(champion["run"])) if champion else None
    dates, steps = holdout_dates(run, champion_run)
    data_end = read_series(run).index[-1].date().isoformat()
    if len(dates) == 0:
        reason = "no holdout after both models' training data (did prep.test_fraction shrink?); the champion stays"
        return {**base, "decision": "kept", "run": str(run.path), "data_end": data_end, "reason": reason}
    challenger_scores = holdout_scores(run, dates, steps, data_dir)
    champion_scores = None
    if champion_run is not None:
        try:
            champion_scores = holdout_scores(champion_run, dates, steps, data_dir)
        except Exception as exc:  # a pruned, tampered or incompatible champion must not block a retrain
            champion_scores = {"rmse": None, "error": getattr(exc, "message", str(exc))}
            log.warning("the champion %s could not be scored: %s", champion_run.path, champion_scores["error"])
    decision, reason = decide(challenger_scores, champion_scores, config.retrain)
    return {
        **base,
        "decision": decision,
        "reason": reason,
        "run": str(run.path),
        "data_end": data_end,
        "holdout": {"first": dates[0].date().isoformat(), "last": dates[-1].date().isoformat(), "steps": steps},
        "challenger": challenger_scores,
        "champion": None if champion is None else {"run": champion["run"], **(champion_scores or {})},
    }
