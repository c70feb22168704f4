"""Every run file a command reads is the one its stage wrote: each file a run's manifest records
is tampered with in turn, and predict, models promote, report, score and compare refuse it
(exit 65, naming the file) when they read it, changing nothing; retrain scores its challenger
against a champion it cannot trust, saying which file, instead of trusting it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ..conftest import cli

TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 1, patience: 0, seed: 3}
evaluate: {competitors: [auto_ets], combine: false}
plot: {dpi: 50}
retrain: {require_beats_naive: false}
"""
# What each command reads of a training run (besides its manifest and config).
READS = {
    "predict": "all",  # a forecast relies on every recorded file: verify_run checks them all
    "promote": "all",
    "report": {"metrics.json", "encoding.json", "forecast.png", "residuals.png", "loss.png"},
    "score": {"metrics.json", "predictions.csv"},
    "compare": {"metrics.json", "predictions.csv"},
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained run and a logged forecast of it whose actuals are in the data."""
    root = tmp_path_factory.mktemp("made")
    (root / "c.yaml").write_text(TINY)
    # Relative roots, as a user's: the logged forecast names its run as runs/..., which is the copy
    # of it in each test's own folder.
    env = {"FORECAST_DATA_DIR": "data", "FORECAST_RUNS_DIR": "runs", "FORECAST_WORKERS": "1"}
    here = Path.cwd()
    os.chdir(root)
    try:
        for args in (["train", "--config", "c.yaml"], ["predict", "tiny", "--as-of", "2012-12-14", "-n", "3"]):
            result = cli(env, *args)
            assert result.exit_code == 0, result.output
    finally:
        os.chdir(here)
    return root


def recorded(run: Path) -> list[str]:
    stages = json.loads((run / "manifest.json").read_text())["stages"]
    return sorted({name for record in stages.values() for name, sha in (record.get("outputs") or {}).items() if sha})


def files(root: Path) -> dict[str, bytes]:
    skipped = (".lock", "report.html")  # a lock holds a pid; a report is a view, rewritten by report and score
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skipped and "forecasts" not in p.parts and ".cache" not in p.parts
    }


def test_every_file_a_run_records_is_known_here(made: Path) -> None:
    (run,) = (made / "runs").glob("tiny-MSFT-*")
    assert recorded(run) == [
        "competitors.npz", "encoding.json", "forecast.png", "history.csv", "loss.png", "metrics.json", "model.keras",
        "predictions.csv", "residuals.png", "series.parquet", "split.npz", "validation.npz",
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["competitors.npz", "encoding.json", "forecast.png", "history.csv", "loss.png", "metrics.json", "model.keras",
     "predictions.csv", "residuals.png", "series.parquet", "split.npz", "validation.npz"],
)  # fmt: skip
def test_a_tampered_run_file_is_refused_by_every_command_that_reads_it(name: str, made: Path, invoke, tmp_path) -> None:
    for folder in ("data", "runs"):
        shutil.copytree(made / folder, tmp_path / folder)
    (run,) = (tmp_path / "runs").glob("tiny-MSFT-*")
    twin = shutil.copytree(run, run.with_name(run.name.replace("tiny-", "twin-")))
    path = run / name
    path.write_bytes(path.read_bytes() + b"\0")  # one byte more: the file may still parse, its sha256 does not
    commands = {
        "predict": ["predict", str(run), "-n", "2"],
        "promote": ["models", "promote", "tiny", str(run)],
        "report": ["report", str(run)],
        "score": ["score", "tiny", "--include-as-of"],
        "compare": ["compare", str(run), str(twin)],
    }
    for command, argv in commands.items():
        before = files(tmp_path)
        result = invoke(*argv)
        reads = READS[command] == "all" or name in READS[command]
        assert "Traceback" not in result.output and "internal error" not in result.output, (command, result.output)
        if reads:
            assert result.exit_code == 65, (command, result.output)
            assert f"{name} does not match the sha256 recorded" in result.stderr.strip().splitlines()[-1], command
            assert files(tmp_path) == before, command  # nothing written, nothing changed
        else:
            assert result.exit_code == 0, (command, result.output)
            assert files(tmp_path).items() >= {k: v for k, v in before.items() if k.startswith("runs/tiny")}.items()


@pytest.mark.slow
def test_retrain_does_not_trust_a_tampered_champion_and_says_which_file(made: Path, invoke, tmp_path) -> None:
    for folder in ("data", "runs"):
        shutil.copytree(made / folder, tmp_path / folder)
    (run,) = (tmp_path / "runs").glob("tiny-MSFT-*")
    assert invoke("models", "promote", "tiny", str(run)).exit_code == 0
    (run / "metrics.json").write_bytes((run / "metrics.json").read_bytes() + b"\0")
    result = invoke("retrain", "--config", str(made / "c.yaml"), "--force")
    assert result.exit_code == 0, result.output
    said = next(line for line in result.stderr.splitlines() if "could not be scored" in line)
    assert "metrics.json does not match the sha256 recorded" in said
    record = json.loads((tmp_path / "models" / "tiny" / "history.jsonl").read_text().splitlines()[-1])
    assert record["decision"] == "promoted" and "could not be scored" in record["reason"]
