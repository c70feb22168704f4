"""Multi-step forecasts from a trained network: direct and recursive, in one function.

A model trained with prep.output_steps = H emits H steps per call (direct). To go further,
its forecasts are fed back as inputs and it is called again (recursive): a one-step
model (H = 1) is purely recursive, a model with H > 1 goes H steps per call.

The same function forecasts the test windows in `evaluate`, the validation windows
that calibrate the intervals, and the real future in `predict`, so all three are
produced exactly alike. It calls the network once per H steps for all origins at once
(a batch), never once per origin.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecast.network.kept import forward
from forecast.network.models import median, members_of
from forecast.prepare.encoding import Encoding
from forecast.prepare.transforms import continue_forward

CHUNK = 1024  # origins per network call: bounds the inputs and the LSTM activations (~120 MB)
# (m, lookback, channels) float32 -> (m, output_steps) scaled network output
Network = Callable[[np.ndarray], np.ndarray]


def rollout(
    network: Network,
    encoding: Encoding,
    values: np.ndarray,
    levels: np.ndarray,
    origins: np.ndarray,
    steps: int,
    future_inputs: np.ndarray | None = None,
) -> np.ndarray:
    """Forecast `steps` levels from each origin; returns (m, steps).

    values: (rows, channels) model values (target transformed, not scaled); levels:
    (rows,) the target in its own units. Origin t forecasts rows t, t+1, ... from the
    window of rows [t - lookback, t): nothing at or after row t is read, ever.
    future_inputs: (m, steps, channels - 1), the non-target inputs of the forecast
    rows; needed only when the model has such inputs and steps go past H. They must
    be known in advance (calendar inputs); a feature such as volume is not.
    """
    origins = np.asarray(origins, dtype=int)
    if len(origins) > CHUNK:  # bounded memory on long series: CHUNK windows at a time
        return np.concatenate(
            [
                rollout(
                    network,
                    encoding,
                    values,
                    levels,
                    origins[i : i + CHUNK],
                    steps,
                    None if future_inputs is None else future_inputs[i : i + CHUNK],
                )
                for i in range(0, len(origins), CHUNK)
            ]
        )
    values = np.asarray(values, dtype="float64").reshape(len(values), -1)
    channels, lookback, output_steps = values.shape[1], encoding.lookback, encoding.output_steps
    earliest = encoding.rows_needed  # row 0 of a transformed target is undefined
    if origins.min() < earliest:
        raise ValueError(f"origin row {origins.min()} has fewer than the {earliest} rows a window needs before it")
    if steps > output_steps and channels > 1 and future_inputs is None:
        raise ValueError("recursive forecasts past the model's output_steps need the future values of its other inputs")
    buffer = values[origins[:, None] + np.arange(-lookback, 0)[None, :]]  # (m, lookback, channels): a copy
    # The levels a forecast continues from: the last one, or the last season's for a seasonal difference.
    memory = max(1, encoding.first_row)
    past = np.asarray(levels, dtype="float64")[origins[:, None] + np.arange(-memory, 0)[None, :]]
    out = np.empty((len(origins), steps))
    done = 0
    while done < steps:
        output = np.asarray(network(encoding.encode(buffer)))
        forecast = encoding.decode(output, past, buffer[:, -1, 0])  # (m, output_steps)
        take = min(output_steps, steps - done)
        out[:, done : done + take] = forecast[:, :take]
        done += take
        if done < steps:
            # Feed the forecasts back as if they had been observed.
            new = np.empty((len(origins), take, channels))
            new[:, :, 0] = continue_forward(forecast[:, :take], past, encoding.transform, encoding.season)
            if channels > 1:
                new[:, :, 1:] = future_inputs[:, done - take : done]  # type: ignore[index]
            buffer = np.concatenate([buffer, new], axis=1)[:, -lookback:]
            past = np.concatenate([past, forecast[:, :take]], axis=1)[:, -memory:]
    return out


def keras_network(model) -> Network:
    """The model as a plain function of a batch, traced into a TensorFlow graph once per network
    in this process (network/kept.py: every model of that network, each with its own weights).

    model.predict() sets up a data pipeline and callbacks on every call: about 30 ms,
    which a 30-step recursive forecast would pay 30 times. The traced call costs
    about a millisecond; reduce_retracing keeps one graph for every batch size.
    """
    import tensorflow as tf

    compiled = forward(model)
    members = members_of([layer.name for layer in model.layers])  # an ensemble gives its members' median

    def call(x: np.ndarray) -> np.ndarray:
        return median(compiled(tf.constant(x, dtype=tf.float32)).numpy(), members)

    return call
