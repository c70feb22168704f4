"""One model.fit for all the epochs trains on each epoch's own (seed, epoch) order: the weights
are those of a model.fit per epoch on that epoch's shuffled windows, to the bit (so a resumed
fit, which starts from its epoch's order, still ends as an uninterrupted one); the order is a
function of (seed, epoch) alone."""

from __future__ import annotations

import numpy as np

from forecast.config import ModelConfig, TrainConfig
from forecast.network import training
from forecast.network.epochs import epoch_order
from forecast.network.models import build_model


def test_one_fit_trains_each_epoch_in_its_own_order_as_a_fit_per_epoch_would() -> None:
    keras = training.import_keras(seed=5, deterministic=True)
    rng = np.random.default_rng(0)
    x, y = rng.random((12, 4, 1)).astype("float32"), rng.random((12, 1)).astype("float32")
    xv, yv = x[:3], y[:3]
    config = TrainConfig(epochs=3, batch_size=2, patience=0, seed=9, learning_rate=0.05)
    shape = ModelConfig(kind="gru", units=[3], dense=[])

    training.import_keras(seed=5)
    one_fit = build_model(shape, 4, 1, 1)
    training.fit(one_fit, config, x, y, xv, yv)

    training.import_keras(seed=5)
    per_epoch = build_model(shape, 4, 1, 1)
    per_epoch.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="mean_squared_error")
    for epoch in range(3):  # a model.fit per epoch, as until 2026-12-06
        order = epoch_order(len(x), 9, epoch).numpy()
        per_epoch.fit(x[order], y[order], batch_size=2, epochs=epoch + 1, initial_epoch=epoch, shuffle=False,
                      verbose=0)  # fmt: skip

    for ours, theirs in zip(one_fit.get_weights(), per_epoch.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)
    # Not a fixed point: the weights moved, and another order would have moved them elsewhere.
    training.import_keras(seed=5)
    other = build_model(shape, 4, 1, 1)
    training.fit(other, TrainConfig(**{**config.model_dump(), "seed": 10}), x, y, xv, yv)
    assert not np.array_equal(other.get_weights()[0], one_fit.get_weights()[0])


def test_an_epochs_order_depends_on_the_seed_and_the_epoch_alone() -> None:
    training.import_keras()
    first = epoch_order(50, 3, 1).numpy()
    assert sorted(first) == list(range(50))  # a permutation of the windows
    assert np.array_equal(first, epoch_order(50, 3, 1).numpy())
    assert not np.array_equal(first, epoch_order(50, 3, 2).numpy())
    assert not np.array_equal(first, epoch_order(50, 4, 1).numpy())
