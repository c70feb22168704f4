"""Signals at any moment: SIGTERM and SIGINT sent at random offsets into train (two at a time,
under load), tune, backtest, compare and retrain always end with the documented code (0 when
the work finished first, 130, 143; never a death by a signal or in glibc), no traceback, and a
training run that resumes to complete."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import cli

pytestmark = pytest.mark.slow  # real processes, many of them

TINY = """\
name: {name}
data: {{source: sample, symbol: MSFT, start: 2010-06-01}}
prep: {{lookback: 10, test_fraction: 0.2, val_fraction: 0.25}}
model: {{kind: lstm, units: [8], dense: []}}
train: {{epochs: 25, patience: 0, seed: 3}}
evaluate: {{competitors: [auto_ets], combine: true, backtest: {{folds: 2}}}}
tune: {{trials: 2, folds: 1, space: {{model.units: [[8], [4]]}}}}
retrain: {{require_beats_naive: false}}
plot: {{dpi: 50}}
"""
DOCUMENTED = {0, 130, 143}


def start(tmp: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "FORECAST_DATA_DIR": str(tmp / "data"), "FORECAST_RUNS_DIR": str(tmp / "runs"),
           "FORECAST_MODELS_DIR": str(tmp / "models"), "FORECAST_WORKERS": "2"}  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "forecast", *args], env=env, cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def stopped(process: subprocess.Popen, after: float, sig: int) -> tuple[int, str]:
    deadline = time.monotonic() + after
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(sig)
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def resume_here(folder: Path, run: Path) -> Any:
    """The stopped run resumed in this process: what is tested is what the stopped process left
    on disk, and a resume here spares a process its TensorFlow import."""
    env = {"FORECAST_DATA_DIR": str(folder / "data"), "FORECAST_RUNS_DIR": str(folder / "runs"),
           "FORECAST_MODELS_DIR": str(folder / "models")}  # fmt: skip
    return cli(env, "train", "--run-dir", str(run))


def check(code: int, err: str, what: str) -> None:
    assert code in DOCUMENTED, f"{what}: exit {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err, f"{what}\n{err}"
    if code:
        assert err.strip().splitlines()[-1].startswith(("interrupted", "terminated", "error: aborted",
                                                        "error: terminated")), f"{what}\n{err}"  # fmt: skip


def test_train_stopped_at_random_moments_under_load_always_resumes(tmp_path: Path) -> None:
    rng = random.Random(20261206)
    for round_ in range(3):  # six trainings: each stop is 5 s of CPU, most of it TensorFlow's import
        folders = []
        processes = []
        for k in range(2):  # two at a time: each one's signal lands while the other loads the cores
            folder = tmp_path / f"r{round_}-{k}"
            folder.mkdir()
            (folder / "c.yaml").write_text(TINY.format(name="tiny"))
            folders.append(folder)
            processes.append(start(folder, "train", "--config", "c.yaml"))
        for folder, process in zip(folders, processes, strict=True):
            sig = rng.choice([signal.SIGTERM, signal.SIGINT])
            code, err = stopped(process, rng.uniform(0.5, 9.0), sig)
            check(code, err, f"round {round_}, {signal.Signals(sig).name}")
            runs = list((folder / "runs").glob("tiny-*"))
            if code and runs:  # stopped with a run folder: it resumes to complete
                resumed = resume_here(folder, runs[0])
                assert resumed.exit_code == 0, resumed.output
                assert json.loads((runs[0] / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.parametrize(
    "argv",
    [
        ["tune", "--config", "c.yaml", "--workers", "2"],
        ["backtest", "--config", "c.yaml", "--workers", "2"],
        ["compare", "c.yaml", "d.yaml", "--workers", "2"],
        ["retrain", "--config", "c.yaml"],
    ],
    ids=["tune", "backtest", "compare", "retrain"],
)
def test_other_commands_stopped_at_random_moments_end_with_the_documented_code(argv: list[str], tmp_path: Path) -> None:
    rng = random.Random(" ".join(argv))
    (tmp_path / "c.yaml").write_text(TINY.format(name="tiny"))
    (tmp_path / "d.yaml").write_text(TINY.format(name="other").replace("units: [8]", "units: [4]"))
    for attempt in range(1):
        sig = rng.choice([signal.SIGTERM, signal.SIGINT])
        code, err = stopped(start(tmp_path, *argv), rng.uniform(1.0, 12.0), sig)
        check(code, err, f"{argv[0]} attempt {attempt}, {signal.Signals(sig).name}")
        for manifest in (tmp_path / "runs").rglob("manifest.json"):  # nothing left "running"
            assert json.loads(manifest.read_text())["status"] != "running", manifest
