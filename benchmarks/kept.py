"""What keeping a compiled network saves (network/kept.py): the fits after the first of one
network in a process (a backtest's or a tune trial's folds, a universe's symbols, a session's
forecast.train calls) run on its traced steps instead of tracing their own.

The protocol's network (2 recurrent layers of 50, Dense 25, lookback 60, batch 64) of each kind,
fitted by train_model for EPOCHS epochs on SMALL training windows of sample MSFT (a short fit,
as a small series' or a tune rung's): with the network kept from a warm-up fit, and with a new
compiled model (kept.forget() before the fit, as before 2026-12-07). ROUNDS rounds, the two
interleaved; the median fit is reported, and whether both gave the same weights, to the byte.

    .venv/bin/python benchmarks/kept.py      # about 3 minutes on 2 cores

Results go into benchmarks/speed.json ("kept") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS, EPOCHS, SMALL = 5, 3, 320
KINDS = ("lstm", "gru", "rnn")  # lstm, gru: the fused kernels (network/fused.py); rnn: Keras' loop


def one_fit(kind: str, data, keep: bool) -> tuple[float, str]:
    """Seconds of one train_model, and a digest of the weights it ends with."""
    from forecast.config import ModelConfig, TrainConfig
    from forecast.network import kept
    from forecast.network.training import train_model

    (x, y), (xv, yv) = data
    if not keep:
        kept.forget()
    config = ModelConfig(kind=kind, units=[50, 50], dense=[25], dense_activation="linear")
    clock = time.perf_counter()
    model, _ = train_model(config, TrainConfig(epochs=EPOCHS, batch_size=64, patience=0, seed=1), x, y, xv, yv)
    seconds = time.perf_counter() - clock
    return seconds, hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()


def measure() -> dict:
    from benchmarks.speed import msft_windows

    windows, _ = msft_windows(60)
    (x, y), val = windows["train"], windows["val"]
    data = ((x[:SMALL], y[:SMALL]), val)
    results: dict = {}
    for kind in KINDS:
        one_fit(kind, data, keep=True)  # warm-up: the kept network, and TensorFlow's first-use costs
        runs: dict[str, list[float]] = {"kept": [], "new": []}
        digests: set[str] = set()
        for _ in range(ROUNDS):
            for variant in runs:
                seconds, digest = one_fit(kind, data, keep=variant == "kept")
                runs[variant].append(seconds)
                digests.add(digest)
            print(f"{kind}: kept {runs['kept'][-1]:.2f} s, new {runs['new'][-1]:.2f} s", flush=True)
        results[kind] = {**{v: {"seconds": statistics.median(r), "runs": r} for v, r in runs.items()},
                         "same_weights": len(digests) == 1}  # fmt: skip
    return {"windows": SMALL, "kinds": results}


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of what keeping a network saves."""
    from benchmarks.speed import measured_by

    if "kept" not in results:
        return []
    k = results["kept"]
    lines = ["## A network kept between fits (network/kept.py)", "",
             measured_by("kept.py", k) + f"): train_model of the protocol's network, {k['epochs']} epochs on "
             f"{k['windows']} training windows of sample MSFT, the median of {k['rounds']} interleaved rounds.", "",
             "| model.kind | a fit, network kept (s) | a fit, new model (s) | saved a fit (s) | same weights |",
             "| --- | ---: | ---: | ---: | --- |"]  # fmt: skip
    for kind, r in k["kinds"].items():
        kept_s, new_s = r["kept"]["seconds"], r["new"]["seconds"]
        same = "yes, to the byte" if r["same_weights"] else "**no**"
        lines.append(f"| {kind} | {kept_s:.2f} | {new_s:.2f} | {new_s - kept_s:.2f} | {same} |")
    saved = [r["new"]["seconds"] - r["kept"]["seconds"] for r in k["kinds"].values()]
    lines += ["", f"- What is saved is the tracing of the fit's train and validation steps (and the model's "
              f"compiling), once per network and process instead of once per fit: {min(saved):.2f}-"
              f"{max(saved):.2f} s a fit here, whatever the kind. A fixed cost: it counts in short fits (small "
              "series, tune trials stopped at a rung, the test suite's tiny models, where it was most of a fit) "
              "and little in long ones (a 3-fold backtest of configs/lstm.yaml on sample MSFT spends 20-30 s a "
              "fold training).",
              "- Each fit starts from a new model's seeded weights and a new optimizer's state: the weights "
              "are the ones a new model ends with, in every round above."]  # fmt: skip
    return [*lines, ""]


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("kept", __doc__, measure, epochs=EPOCHS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
