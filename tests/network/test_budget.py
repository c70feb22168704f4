"""A run cut off by its epoch cap while still improving says so."""

from __future__ import annotations

from pathlib import Path

from forecast.network.budget import cut_short


def test_only_a_best_epoch_at_the_cap_is_cut_short() -> None:
    assert cut_short({"epochs_run": 30, "best_epoch": 30}, 30).startswith(
        "training stopped at the epoch cap (train.epochs = 30) with its best epoch the last"
    )
    assert cut_short({"epochs_run": 15, "best_epoch": 10}, 30) is None  # early stopping ended it (the demo)
    assert cut_short({"epochs_run": 30, "best_epoch": 22}, 30) is None  # at the cap, but no longer improving
    assert cut_short({}, 30) is None  # a pretrained member of a global model


def test_train_warns_and_the_report_says_it(invoke, tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(
        "name: one\ndata: {source: synthetic, points: 200, target: value}\nprep: {lookback: 5}\n"
        "model: {kind: gru, units: [2], dense: []}\ntrain: {epochs: 1}\nplot: {enabled: false}\n"
        "evaluate: {competitors: []}\n"
    )  # one epoch: the best is always the last, at the cap
    result = invoke("train", "--config", str(tmp_path / "one.yaml"))
    assert result.exit_code == 0, result.output
    assert "warning: training stopped at the epoch cap (train.epochs = 1)" in result.stderr
    (run,) = (tmp_path / "runs").glob("one-*")
    assert "Warning: training stopped at the epoch cap" in (run / "report.html").read_text()
