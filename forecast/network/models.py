"""The Keras model of every kind in config's MODEL_KINDS (rnn: SimpleRNN, lstm, gru): stacked
recurrent layers of that kind, optional dense layers, one output per step ahead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecast.config import MODEL_KINDS, ModelConfig
from forecast.network.fused import fused_lstm

if TYPE_CHECKING:
    import keras


def build_model(
    config: ModelConfig, lookback: int, features: int, output_steps: int, fused: bool = False
) -> keras.Model:
    """fused: the LSTM layers on TensorFlow's fused kernel, to train (network/fused.py); the
    model saved is always the plain one."""
    import keras

    layer_class = getattr(keras.layers, MODEL_KINDS[config.kind])
    penalty = keras.regularizers.L2(config.l2) if config.l2 > 0 else None
    layers: list[keras.layers.Layer] = [keras.Input(shape=(lookback, features), name="window")]
    for depth, units in enumerate(config.units):
        # Every recurrent layer but the last hands its whole sequence to the next one.
        last = depth == len(config.units) - 1
        if fused:
            layers.append(fused_lstm(units, not last, penalty, f"{config.kind}_{depth + 1}"))
            continue
        layer = layer_class(
            units,
            activation=config.activation,
            dropout=config.dropout,
            recurrent_dropout=config.recurrent_dropout,
            kernel_regularizer=penalty,
            return_sequences=not last,
            name=f"{config.kind}_{depth + 1}",
        )
        # Bidirectional reads the input window both ways; the window ends at the last
        # known value, so this never sees a target.
        layers.append(
            keras.layers.Bidirectional(layer, name=f"bi_{config.kind}_{depth + 1}") if config.bidirectional else layer
        )
    for depth, units in enumerate(config.dense):
        layers.append(
            keras.layers.Dense(
                units, activation=config.dense_activation, kernel_regularizer=penalty, name=f"dense_{depth + 1}"
            )
        )
    layers.append(keras.layers.Dense(output_steps, name="forecast"))
    return keras.Sequential(layers, name=f"{config.kind}_forecaster")


def plain(trained: keras.Model, config: ModelConfig, lookback: int, features: int, output_steps: int) -> keras.Model:
    """The standard Keras model of the same config, with the trained weights: FusedLSTM keeps
    them in keras.layers.LSTM's layout, layer by layer in the same order."""
    model = build_model(config, lookback, features, output_steps)
    model.set_weights(trained.get_weights())
    return model
