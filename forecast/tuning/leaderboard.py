"""The trials of a study as rows: the leaderboard (trials.csv, the terminal table, the
report), best first. Plain data from the study's own records (search.py writes them)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

STATES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}
SHORT = {"learning_rate": "lr", "target_transform": "transform", "batch_size": "batch"}  # a field's name in a table


def leaderboard(trials: list[Any]) -> list[dict[str, Any]]:
    """One row per finished trial (Optuna FrozenTrials): complete ones by their objective (ties,
    as when the combination gives the network no weight in any trial, by the network's own RMSE),
    then pruned ones by their ratio to naive over the folds they ran (their mean RMSE covers
    fewer folds than the others', so it does not compare), then failed ones."""
    rows = [_row(t) for t in trials]
    order = {"complete": 0, "pruned": 1, "failed": 2}

    def rank(r: dict[str, Any]) -> tuple:
        score = r["rmse"] if r["state"] == "complete" else r["ratio"]
        network = r["network_rmse"] if r["state"] == "complete" and r["network_rmse"] is not None else np.inf
        return order[r["state"]], np.inf if score is None else score, network, r["trial"]

    return sorted(rows, key=rank)


def _row(trial: Any) -> dict[str, Any]:
    attrs = trial.user_attrs
    # Only finite folds count (a study of an older version may hold a NaN fold): a mean of them, or none.
    folds = [f for f in attrs.get("folds") or [] if math.isfinite(f["rmse"]) and math.isfinite(f["naive_rmse"])]
    state = STATES[trial.state.name]
    rmse = float(np.mean([f["rmse"] for f in folds])) if folds else None  # complete: the objective itself
    naive = float(np.mean([f["naive_rmse"] for f in folds])) if folds else None
    # The network's own, beside the objective when that is the combination (an older study: the same)
    network = float(np.mean([f.get("network_rmse", f["rmse"]) for f in folds])) if folds else None
    return {
        "trial": trial.number,
        "state": state,
        "rmse": rmse,  # the objective: mean fold RMSE (pruned: over the folds it ran)
        "network_rmse": network,  # the network's, when the objective scores the combination
        "naive_rmse": naive,  # naive's mean RMSE over the same folds
        "ratio": rmse / naive if rmse is not None and naive else None,
        "folds": len(folds),
        "seconds": attrs.get("seconds"),
        "epochs": attrs.get("epochs"),  # the budget it used (a study of an older version: none)
        "values": attrs.get("values") or {},
        "error": attrs.get("error"),
    }


def describe(values: dict[str, Any]) -> str:
    """A trial's values in a few words: "gru, lookback 20, units [64], lr 0.0012"."""
    words = []
    for key, value in values.items():
        field = key.split(".", 1)[1]
        if field == "kind":
            words.append(str(value))
            continue
        short = SHORT.get(field, field)
        shown = f"{value:.3g}" if isinstance(value, float) else value
        words.append(f"{short} {shown}")
    return ", ".join(words)


def table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The leaderboard flattened for trials.csv: one column per searched key."""
    keys = sorted({k for r in rows for k in r["values"]})
    flat = []
    for r in rows:
        flat.append({**{k: v for k, v in r.items() if k != "values"}, **{k: _cell(r["values"].get(k)) for k in keys}})
    return flat


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, list) else value
