"""How the command line talks: --json on every command, --quiet and --verbose, colour
only on a terminal and never with NO_COLOR, and shell completion (typer's)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

FORECAST = str(Path(sys.executable).parent / "forecast")
TINY = """\
name: tiny
data: {source: synthetic, points: 200, seed: 2, target: value}
prep: {lookback: 5, test_fraction: 0.2}
model: {units: [2], dense: []}
train: {epochs: 2, patience: 0}
plot: {dpi: 50, report: false}
"""


def leaf_commands() -> dict[str, Any]:
    from forecast.cli import app

    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click: no isinstance)
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            found[path] = command

    walk(typer.main.get_command(app), "")
    return found


def test_every_command_accepts_json() -> None:
    commands = leaf_commands()
    assert {"train", "compare", "predict", "report", "schedule", "models promote", "models rollback"} <= set(commands)
    missing = [name for name, command in commands.items() if not any("--json" in p.opts for p in command.params)]
    assert missing == []


def test_schedule_json_is_the_line_cron_gets(invoke, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    plain = invoke("schedule", "--config", "tiny.yaml")
    as_json = invoke("schedule", "--config", "tiny.yaml", "--json")
    assert plain.exit_code == as_json.exit_code == 0
    payload = json.loads(as_json.stdout)
    evening, weekly = plain.stdout.strip().splitlines()
    assert payload == {"name": "tiny", "line": evening, "score_line": weekly, "installed": False, "changed": None}


def test_quiet_keeps_results_and_warnings_and_drops_progress(invoke, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    # An untrained network (learning rate ~0) on a series that goes below zero in its training part
    # (so its forecasts are not floored at zero): worse than naive (RMSE 3.3 vs 0.85), a warning is due.
    untrained = ("--set", "train.learning_rate=1e-9", "--set", "data.points=400")
    loud = invoke("train", "--config", "tiny.yaml", *untrained)
    quiet = invoke("--quiet", "train", "--config", "tiny.yaml", *untrained)
    assert loud.exit_code == quiet.exit_code == 0
    assert "snapshot    done" in loud.stderr and "epoch 1/2" in loud.stderr
    assert "snapshot" not in quiet.stderr and "epoch 1/" not in quiet.stderr and "training lstm" not in quiet.stderr
    strip = lambda out: [line for line in out.splitlines() if not line.startswith("run ")]  # noqa: E731
    assert strip(quiet.stdout) == strip(loud.stdout) and "naive" in quiet.stdout
    warning = "warning: on the test part the lstm is WORSE than the naive forecast (tomorrow = today)"
    assert warning in loud.stderr and warning in quiet.stderr  # a warning survives --quiet


def test_quiet_and_verbose_together_are_refused(invoke) -> None:
    result = invoke("--quiet", "--verbose", "runs", "list")
    assert result.exit_code == 64 and "--verbose and --quiet" in result.stderr


def on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """Run forecast with stdout and stderr on a pseudo-terminal; return what it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([FORECAST, *args], stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "no_color, where, coloured",
    [(False, "terminal", True), (True, "terminal", False), (False, "pipe", False)],
)
def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path: Path, no_color, where, coloured) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    if no_color:
        env["NO_COLOR"] = "1"
    args = ["report", "no-such-run"]  # an error line: "error:" is red on a terminal
    if where == "terminal":
        output = on_a_terminal(args, env)
    else:
        output = subprocess.run([FORECAST, *args], capture_output=True, env=env, timeout=60).stderr
    assert b"error:" in output and b"no-such-run" in output
    assert (b"\x1b[31m" in output or b"\x1b[1;31m" in output or b"\x1b[91m" in output) == coloured
    if not coloured:
        assert b"\x1b[" not in output


def complete(words: str, cword: int, runs: Path) -> list[str]:
    env = {**os.environ, "_FORECAST_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword),
           "FORECAST_RUNS_DIR": str(runs)}  # fmt: skip
    result = subprocess.run([FORECAST], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_shell_completion_knows_commands_options_and_run_names(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for name in ("lstm-20260101T000000Z", "lstm-20260202T000000Z", "rnn-20260101T000000Z", "lstm-20260303T000000Z"):
        (runs / name).mkdir(parents=True)
        status = "failed" if name.endswith("0303T000000Z") else "complete"  # a failed run is not offered
        (runs / name / "manifest.json").write_text(f'{{"status": "{status}"}}')
    assert complete("forecast rep", 1, runs) == ["report"]
    assert "--horizon" in complete("forecast predict --h", 2, runs)
    assert complete("forecast report lstm", 2, runs) == ["lstm-20260202T000000Z", "lstm-20260101T000000Z"]
    assert complete("forecast predict r", 2, runs) == ["rnn-20260101T000000Z"]


@pytest.mark.slow  # two real trainings in processes on a terminal
def test_on_a_terminal_one_run_level_bar_and_silence_under_quiet(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    env = {**os.environ, "TERM": "xterm-256color", "FORECAST_RUNS_DIR": str(tmp_path / "runs"),
           "FORECAST_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    args = ["train", "--config", str(tmp_path / "tiny.yaml"), "--set", "train.epochs=3"]
    shown = on_a_terminal(args, env).decode()
    # forecast's own bar, redrawn in place (\r), ending on the last epoch with its losses and time ...
    assert "\r\x1b[Kepoch 3/3 " in shown and "loss " in shown and " elapsed" in shown
    assert "epoch 1/3" in shown and "ETA ≤" in shown  # ... an estimate while epochs remain
    assert "trained all 3 epochs (train.patience 0); kept the last epoch's weights" in shown
    assert "ms/step" not in shown and "Epoch 1/3" not in shown  # never Keras' two lines per epoch
    quiet = on_a_terminal(["--quiet", *args], env).decode()
    assert "skill" in quiet and "warning: " in quiet  # results and warnings, no progress:
    assert "epoch 1/3" not in quiet and "\r\x1b[K" not in quiet and "trained all" not in quiet
    assert "ms/step" not in quiet
