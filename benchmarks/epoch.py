"""The cost of an epoch outside the kernel (issue 36, item 1): Keras' own model.fit over all
epochs against forecast's loop (network/training.py and loop.py: early stopping, the
learning-rate schedule and the checkpoint are the loop's, resumable: since 2026-12-07 one
model.fit of all the epochs with the loop in a callback), the loop as it was until then (a
model.fit per epoch on a shuffled copy of the windows), and forecast's loop with its
checkpoint written after every epoch, at most every checkpoint.EVERY_SECONDS (what it does),
and not at all; and the loop with the validation loss from Keras' own pass, as until
2026-12-07 (network/validation.py says why no longer).

The benchmark protocol's model (2 LSTM layers of 50 on the fused kernel, Dense 25, lookback 60,
batch 64, Adam 1e-3) on sample MSFT's windows (benchmarks/speed.py), cut to a small series
(320 training windows, 64 validation) and whole (2,294 and 254). Each variant trains one warm-up
epoch and EPOCHS timed ones, ROUNDS times, the variants interleaved round by round so that the
machine's drift falls on all of them; the median of the rounds is reported.

    .venv/bin/python benchmarks/epoch.py       # about 4 minutes on 2 cores

Results go into benchmarks/speed.json ("epoch") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EPOCHS, ROUNDS = 12, 3
SIZES = {"small series": 320, "sample MSFT": None}  # training windows (None: all of them)


def plain_fit(data) -> float:
    """Seconds per epoch of one model.fit over EPOCHS epochs (after a warm-up fit of one)."""
    from forecast.network.training import import_keras

    keras = import_keras(seed=1, deterministic=True)
    (x, y), (xv, yv) = data
    model = protocol_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(x, y, batch_size=64, epochs=1, validation_data=(xv, yv), verbose=0)
    clock = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=EPOCHS, validation_data=(xv, yv), verbose=0)
    return (time.perf_counter() - clock) / EPOCHS


def loop_fit(data, every: float | None) -> float:
    """Seconds per epoch of forecast's loop; every: the checkpoint's interval (None: no checkpoint).
    Timed from the end of the warm-up epoch to the end of the last, checkpoint writes included."""
    from forecast.config import TrainConfig
    from forecast.network import checkpoint, training

    training.import_keras(seed=1, deterministic=True)
    (x, y), (xv, yv) = data
    ends: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        kept = None
        if every is not None:
            checkpoint.EVERY_SECONDS = every
            kept = checkpoint.Checkpoint(Path(tmp) / "train_checkpoint.npz", "benchmark")
        config = TrainConfig(epochs=EPOCHS + 2, batch_size=64, patience=0, seed=1)
        # on_epoch runs before the epoch's checkpoint: the time from the end of epoch 1 to the end of
        # epoch EPOCHS + 1 holds EPOCHS epochs and EPOCHS checkpoints (the last epoch writes none).
        training.fit(protocol_model(), config, x, y, xv, yv, checkpoint=kept,
                     on_epoch=lambda epoch, model: ends.append(time.perf_counter()))  # fmt: skip
    return (ends[EPOCHS] - ends[0]) / EPOCHS


def keras_validation(data) -> float:
    """Seconds per epoch of forecast's loop as it was until 2026-12-07: the validation loss from
    Keras' own pass (model.fit's validation_data), not network/validation.py's."""
    from forecast.network import training

    own = training._epochs

    def with_keras_validation(x, y, x_val, y_val, config, first):
        data, begin, _ = own(x, y, x_val, y_val, config, first)
        return {**data, "validation_data": (x_val, y_val), "validation_batch_size": config.batch_size}, begin, None

    training._epochs = with_keras_validation
    try:
        return loop_fit(data, 5.0)
    finally:
        training._epochs = own


def protocol_model():
    from forecast.config import ModelConfig
    from forecast.network.models import build_model

    config = ModelConfig(kind="lstm", units=[50, 50], dense=[25], dense_activation="linear")
    return build_model(config, 60, 1, 1, fused=True)


def per_epoch_fits(data) -> float:
    """Seconds per epoch of forecast's loop until 2026-12-06: a model.fit per epoch on that
    epoch's shuffled copy of the windows, with the per-batch callbacks (the signal check, the bar)."""
    import numpy as np

    from forecast.network.training import import_keras

    keras = import_keras(seed=1, deterministic=True)
    (x, y), (xv, yv) = data
    model = protocol_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    noop = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)
    ends: list[float] = []
    for epoch in range(EPOCHS + 1):
        order = np.random.default_rng([1, epoch]).permutation(len(x))
        model.fit(x[order], y[order], batch_size=64, epochs=epoch + 1, initial_epoch=epoch, shuffle=False,
                  validation_data=(xv, yv), callbacks=[noop, noop], verbose=0)  # fmt: skip
        ends.append(time.perf_counter())
    return (ends[EPOCHS] - ends[0]) / EPOCHS


