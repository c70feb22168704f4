"""Model builders and training options reach Keras as configured."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.config import ModelConfig, TrainConfig
from forecast.network import kept
from forecast.network.training import import_keras, train_model


@pytest.mark.parametrize(("kind", "layer"), [("rnn", "SimpleRNN"), ("lstm", "LSTM"), ("gru", "GRU")])
def test_registry_builds_stacked_layers_with_the_options(kind: str, layer: str) -> None:
    from forecast.network.models import build_model

    import_keras(0)
    config = ModelConfig(kind=kind, units=[4, 3], dense=[5], dropout=0.1, recurrent_dropout=0.2, l2=0.01)
    model = build_model(config, lookback=7, features=2, output_steps=3)
    recurrent = [m for m in model.layers if type(m).__name__ == layer]
    assert [r.units for r in recurrent] == [4, 3]
    assert [r.return_sequences for r in recurrent] == [True, False]
    assert recurrent[0].dropout == 0.1 and recurrent[0].recurrent_dropout == 0.2
    assert recurrent[0].kernel_regularizer.get_config()["l2"] == pytest.approx(0.01)
    assert model.input_shape == (None, 7, 2) and model.output_shape == (None, 3)


def test_bidirectional_wraps_every_recurrent_layer() -> None:
    from forecast.network.models import build_model

    import_keras(0)
    model = build_model(ModelConfig(kind="gru", units=[4, 4], dense=[], bidirectional=True), 5, 1, 1)
    assert [type(m).__name__ for m in model.layers] == ["Bidirectional", "Bidirectional", "Dense"]


def test_plateau_schedule_and_clipping_in_a_real_fit() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5, 1)).astype("float32"), rng.random((64, 1)).astype("float32")
    config = TrainConfig(epochs=6, batch_size=16, patience=0, reduce_lr_patience=1, clipnorm=1.0, loss="huber",
                         learning_rate=0.01)  # fmt: skip
    model, result = train_model(ModelConfig(kind="rnn", units=[3], dense=[]), config, x, y, x[:16], y[:16])
    assert result.epochs_run == 6
    assert kept.models()[-1].optimizer.clipnorm == 1.0  # the compiled model it was fitted on
    rates = result.history["learning_rate"]
    assert rates[-1] < rates[0] == pytest.approx(0.01)  # halved at least once on a plateau
