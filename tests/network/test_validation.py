"""The validation loss after each epoch (network/validation.py) is the number Keras' own evaluate
gives for that epoch's weights, byte for byte, without Keras' validation pass."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from forecast.config import ModelConfig, TrainConfig
from forecast.network import kept, validation
from forecast.network.training import import_keras, train_model


def windows(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((count, 6, 2)).astype("float32"), rng.random((count, 2)).astype("float32")


@pytest.mark.parametrize(
    ("model_config", "options"),
    [
        (ModelConfig(kind="lstm", units=[4], dense=[]), {}),  # the fused kernel
        # the L2 penalty is part of the loss Keras reports; dropout is off when validating
        (ModelConfig(kind="gru", units=[3], dense=[2], l2=0.05, dropout=0.3), {"loss": "huber"}),
        (ModelConfig(kind="lstm", units=[3], dense=[]), {"ensemble": 3, "loss": "mae"}),  # the members' loss
    ],
    ids=["lstm", "gru-l2-dropout-huber", "ensemble"],
)
def test_each_epochs_val_loss_is_what_keras_evaluate_gives_for_its_weights(model_config, options) -> None:
    x, y = windows(60, 0)
    x_val, y_val = windows(27, 1)  # batches of 8, 8, 8 and 3: the last one weighs less
    config = TrainConfig(epochs=3, batch_size=8, patience=0, seed=2, **options)
    evaluated: list[float] = []
    keep = lambda epoch, model: evaluated.append(model.evaluate(x_val, y_val, batch_size=8, verbose=0))  # noqa: E731
    _, result = train_model(model_config, config, x, y, x_val, y_val, on_epoch=keep)
    assert result.history["val_loss"] == evaluated
    assert len(set(evaluated)) == 3  # the weights moved: each epoch is scored on its own


def test_the_step_is_traced_once_per_compiled_model_and_goes_with_it() -> None:
    kept.forget()
    x, y = windows(40, 0)
    config, network = TrainConfig(epochs=1, batch_size=16, patience=0), ModelConfig(kind="rnn", units=[3], dense=[])
    train_model(network, config, x, y, x[:20], y[:20])
    (compiled,) = kept.models()
    step, _ = validation._steps[compiled]
    traces = step.experimental_get_tracing_count()
    train_model(network, config.model_copy(update={"seed": 5}), x, y, x[:20], y[:20])
    assert validation._steps[compiled][0] is step and step.experimental_get_tracing_count() == traces

    keras = import_keras()
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    validation.Validation(model, x, y[:, :1], 16).loss()
    refs = [weakref.ref(model), weakref.ref(compiled)]
    kept.forget()
    del model, compiled
    gc.collect()
    assert [ref() for ref in refs] == [None, None]  # neither model is held by its step: their entries go too
