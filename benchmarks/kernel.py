"""Training throughput on the benchmark protocol (issue 19, item 2): Keras' LSTM, the same model on
TensorFlow's fused BlockLSTM kernel (network/fused.py, what `forecast train` uses for an LSTM),
and darts' BlockRNNModel on PyTorch, in the same run of this script.

The protocol: 2 LSTM layers of 50 units, Dense 25, one output; lookback 60; batch 64; Adam 1e-3;
MSE; daily sample MSFT 2000-2013, adjusted close, MinMax on the training part (the windows of
benchmarks/speed.py). Each model trains WARMUP + EPOCHS epochs from each of several seeds; the
throughput is training windows x timed epochs per second (the warm-up epoch, which traces and
compiles, excluded), the RMSE is one-step, scaled, on the test windows after the last epoch:
what the same number of epochs learned, not final quality (QUALITY.md).

darts is not a dependency of forecast, so it runs in an environment of its own, as a child, set
up as darts' users set it up on a CPU machine: torch's CPU build first, then darts with its torch
extra (pytorch-lightning; plain darts cannot train BlockRNNModel), torch held at that build:

    python3 -m venv /tmp/dartsenv
    /tmp/dartsenv/bin/pip install torch==2.13.0
    /tmp/dartsenv/bin/pip install "darts[torch]==0.48.1" -c <(echo torch==2.13.0)
    .venv/bin/python benchmarks/kernel.py --darts-python /tmp/dartsenv/bin/python

(Measured on 2026-12-06 with such an environment: torch 2.13.0+cpu, oneDNN, 2 threads, darts
0.48.1, lightning 2.6.6.)

Results go into benchmarks/speed.json ("kernel") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARMUP, EPOCHS, SEEDS = 1, 5, (1, 2, 3)

DARTS_CHILD = """
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import torch
torch.set_num_threads({threads})
from pytorch_lightning.callbacks import Callback
from darts import TimeSeries
from darts.models import BlockRNNModel

data = np.load({data!r})
series = TimeSeries.from_values(data["scaled"].astype("float32"))
train, val = series[: int(data["val_start"])], series[int(data["val_start"]) - 60 : int(data["test_start"])]

class Clock(Callback):
    def __init__(self):
        self.ends = []
    def on_train_epoch_start(self, trainer, module):
        self.start = time.perf_counter()
    def on_train_epoch_end(self, trainer, module):
        self.ends.append(time.perf_counter() - self.start)

out = []
for seed in {seeds!r}:
    clock = Clock()
    model = BlockRNNModel(
        model="LSTM", input_chunk_length=60, output_chunk_length=1, hidden_dim=50, n_rnn_layers=2,
        hidden_fc_sizes=[25], batch_size=64, n_epochs={epochs}, random_state=seed,
        optimizer_kwargs={{"lr": 1e-3}},
        pl_trainer_kwargs={{"accelerator": "cpu", "callbacks": [clock], "enable_progress_bar": False,
                            "enable_model_summary": False, "logger": False}},
    )
    model.fit(train, val_series=val, verbose=False)
    windows = len(train) - 60
    timed = sum(clock.ends[{warmup}:])
    predicted = model.historical_forecasts(series, start=int(data["test_start"]), forecast_horizon=1,
                                           retrain=False, last_points_only=True, verbose=False)
    errors = predicted.values()[:, 0] - data["scaled"][int(data["test_start"]):, 0]
    out.append({{"seed": seed, "windows": windows, "seconds": timed,
                "windows_epochs_per_s": windows * {timed_epochs} / timed,
                "test_rmse_scaled": float(np.sqrt(np.mean(errors ** 2)))}})
print("JSON" + json.dumps({{"runs": out, "torch": torch.__version__, "threads": torch.get_num_threads()}}))
"""


def EpochClock(keras):  # noqa: N802 (a class made once Keras is imported)
    class Clock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.times.append(time.perf_counter() - self.start)

    return Clock()


def keras_runs(fused: bool, data: dict) -> list[dict]:
    from forecast.config import ModelConfig
    from forecast.network.models import build_model
    from forecast.network.training import import_keras

    (x, y), (xv, yv), (xt, yt) = data["train"], data["val"], data["test"]
    runs = []
    for seed in SEEDS:
        keras = import_keras(seed=seed, deterministic=True)  # as forecast trains (train.deterministic)
        config = ModelConfig(kind="lstm", units=[50, 50], dense=[25], dense_activation="linear")
        model = build_model(config, x.shape[1], x.shape[2], 1, fused=fused)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        clock = EpochClock(keras)  # an epoch's time includes its validation pass, as in darts
        model.fit(x, y, batch_size=64, epochs=WARMUP + EPOCHS, shuffle=True, validation_data=(xv, yv),
                  callbacks=[clock], verbose=0)  # fmt: skip
        timed = sum(clock.times[WARMUP:])
        rmse = float(np.sqrt(np.mean((model.predict(xt, batch_size=1024, verbose=0) - yt) ** 2)))
        runs.append({"seed": seed, "windows": len(x), "seconds": timed,
                     "windows_epochs_per_s": len(x) * EPOCHS / timed, "test_rmse_scaled": rmse})  # fmt: skip
        print(f"{'fused' if fused else 'keras'} seed {seed}: {runs[-1]['windows_epochs_per_s']:.0f} windows x "
              f"epochs/s, RMSE {rmse:.4f}", flush=True)  # fmt: skip
    return runs


def msft_scaled(encoding) -> tuple[np.ndarray, int, int]:
    """The whole series as the network sees it (MinMax fitted on the training part), and the first
    validation and test rows: the windows darts cuts from these are benchmarks/speed.py's."""
    from forecast.config import DataConfig
    from forecast.data.sources import fetch
    from forecast.prepare.windows import split_rows

    series = fetch(DataConfig(source="sample", symbol="MSFT")).frame["adj_close"].to_numpy()[:, None]
    split = split_rows(len(series), 60, 1, 0.2, 0.1)
    return encoding.encode(series[None])[0].astype("float64"), split.val_start, split.test_start


