"""The Keras model of every kind in config's MODEL_KINDS (rnn: SimpleRNN, lstm, gru): stacked
recurrent layers of that kind, optional dense layers, one output per step ahead."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forecast.config import MODEL_KINDS, ModelConfig
from forecast.network.fused import fused_gru, fused_lstm

if TYPE_CHECKING:
    import keras


MEMBERS = "members"  # an ensemble's last layer: its members' forecasts side by side


def build_model(
    config: ModelConfig, lookback: int, features: int, output_steps: int, fused: bool = False, members: int = 1
) -> keras.Model:
    """fused: the LSTM or GRU layers on TensorFlow's fused kernels, to train (network/fused.py);
    the model saved is always the plain one. members > 1: an ensemble (train.ensemble), `members`
    copies of the layers side by side on the same window, one graph whose output is their
    forecasts concatenated (members x output_steps); median() combines them."""
    import keras

    if members == 1:
        return keras.Sequential(
            [keras.Input(shape=(lookback, features), name="window"), *_layers(config, output_steps, fused, "")],
            name=f"{config.kind}_forecaster",
        )
    window = keras.Input(shape=(lookback, features), name="window")
    outputs = []
    for member in range(1, members + 1):
        out = window
        for layer in _layers(config, output_steps, fused, f"member_{member}_"):
            out = layer(out)
        outputs.append(out)
    joined = keras.layers.Concatenate(name=MEMBERS)(outputs)
    return keras.Model(window, joined, name=f"{config.kind}_ensemble_of_{members}")


def _layers(config: ModelConfig, output_steps: int, fused: bool, prefix: str) -> list[keras.layers.Layer]:
    """One network's layers: the recurrent stack, the dense layers, one output per step ahead."""
    import keras

    layer_class = getattr(keras.layers, MODEL_KINDS[config.kind])
    penalty = keras.regularizers.L2(config.l2) if config.l2 > 0 else None
    layers: list[keras.layers.Layer] = []
    for depth, units in enumerate(config.units):
        # Every recurrent layer but the last hands its whole sequence to the next one.
        last = depth == len(config.units) - 1
        name = f"{prefix}{config.kind}_{depth + 1}"
        if fused:
            layers.append((fused_gru if config.kind == "gru" else fused_lstm)(units, not last, penalty, name))
            continue
        # A GRU's reset gate applies before its recurrent product (reset_after=False): the GRU
        # TensorFlow's fused cell computes (network/fused.py), so the one saved computes the same.
        gru = {"reset_after": False} if config.kind == "gru" else {}
        layer = layer_class(
            units,
            activation=config.activation,
            dropout=config.dropout,
            recurrent_dropout=config.recurrent_dropout,
            kernel_regularizer=penalty,
            return_sequences=not last,
            name=name,
            **gru,
        )
        # Bidirectional reads the input window both ways; the window ends at the last
        # known value, so this never sees a target.
        layers.append(
            keras.layers.Bidirectional(layer, name=f"{prefix}bi_{config.kind}_{depth + 1}")
            if config.bidirectional
            else layer
        )
    for depth, units in enumerate(config.dense):
        layers.append(
            keras.layers.Dense(
                units,
                activation=config.dense_activation,
                kernel_regularizer=penalty,
                name=f"{prefix}dense_{depth + 1}",
            )
        )
    layers.append(keras.layers.Dense(output_steps, name=f"{prefix}forecast"))
    return layers


def plain(
    trained: keras.Model, config: ModelConfig, lookback: int, features: int, output_steps: int, members: int = 1
) -> keras.Model:
    """The standard Keras model of the same config, with the trained weights: FusedLSTM keeps
    them in keras.layers.LSTM's layout, layer by layer in the same order."""
    model = build_model(config, lookback, features, output_steps, members=members)
    model.set_weights(trained.get_weights())
    return model


def members_of(layer_names: list[str]) -> int:
    """How many members a model of build_model's has, from its layers' names."""
    return max(1, sum(name.startswith("member_") and name.endswith("_forecast") for name in layer_names))


def median(out: np.ndarray, members: int) -> np.ndarray:
    """An ensemble's forecast: the median of its members' (m, members x steps) -> (m, steps).
    The median, not the mean: one member stuck in a poor minimum does not move it."""
    if members == 1:
        return out
    return np.median(out.reshape(len(out), members, -1), axis=1)
