"""A fold's training watched epoch by epoch (tune's rungs, tuning/rungs.py): after each epoch
the watcher hears the fold, the epochs trained and how to score the network as it stands.

The score is the network's validation RMSE in the target's units over naive's on the same
windows: trials that learn different transforms, normalisations or lookbacks then compare on
one scale, which their validation losses (each in its own training space) do not.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.scoring.metrics import rmse

Score = Callable[[], float]  # the network's validation ratio to naive, computed when called
Watch = Callable[[int, int, Score], None]  # (fold number, epochs trained, score) after every epoch


def validation_ratio(forecasts: np.ndarray, target: np.ndarray, origins: np.ndarray) -> float:
    """RMSE of `forecasts` ((m, steps) from each origin row) over naive's, the last known level,
    on the target's rows they forecast. A flat validation part (naive exact) gives inf unless
    the network is exact too."""
    truth = target[origins[:, None] + np.arange(forecasts.shape[1])[None, :]]
    naive = np.repeat(target[origins - 1][:, None], forecasts.shape[1], axis=1)
    ours, theirs = rmse(truth, forecasts), rmse(truth, naive)
    if theirs == 0:
        return 1.0 if ours == 0 else float("inf")
    return ours / theirs
