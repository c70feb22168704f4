"""In-memory training windows as one dataset of every epoch's batches, for one model.fit of all
the epochs (network/loop.py says why one)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def shuffled_epochs(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, epochs: range, steps: int | None
) -> tuple[Any, int]:
    """In-memory windows as ONE tf.data dataset of every epoch's batches, for one model.fit of
    all the epochs (network/loop.py): epoch e's order is drawn from (seed, e) alone, as
    WindowBatches.shuffle_for draws it, and its batches are the first `steps` (every window
    when None) of that order. Returns the dataset and its batches per epoch."""
    import tensorflow as tf

    per_epoch = min(math.ceil(len(x) / batch_size), steps or math.inf)

    def orders():
        for epoch in epochs:
            yield np.random.default_rng([seed, epoch]).permutation(len(x))[: per_epoch * batch_size]

    xs, ys = tf.constant(x), tf.constant(y)
    rows = tf.data.Dataset.from_generator(orders, output_signature=tf.TensorSpec([None], tf.int64))
    # Batched within each epoch, so that no batch spans two epochs' orders.
    rows = rows.flat_map(lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
    # Windows are independent samples, so shuffling them leaks nothing across time.
    return rows.map(lambda r: (tf.gather(xs, r), tf.gather(ys, r))).prefetch(2), per_epoch
