"""The fastest path TensorFlow offers GRU and SimpleRNN on a CPU (issue 36), measured: forecast
trains both on Keras' loop of small ops per step (an LSTM on the fused BlockLSTM: kernel.py).

The protocol's network of each kind (2 recurrent layers of 50, Dense 25, Dense 1; batch 64,
Adam 1e-3) on the training windows of sample MSFT at LOOKBACKS, trained by Keras' model.fit:
- loop: keras.layers.GRU / SimpleRNN as forecast builds them;
- unrolled: the same layers with unroll=True (one graph node per step instead of a while loop);
- GRUBlockCell (GRU only): TensorFlow's fused GRU cell, one op a step in a tf.scan. It computes
  the reset-before GRU (Keras' reset_after=False, not forecast's reset_after=True), and
  TensorFlow registers no gradient for it: one is registered here from GRUBlockCellGrad, and
  checked against Keras' reset_after=False GRU (the same loss and gradients, to 1e-5).
Each round builds every variant afresh: its first epoch (tracing included) is timed, then
EPOCHS epochs; ROUNDS rounds, the variants interleaved. Reported: the median first epoch and
epoch, and for a variant faster an epoch than the loop, the epochs it needs to repay its tracing.
And SimpleRNN through forecast's own training (train_model: its loop, a new network each fit, so
traced each time as in a new process), FIT_EPOCHS epochs at lookback 60, loop against unrolled.

    .venv/bin/python benchmarks/recurrent.py      # about 10 minutes on 2 cores

Results go into benchmarks/speed.json ("recurrent") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS, EPOCHS, FIT_EPOCHS, UNITS = 3, 4, 10, 50
CASES = (("rnn", 60), ("rnn", 120), ("gru", 60))  # a GRU unrolled over 120 steps traces for about 45 s
VARIANTS = {"rnn": ("loop", "unrolled"), "gru": ("loop", "unrolled", "GRUBlockCell")}


def block_gru(units: int, return_sequences: bool) -> Any:
    """A reset-before GRU layer on tf.raw_ops.GRUBlockCell, its weights those of Keras' GRUCell
    (reset_after=False: kernel and recurrent kernel z, r, h; one bias), created as Keras creates them."""
    import keras
    import tensorflow as tf

    class BlockGRU(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.cell = keras.layers.GRUCell(units, reset_after=False)

        def build(self, input_shape: tuple[int, ...]) -> None:
            self.cell.build((input_shape[0], input_shape[-1]))

        def call(self, inputs: Any) -> Any:
            # GRUBlockCell's weights: [x, h] rows stacked, its gates r, u (Keras' z) and c (Keras' h).
            w = tf.concat([self.cell.kernel, self.cell.recurrent_kernel], axis=0)
            z, r, h = tf.split(w, 3, axis=1)
            bz, br, bh = tf.split(tf.convert_to_tensor(self.cell.bias), 3)
            w_ru, b_ru = tf.concat([r, z], axis=1), tf.concat([br, bz], axis=0)

            def step(state: Any, x: Any) -> Any:
                return tf.raw_ops.GRUBlockCell(x=x, h_prev=state, w_ru=w_ru, w_c=h, b_ru=b_ru, b_c=bh)[3]

            zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], units]), dtype=inputs.dtype)
            states = tf.scan(step, tf.transpose(inputs, [1, 0, 2]), initializer=zeros)
            return tf.transpose(states, [1, 0, 2]) if return_sequences else states[-1]

        def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int | None, ...]:
            return (input_shape[0], input_shape[1], units) if return_sequences else (input_shape[0], units)

    return BlockGRU()


def register_gradient() -> None:
    """GRUBlockCell's gradient (the one tf.contrib had): GRUBlockCellGrad gives the gates'."""
    import tensorflow as tf

    @tf.RegisterGradient("GRUBlockCell")
    def _(op: Any, *grads: Any) -> Any:
        x, h, w_ru, w_c, b_ru, b_c = op.inputs
        r, u, c, _ = op.outputs
        dx, dh, dc_bar, dru_bar = tf.raw_ops.GRUBlockCellGrad(
            x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c, r=r, u=u, c=c, d_h=grads[3]
        )
        d_w_ru = tf.matmul(tf.concat([x, h], 1), dru_bar, transpose_a=True)
        d_w_c = tf.matmul(tf.concat([x, r * h], 1), dc_bar, transpose_a=True)
        return dx, dh, d_w_ru, d_w_c, tf.reduce_sum(dru_bar, 0), tf.reduce_sum(dc_bar, 0)


def build(kind: str, variant: str, lookback: int, reset_after: bool = True) -> Any:
    import keras

    keras.utils.set_random_seed(1)
    layers: list[Any] = []
    for last in (False, True):
        if variant == "GRUBlockCell":
            layers.append(block_gru(UNITS, not last))
        elif kind == "gru":
            layers.append(keras.layers.GRU(UNITS, return_sequences=not last, unroll=variant == "unrolled",
                                           reset_after=reset_after))  # fmt: skip
        else:
            layers.append(keras.layers.SimpleRNN(UNITS, return_sequences=not last, unroll=variant == "unrolled"))
    model = keras.Sequential([keras.Input((lookback, 1)), *layers, keras.layers.Dense(25), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def same_as_keras(x: Any, y: Any) -> float:
    """The largest difference of loss and gradients between the GRUBlockCell network and Keras'
    reset_after=False GRU from the same seed, on one batch."""
    import numpy as np
    import tensorflow as tf

    differences = []
    outcomes = []
    for model in (build("gru", "GRUBlockCell", x.shape[1]), build("gru", "loop", x.shape[1], reset_after=False)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x[:64]) - y[:64]) ** 2)
        outcomes.append([loss, *tape.gradient(loss, model.trainable_variables)])
    for a, b in zip(*outcomes, strict=True):
        differences.append(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))))
    return max(differences)


def through_forecast(x: Any, y: Any, val: Any, unrolled: bool) -> float:
    """Seconds of one train_model of the protocol's SimpleRNN, unrolled or not, tracing included."""
    import keras

    from forecast.config import ModelConfig, TrainConfig
    from forecast.network import kept
    from forecast.network.training import train_model

    plain = keras.layers.SimpleRNN
    keras.layers.SimpleRNN = lambda *a, **k: plain(*a, unroll=unrolled, **k)  # what models.py builds, unrolled
    try:
        kept.forget()
        config = ModelConfig(kind="rnn", units=[UNITS, UNITS], dense=[25], dense_activation="linear")
        clock = time.perf_counter()
        train_model(config, TrainConfig(epochs=FIT_EPOCHS, batch_size=64, patience=0, seed=1), x, y, *val)
        return time.perf_counter() - clock
    finally:
        keras.layers.SimpleRNN = plain


