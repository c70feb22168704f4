"""What a process pays to import its heavy libraries, with and without workers/imports.py's
for_good (the garbage collector off during the import, then gc.freeze), with and without what
forecast's own processes leave out of Keras' import (network/training.py: KERAS_UNUSED), and what
ml_dtypes' version costs.

Each measurement is a fresh process, its CPU seconds (user + system, its children included);
ROUNDS rounds, the variants interleaved, the median reported:

- `import keras` (TensorFlow with it), and `import statsforecast.models` (the competitors' child);
- a whole `forecast train` of a tiny LSTM on sample MSFT (no competitors, no plots), through the
  CLI's main(): as it is, with all of Keras' import (own_process() a no-op), and with for_good
  replaced by a plain import;
- `import ml_dtypes` for the installed version, and for another one installed apart
  (`pip install --target DIR ml_dtypes==0.7.0`, then --other-ml-dtypes DIR).

    .venv/bin/python benchmarks/imports.py [--other-ml-dtypes DIR]   # about 3 minutes on 2 cores

Results go into benchmarks/speed.json ("imports") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS = 5
# for_good replaced by a plain import, before the CLI is imported (its callers look it up at each call)
PLAIN = ("import contextlib\nimport forecast.workers.imports as imports\n"
         "imports.for_good = lambda module, unused=(): contextlib.nullcontext()\n")  # fmt: skip
# Keras imported whole, as in a user's session: the process not marked as forecast's own
WHOLE = "import forecast.workers.imports as imports\nimports.own_process = lambda: None\n"
TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 2, batch_size: 64, patience: 0, seed: 3}
evaluate: {competitors: []}
plot: {enabled: false}
"""
TRAIN = "import sys\nfrom forecast.cli import main\nsys.argv = ['forecast', 'train', '--config', 'tiny.yaml']\nmain()\n"


