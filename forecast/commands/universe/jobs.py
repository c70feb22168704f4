"""What a worker runs for one universe member: train it, or retrain it (its own registry entry);
or for compare, one candidate's stages into the folder compare made for it.

A job takes and returns plain dicts (they cross process and Ray boundaries) and never
raises for a member's own failure: the result says failed, why, and the exit code the
same failure would have had for a single config.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from pathlib import Path
from typing import Any

from forecast.commands.challenge import retrain_one
from forecast.config import build_config
from forecast.environment import describe
from forecast.errors import IO_ERROR, DependencyError, ForecastError, on_signal, was_interrupted
from forecast.network.training import pin_threads
from forecast.pipeline.runner import run_pipeline
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_metrics
from forecast.scoring.metrics_file import Metrics

log = logging.getLogger("forecast")


def payload(job: str, config: Any, roots: dict[str, Path], **options: Any) -> dict[str, Any]:
    """Everything a worker needs, as plain data. Roots are absolute: a Ray worker runs elsewhere."""
    env = {k: os.environ[k] for k in ("MPLCONFIGDIR", "KERAS_HOME", "FORECAST_TF_LOGS") if k in os.environ}
    return {
        "job": job,
        "symbol": config.data.symbol,
        "config": config.model_dump(mode="json"),
        "roots": {k: str(Path(v).resolve()) for k, v in roots.items()},
        "env": env,
        "verbose": log.isEnabledFor(logging.DEBUG),
        **options,
    }


class _Prefixed(logging.Formatter):
    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: [{self.symbol}] {record.getMessage()}"


def _set_up_worker(p: dict[str, Any]) -> None:
    """A worker process: the parent's environment for library caches, warnings only
    (named by symbol), and its share of the cores."""
    for key, value in p["env"].items():
        os.environ.setdefault(key, value)
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Prefixed(p["symbol"]))
    logging.basicConfig(level=logging.DEBUG if p["verbose"] else logging.WARNING, handlers=[handler], force=True)
    for name in ("yfinance", "matplotlib", "tensorflow", "absl", "h5py", "PIL"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if p.get("stop_on_sigterm"):  # as in the CLI: a stage stopped by SIGTERM is recorded as interrupted
        import signal

        signal.signal(signal.SIGTERM, on_signal)
    pin_threads(p["threads"])


def run_job(p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("in_process"):
        _set_up_worker(p)
    clock = time.perf_counter()
    base: dict[str, Any] = {"symbol": p["symbol"]}
    try:
        config = build_config(p["config"], f"config for {p['symbol']}")
        jobs = {"train": _train, "retrain": _retrain, "pipeline": _pipeline}
        done = jobs[p["job"]](config, p, base)
        return {**base, "status": "done", "seconds": round(time.perf_counter() - clock, 1), **done}
    except ForecastError as exc:
        return {**base, "status": "failed", "error": str(exc), "exit_code": exc.exit_code}
    except OSError as exc:
        return {**base, "status": "failed", "error": f"{exc.strerror or exc}: {exc.filename}", "exit_code": IO_ERROR}
    except ImportError as exc:  # the worker's environment: a dependency that does not import
        message, hint, _ = describe(exc)
        return {**base, "status": "failed", "error": f"{message} ({hint})", "exit_code": DependencyError.exit_code}
    except Exception as exc:  # a bug: reported with the symbol, the other members go on
        if was_interrupted(exc):
            raise  # being stopped, not failing
        if p["verbose"]:
            traceback.print_exc()
        return {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}", "exit_code": 1}


def _train(config: Any, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    roots = p["roots"]
    run = RunDir.create(Path(roots["runs"]), config.name)
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


def _pipeline(config: Any, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    base["run"] = p["run"]
    run_pipeline(Context(config, RunDir(Path(p["run"])), Path(p["roots"]["data"])))
    return {}


def _retrain(config: Any, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    roots = p["roots"]
    outcome = retrain_one(
        config, Path(roots["runs"]), Path(roots["data"]), Path(roots["models"]), p.get("force", False)
    )
    return {"name": outcome.name, "decision": outcome.decision, "reason": outcome.reason,
            "run": outcome.record.get("run"), "line": outcome.summary()}  # fmt: skip
