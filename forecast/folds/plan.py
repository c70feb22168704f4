"""Walk-forward folds: k chronological test folds at the end of the series.

rows: 0 ................................ first_test .. fold 1 .. fold 2 .. fold 3 | n
expanding: fold k trains on [0, fold k start)
sliding:   fold k trains on the first_test rows just before fold k start
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.config import Config
from forecast.errors import DataError

# A fold with fewer test targets gives no usable metric spread or significance test.
MIN_FOLD_ROWS = 5


@dataclass(frozen=True)
class Fold:
    number: int  # 1-based
    train_start: int  # first row the scaler and the model may see
    test_start: int  # first test target row; also one past the last training row
    test_end: int  # one past the last test target row


def plan_folds(n_rows: int, config: Config) -> list[Fold]:
    spec, prep = config.evaluate.backtest, config.prep
    test_rows = int(round(n_rows * prep.test_fraction))
    if test_rows < MIN_FOLD_ROWS * spec.folds:
        raise DataError(
            f"{spec.folds} backtest folds over the {test_rows} test rows of a {n_rows}-row series leave fewer "
            f"than {MIN_FOLD_ROWS} test rows per fold",
            hint="use fewer evaluate.backtest.folds, a larger prep.test_fraction, or a longer series",
        )
    first_test = n_rows - test_rows
    edges = np.linspace(first_test, n_rows, spec.folds + 1).round().astype(int)
    return [
        Fold(k + 1, 0 if spec.mode == "expanding" else int(edges[k]) - first_test, int(edges[k]), int(edges[k + 1]))
        for k in range(spec.folds)
    ]
