"""The tables an evaluation writes: forecasts per window and step, and scores per step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.scoring.evaluation import Assessment, rmse, skill


def predictions_frame(
    dates: pd.DatetimeIndex, assessed: Assessment, bands: dict[str, np.ndarray] | None = None
) -> pd.DataFrame:
    """date, step, actual, then every forecaster: model as 'predicted', baselines by name;
    then the model's interval bounds (lower_80, upper_80, ...)."""
    m, horizon = assessed.rows.shape
    columns = {
        "date": dates[assessed.rows.ravel()],
        "step": np.tile(np.arange(1, horizon + 1), m),
        "actual": assessed.actual.ravel(),
    }
    for name, forecast in assessed.forecasts.items():
        columns["predicted" if name == "model" else name] = forecast.ravel()
    for name, bound in (bands or {}).items():
        columns[name] = bound.ravel()
    return pd.DataFrame(columns)


def per_step_scores(assessed: Assessment) -> list[dict[str, Any]]:
    """RMSE of the model and of naive at each step ahead (horizon > 1)."""
    rows = []
    for k in range(assessed.actual.shape[1]):
        actual = assessed.actual[:, k]
        model, naive = rmse(actual, assessed.forecasts["model"][:, k]), rmse(actual, assessed.forecasts["naive"][:, k])
        rows.append({"step": k + 1, "rmse": model, "naive_rmse": naive, "skill": skill(model, naive)})
    return rows