def measure() -> dict:
    from benchmarks.speed import msft_windows
    from forecast.network.training import import_keras

    import_keras(seed=1)
    register_gradient()
    results: dict = {}
    for kind, lookback in CASES:
        windows, _ = msft_windows(lookback)
        x, y = windows["train"]
        x, y = x.astype("float32"), y.astype("float32")
        runs: dict[str, dict[str, list[float]]] = {v: {"first": [], "epoch": []} for v in VARIANTS[kind]}
        for round_ in range(ROUNDS):
            order = VARIANTS[kind] if round_ % 2 == 0 else VARIANTS[kind][::-1]
            for variant in order:
                model = build(kind, variant, lookback)
                clock = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
                runs[variant]["first"].append(time.perf_counter() - clock)
                clock = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=EPOCHS, shuffle=False, verbose=0)
                runs[variant]["epoch"].append((time.perf_counter() - clock) / EPOCHS)
                print(f"{kind} lookback {lookback}, {variant}: first epoch {runs[variant]['first'][-1]:.2f} s, "
                      f"then {runs[variant]['epoch'][-1] * 1000:.0f} ms an epoch", flush=True)  # fmt: skip
        case = {v: {k: statistics.median(r[k]) for k in r} | {"runs": r} for v, r in runs.items()}
        if kind == "gru":
            case["GRUBlockCell"]["difference"] = same_as_keras(x, y)
        results[f"{kind} {lookback}"] = {"kind": kind, "lookback": lookback, "windows": len(x), "variants": case}
    windows, _ = msft_windows(60)
    fits: dict[str, list[float]] = {"loop": [], "unrolled": []}
    for round_ in range(ROUNDS):
        for variant in ("loop", "unrolled") if round_ % 2 == 0 else ("unrolled", "loop"):
            fits[variant].append(through_forecast(*windows["train"], windows["val"], variant == "unrolled"))
            print(f"train_model, SimpleRNN lookback 60, {variant}: {fits[variant][-1]:.2f} s", flush=True)
    return {"cases": results, "train_model": {v: {"seconds": statistics.median(r), "runs": r} for v, r in fits.items()}}


