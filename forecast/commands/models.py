"""`forecast models promote|rollback`: change a model's champion by hand (recorded in its history)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from forecast.commands.resolve import find_run
from forecast.errors import UsageError
from forecast.registry.registry import Registry, entries, models_root
from forecast.registry.rules import champion_record
from forecast.rundir import runs_root, utc_now
from forecast.rundir.artifacts import read_config, read_metrics
from forecast.rundir.verify import verify_run


def promote(
    name: str, run: str | os.PathLike[str], *, models_dir: Path | None = None, runs_dir: Path | None = None
) -> dict[str, Any]:
    """Make a complete, verified run the champion of model `name`; returns the history record."""
    found = find_run(run, runs_root(runs_dir), champion=False)
    verify_run(found)
    config = read_config(found)
    registry = Registry(models_root(models_dir), name)
    current = registry.champion()
    if current and current.get("symbol") not in (None, config.data.symbol):
        raise UsageError(f"model {name} forecasts {current['symbol']}; run {found.path} forecasts {config.data.symbol}")
    metrics = read_metrics(found)
    scores = {"rmse": metrics.rmse, "naive_rmse": metrics.naive_rmse}
    record = {
        "time": utc_now(),
        "symbol": config.data.symbol,
        "decision": "promoted",
        "run": str(found.path.resolve()),
        "data_end": metrics.test.last,
        "reason": "promoted by hand",
        "challenger": scores,
    }
    registry.set_champion({**champion_record(config, found, record, "by hand"), "name": name})
    registry.record(record)
    return record


def rollback(name: str, *, models_dir: Path | None = None) -> dict[str, Any]:
    """Serve the previous champion of model `name` again; returns it."""
    registry = Registry.open(models_root(models_dir), name)
    restored = registry.rollback()
    registry.record(
        {
            "time": utc_now(),
            "decision": "rolled_back",
            "run": restored["run"],
            "data_end": restored.get("data_end"),
            "reason": "rolled back by hand",
        }
    )
    return restored


def list_models(models_dir: Path | None = None) -> list[dict[str, Any]]:
    """One row per registered model: its champion, the champion's holdout scores, the last decision."""
    rows = []
    for registry in entries(models_root(models_dir)):
        champion = registry.champion() or {}
        outcomes = [r for r in registry.history() if r.get("decision") != "started"]
        last = outcomes[-1] if outcomes else {}
        scores = champion.get("scores") or {}
        rows.append(
            {
                "name": registry.name,
                "champion": champion.get("run"),
                "symbol": champion.get("symbol"),
                "data_end": champion.get("data_end"),
                "rmse": scores.get("rmse"),
                "naive_rmse": scores.get("naive_rmse"),
                "last_retrain": last.get("time"),
                "last_decision": last.get("decision"),
            }
        )
    return rows