def darts_runs(python: Path, encoding, threads: int) -> dict:
    scaled, val_start, test_start = msft_scaled(encoding)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "data.npz", scaled=scaled, val_start=val_start, test_start=test_start)
        code = DARTS_CHILD.format(data=str(Path(tmp) / "data.npz"), seeds=SEEDS, epochs=WARMUP + EPOCHS,
                                  warmup=WARMUP, timed_epochs=EPOCHS, threads=threads)  # fmt: skip
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"darts failed:\n{done.stderr[-3000:]}")
    result = json.loads(next(line[4:] for line in done.stdout.splitlines() if line.startswith("JSON")))
    for run in result["runs"]:
        print(f"darts seed {run['seed']}: {run['windows_epochs_per_s']:.0f} windows x epochs/s, "
              f"RMSE {run['test_rmse_scaled']:.4f}", flush=True)  # fmt: skip
    return result


def summary(runs: list[dict]) -> dict:
    rates = [r["windows_epochs_per_s"] for r in runs]
    rmses = [r["test_rmse_scaled"] for r in runs]
    return {"runs": runs, "rate_median": statistics.median(rates), "rmse_mean": statistics.mean(rmses),
            "rmse_sd": statistics.stdev(rmses) if len(rmses) > 1 else 0.0}  # fmt: skip


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of issue 19's training kernel."""
    from benchmarks.speed import measured_by

    if "kernel" not in results:
        return []
    k = results["kernel"]
    rows = [("Keras LSTM (keras.layers.LSTM, forecast before)", k["keras"]),
            ("fused BlockLSTM (forecast now)", k["fused"])]  # fmt: skip
    if "darts" in k:
        darts = k["darts"]
        rows.append((f"darts BlockRNNModel (PyTorch {darts['torch']}, {darts['threads']} threads)", darts))
    lines = ["## Training: the fused LSTM kernel against Keras and darts (issue 19)", "",
             measured_by("kernel.py", k) + f"): the protocol of its docstring, {k['warmup']} warm-up "
             f"epoch and {k['epochs']} timed epochs from each of the seeds {k['seeds']}; an epoch's time includes "
             "its validation pass in every row. RMSE: one-step, scaled, on the test windows after the last epoch "
             "(what as many epochs learned, not final quality).", "",
             "| training | windows x epochs / s (median) | per seed | test RMSE, mean ± sd over seeds |",
             "| --- | ---: | --- | ---: |"]  # fmt: skip
    for name, r in rows:
        seeds = ", ".join(f"{run['windows_epochs_per_s']:.0f}" for run in r["runs"])
        lines.append(f"| {name} | {r['rate_median']:.0f} | {seeds} | {r['rmse_mean']:.4f} ± {r['rmse_sd']:.4f} |")
    fused, keras = k["fused"], k["keras"]
    lines += ["", f"- The fused kernel trains at {fused['rate_median'] / keras['rate_median']:.2f}x Keras' LSTM, "
              "with the same RMSE seed by seed: the same starting weights and, to 1e-5, the same gradients "
              "(tests/network/test_fused.py), so the same model up to rounding."]  # fmt: skip
    if "darts" in k:
        darts = k["darts"]
        # Equal within seed noise, or better: not bought with a worse model.
        as_good = fused["rmse_mean"] <= darts["rmse_mean"] + max(fused["rmse_sd"], darts["rmse_sd"])
        met = "met" if fused["rate_median"] >= darts["rate_median"] and as_good else "NOT met"
        lines.append(f"- Target: at least darts' throughput at an RMSE as good within seed noise: **{met}** "
                     f"({fused['rate_median']:.0f} against {darts['rate_median']:.0f} windows x epochs/s, "
                     f"{fused['rate_median'] / darts['rate_median']:.2f}x; RMSE {fused['rmse_mean']:.4f} against "
                     f"{darts['rmse_mean']:.4f}).")  # fmt: skip
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--darts-python", type=Path, default=Path("/tmp/dartsenv/bin/python"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    args = parser.parse_args()
    from benchmarks.speed import msft_windows, save_part

    data, encoding = msft_windows()
    results: dict = {"date": dt.date.today().isoformat(), "warmup": WARMUP, "epochs": EPOCHS, "seeds": list(SEEDS),
                     "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}  # fmt: skip
    # Keras' LSTM and the fused kernel one after the other in this process; darts in its own.
    results["keras"] = summary(keras_runs(False, data))
    results["fused"] = summary(keras_runs(True, data))
    if args.darts_python.exists():
        darts = darts_runs(args.darts_python, encoding, os.cpu_count() or 1)
        results["darts"] = {**summary(darts["runs"]), "torch": darts["torch"], "threads": darts["threads"]}
    else:
        print(f"darts: no {args.darts_python}, skipped (see this script's docstring)", flush=True)
    results["load_after"] = os.getloadavg()[0]
    save_part(args.out, "kernel", results)


if __name__ == "__main__":
    main()