PLAIN, PER_EPOCH = "Keras model.fit, all epochs in one call", "a model.fit per epoch (forecast's loop until 2026-12-06)"
KERAS_VALIDATION = "forecast's loop, Keras' validation pass (until 2026-12-07)"
EVERY, NOW, NONE = (f"forecast's loop, checkpoint {when}" for when in
                    ("after every epoch", "at most every 5 s (what it does)", "never"))  # fmt: skip
VARIANTS = {
    PLAIN: lambda data: plain_fit(data),
    PER_EPOCH: lambda data: per_epoch_fits(data),
    KERAS_VALIDATION: lambda data: keras_validation(data),
    EVERY: lambda data: loop_fit(data, 0.0),
    NOW: lambda data: loop_fit(data, 5.0),
    NONE: lambda data: loop_fit(data, None),
}


def measure() -> dict:
    from benchmarks.speed import msft_windows

    windows, _ = msft_windows(60)
    results: dict = {}  # series -> its variants
    for size, count in SIZES.items():
        (x, y), (xv, yv) = windows["train"], windows["val"]
        if count:
            x, y, xv, yv = x[:count], y[:count], xv[:64], yv[:64]
        data = ((x, y), (xv, yv))
        seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(ROUNDS):
            for name, variant in VARIANTS.items():
                seconds[name].append(variant(data))
        results[size] = {"windows": len(x), "validation": len(xv), "variants": {}}
        for name, runs in seconds.items():
            median = statistics.median(runs)
            results[size]["variants"][name] = {"ms_per_epoch": median * 1000, "runs_ms": [s * 1000 for s in runs],
                                               "windows_epochs_per_s": len(x) / median}  # fmt: skip
            print(f"{size}: {name}: {median * 1000:.0f} ms an epoch", flush=True)
    return {"sizes": results}


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of the cost of an epoch outside the kernel."""
    from benchmarks.speed import measured_by

    if "epoch" not in results:
        return []
    e = results["epoch"]
    lines = ["## An epoch outside the kernel (issue 36)", "",
             measured_by("epoch.py", e) + f"): the protocol's LSTM on the fused kernel, {e['epochs']} "
             f"timed epochs after a warm-up, the median of {e['rounds']} rounds with the variants interleaved; an "
             "epoch's time includes its validation pass.", "",
             "| series | training | ms an epoch | per round | windows x epochs / s |",
             "| --- | --- | ---: | --- | ---: |"]  # fmt: skip
    for size, r in e["sizes"].items():
        for name, v in r["variants"].items():
            rounds = ", ".join(f"{ms:.0f}" for ms in v["runs_ms"])
            lines.append(f"| {size} ({r['windows']} windows) | {name} | {v['ms_per_epoch']:.0f} | {rounds} | "
                         f"{v['windows_epochs_per_s']:.0f} |")  # fmt: skip
    lines.append("")
    for size, r in e["sizes"].items():
        v = {name: x["ms_per_epoch"] for name, x in r["variants"].items()}
        if PER_EPOCH not in v:  # measured before the loop became one model.fit
            continue
        spread = max(max(x["runs_ms"]) - min(x["runs_ms"]) for x in r["variants"].values())
        lines += [f"- {size}: {v[NOW]:.0f} ms an epoch as forecast trains (one model.fit, the loop's rules in a "
                  f"callback), {v[PER_EPOCH]:.0f} with a model.fit per epoch as until 2026-12-06 "
                  f"({v[PER_EPOCH] / v[NOW]:.2f}x), {v[PLAIN]:.0f} in Keras' own model.fit of all the epochs on arrays "
                  "(slower by its validation pass, below, and a new iterator over the arrays "
                  "every epoch, not measured apart). "
                  f"The checkpoint: {v[EVERY]:.0f} after every epoch, {v[NOW]:.0f} at most every 5 s, {v[NONE]:.0f} "
                  f"never; the rounds of one variant spread by up to {spread:.0f} ms."]  # fmt: skip
        if KERAS_VALIDATION in v:
            keras_ms = v[KERAS_VALIDATION]
            lines[-1] += (
                f" The validation loss by Keras' own pass (until 2026-12-07): {keras_ms:.0f} ms an epoch, "
                f"{keras_ms - v[NOW]:.0f} ms more than network/validation.py's ({keras_ms / v[NOW]:.2f}x)."
            )
    return [*lines, ""]


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("epoch", __doc__, measure, epochs=EPOCHS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
