"""A fit on a kept network (network/kept.py) runs on the traced steps of the one before it, and
ends as a fit on a new model would: byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.config import ModelConfig, TrainConfig
from forecast.network import kept
from forecast.network.training import train_model


def windows(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((40, 6, 1)).astype("float32"), rng.random((40, 2)).astype("float32")


def trained(model_config: ModelConfig, seed: int, data: int) -> tuple[list[np.ndarray], dict]:
    x, y = windows(data)
    config = TrainConfig(epochs=4, batch_size=16, patience=2, reduce_lr_patience=1, seed=seed)
    model, result = train_model(model_config, config, x, y, x[:12], y[:12])
    return model.get_weights(), result.history


@pytest.mark.parametrize(
    "model_config",
    [
        ModelConfig(kind="lstm", units=[4], dense=[]),  # the fused kernel, saved as a plain LSTM
        ModelConfig(kind="gru", units=[3], dense=[2]),  # the fused cell in a tf.scan, saved as a plain GRU
        ModelConfig(kind="gru", units=[3], dense=[2], dropout=0.3),  # dropout: its seed states are variables
    ],
    ids=["lstm", "gru", "gru-dropout"],
)
def test_a_network_fitted_after_another_of_its_shape_ends_as_a_new_one_would(model_config: ModelConfig) -> None:
    kept.forget()
    trained(model_config, seed=1, data=1)  # another series and seed: the kept model's weights and moments move
    (compiled,) = kept.models()
    steps = compiled.train_function
    after = trained(model_config, seed=2, data=2)
    assert kept.models() == [compiled] and compiled.train_function is steps  # traced once, for both fits

    kept.forget()
    alone = trained(model_config, seed=2, data=2)
    assert after[1] == alone[1]  # every epoch's losses and learning rates
    assert len(after[0]) == len(alone[0])
    for mine, theirs in zip(after[0], alone[0], strict=True):
        assert mine.tobytes() == theirs.tobytes()


def test_another_network_or_loss_gets_its_own_compiled_model() -> None:
    kept.forget()
    x, y = windows(0)
    for model_config, loss in [(ModelConfig(kind="rnn", units=[3], dense=[]), "mse"),
                               (ModelConfig(kind="rnn", units=[4], dense=[]), "mse"),
                               (ModelConfig(kind="rnn", units=[3], dense=[]), "mae")]:  # fmt: skip
        train_model(model_config, TrainConfig(epochs=1, batch_size=16, loss=loss), x, y, x[:8], y[:8])
    assert len(kept.models()) == 3


def test_one_traced_forward_pass_serves_every_model_of_a_network_each_with_its_weights() -> None:
    from forecast.network.models import build_model
    from forecast.network.training import import_keras
    from forecast.rollout.rollout import keras_network

    import_keras(0)
    kept.forget()
    config = ModelConfig(kind="gru", units=[3], dense=[2])
    first, second = build_model(config, 6, 1, 2), build_model(config, 6, 1, 2)
    x, _ = windows(0)
    calls = [keras_network(first), keras_network(second)]
    assert len(kept._forwards) == 1  # one network, one traced graph
    for model, call in zip((first, second), calls, strict=True):
        assert call(x).tobytes() == model(x, training=False).numpy().tobytes()
    assert not np.array_equal(calls[0](x), calls[1](x))  # each model's own weights
    second.set_weights([w + 1 for w in second.get_weights()])  # weights as they are at the call
    assert calls[1](x[:5]).tobytes() == second(x[:5], training=False).numpy().tobytes()
