"""`forecast retrain`: one model's retrain (challenge.py), or every symbol's of a universe."""

from __future__ import annotations

from pathlib import Path

from forecast.commands.challenge import Outcome, retrain_one
from forecast.commands.score import score_models
from forecast.commands.universe import Universe, retrain_universe
from forecast.config import Config
from forecast.data import data_root
from forecast.errors import NothingToScore, UsageError
from forecast.pipeline.runner import Listener
from forecast.registry.registry import Registry, models_root
from forecast.rundir import runs_root, utc_now

__all__ = ["Outcome", "retrain"]


def undrifted(config: Config, runs_dir: Path | None, data_dir: Path | None, models_dir: Path | None) -> Outcome | None:
    """The outcome "not drifted" (recorded in the model's history) when the champion's live
    forecasts show no drift; None when a retrain is due: drift, or no champion yet."""
    registry = Registry(models_root(models_dir), config.name)
    champion = registry.champion()
    if champion is None:
        return None  # nothing serves yet: train
    try:
        (live,) = score_models(config.name, model_run=champion["run"], runs_dir=runs_dir, data_dir=data_dir)
    except NothingToScore as exc:
        reason = f"drift not judged: {exc.message} (forecast predict --model logs them); the champion stays"
    else:
        if live.drift.get("drifted"):
            return None
        label = {"skill": "skill", "coverage_80": "80%", "coverage_95": "95%"}
        judged = [
            f"{label.get(part, part)} p {v['p']:.3f}"
            for part, v in live.drift.items()
            if isinstance(v, dict) and v.get("p") is not None
        ]
        if judged:
            reason = f"no drift in the champion's live forecasts ({', '.join(judged)}); the champion stays"
        else:
            why = (live.drift.get("skill") or {}).get("why") or live.drift.get("why")
            reason = f"drift not judged: {why}; the champion stays"
    record = {
        "time": utc_now(),
        "symbol": config.data.symbol,
        "decision": "not_drifted",
        "reason": reason,
        "run": champion["run"],
    }
    registry.record(record)
    return Outcome(config.name, "not_drifted", reason, record)


def retrain(
    config: Config,
    *,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    models_dir: Path | None = None,
    force: bool = False,
    listener: Listener | None = None,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    when_drifted: bool = False,
) -> Outcome | Universe:
    """Fetch new bars, train a challenger, promote it only if it beats the champion and naive.
    A universe retrains every symbol's model (<name>-<symbol>): a Universe, one row per symbol.
    when_drifted: only when `forecast score` finds the champion's live forecasts drifted."""
    if when_drifted:
        if config.data.universe:
            raise UsageError(
                "--when-drifted applies to one model, not a universe",
                hint="retrain the universe without it, or each symbol's config with it",
            )
        calm = undrifted(config, runs_dir, data_dir, models_dir)
        if calm is not None:
            return calm
    if config.data.universe:
        roots = {"runs": runs_root(runs_dir), "data": data_root(data_dir), "models": models_root(models_dir)}
        return retrain_universe(config, roots, force, executor, workers, address)
    return retrain_one(config, runs_root(runs_dir), data_root(data_dir), models_root(models_dir), force, listener)
