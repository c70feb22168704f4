"""A run's combination (evaluate.combine; scoring/combination.py) in the evaluate stage, and
its forecasts from new origins for predict and retrain.

The members' weights are the run's, fitted once on its validation part; from a new origin
the competitor forecasts with the parameters it was fitted with on the run's rows before
the test part (as it did in evaluate), and naive is the last value: nothing is refitted,
as the network is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.errors import DataError
from forecast.rollout.intervals import calibration, with_coverage
from forecast.scoring.combination import NAME, NETWORK, Combination, Combined, combine
from forecast.scoring.competitors import Outcome, Task
from forecast.scoring.competitors import run as run_competitors
from forecast.scoring.evaluation import persistence
from forecast.scoring.metrics_file import Metrics
from forecast.scoring.significance import versus

__all__ = ["NAME", "Validation", "described", "evaluate_combination", "fitted_end", "forecast_from", "future"]

log = logging.getLogger(__name__)
FEW_WINDOWS = 30  # fewer validation windows than this give weights that move with a handful of errors


@dataclass(frozen=True)
class Evaluated:
    combined: Combined
    bands: dict[str, np.ndarray]  # lower_80, upper_80, ... around its test forecasts
    info: dict[str, Any]  # metrics.json's "combination"


def evaluate_combination(frame: pd.DataFrame, w: dict[str, np.ndarray], network_val: np.ndarray,
                         network_test: np.ndarray, rivals: Outcome, config: Config) -> Evaluated:  # fmt: skip
    """Weights fitted on the validation windows, forecasts of the test windows, and conformal
    bands from the combination's own validation errors."""
    target = frame.iloc[:, 0].to_numpy(dtype="float64")
    if len(w["val"]) < FEW_WINDOWS:
        log.warning(
            "the combination's weights are fitted on only %d validation windows: expect them to be noisy; "
            "raise prep.val_fraction if the series allows",
            len(w["val"]),
        )
    combined = combine(target, (w["val"], network_val, rivals.validation), (w["test"], network_test, rivals.forecasts))
    intervals = calibration(frame, w["val"], combined.validation, config.evaluate.intervals)
    intervals, bands = with_coverage(intervals, combined.test, target, w["test"], int(w["test_start"]))
    return Evaluated(combined, bands, {**combined.combination.to_dict(), "intervals": intervals})


def against_best(
    actual: np.ndarray, forecasts: dict[str, np.ndarray], best: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The combination's DM test against the best statistical competitor (step 1)."""
    if best is None:
        return None
    return versus(actual, forecasts, best["against"], forecaster="combination")


def fitted_end(index: pd.DatetimeIndex, last: str) -> int:
    """The row after `last` (encoding.fitted_on["last"], the run's last row before its test part)
    in a newer series: the competitor is fitted on the rows before it, as evaluate fitted it."""
    return int(index.searchsorted(pd.Timestamp(last), side="right"))


def forecast_from(metrics: Metrics, config: Config, target: np.ndarray, fit_end: int, starts: np.ndarray,
                  network: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
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


def future(metrics: Metrics, config: Config, levels: np.ndarray, fit_end: int, network: np.ndarray,
           validation: Validation) -> tuple[np.ndarray, Validation, dict[str, np.ndarray]]:  # fmt: skip
    """The run's combination from one origin past `levels` (the series up to it; the run fitted its
    competitor on levels[:fit_end]), given the network's forecast; the combination's forecasts of
    the validation windows for its bands; and each member's forecast, named as the user knows it."""
    origin = np.array([len(levels)])
    point, members = forecast_from(metrics, config, levels, fit_end, origin, network)
    val = None
    if validation.forecast is not None:
        run_levels = validation.frame.iloc[:, 0].to_numpy(dtype="float64")
        val, _ = forecast_from(metrics, config, run_levels, validation.fit_end, validation.origins,
                               validation.forecast)  # fmt: skip
    named = {(metrics.model if name == NETWORK else name): forecast for name, forecast in members.items()}
    return point, Validation(validation.frame, validation.origins, val, validation.fit_end), named


def described(metrics: Metrics) -> dict[str, Any]:
    """What predict says of the combination it published: weights and the sum in words."""
    combination = Combination.from_dict(metrics.combination or {})
    return {"weights": combination.weights, "words": combination.words(metrics.model),
            "verdict": combination.verdict(metrics.model)}  # fmt: skip
