"""Typed load and save of run files: what a run written by an earlier version still loads as."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast.config import build_config, dump_config
from forecast.errors import DataError
from forecast.rundir import CONFIG, METRICS, RunDir
from forecast.rundir.artifacts import read_encoding, read_metrics


def test_a_scaler_json_without_window_geometry_takes_it_from_the_run_config(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "old")
    config = build_config({"data": {"source": "synthetic"}, "prep": {"lookback": 7, "output_steps": 2}})
    run.write_text(CONFIG, dump_config(config))
    # scaler.json as the version before the Encoding wrote it: no lookback, no output_steps,
    # and normalize "global" (since 0.2: "series"), under the file's name before 0.2.
    old = {"kind": "minmax", "columns": ["value"], "data_min": [1.0], "data_max": [3.0], "feature_range": [0.0, 1.0],
           "target_transform": "none", "normalize": "global", "fitted_on": {"rows": 9}}  # fmt: skip
    (run.path / "scaler.json").write_text(json.dumps(old))
    encoding = read_encoding(run)
    assert (encoding.lookback, encoding.output_steps, encoding.rows_needed) == (7, 2, 7)
    assert encoding.to_dict() == {**old, "normalize": "series", "lookback": 7, "output_steps": 2}


def test_a_metrics_file_of_another_shape_is_an_error_naming_it(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "odd")
    (run.path / METRICS).write_text(json.dumps({"model": "lstm"}))
    with pytest.raises(DataError, match=r"metrics.json is not a metrics file of this version.*forecast evaluate"):
        read_metrics(run)
