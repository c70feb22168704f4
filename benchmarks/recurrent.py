"""The fastest path TensorFlow offers GRU and SimpleRNN on a CPU (issue 36), measured: a GRU
trains on TensorFlow's fused GRU cell since 2026-12-07 (forecast/network/fused.py), a SimpleRNN
on Keras' loop of small ops per step (an LSTM on the fused BlockLSTM: kernel.py).

The protocol's network of each kind (2 recurrent layers of 50, Dense 25, Dense 1; batch 64,
Adam 1e-3) on the training windows of sample MSFT at each lookback of CASES, by model.fit:
- loop: Keras' layer, a while loop of small ops per step (a GRU with reset_after=True, Keras'
  default: forecast's GRU until 2026-12-07);
- unrolled: the same layer with unroll=True (one graph node per step instead of a while loop);
- GRUBlockCell (GRU only): forecast's FusedGRU, one fused op a step, the reset gate before the
  recurrent product (Keras' reset_after=False), its gradient registered by forecast.
Round r builds every variant afresh from seed r: its first epoch (tracing included) is timed,
then EPOCHS epochs, then its one-step RMSE on the test windows (scaled; what as many epochs
learned, not final quality); ROUNDS rounds, the variants interleaved. Reported: the median first
epoch and epoch, the RMSE over seeds, and for a variant faster an epoch than the loop, the epochs
it needs to repay its tracing. And SimpleRNN through forecast's own training (train_model: its
loop, a new network each fit, so traced each time as in a new process), FIT_EPOCHS epochs at
lookback 60, loop against unrolled.

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


def build(kind: str, variant: str, lookback: int) -> Any:
    import keras

    from forecast.config import ModelConfig
    from forecast.network.models import build_model

    if variant == "GRUBlockCell":  # forecast's own training build
        config = ModelConfig(kind="gru", units=[UNITS, UNITS], dense=[25], dense_activation="linear")
        model = build_model(config, lookback, 1, 1, fused=True)
    else:
        layer = keras.layers.GRU if kind == "gru" else keras.layers.SimpleRNN
        unroll = variant == "unrolled"
        stack = [layer(UNITS, return_sequences=True, unroll=unroll), layer(UNITS, unroll=unroll)]
        model = keras.Sequential([keras.Input((lookback, 1)), *stack, keras.layers.Dense(25), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


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
    import numpy as np

    from benchmarks.speed import msft_windows
    from forecast.network.training import import_keras

    results: dict = {}
    for kind, lookback in CASES:
        windows, _ = msft_windows(lookback)
        (x, y), (xt, yt) = windows["train"], windows["test"]
        runs: dict[str, dict[str, list[float]]] = {v: {"first": [], "epoch": [], "rmse": []} for v in VARIANTS[kind]}
        for round_ in range(ROUNDS):
            for variant in VARIANTS[kind] if round_ % 2 == 0 else VARIANTS[kind][::-1]:
                import_keras(seed=round_ + 1)
                model = build(kind, variant, lookback)
                clock = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
                runs[variant]["first"].append(time.perf_counter() - clock)
                clock = time.perf_counter()
                model.fit(x, y, batch_size=64, epochs=EPOCHS, shuffle=False, verbose=0)
                runs[variant]["epoch"].append((time.perf_counter() - clock) / EPOCHS)
                rmse = float(np.sqrt(np.mean((model.predict(xt, batch_size=1024, verbose=0) - yt) ** 2)))
                runs[variant]["rmse"].append(rmse)
                first, epoch = runs[variant]["first"][-1], runs[variant]["epoch"][-1]
                print(f"{kind} lookback {lookback}, {variant}: first epoch {first:.2f} s, then {epoch * 1000:.0f} ms "
                      f"an epoch, RMSE {rmse:.4f}", flush=True)  # fmt: skip
        case = {v: {k: statistics.median(r[k]) for k in ("first", "epoch")} | {"runs": r} for v, r in runs.items()}
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
             "interleaved rounds, round r from seed r; the windows of sample MSFT at each lookback. RMSE: "
             "one-step, scaled, on the test windows after those epochs (what as many epochs learned, not final "
             "quality).", "",
             "| model.kind | lookback | path | first epoch s | ms an epoch | per round | x the loop | "
             "epochs to repay tracing | test RMSE, mean ± sd over seeds |",
             "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |"]  # fmt: skip
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
                repay = f"{extra / saved:.0f}" if extra / saved >= 0.5 else "none: it traces as fast"
            rounds = ", ".join(f"{e * 1000:.0f}" for e in v["runs"]["epoch"])
            rmse = v["runs"]["rmse"]
            lines.append(f"| {case['kind']} | {case['lookback']} | {variant} | {v['first']:.2f} | "
                         f"{v['epoch'] * 1000:.0f} | {rounds} | {speed:.2f} | {repay} | "
                         f"{statistics.mean(rmse):.4f} ± {statistics.stdev(rmse):.4f} |")  # fmt: skip
    fit = r["train_model"]
    gru = next(c for c in r["cases"].values() if c["kind"] == "gru")["variants"]
    spread = [statistics.mean(gru[v]["runs"]["rmse"]) for v in ("loop", "GRUBlockCell")]
    sd = max(statistics.stdev(gru[v]["runs"]["rmse"]) for v in ("loop", "GRUBlockCell"))
    apart = "within the seeds' spread" if abs(spread[0] - spread[1]) <= sd else "further apart than the seeds' spread"
    lines += ["", "- A GRU trains on GRUBlockCell (forecast/network/fused.py) and is saved as Keras' GRU with "
              "reset_after=False, which computes the same; tests/network/test_fused.py checks the starting weights, "
              "forward pass and gradients against Keras' layer (to 1e-5). Until 2026-12-07 forecast's GRU was Keras' "
              "default, reset_after=True (the loop row): the reset gate applied after the recurrent product, which "
              "no fused CPU kernel computes. Models saved then load and forecast as before. After as many epochs, "
              f"test RMSE {spread[0]:.4f} and {spread[1]:.4f}: {apart} (sd up to {sd:.4f}).",
              "- A SimpleRNN keeps Keras' loop. Unrolling trades tracing for a faster epoch: the tracing grows with "
              "the lookback, and a network is traced again in every process that trains it (each of compare's or "
              "tune's workers, each cron run, each fit of a new shape in a tune). Through forecast's own training, "
              "which traces its validation step too (train_model, "
              f"{r['fit_epochs']} epochs of the protocol's SimpleRNN at lookback 60, tracing included, the median "
              f"of {r['rounds']} interleaved rounds), the loop took {fit['loop']['seconds']:.1f} s and the unrolled "
              f"network {fit['unrolled']['seconds']:.1f} s: a long fit would gain, a short one (a tune trial stopped "
              "at its first rung, a small series, a test) loses, and how long a fit runs is early stopping's to "
              "decide. Not taken."]  # fmt: skip
    return [*lines, ""]


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("recurrent", __doc__, measure, epochs=EPOCHS, fit_epochs=FIT_EPOCHS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
