"""The LSTM and the GRU train on TensorFlow's fused kernels and are saved as plain Keras layers:
the same starting weights, forward pass and gradients as keras.layers.LSTM / GRU, and a `.keras`
file that loads without custom objects and forecasts what the trained model forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecast.config import ModelConfig, TrainConfig
from forecast.network.fused import fusable
from forecast.network.models import build_model
from forecast.network.training import import_keras, train_model

CONFIG = ModelConfig(kind="lstm", units=[6, 4], dense=[3], l2=1e-4)
KINDS = pytest.mark.parametrize("kind", ["lstm", "gru"])


def both(config: ModelConfig = CONFIG, lookback: int = 7, features: int = 2, steps: int = 3):
    """The fused and the plain model, each built after the same seed."""
    keras = import_keras(seed=3)
    fused = build_model(config, lookback, features, steps, fused=True)
    keras.utils.set_random_seed(3)
    return fused, build_model(config, lookback, features, steps)


@KINDS
def test_same_starting_weights_forward_pass_and_gradients_as_keras_layers(kind: str) -> None:
    import tensorflow as tf

    fused, keras_layers = both(CONFIG.model_copy(update={"kind": kind}))
    assert [type(layer).__name__ for layer in fused.layers[:2]] == [f"Fused{kind.upper()}"] * 2
    for mine, theirs in zip(fused.get_weights(), keras_layers.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)  # Keras' initialisers in Keras' order
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 7, 2)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    # Trained weights are not the initial ones: a bias far from its initial value and gates
    # unlike each other would show a gate taken for another.
    keras_layers.set_weights([w + rng.normal(scale=0.3, size=w.shape).astype("float32") for w in fused.get_weights()])
    fused.set_weights(keras_layers.get_weights())
    np.testing.assert_allclose(fused(x).numpy(), keras_layers(x).numpy(), atol=1e-5)
    grads = []
    for model in (fused, keras_layers):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2) + tf.add_n(model.losses)  # with the L2 penalty
        grads.append(tape.gradient(loss, model.trainable_variables))
    for mine, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), atol=1e-5)


@KINDS
def test_trained_fused_saved_as_plain_keras_and_reloaded_forecasts_the_same(kind: str, tmp_path: Path, monkeypatch):
    from forecast.network import training

    keras = import_keras()
    trained_on: list[list[str]] = []  # the layers fit() trained: the fused ones, not Keras' own
    real_plain = training.plain
    monkeypatch.setattr(training, "plain", lambda model, *a: trained_on.append(
        [type(layer).__name__ for layer in model.layers]) or real_plain(model, *a))  # fmt: skip
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 7, 2)).astype("float32")
    y = x[:, -3:, 0] * 0.5
    train = TrainConfig(epochs=3, batch_size=16, patience=0)
    model, result = train_model(CONFIG.model_copy(update={"kind": kind}), train, x[:48], y[:48], x[48:], y[48:])
    assert trained_on == [[f"Fused{kind.upper()}"] * 2 + ["Dense", "Dense"]]
    assert [type(layer).__name__ for layer in model.layers[:2]] == [kind.upper()] * 2  # what is saved
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras", compile=False)  # no custom objects
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert result.epochs_run == 3 and np.isfinite(result.history["loss"]).all()


@pytest.mark.parametrize(
    "change",
    [{"kind": "rnn"}, {"bidirectional": True}, {"activation": "relu"}, {"dropout": 0.1}, {"recurrent_dropout": 0.1}],
)
@KINDS
def test_only_what_the_fused_kernels_compute_exactly_is_fused(kind: str, change: dict) -> None:
    # train_model fuses exactly when fusable() says so (the test above: the layers it trained).
    config = CONFIG.model_copy(update={"kind": kind})
    assert fusable(config)
    assert not fusable(config.model_copy(update=change))
