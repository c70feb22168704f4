"""Every I/O error names the path: a file-size limit (a real one, RLIMIT_FSIZE), a full disk
and a read-only folder during fetch, train, predict, retrain and report say `cannot write
PATH: <reason>`, say which run was marked failed, and leave the cache, the finished runs and
the registry as they were.

The commands that do not import TensorFlow run in child processes with the limit set from
their start; train and retrain run in this process under the same limit (file_size_limit):
a child would spend seconds importing TensorFlow before it reached the write under test."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import as_process, cli, snapshot_tree

TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, target_transform: log_return}
model: {kind: lstm, units: [16], dense: []}
train: {epochs: 1, seed: 3}
retrain: {require_beats_naive: false}
plot: {dpi: 50}
"""
KB = 1024


def forecast(tmp_path: Path, *args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    """The CLI in a child process; `limit`: the largest file it may write, in bytes."""
    env = {**os.environ, "FORECAST_DATA_DIR": str(tmp_path / "data"), "FORECAST_RUNS_DIR": str(tmp_path / "runs"),
           "FORECAST_MODELS_DIR": str(tmp_path / "models")}  # fmt: skip

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "forecast", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600, preexec_fn=limited)  # fmt: skip


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """No file of this process may grow past `limit` bytes in the block. Only the soft limit is
    lowered, so that it can be raised again; Python ignores SIGXFSZ, so a write past it fails
    with EFBIG ("File too large"), as in a process started under the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def in_process(invoke: Callable[..., Any], *args: str, limit: int) -> subprocess.CompletedProcess:
    """train or retrain in this process (the test's roots) under a file-size limit. Without the
    statistical competitors: their child process, started on a first fit and kept for the next
    ones, would keep the limit for the rest of this test process."""
    with file_size_limit(limit):
        return as_process(invoke, *args, "--set", "evaluate.competitors=[]")


def error_line(done: subprocess.CompletedProcess, code: int = 74) -> str:
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return lines[-1]


def no_temporary_files(root: Path) -> bool:
    return not [p for p in root.rglob(".*.tmp*")]


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained in this process: the limits are set on the commands that read the run."""
    from forecast.scoring import competitors

    competitors._DONE.clear()  # fitted here, so that the memo is in this data folder, not in this process's memory
    root = tmp_path_factory.mktemp("trained")
    (root / "tiny.yaml").write_text(TINY)
    env = {"FORECAST_DATA_DIR": str(root / "data"), "FORECAST_RUNS_DIR": str(root / "runs")}
    result = cli(env, "train", "--config", str(root / "tiny.yaml"))
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def trained(trained_once: Path, tmp_path: Path) -> Path:
    """A finished run (and the cache it read) in this test's own folder."""
    shutil.copytree(trained_once, tmp_path, dirs_exist_ok=True)
    (run,) = (tmp_path / "runs").glob("tiny-*")
    return run


@pytest.mark.slow
def test_fetch_past_a_file_size_limit_names_the_cache_file(tmp_path: Path) -> None:
    line = error_line(forecast(tmp_path, "fetch", "MSFT", "--source", "sample", limit=20 * KB))
    assert f"cannot write {tmp_path}/data/sample/MSFT_1d.parquet: File too large" in line
    assert "free space, raise the file-size limit" in line
    assert not list((tmp_path / "data").rglob("MSFT*")) and no_temporary_files(tmp_path)


def test_train_past_a_file_size_limit_names_the_file_and_the_run_it_marked_failed(invoke, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    line = error_line(in_process(invoke, "train", "--config", "tiny.yaml", limit=20 * KB))
    (run,) = (tmp_path / "runs").glob("tiny-*")
    assert f"cannot write {run}/model.keras: File too large [run {run} marked failed]" in line
    assert json.loads((run / "manifest.json").read_text())["status"] == "failed"
    assert not (run / "model.keras").exists() and no_temporary_files(tmp_path)


@pytest.mark.slow
def test_predict_and_report_past_a_limit_leave_the_finished_run_as_it_was(tmp_path: Path, trained: Path) -> None:
    before = snapshot_tree(trained)
    line = error_line(forecast(tmp_path, "report", trained.name, limit=8 * KB))
    assert f"cannot write {trained}/report.html: File too large" in line and "marked failed" not in line
    line = error_line(forecast(tmp_path, "predict", trained.name, "--horizon", "3", limit=8 * KB))
    (out,) = (tmp_path / "runs").glob("predict-tiny-*")
    assert f"cannot write {out}/" in line and "File too large" in line and f"[run {out} marked failed]" in line
    assert snapshot_tree(trained) == before and no_temporary_files(tmp_path)


def test_retrain_past_a_limit_keeps_the_champion(invoke, tmp_path: Path, trained: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORECAST_MODELS_DIR", str(tmp_path / "models"))
    assert forecast(tmp_path, "models", "promote", "tiny", trained.name).returncode == 0
    champion = (tmp_path / "models" / "tiny" / "champion.json").read_bytes()
    cache = snapshot_tree(tmp_path / "data")
    line = error_line(in_process(invoke, "retrain", "--config", "tiny.yaml", "--force", limit=20 * KB))
    assert "model.keras: File too large" in line and "marked failed]" in line
    assert (tmp_path / "models" / "tiny" / "champion.json").read_bytes() == champion
    assert snapshot_tree(tmp_path / "data") == cache and no_temporary_files(tmp_path)


@pytest.mark.parametrize(("number", "reason"), [(errno.ENOSPC, "No space left on device"),
                                                (errno.EROFS, "Read-only file system")])  # fmt: skip
def test_a_full_or_read_only_disk_names_the_file(invoke, tmp_path: Path, monkeypatch, number: int, reason: str) -> None:
    """In process: the disk fills (or turns read-only) when the model is saved."""
    (tmp_path / "tiny.yaml").write_text(TINY.replace("epochs: 1", "epochs: 1, batch_size: 256"))

    def save(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PK half a model")
        raise OSError(number, os.strerror(number))

    import keras

    monkeypatch.setattr(keras.Model, "save", save)
    result = invoke("train", "--config", str(tmp_path / "tiny.yaml"))
    (run,) = (tmp_path / "runs").glob("tiny-*")
    assert result.exit_code == 74, result.output
    assert f"cannot write {run}/model.keras: {reason} [run {run} marked failed]" in result.stderr
    assert not (run / "model.keras").exists() and no_temporary_files(tmp_path)
