"""Training end to end against darts (issue 36's target): `forecast train` as a user runs it,
against the darts script a user would write for the same model, on the same series and split.

The protocol: lookback 60, 2 LSTM layers of 50, Dense 25, one output; batch 64; Adam 1e-3;
MSE; MinMax on the training part; the last tenth of the training part validates every epoch;
EPOCHS epochs (patience 0 on both sides, so that both train as many). Series: sample MSFT's
adjusted close (3,270 days) and the 1,000-point synthetic sine, levels (no transform).

Two rates, in training windows x epochs per second, each from SEEDS seeds:
- fit: the training call alone. forecast: the train stage's fit (manifest info.fit_seconds:
  the first epoch's tracing, validation, the checkpoint, all of it); darts: model.fit().
- command: the whole process, from start to exit. forecast: `forecast train` (fetch from the
  cache, encode, split, train, evaluate with baselines, no competitors, no plots); darts: a
  script that imports darts, scales, fits and makes the one-step forecasts of the test part.

darts runs in its own environment (kernel.py's docstring, ../shared/tools/darts_env.sh):

    .venv/bin/python benchmarks/endtoend.py --darts-python /root/.cache/forecast-darts-env/bin/python

Results go into benchmarks/speed.json ("endtoend") and benchmarks/SPEED.md. Not a test.
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

EPOCHS, SEEDS, TARGET = 20, (1, 2, 3), 1.5
SERIES = {
    "sample MSFT": "{source: sample, symbol: MSFT, target: adj_close}",
    "sine, 1,000 points": "{source: synthetic, points: 1000, seed: 4, target: value}",
}
CONFIG = """\
name: endtoend
data: {data}
prep: {{lookback: 60, test_fraction: 0.2, val_fraction: 0.1, target_transform: none}}
model: {{kind: lstm, units: [50, 50], dense: [25], dense_activation: linear}}
train: {{epochs: {epochs}, patience: 0, batch_size: 64, learning_rate: 0.001, seed: {seed}}}
evaluate: {{competitors: []}}
plot: {{enabled: false}}
"""
DARTS = """
import time
started = time.perf_counter()
import json, warnings
import numpy as np
warnings.simplefilter("ignore")
from darts import TimeSeries
from darts.dataprocessing.transformers import Scaler
from darts.models import BlockRNNModel

data = np.load({data!r})
val_start, test_start = int(data["val_start"]), int(data["test_start"])
series = TimeSeries.from_values(data["values"].astype("float32"))
scaler = Scaler().fit(series[:val_start])  # MinMax on the training part
scaled = scaler.transform(series)
train, val = scaled[:val_start], scaled[val_start - 60 : test_start]
model = BlockRNNModel(
    model="LSTM", input_chunk_length=60, output_chunk_length=1, hidden_dim=50, n_rnn_layers=2,
    hidden_fc_sizes=[25], batch_size=64, n_epochs={epochs}, random_state={seed}, optimizer_kwargs={{"lr": 1e-3}},
    pl_trainer_kwargs={{"accelerator": "cpu", "enable_progress_bar": False, "enable_model_summary": False,
                        "logger": False}},
)
clock = time.perf_counter()
model.fit(train, val_series=val, verbose=False)
fit = time.perf_counter() - clock
model.historical_forecasts(scaled, start=test_start, forecast_horizon=1, retrain=False, verbose=False)
print("JSON" + json.dumps({{"fit_seconds": fit, "windows": len(train) - 60,
                           "in_process": time.perf_counter() - started}}))
