"""A new run folder holds its config before anyone is told about it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from forecast import errors
from forecast.rundir import CONFIG, RunDir


def test_a_signal_while_a_run_folder_is_made_is_raised_once_its_config_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A train stopped this early said "resume with: forecast train --run-dir ..." of a folder
    # without config.yaml, which the resume then refused (seen in the random-moments signals test).
    written = RunDir.write_text

    def signalled(run: RunDir, name: str, text: str) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # lands between the folder and its config
        written(run, name, text)

    monkeypatch.setattr(RunDir, "write_text", signalled)
    monkeypatch.setattr(errors.Terminated, "signal", None)
    previous = signal.signal(signal.SIGTERM, errors.on_signal)
    try:
        with pytest.raises(errors.Terminated):
            RunDir.create(tmp_path, "tiny", "name: tiny\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
    (run,) = tmp_path.iterdir()
    assert (run / CONFIG).read_text() == "name: tiny\n"
    assert RunDir.open(run).path == run  # resumable: the folder is a run
