"""The file system says no: a write failing half-way, a root that cannot be created."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ..conftest import snapshot_tree


def test_a_write_failing_half_way_leaves_the_cache_as_it_was(invoke, tmp_path: Path, monkeypatch) -> None:
    assert invoke("fetch", "MSFT", "--source", "sample").exit_code == 0
    before = snapshot_tree(tmp_path / "data")
    import pandas as pd

    real = pd.DataFrame.to_parquet

    def disk_full(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)  # the temporary file is written ...
        raise OSError(errno.ENOSPC, "No space left on device", str(path))  # ... and the disk fills up

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    result = invoke("fetch", "MSFT", "--source", "sample")
    assert result.exit_code == 74
    (line,) = result.stderr.strip().splitlines()
    parquet = tmp_path / "data" / "sample" / "MSFT_1d.parquet"  # the file, never its temporary name
    assert line.startswith(f"error: cannot write {parquet}: No space left on device"), line
    assert "free space" in line and "Traceback" not in result.output
    assert snapshot_tree(tmp_path / "data") == before  # no temporary file left, the old file intact


@pytest.mark.parametrize("command", [["fetch", "MSFT", "--source", "sample"], ["runs", "list"]])
def test_a_root_that_cannot_be_written_is_one_clear_line(invoke, monkeypatch, command) -> None:
    monkeypatch.setenv("FORECAST_DATA_DIR", "/proc/forecast-data")  # not creatable, even by root
    result = invoke(*command)
    if command[0] == "runs":
        assert result.exit_code == 0  # reading an absent root is fine
        return
    assert result.exit_code == 74
    assert result.stderr.strip().startswith("error: cannot write /proc/forecast-data/sample/MSFT_1d.parquet: ")
