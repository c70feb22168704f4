"""One exit code per situation: a run that did not finish (interrupted, killed while running,
failed) given to any command that needs a finished one is exit 66, with one line naming
the run and its status and how to finish it; the runs and the registry are left as they
were (report may write the page that shows how far the run got)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forecast.config import load_config
from forecast.pipeline.runner import run_pipeline
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir

from .test_catalogue import TINY, state

STATUSES = {
    "interrupted": "interrupted",  # Ctrl-C or SIGTERM during training: recorded
    "killed": "running",  # SIGKILL, out of memory: the manifest still says running
    "failed": "failed",
}
COMMANDS = {
    "predict": ["predict", "{run}"],
    "evaluate": ["evaluate", "{run}"],
    "report": ["report", "{run}"],
    "compare-first": ["compare", "{run}", "{other}"],
    "compare-second": ["compare", "{other}", "{run}"],
    "models-promote": ["models", "promote", "tiny", "{run}"],
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("finished")
    (root / "c.yaml").write_text(TINY)
    config = load_config(root / "c.yaml")
    runs = []
    for _ in range(2):
        run = RunDir.create(root / "runs", "tiny")
        run_pipeline(Context(config, run, root / "data"))
        runs.append(run.path)
    return runs


def stop(run: Path, status: str) -> None:
    """Leave the run as a stop in training leaves it."""
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = manifest["stages"]["train"]["status"] = status  # a killed one stays "running"
    if status != "running":  # a killed process never got to record why
        manifest["error"] = "stopped by the test"
    for later in ("evaluate", "plot"):
        manifest["stages"].pop(later, None)
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2))


@pytest.mark.parametrize("how", list(STATUSES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_run_that_did_not_finish_is_exit_66_in_every_command(
    invoke, finished: list[Path], tmp_path: Path, how: str, command: str
) -> None:
    run = Path(shutil.copytree(finished[0], tmp_path / "runs" / finished[0].name))
    other = Path(shutil.copytree(finished[1], tmp_path / "runs" / finished[1].name))
    stop(run, STATUSES[how])
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    before = state(tmp_path)
    argv = [a.replace("{run}", str(run)).replace("{other}", str(other)) for a in COMMANDS[command]]
    result = invoke(*argv)

    assert result.exit_code == 66, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [lines[-1]] and "Traceback" not in result.output, result.stderr
    assert str(run) in errors[0] and f"forecast train --run-dir {run}" in errors[0], errors[0]
    status = STATUSES[how]
    if command == "evaluate":  # evaluate finishes a run whose training is done: it names the stage
        assert f"stage train of {run} is {status}" in errors[0], errors[0]
    else:
        assert f"run {run} is {status}, not complete" in errors[0], errors[0]
    after = state(tmp_path)
    page = f"runs/{run.name}/report.html"
    if command == "report":  # the page that shows how far the run got is rewritten, and only that
        assert "report.html shows how far it got" in errors[0]
        assert f"status {status}" in (tmp_path / page).read_text()
        after.pop(page), before.pop(page)
    assert after == before
