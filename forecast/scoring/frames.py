"""The tables an evaluation writes: forecasts per window and step, and scores per step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.scoring.evaluation import Evaluation
from forecast.scoring.forecasters import NETWORK, column
from forecast.scoring.metrics import rmse, skill


def predictions_frame(dates: pd.DatetimeIndex, evaluated: Evaluation) -> pd.DataFrame:
    """date, step, actual, then every forecaster (the network as 'predicted', the others by
    name), then the bands of each forecaster of ours: the network's as lower_80, upper_80, ...,
    another's prefixed with its name (combination_lower_80, ...)."""
    m, horizon = evaluated.rows.shape
    columns = {
        "date": dates[evaluated.rows.ravel()],
        "step": np.tile(np.arange(1, horizon + 1), m),
        "actual": evaluated.actual.ravel(),
    }
    for name, forecast in evaluated.forecasts.items():
        columns[column(name)] = forecast.ravel()
    for name, bands in evaluated.bands.items():
        for bound, values in bands.items():
            columns[bound if name == NETWORK else f"{name}_{bound}"] = values.ravel()
    return pd.DataFrame(columns)


def per_step_scores(evaluated: Evaluation) -> list[dict[str, Any]]:
    """RMSE of the network and of naive at each step ahead (horizon > 1)."""
    rows = []
    for k in range(evaluated.actual.shape[1]):
        actual = evaluated.actual[:, k]
        model = rmse(actual, evaluated.forecasts[NETWORK][:, k])
        naive = rmse(actual, evaluated.forecasts["naive"][:, k])
        rows.append({"step": k + 1, "rmse": model, "naive_rmse": naive, "skill": skill(model, naive)})
    return rows
