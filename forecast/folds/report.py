"""What backtest.json and backtest_predictions.csv hold: every fold's scores, tests, verdicts and
bands, and the mean and spread over folds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.folds.run import FoldResult
from forecast.scoring.frames import predictions_frame


def summarise(results: list[FoldResult]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Mean and standard deviation (ddof 1; 0 for one fold) of every metric, per forecaster."""
    summary: dict[str, dict[str, dict[str, float | None]]] = {}
    for name in results[0].evaluated.metrics:
        summary[name] = {}
        for metric in results[0].evaluated.metrics[name]:
            # A competitor skipped in one fold (over its time limit) has no score there.
            values = [r.evaluated.metrics.get(name, {}).get(metric) for r in results]
            known = np.array([v for v in values if v is not None], dtype="float64")
            summary[name][metric] = {
                "mean": float(known.mean()) if len(known) else None,
                "std": float(known.std(ddof=1)) if len(known) > 1 else (0.0 if len(known) else None),
            }
    return summary


def report(results: list[FoldResult], frame: pd.DataFrame, config: Config) -> dict[str, Any]:
    """backtest.json's content (rundir/files.py: BacktestFile reads it)."""
    dates = frame.index

    def day(row: int) -> str:
        return dates[row].date().isoformat()

    folds = []
    for r in results:
        evaluated = r.evaluated
        combination = {} if evaluated.combination is None else {"combination": evaluated.combination.to_dict()}
        folds.append(
            {
                "fold": r.fold.number,
                "train": {"first": day(r.fold.train_start), "last": day(r.fold.test_start - 1)},
                "test": {"first": day(int(evaluated.rows[0, 0])), "last": day(int(evaluated.rows[-1, -1]))},
                "scaler_fitted_on": {"first": day(r.fitted_rows[0]), "last": day(r.fitted_rows[1])},
                "windows": r.windows,
                "epochs_run": r.epochs_run,
                "fit_seconds": round(r.fit_seconds, 3),
                "metrics": evaluated.metrics,
                "diebold_mariano": evaluated.dm,
                "best_competitor": evaluated.best_competitor,  # and the model's DM test against it
                "verdicts": {
                    name: {against: v.model_dump(mode="json") for against, v in judged.items()}
                    for name, judged in evaluated.verdicts.items()
                },
                "intervals": {name: i for name, i in evaluated.intervals.items() if i is not None},
                **combination,
            }
        )
    spec = config.evaluate.backtest
    return {
        "symbol": config.data.symbol,
        "target": config.data.target,
        "model": config.model.kind,
        "backtest": spec.model_dump(),
        "folds": folds,
        "summary": summarise(results),
    }


def predictions(results: list[FoldResult], frame: pd.DataFrame) -> pd.DataFrame:
    parts = [predictions_frame(frame.index, r.evaluated).assign(fold=r.fold.number) for r in results]
    table = pd.concat(parts, ignore_index=True)
    return table[["fold", *[c for c in table.columns if c != "fold"]]]
