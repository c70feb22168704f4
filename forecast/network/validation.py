"""The validation loss after each epoch, computed as Keras' evaluate would, without it.

model.fit(validation_data=arrays) runs Keras' evaluate after every epoch: a dataset over the
arrays made for each fit, two new iterators over it every epoch (Keras 3.x), the callbacks and
the loss tracker around a traced step. On a CPU that is about 30 ms an epoch whatever the
model's size (benchmarks/epoch.py), a quarter of a small series' epoch. Here the same numbers
come from test_step's own arithmetic (the model called with training=False, the compiled loss
with its penalties, the batches' losses averaged by a Mean weighted by their sizes), traced
once per compiled model, on batches cut once per fit: the same bytes, without the machinery
(tests/network/test_validation.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

# A compiled model -> (its traced validation step, the Mean it adds to). Kept models
# (kept.py) are fitted again and again: their step is traced once.
_steps: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


class Validation:
    """`loss()`: the validation loss of the model's weights as they are now."""

    def __init__(
        self, model: Any, x: np.ndarray, y: np.ndarray, batch_size: int, after_batch: Callable[[], None] = lambda: None
    ) -> None:
        import tensorflow as tf

        # Keras cuts the arrays into batches in order, as tensors of the arrays' own dtype: so here.
        starts = range(0, len(x), batch_size)
        self.batches = [(tf.constant(x[i : i + batch_size]), tf.constant(y[i : i + batch_size])) for i in starts]
        if model not in _steps:
            _steps[model] = _traced(model)
        self.step, self.mean = _steps[model]
        self.after_batch = after_batch  # as Keras' on_test_batch_end: a stop is seen between batches

    def loss(self) -> float:
        self.mean.reset_state()
        for x, y in self.batches:
            self.step(x, y)
            self.after_batch()
        return float(self.mean.result())

    def into_logs(self, epoch: int, logs: dict[str, Any]) -> None:
        """A callback's on_epoch_end: val_loss beside the epoch's loss, where Keras puts it."""
        logs["val_loss"] = self.loss()


def _traced(model: Any) -> tuple[Any, Any]:
    import keras
    import tensorflow as tf

    mean = keras.metrics.Mean(name="val_loss")
    held = weakref.ref(model)  # not the model itself: its entry in _steps must go with it

    @tf.function(reduce_retracing=True)  # a second trace for a shorter last batch, then one for all
    def step(x: Any, y: Any) -> None:
        model = held()
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
        mean.update_state(loss, sample_weight=tf.shape(x)[0])

    return step, mean