"""


def forecast_run(folder: Path, data: str, seed: int) -> dict:
    (folder / "c.yaml").write_text(CONFIG.format(data=data, epochs=EPOCHS, seed=seed))
    env = {**os.environ, "FORECAST_DATA_DIR": str(folder / "data"), "FORECAST_RUNS_DIR": str(folder / "runs")}
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "forecast", "--quiet", "train", "--config", "c.yaml"], cwd=folder, env=env,
                   check=True, capture_output=True)  # fmt: skip
    command = time.perf_counter() - clock
    run = max((folder / "runs").glob("endtoend-*"), key=lambda p: p.stat().st_mtime)
    info = json.loads((run / "manifest.json").read_text())["stages"]["train"]["info"]
    with np.load(run / "split.npz") as split:
        values, val_start, test_start = split["values"], int(split["val_start"]), int(split["test_start"])
        windows = len(split["train"])
    assert info["epochs_run"] == EPOCHS, info
    return {"seed": seed, "windows": windows, "fit_seconds": info["fit_seconds"], "command_seconds": command,
            "values": values, "val_start": val_start, "test_start": test_start}  # fmt: skip


def darts_run(python: Path, ours: dict, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, values=ours["values"], val_start=ours["val_start"], test_start=ours["test_start"])
        code = DARTS.format(data=str(data), epochs=EPOCHS, seed=seed)
        clock = time.perf_counter()
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
        command = time.perf_counter() - clock
    if done.returncode != 0:
        raise SystemExit(f"darts failed:\n{done.stderr[-3000:]}")
    result = json.loads(next(line[4:] for line in done.stdout.splitlines() if line.startswith("JSON")))
    return {"seed": seed, "windows": result["windows"], "fit_seconds": result["fit_seconds"],
            "command_seconds": command}  # fmt: skip


def rates(runs: list[dict]) -> dict:
    def rate(run: dict, key: str) -> float:
        return run["windows"] * EPOCHS / run[key]

    return {"runs": runs, "fit": statistics.median(rate(r, "fit_seconds") for r in runs),
            "command": statistics.median(rate(r, "command_seconds") for r in runs)}  # fmt: skip


def measure(python: Path) -> dict:
    results: dict = {}
    for name, data in SERIES.items():
        ours, theirs = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in SEEDS:  # interleaved, so that the machine's drift falls on both
                folder = Path(tmp) / f"seed{seed}"
                folder.mkdir()
                run = forecast_run(folder, data, seed)
                theirs.append(darts_run(python, run, seed))
                ours.append({k: v for k, v in run.items() if k not in ("values", "val_start", "test_start")})
                print(f"{name}, seed {seed}: forecast fit {ours[-1]['fit_seconds']:.1f} s, command "
                      f"{ours[-1]['command_seconds']:.1f} s ({ours[-1]['windows']} windows); darts fit "
                      f"{theirs[-1]['fit_seconds']:.1f} s, command {theirs[-1]['command_seconds']:.1f} s "
                      f"({theirs[-1]['windows']} windows)", flush=True)  # fmt: skip
        results[name] = {"forecast": rates(ours), "darts": rates(theirs)}
    return results


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of training end to end against darts."""
    from benchmarks.speed import measured_by

    if "endtoend" not in results:
        return []
    e = results["endtoend"]
    lines = ["## Training end to end: forecast train against darts (issue 36)", "",
             measured_by("endtoend.py", e) + f"; darts {e['darts_version']}, {e['torch']}): the "
             f"protocol of its docstring, {e['epochs']} epochs, the median over seeds {e['seeds']} with the two "
             "tools interleaved seed by seed. Rates in training windows x epochs per second: *fit* is the "
             "training call alone, *command* the whole process from start to exit.", "",
             "| series | forecast fit | darts fit | ratio | forecast command | darts command | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    met = []
    for name, r in e["series"].items():
        ours, theirs = r["forecast"], r["darts"]
        fit, command = ours["fit"] / theirs["fit"], ours["command"] / theirs["command"]
        met.append(fit >= TARGET)
        lines.append(f"| {name} | {ours['fit']:.0f} | {theirs['fit']:.0f} | {fit:.2f}x | {ours['command']:.0f} | "
                     f"{theirs['command']:.0f} | {command:.2f}x |")  # fmt: skip
    lines.append("")
    for name, r in e["series"].items():
        seconds = {tool: ", ".join(f"{run['fit_seconds']:.1f}" for run in r[tool]["runs"]) for tool in r}
        lines.append(f"- {name}, fit seconds seed by seed: forecast {seconds['forecast']}; darts {seconds['darts']}.")
    lines += [f"- Target: forecast's training at least {TARGET:g}x darts' on both series: "
              f"**{'met' if all(met) else 'NOT met'}**."]  # fmt: skip
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--darts-python", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    args = parser.parse_args()
    from benchmarks.speed import save_part

    versions = subprocess.run([str(args.darts_python), "-c", "import darts, torch; print(darts.__version__, "
                               "torch.__version__, torch.get_num_threads())"], capture_output=True, text=True,
                              check=True).stdout.split()  # fmt: skip
    results: dict = {"date": dt.date.today().isoformat(), "epochs": EPOCHS, "seeds": list(SEEDS),
                     "darts_version": versions[0], "torch": f"torch {versions[1]}, {versions[2]} threads",
                     "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}  # fmt: skip
    results["series"] = measure(args.darts_python)
    results["load_after"] = os.getloadavg()[0]
    save_part(args.out, "endtoend", results)


if __name__ == "__main__":
    main()
