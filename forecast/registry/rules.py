"""How a retrain decides, and which runs a model's registry keeps: pure rules over the
registry's records, with no training and no data.

A challenger is promoted only when it beats naive on the holdout, significantly (the one
verdict, scoring/verdict.py; unless told otherwise), and beats the champion by
retrain.min_improvement; prune never touches the
champion, the run a rollback would return to, or a folder the registry did not record.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.config import Config, RetrainConfig
from forecast.registry.registry import Registry
from forecast.rundir import RunDir, named, utc_now
from forecast.scoring.verdict import Verdict, judge

log = logging.getLogger(__name__)
TRAINED = ("promoted", "kept", "rejected")  # outcomes whose run holds a finished model


def decide(challenger: dict[str, Any], champion: dict[str, Any] | None, rules: RetrainConfig) -> tuple[str, str]:
    """(decision, reason) from holdout scores {'rmse', 'naive_rmse', 'verdict'} of both models:
    the challenger must beat naive by the one rule (scoring/verdict.py: significantly), then the
    champion by retrain.min_improvement."""
    verdict = holdout_verdict(challenger)
    if rules.require_beats_naive and not verdict.better:
        keeps = "the champion stays" if champion else "no champion yet"
        return "rejected", f"on the holdout {verdict.words}; {keeps}"
    if champion is None:
        note = "" if verdict.better else "; promoted because retrain.require_beats_naive is false"
        return "promoted", f"first model: on the holdout {verdict.words}{note}"
    if champion.get("rmse") is None:
        return "promoted", f"the champion could not be scored on this holdout ({champion.get('error')})"
    rmse = challenger["rmse"]
    gain = 1.0 - rmse / champion["rmse"]
    versus = f"RMSE {rmse:.4f} vs champion {champion['rmse']:.4f} ({gain:+.2%}, needed {rules.min_improvement:.2%})"
    if gain > 0 and gain >= rules.min_improvement:
        return "promoted", versus
    return "kept", versus


def holdout_verdict(scores: dict[str, Any]) -> Verdict:
    """A model's verdict against naive on a holdout, as its scores recorded it (a record written
    before verdicts were stored is judged from its RMSEs, with no paired test: a tie at best)."""
    if scores.get("verdict"):
        return Verdict.model_validate(scores["verdict"])
    return judge(scores.get("forecaster", "model"), scores["rmse"], "naive", scores["naive_rmse"], None)


def last_trained_end(registry: Registry) -> tuple[str | None, str | None]:
    """(data end, run) of the newest retrain that trained a model, or of the champion."""
    for record in reversed(registry.history()):
        if record.get("decision") in TRAINED:
            return record.get("data_end"), record.get("run")
    champion = registry.champion()
    return (champion.get("data_end"), champion.get("run")) if champion else (None, None)


def prune(registry: Registry, keep: int, runs_root: Path) -> list[str]:
    """Delete this model's retrain runs beyond the `keep` newest, never the champion
    or the run a rollback would return to. Only folders this registry recorded, under
    the runs root and named <model>-<timestamp>, are ever touched."""
    champion = registry.champion() or {}
    protected = {champion.get("run"), *(p.get("run") for p in champion.get("previous", [])[:1])}
    runs: list[str] = []
    for record in registry.history():
        run = record.get("run")
        if run and run not in runs and record.get("decision") in (*TRAINED, "started", "failed"):
            runs.append(run)
    candidates = [r for r in runs if r not in protected and Path(r).is_dir()]
    root = runs_root.resolve()
    removed = []
    for run in candidates[: max(0, len(candidates) - keep)]:
        path = Path(run).resolve()
        if path.parent != root or not named(path, registry.name):
            log.warning("not pruning %s: not a %s run under %s", path, registry.name, root)
            continue
        shutil.rmtree(path)
        removed.append(str(path))
    return removed


def champion_record(config: Config, run: RunDir, outcome: dict[str, Any], how: str) -> dict[str, Any]:
    manifest = run.manifest()
    return {
        "name": config.name,
        "symbol": config.data.symbol,
        "run": str(run.path.resolve()),
        "model_sha256": manifest.get("stages", {}).get("train", {}).get("outputs", {}).get(rundir.MODEL),
        "data_end": outcome.get("data_end"),
        "promoted": utc_now(),
        "how": how,
        "holdout": outcome.get("holdout"),
        "scores": outcome.get("challenger"),
    }