def cpu_seconds(code: str, cwd: Path, env: dict[str, str]) -> float:
    """CPU seconds of one fresh `python -c code` (its own children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def measure(other_ml_dtypes: Path | None = None) -> dict:
    import ml_dtypes

    folder = Path(tempfile.mkdtemp(prefix="forecast-imports-"))
    (folder / "tiny.yaml").write_text(TINY)
    env = {**os.environ, "FORECAST_DATA_DIR": str(folder / "data"), "FORECAST_RUNS_DIR": str(folder / "runs"),
           "FORECAST_MODELS_DIR": str(folder / "models"), "PYTHONPATH": str(ROOT)}  # fmt: skip
    subprocess.run([sys.executable, "-m", "forecast", "fetch", "MSFT", "--source", "sample"], cwd=folder, env=env,
                   check=True, capture_output=True)  # fmt: skip
    frozen = "from forecast.workers.imports import for_good\nwith for_good('{m}'):\n    import {i}\n"
    own = ("from forecast.network.training import KERAS_UNUSED\nfrom forecast.workers import imports\n"
           "imports.own_process()\nwith imports.for_good('tensorflow', KERAS_UNUSED):\n    import keras\n")  # fmt: skip
    variants = {
        "keras, plain": "import keras",
        "keras, for_good": frozen.format(m="tensorflow", i="keras"),
        "keras, left out": own,
        "statsforecast, plain": "import statsforecast.models",
        "statsforecast, for_good": frozen.format(m="statsforecast", i="statsforecast.models"),
        "forecast train, plain": PLAIN + TRAIN,
        "forecast train, for_good": WHOLE + TRAIN,
        "forecast train, left out": TRAIN,
        f"ml_dtypes {ml_dtypes.__version__}": "import numpy, ml_dtypes",
    }
    other = {}
    if other_ml_dtypes is not None:
        version = subprocess.run([sys.executable, "-c", "import ml_dtypes; print(ml_dtypes.__version__)"],
                                 env={**env, "PYTHONPATH": str(other_ml_dtypes)}, capture_output=True, text=True,
                                 check=True).stdout.strip()  # fmt: skip
        other[f"ml_dtypes {version}"] = str(other_ml_dtypes)
        variants[f"ml_dtypes {version}"] = "import numpy, ml_dtypes"
    runs: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(ROUNDS):
        for name, code in variants.items():
            where = {**env, "PYTHONPATH": other[name]} if name in other else env
            runs[name].append(cpu_seconds(code, folder, where))
        print(f"round {round_ + 1}: " + ", ".join(f"{n} {r[-1]:.2f}" for n, r in runs.items()), flush=True)
    return {"variants": {name: {"cpu_seconds": statistics.median(r), "runs": r} for name, r in runs.items()}}


LABELS = {"keras": "`import keras` (TensorFlow with it)",
          "statsforecast": "`import statsforecast.models` (the competitors' child)",
          "forecast train": "`forecast train`, a tiny LSTM, 2 epochs, no competitors or plots"}  # fmt: skip


def markdown(results: dict) -> list[str]:
    """SPEED.md's section on the heavy imports."""
    from benchmarks.speed import measured_by

    if "imports" not in results:
        return []
    part = results["imports"]
    v = {name: r["cpu_seconds"] for name, r in part["variants"].items()}
    lines = ["## Importing the heavy libraries (workers/imports.py)", "",
             measured_by("imports.py", part) + f"): CPU seconds of a fresh process, the median of {part['rounds']} "
             "interleaved rounds. *plain*: Python's default; *for_good*: the import with the garbage collector "
             "off, then gc.freeze (workers/imports.py); *left out*: for_good, and Keras imported without its "
             "scikit-learn wrappers and its image gallery (matplotlib), as in forecast's own processes (the "
             "CLI, its workers; network/training.py: KERAS_UNUSED).", "",
             "| process | plain (s) | for_good (s) | left out (s) | saved |",
             "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for what in ("keras", "statsforecast", "forecast train"):
        plain, good = v[f"{what}, plain"], v[f"{what}, for_good"]
        out = v.get(f"{what}, left out")  # statsforecast leaves nothing out
        best = good if out is None else out
        shown = "-" if out is None else f"{out:.2f}"
        lines.append(f"| {LABELS[what]} | {plain:.2f} | {good:.2f} | {shown} | {1 - best / plain:.0%} |")
    dtypes = {name: s for name, s in v.items() if name.startswith("ml_dtypes")}
    lines += ["", "- `import numpy, ml_dtypes` (TensorFlow's number types): "
              + ", ".join(f"{name} {s:.2f} s" for name, s in dtypes.items())
              + ". pyproject.toml keeps ml_dtypes below 0.7: 0.7 spends its import in numpy's PyUFunc_AddLoop "
              "(seen with perf), in every process that imports TensorFlow.",
              "- Left out: Keras imports scikit-learn (with scipy.stats, joblib and narwhals) for its "
              "scikit-learn wrappers, and matplotlib's pyplot for its image gallery, wherever they are installed; "
              "forecast uses neither, and draws its figures with matplotlib's object API, imported when a figure "
              "is drawn. Only in forecast's own processes: in a user's Python session that imports forecast, "
              "Keras is imported whole, as the user may want those parts. `forecast train` gains less than the "
              "import: its evaluation imports scipy.stats for the Diebold-Mariano test all the same.",
              *rounds(part["variants"]),
              "- Why the collector costs so much: TensorFlow's import leaves about 740,000 objects the collector "
              "tracks, and it walks them all (0.3 s) at each full collection, several times as the heap grows "
              "and once more at exit. Frozen, they are never walked again; the price is the import's own "
              "cyclic garbage (about 4,000 objects), kept for the life of the process."]  # fmt: skip
    return [*lines, ""]


def rounds(variants: dict) -> list[str]:
    """What leaving out saved, round by round: a gain that changes sign between rounds is within
    the machine's noise."""
    lines = []
    for what in ("keras", "forecast train"):
        if f"{what}, left out" in variants:
            pairs = zip(variants[f"{what}, for_good"]["runs"], variants[f"{what}, left out"]["runs"], strict=True)
            saved = ", ".join(f"{good - out:+.2f}" for good, out in pairs)
            lines.append(f"  - {LABELS[what]}, seconds saved by leaving out, round by round: {saved}.")
    return lines


def main() -> None:
    import argparse

    from benchmarks.speed import measure_part

    # This script's own option; measure_part parses the rest (--out) and records date, cores and load.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--other-ml-dtypes", type=Path, help="a folder holding another ml_dtypes (pip --target)")
    own, sys.argv[1:] = parser.parse_known_args()
    measure_part("imports", __doc__, lambda: measure(own.other_ml_dtypes), rounds=ROUNDS)


if __name__ == "__main__":
    main()
