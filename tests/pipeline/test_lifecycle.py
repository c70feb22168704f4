"""The lifecycle of a run made in one go (backtest, compare, predict): whatever moment a signal
lands, the manifest ends interrupted, never "running"."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.pipeline import lifecycle
from forecast.pipeline.lifecycle import new_run
from forecast.rundir import RunDir

from ..conftest import interrupt_save


@pytest.mark.parametrize("save", [0, 1])  # the manifest's two saves: at the start, and complete
def test_a_signal_landing_in_a_save_of_the_manifest_leaves_the_run_interrupted(
    save: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = interrupt_save(monkeypatch, save)
    with pytest.raises(KeyboardInterrupt), new_run(tmp_path, "backtest", "backtest", None) as started:
        started.extra["best"] = "lstm"
    assert saves[save] == ["running", "complete"][save]
    [folder] = tmp_path.glob("backtest-*")
    assert RunDir(folder).manifest()["status"] == "interrupted"


def test_the_environment_is_read_once_a_process_and_each_run_gets_its_own_copy(monkeypatch) -> None:
    lifecycle._environment.cache_clear()
    asked: list[list[str]] = []
    monkeypatch.setattr(lifecycle.subprocess, "run", lambda args, **_: asked.append(args) or FakeGit())
    first = lifecycle.environment()
    first["versions"]["numpy"] = "changed by a run"
    second = lifecycle.environment()
    lifecycle._environment.cache_clear()  # the next test reads the real one
    assert asked == [["git", "rev-parse", "HEAD"]] and second["git_sha"] == "abc123"
    assert second["versions"]["numpy"] not in (None, "changed by a run")


class FakeGit:
    stdout = "abc123\n"
