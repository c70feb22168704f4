"""The network's forecasts of the validation part that calibrate predict's bands.

Which steps ahead a band covers is predict's choice (--horizon), but recomputing these
forecasts cost predict most of its time (issue 19): the evaluate stage stores them for
predict.horizon steps (validation.npz), and predict recomputes only for a longer horizon
or a run made before they were stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast import rundir
from forecast.config import Config
from forecast.prepare.encoding import Encoding
from forecast.prepare.windows import Split
from forecast.rollout.intervals import floored, forecast_rows
from forecast.rollout.rollout import Network
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_encoding, read_series, read_split, read_validation, save_validation
from forecast.rundir.verify import verified_if_recorded
from forecast.scoring.published import Validation


def validation_origins(encoding: Encoding, w: Split, steps: int) -> np.ndarray:
    """The validation rows from which a forecast `steps` long stays in the validation part."""
    first = max(w.val_start, encoding.rows_needed)
    return np.arange(first, w.test_start - steps + 1)


def stored_validation(network: Network, run: RunDir, config: Config) -> None:
    """For the evaluate stage: the network's forecasts of predict.horizon steps from every
    validation row (validation.npz), so that predict does not recompute them. Rollouts from the
    last rows reach into the test part; predict keeps only those that stay in validation."""
    w, frame, encoding = read_split(run), read_series(run), read_encoding(run)
    steps = config.predict.horizon
    if any(f != config.data.target for f in config.data.features):
        steps = min(steps, config.prep.output_steps)  # a feature's future is unknown: predict goes no further
    origins = validation_origins(encoding, w, 1)
    origins = origins[origins + steps <= len(frame)]  # the rows of calendar inputs must exist
    forecast = forecast_rows(network, encoding, frame, w.values, origins, steps) if len(origins) else None
    save_validation(run, origins, np.empty((0, steps)) if forecast is None else forecast)


def validation_rollouts(network: Network, run: RunDir, steps: int, manifest: dict[str, Any]) -> Validation:
    """Rollouts of `steps` steps over the validation part, which calibrate the bands of a
    forecast that far ahead: the evaluate stage's when they reach that far, else computed."""
    w, frame, encoding = read_split(run), read_series(run), read_encoding(run)
    origins = validation_origins(encoding, w, steps)
    forecast = None
    if verified_if_recorded(run, manifest, rundir.VALIDATION, "evaluate"):
        stored, rollouts = read_validation(run)
        if rollouts.shape[1] >= steps and np.array_equal(stored[: len(origins)], origins):
            forecast = rollouts[: len(origins), :steps]
    if forecast is None and len(origins):
        forecast = forecast_rows(network, encoding, frame, w.values, origins, steps)
    if forecast is not None:  # as predict floors its forecast, and evaluate its test and validation ones
        forecast = floored(forecast, frame.iloc[: w.test_start, 0].to_numpy(dtype="float64"))
    return Validation(frame, origins, forecast, w.val_start)