def markdown(results: dict) -> list[str]:
    """SPEED.md's section on GRU's and SimpleRNN's paths."""
    from benchmarks.speed import measured_by

    if "recurrent" not in results:
        return []
    r = results["recurrent"]
    lines = ["## GRU and SimpleRNN: the paths TensorFlow offers (issue 36)", "",
             measured_by("recurrent.py", r) + f"): the protocol's network of each kind trained by model.fit, "
             f"a first epoch (tracing included) and then {r['epochs']} epochs, the median of {r['rounds']} "
             "interleaved rounds; the windows of sample MSFT at each lookback.", "",
             "| model.kind | lookback | path | first epoch s | ms an epoch | per round | x the loop | "
             "epochs to repay tracing |",
             "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: |"]  # fmt: skip
    for case in r["cases"].values():
        loop = case["variants"]["loop"]
        for variant, v in case["variants"].items():
            speed = loop["epoch"] / v["epoch"]
            extra = (v["first"] - v["epoch"]) - (loop["first"] - loop["epoch"])  # its tracing beyond the loop's
            saved = loop["epoch"] - v["epoch"]
            if variant == "loop":
                repay = ""
            elif saved <= 0:
                repay = "never"
            else:
                repay = f"{extra / saved:.0f}" if extra > 0 else "none: it traces faster"
            rounds = ", ".join(f"{e * 1000:.0f}" for e in v["runs"]["epoch"])
            lines.append(f"| {case['kind']} | {case['lookback']} | {variant} | {v['first']:.2f} | "
                         f"{v['epoch'] * 1000:.0f} | {rounds} | {speed:.2f} | {repay} |")  # fmt: skip
    gru = next(c for c in r["cases"].values() if c["kind"] == "gru")["variants"]["GRUBlockCell"]
    fit = r["train_model"]
    lines += ["", "- forecast keeps Keras' loop for both kinds. Unrolling trades tracing for a faster epoch: the "
              "tracing grows with the lookback, the GRU's most, and a network is traced again in every process "
              "that trains it (each of compare's or tune's workers, each cron run). Through forecast's own "
              f"training (train_model, {r['fit_epochs']} epochs of the protocol's SimpleRNN at lookback 60, tracing "
              f"included, the median of {r['rounds']} interleaved rounds) the loop took "
              f"{fit['loop']['seconds']:.1f} s and the unrolled network {fit['unrolled']['seconds']:.1f} s.",
              "- GRUBlockCell runs the reset-before GRU (Keras' reset_after=False), which forecast's GRU is not "
              "(reset_after=True, Keras' default): taking it would change every GRU forecast trains, and it needs "
              "a gradient of forecast's own; it computed the same loss and gradients as Keras' reset_after=False "
              f"GRU here (largest difference {gru['difference']:.1e}). Left as a choice for the team, with its "
              "gain above."]  # fmt: skip
    return [*lines, ""]


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("recurrent", __doc__, measure, epochs=EPOCHS, fit_epochs=FIT_EPOCHS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
