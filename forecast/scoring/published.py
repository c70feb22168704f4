"""What a run publishes from new origins (predict, retrain's holdout): its combination
(evaluate.combine; scoring/combination.py, weighted by the evaluation) applied again.

The members' weights are the run's, fitted once on its validation part; from a new origin
the competitor forecasts with the parameters it was fitted with on the run's rows before
the test part (as it did in evaluate), and naive is the last value: nothing is refitted,
as the network is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.errors import DataError
from forecast.scoring.baselines import persistence
from forecast.scoring.combination import NETWORK, Combination
from forecast.scoring.competitors import Task
from forecast.scoring.competitors import run as run_competitors
from forecast.scoring.metrics_file import Metrics

__all__ = ["Validation", "described", "fitted_end", "combined_future", "forecast_from"]


def fitted_end(index: pd.DatetimeIndex, last: str) -> int:
    """The row after `last` (encoding.fitted_on["last"], the run's last row before its test part)
    in a newer series: the competitor is fitted on the rows before it, as evaluate fitted it."""
    return int(index.searchsorted(pd.Timestamp(last), side="right"))


def forecast_from(
    metrics: Metrics, config: Config, target: np.ndarray, fit_end: int, starts: np.ndarray, network: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(m, steps) forecasts of the run's combination (metrics.combination) from the windows
    starting at `starts` of the series `target`, given the network's forecasts of them, and the
    members' forecasts (the network, naive, and the competitor if it has weight: it is fitted
    on target[:fit_end], the rows its run fitted it on)."""
    combination, season = Combination.from_dict(metrics.combination or {}), metrics.season
    steps = network.shape[1]
    members = {NETWORK: network, "naive": persistence(target, starts, steps)}
    name = combination.competitor
    if name is not None and combination.weights[name] > 0:
        task = Task(np.asarray(target, dtype="float64"), (0, fit_end), starts, steps, season)
        outcome = run_competitors([name], task, config.evaluate.competitor_timeout)
        if name not in outcome.forecasts:
            raise DataError(
                f"{name}, a member of the combination, gave no forecasts: {outcome.skipped[name]}",
                hint="raise evaluate.competitor_timeout, or use a run made with evaluate.combine: false",
            )
        members[name] = outcome.forecasts[name]
    return combination.apply(members), members


@dataclass(frozen=True)
class Validation:
    """Forecasts of a run's validation windows that calibrate a forecast's bands."""

    frame: pd.DataFrame  # the run's series
    origins: np.ndarray  # first target row of each window
    forecast: np.ndarray | None  # (windows, steps); None without windows
    fit_end: int  # the first validation row: a competitor forecasting them is fitted on the rows before


def combined_future(
    metrics: Metrics, config: Config, levels: np.ndarray, fit_end: int, network: np.ndarray, validation: Validation
) -> tuple[np.ndarray, Validation, dict[str, np.ndarray]]:
    """The run's combination from one origin past `levels` (the series up to it; the run fitted its
    competitor on levels[:fit_end]), given the network's forecast; the combination's forecasts of
    the validation windows for its bands; and each member's forecast, named as the user knows it."""
    origin = np.array([len(levels)])
    point, members = forecast_from(metrics, config, levels, fit_end, origin, network)
    val = None
    if validation.forecast is not None:
        run_levels = validation.frame.iloc[:, 0].to_numpy(dtype="float64")
        val, _ = forecast_from(metrics, config, run_levels, validation.fit_end, validation.origins, validation.forecast)
    named = {(metrics.model if name == NETWORK else name): forecast for name, forecast in members.items()}
    return point, Validation(validation.frame, validation.origins, val, validation.fit_end), named


def described(metrics: Metrics) -> dict[str, Any]:
    """What predict says of the combination it published: weights and the sum in words."""
    combination = Combination.from_dict(metrics.combination or {})
    return {
        "weights": combination.weights,
        "words": combination.words(metrics.model),
        "verdict": combination.verdict(metrics.model),
    }
