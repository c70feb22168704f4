"""A band with too few validation windows for its level is empty: its coverage is n/a, with a
warning, in the summary, metrics.json, the report and predict alike; never 0%."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from forecast.rollout import conformal

# About 9 validation windows: enough for an 80% band (4), too few for a 95% one (19).
FEW = """\
name: few
data: {source: synthetic, points: 130, seed: 4, target: value}
prep: {lookback: 5, test_fraction: 0.2, val_fraction: 0.1, target_transform: none}
model: {kind: gru, units: [3], dense: []}
train: {epochs: 2, batch_size: 32, patience: 0, seed: 1}
evaluate: {intervals: [0.8, 0.95], competitors: []}
plot: {dpi: 50}
"""


def test_coverage_of_an_empty_band_is_none_not_zero() -> None:
    actual = np.array([[1.0, 2.0], [3.0, 4.0]])
    lower, upper = np.full((2, 2), np.nan), np.full((2, 2), np.nan)
    assert conformal.coverage(actual, lower, upper) == (None, [None, None])
    lower[:, 0], upper[:, 0] = [0.0, 3.5], [2.0, 5.0]  # a band at step 1 only: held 1 of its 2
    assert conformal.coverage(actual, lower, upper) == (0.5, [0.5, None])
    assert conformal.percent(None) == "n/a" and conformal.percent(0.0) == "0.0%"


def test_an_empty_band_is_n_a_with_a_warning_everywhere(invoke, tmp_path: Path) -> None:
    (tmp_path / "few.yaml").write_text(FEW)
    trained = invoke("train", "--config", str(tmp_path / "few.yaml"))
    assert trained.exit_code == 0, trained.output
    (run,) = (tmp_path / "runs").glob("few-*")
    coverage = json.loads((run / "metrics.json").read_text())["intervals"]["coverage"]
    windows = json.loads((run / "metrics.json").read_text())["intervals"]["calibration"]["windows"]
    assert 4 <= windows < 19
    assert coverage["95"] == {"test": None, "per_step": [None]}
    assert isinstance(coverage["80"]["test"], float)
    assert "95% band held n/a" in trained.stdout and "95% band held 0" not in trained.stdout
    assert f"{windows} validation windows are too few for a 95% band (it needs 19)" in trained.stderr
    report = (run / "report.html").read_text()
    assert "<td>n/a</td>" in report and "too few for a 95% band" in report

    predicted = invoke("predict", str(run), "--horizon", "1", "--no-plot")
    assert predicted.exit_code == 0, predicted.output
    assert "95% held n/a" in predicted.stdout
    assert "too few for a 95% band" in predicted.stderr
