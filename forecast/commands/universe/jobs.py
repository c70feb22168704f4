"""What a worker runs for one universe member: train it, or retrain it (its own registry entry).

A job takes and returns plain dicts (they cross process and Ray boundaries) and never
raises for a member's own failure: the result says failed, why, and the exit code the
same failure would have had for a single config (workers/failure.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from forecast.commands.challenge import retrain_one
from forecast.config import build_config, dump_config
from forecast.pipeline.context import Context
from forecast.pipeline.runner import run_pipeline
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_metrics
from forecast.scoring.metrics_file import Metrics
from forecast.workers.failure import reported


def payload(job: str, config: Any, roots: dict[str, Path], **options: Any) -> dict[str, Any]:
    """Everything a worker needs, as plain data. Roots are absolute: a Ray worker runs elsewhere."""
    return {
        "job": job,
        "symbol": config.data.symbol,
        "config": config.model_dump(mode="json"),
        "roots": {k: str(Path(v).resolve()) for k, v in roots.items()},
        **options,
    }


def run_job(p: dict[str, Any]) -> dict[str, Any]:
    """One member's train or retrain, as a row of the universe's table (it never raises for the
    member's own failure: workers/failure.py)."""
    clock = time.perf_counter()
    base: dict[str, Any] = {"symbol": p["symbol"]}

    def work() -> dict[str, Any]:
        config = build_config(p["config"], f"config for {p['symbol']}")
        done = {"train": _train, "retrain": _retrain}[p["job"]](config, p, base)
        return {"seconds": round(time.perf_counter() - clock, 1), **done}

    return reported(work, base)


def _train(config: Any, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    roots = p["roots"]
    run = RunDir.create(Path(roots["runs"]), config.name, dump_config(config))
    base["run"] = str(run.path)  # a failed member's run is named too (it is marked failed)
    run_pipeline(Context(config, run, Path(roots["data"])))
    return scores(read_metrics(run))


def scores(metrics: Metrics) -> dict[str, Any]:
    """The numbers a universe summary shows for one member (plain data: it crosses processes)."""
    return {
        "model": metrics.model,
        "rmse": metrics.rmse,
        "naive_rmse": metrics.naive_rmse,
        "skill": metrics.skill,
        "beats_naive": metrics.beats_naive,
        "verdict": None if (verdict := metrics.verdict()) is None else verdict.model_dump(mode="json"),
        "test": {"first": metrics.test.first, "last": metrics.test.last, "windows": metrics.test.windows},
    }


def _retrain(config: Any, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    roots = p["roots"]
    outcome = retrain_one(
        config, Path(roots["runs"]), Path(roots["data"]), Path(roots["models"]), p.get("force", False)
    )
    return {
        "name": outcome.name,
        "decision": outcome.decision,
        "reason": outcome.reason,
        "run": outcome.record.get("run"),
        "line": outcome.summary(),
    }
