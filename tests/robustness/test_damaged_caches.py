"""Every cache and log the tool keeps survives damage: a file of the forecast log, the competitors'
memo, the kept exchange sessions or the data cache that is empty, cut short, random bytes, of a
foreign shape, or a folder in its place is named in a warning and moved aside or recomputed; the
command that met it finishes its work (and never calls it a Ctrl-C or an internal error)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import DataConfig
from forecast.data.sources import Fetched, fetch
from forecast.data.store import Cache

from ..conftest import cli, yahoo_frame

TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2011-06-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 1, patience: 0, seed: 3}
evaluate: {competitors: [auto_ets], combine: false}
plot: {enabled: false, report: false}
"""


def empty(path: Path) -> None:
    path.write_bytes(b"")


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).bytes(max(64, path.stat().st_size)))


def folder(path: Path) -> None:  # unreadable as a file whoever runs it (root reads past chmod 000)
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


def foreign(path: Path) -> None:  # a well-formed file of the same format, holding something else
    if path.suffix == ".npz":
        with open(path, "wb") as handle:
            np.savez(handle, other=np.arange(3))
    elif path.suffix == ".parquet":
        pd.DataFrame({"other": [1, 2]}).to_parquet(path)
    else:
        path.write_text("[1, 2, 3]\n")


DAMAGES: dict[str, Callable[[Path], None]] = {
    "empty": empty,
    "truncated": truncated,
    "random": random_bytes,
    "foreign": foreign,
    "folder": folder,
}


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a trained run, its competitors' memo, kept sessions, a logged forecast whose
    actuals are in the data, and a Yahoo cache entry: every kind of file the tool keeps."""
    from forecast.scoring import competitors

    competitors._DONE.clear()  # fitted here, so that the memo is written here, not taken from this process's memory
    root = tmp_path_factory.mktemp("kept")
    (root / "c.yaml").write_text(TINY)
    env = {"FORECAST_DATA_DIR": str(root / "data"), "FORECAST_RUNS_DIR": str(root / "runs"), "FORECAST_WORKERS": "1"}
    for args in (["train", "--config", str(root / "c.yaml")], ["predict", "tiny", "--as-of", "2012-12-14", "-n", "3"]):
        result = cli(env, *args)
        assert result.exit_code == 0, result.output
    sample = fetch(DataConfig(source="sample", symbol="MSFT")).frame
    Cache(root / "data").save(DataConfig(source="yahoo", symbol="MSFT"), Fetched(sample, ("adj_close",), "test"))
    return root


def copy(kept: Path, tmp_path: Path) -> None:
    for name in ("data", "runs"):
        shutil.copytree(kept / name, tmp_path / name)
    shutil.copy(kept / "c.yaml", tmp_path / "c.yaml")


def finished(result, damaged: Path, *said: str) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "aborted" not in result.stderr
    warning = next((line for line in result.stderr.splitlines() if str(damaged) in line), None)
    assert warning is not None and warning.startswith("warning: "), result.stderr
    for fragment in said:
        assert fragment in warning, warning


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_forecast_log_file_is_set_aside_and_the_others_are_scored(damage, invoke, kept, tmp_path) -> None:
    copy(kept, tmp_path)
    (good,) = (tmp_path / "runs" / "forecasts" / "tiny").glob("*.parquet")
    bad = good.with_name("2012-12-13_predict-tiny-damaged.parquet")
    shutil.copy(good, bad)
    DAMAGES[damage](bad)
    result = invoke("score", "tiny", "--include-as-of")
    finished(result, bad, "is unreadable", "moved aside")
    assert not bad.exists() and bad.with_name(f"{bad.name}.damaged").exists()
    assert "tiny: 1 forecast(s) scored" in result.stdout  # the good one
    assert invoke("score", "tiny", "--include-as-of").stderr.count("unreadable") == 0  # never read again


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_memo_of_the_competitors_is_fitted_again(damage, invoke, kept, tmp_path, monkeypatch) -> None:
    from forecast.scoring import competitors

    monkeypatch.setattr(competitors, "_DONE", {})  # what this process remembers: a new command has none
    copy(kept, tmp_path)
    memos = sorted((tmp_path / "data" / ".cache" / "competitors").glob("*.npz"))
    assert memos
    for memo in memos:
        DAMAGES[damage](memo)
    result = invoke("train", "--config", str(tmp_path / "c.yaml"))
    finished(result, memos[0], "competitors' remembered answer", "fitted again")
    assert "auto_ets" in result.stdout  # scored: fitted again, not skipped


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_kept_exchange_sessions_are_built_again(damage, invoke, kept, tmp_path) -> None:
    copy(kept, tmp_path)
    (sessions,) = (tmp_path / "data" / ".cache" / "sessions").glob("*.npz")
    DAMAGES[damage](sessions)
    result = invoke("predict", "tiny", "-n", "3")
    finished(result, sessions, "exchange sessions", "built again")
    assert "XNYS" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_data_cache_entry_is_set_aside_and_fetched_again(damage, invoke, kept, tmp_path, fake_yahoo) -> None:
    copy(kept, tmp_path)
    parquet = tmp_path / "data" / "yahoo" / "MSFT_1d.parquet"
    DAMAGES[damage](parquet.with_suffix(".json") if damage == "foreign" else parquet)
    fake_yahoo.responses = [yahoo_frame(days=30, start="2013-01-02")]
    result = invoke("fetch", "MSFT")
    finished(result, parquet if damage != "foreign" else parquet.with_suffix(".json"), "fetched again")
    assert parquet.is_file() and Cache(tmp_path / "data").load("yahoo", "MSFT", "1d")[0].shape[0] == 30
    assert os.path.exists(f"{parquet}.damaged") or os.path.exists(f"{parquet.with_suffix('.json')}.damaged")
