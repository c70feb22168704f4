"""Window alignment and the chronological split: no training target at or after a test target."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.prepare.windows import split_rows, windows


def test_each_window_reads_lookback_rows_and_predicts_the_next() -> None:
    values = np.arange(10, dtype=float)
    split = split_rows(10, lookback=3, output_steps=1, test_fraction=0.3, val_fraction=0.0)
    x, y = windows(values, values, split.train, 3, 1)
    assert split.train.tolist() == [3, 4, 5, 6]
    assert x[:, :, 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert y.tolist() == [[3], [4], [5], [6]]
    assert split.test.tolist() == [7, 8, 9]


def test_test_windows_may_read_training_inputs_but_targets_never_mix() -> None:
    n, lookback = 100, 20
    split = split_rows(n, lookback, output_steps=1, test_fraction=0.2, val_fraction=0.25)
    assert split.test_start == 80 and split.val_start == 60
    assert split.train.max() < split.val_start <= split.val.min()
    assert split.val.max() < split.test_start == split.test.min()
    x, _ = windows(np.arange(n, dtype=float), np.arange(n, dtype=float), split.test[:1], lookback, 1)
    assert x[0, 0, 0] == 60  # the first test window reads history from before the split


def test_multi_step_windows_straddling_a_boundary_are_dropped() -> None:
    split = split_rows(50, lookback=5, output_steps=3, test_fraction=0.2, val_fraction=0.0)
    assert split.test_start == 40
    assert (split.train + 3 - 1 < 40).all() and split.train.max() == 37
    assert split.test.min() == 40 and split.test.max() == 47  # last window ends at row 49
    _, y = windows(np.zeros(50), np.arange(50, dtype=float), split.test, 5, 3)
    assert y[0].tolist() == [40, 41, 42] and y[-1].tolist() == [47, 48, 49]


def test_several_features_keep_the_target_first() -> None:
    values = np.column_stack([np.arange(8.0), 100 + np.arange(8.0)])
    x, y = windows(values, values[:, 0], np.array([2, 3]), 2, 1)
    assert x.shape == (2, 2, 2)
    assert x[0].tolist() == [[0, 100], [1, 101]] and y.ravel().tolist() == [2, 3]


@pytest.mark.parametrize("n", [30, 31, 997])
def test_every_window_is_in_at_most_one_part(n: int) -> None:
    split = split_rows(n, 7, 2, 0.2, 0.1)
    parts = np.concatenate([split.train, split.val, split.test])
    assert len(parts) == len(np.unique(parts))
