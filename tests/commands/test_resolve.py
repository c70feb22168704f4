"""What a run name means (commands/resolve.py): a path or folder as given, a registered
model's champion, else the newest complete run made by `forecast train`, never a retrain
challenger or a failed run; and `runs list` by time, with kind and status, failed runs
hidden unless --all."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from forecast import rundir
from forecast.commands.resolve import find_run
from forecast.errors import MissingInputError
from forecast.rundir import named


def make(root: Path, folder: str, status: str = "complete", name: str | None = None, **manifest) -> Path:
    path = root / folder
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(f"name: {name}\n" if name else "{}")
    (path / "manifest.json").write_text(json.dumps({"status": status, "created": "2026-01-01T00:00:00", **manifest}))
    return path


def test_a_path_or_folder_is_taken_as_given_and_a_name_means_the_newest_complete_run(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    folders = ["lstm-20260101T000000Z", "lstm-20260102T000000Z", "lstm-20260102T000000Z-2", "lstm-20260102T000000Z-10"]
    for folder in folders:
        make(root, folder)
    make(root, "lstm-backtest-20270101T000000Z", kind="backtest")
    (root / "lstm-20280101T000000Z").mkdir()  # no config.yaml: not a run
    assert find_run("lstm", root).path.name == "lstm-20260102T000000Z-10"  # -10 after -2: numbers, not text
    assert find_run("lstm-20260101T000000Z", root).path.name == "lstm-20260101T000000Z"
    assert find_run(str(root / "lstm-20260102T000000Z"), root).path.name == "lstm-20260102T000000Z"
    # A backtest is not a trained model; report (any run: manifest.json) takes it by name.
    with pytest.raises(MissingInputError, match=r"no complete run made by forecast train .* \(backtest, complete\)"):
        find_run("lstm-backtest", root)
    assert find_run("lstm-backtest", root, marker=rundir.MANIFEST).path.name == "lstm-backtest-20270101T000000Z"
    with pytest.raises(MissingInputError, match="not found"):
        find_run("gru", root)


def test_failed_runs_and_retrain_challengers_are_passed_over_and_named(tmp_path: Path, caplog) -> None:
    root = tmp_path / "runs"
    make(root, "lstm-MSFT-20260101T000000Z", name="lstm")
    make(root, "lstm-MSFT-20260102T000000Z", status="failed", name="lstm")
    challenger = make(root, "lstm-MSFT-20260103T000000Z", name="lstm")
    (challenger / "retrain.log").write_text("rejected\n")
    with caplog.at_level(logging.INFO, logger="forecast"):
        for marker in (rundir.CONFIG, rundir.MANIFEST):  # predict and evaluate; report and runs show
            assert find_run("lstm", root, marker=marker).path.name == "lstm-MSFT-20260101T000000Z"
    said = caplog.messages[0]
    assert "the newest complete run made by forecast train" in said
    assert "lstm-MSFT-20260103T000000Z (retrain challenger, complete)" in said
    assert "lstm-MSFT-20260102T000000Z (train, failed)" in said
    # Named exactly, any of them is taken as it is.
    assert find_run("lstm-MSFT-20260102T000000Z", root).path == root / "lstm-MSFT-20260102T000000Z"
    (root / "lstm-MSFT-20260101T000000Z" / "manifest.json").write_text(json.dumps({"status": "interrupted"}))
    with pytest.raises(MissingInputError) as refused:
        find_run("lstm", root)
    assert "lstm-MSFT-20260101T000000Z (train, interrupted)" in refused.value.message
    assert "forecast runs list --all" in refused.value.hint


def test_a_registered_model_means_its_champion(tmp_path: Path, caplog) -> None:
    root, models = tmp_path / "runs", tmp_path / "models"
    served = make(root, "lstm-MSFT-20260101T000000Z", name="lstm")
    (served / "retrain.log").write_text("promoted\n")
    make(root, "lstm-MSFT-20260105T000000Z", name="lstm")  # trained by hand since: not what retrain serves
    (models / "lstm").mkdir(parents=True)
    record = {"run": str(served), "how": "retrain", "promoted": "2026-01-01T00:00:00+00:00", "data_end": "2025-12-31"}
    (models / "lstm" / "champion.json").write_text(json.dumps(record))
    with caplog.at_level(logging.INFO, logger="forecast"):
        assert find_run("lstm", root, models).path == served
    assert "the champion of model lstm (promoted by retrain 2026-01-01; data to 2025-12-31)" in caplog.messages[0]
    # promote replaces the champion: it takes the newest trained run, not the champion itself.
    assert find_run("lstm", root, models, champion=False).path.name == "lstm-MSFT-20260105T000000Z"


def test_a_config_name_finds_its_runs_on_every_series_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    made = {
        "lstm-MSFT-20260101T000000Z": "lstm",
        "lstm-CO2-20260102T000000Z": "lstm",
        "lstm-fast-20260103T000000Z": "lstm-fast",  # another config, whose name starts with lstm-
        "lstm-20250101T000000Z": "lstm",  # named before runs carried their series
    }
    for folder, name in made.items():
        make(root, folder, name=name)
    # Made by the config lstm: its runs on both series and the one named before; not lstm-fast's.
    assert [folder for folder in made if named(root / folder, "lstm")] == [
        "lstm-MSFT-20260101T000000Z", "lstm-CO2-20260102T000000Z", "lstm-20250101T000000Z",
    ]  # fmt: skip
    assert find_run("lstm", root).path.name == "lstm-CO2-20260102T000000Z"
    assert find_run("lstm-MSFT", root).path.name == "lstm-MSFT-20260101T000000Z"
    assert find_run("lstm-fast", root).path.name == "lstm-fast-20260103T000000Z"


def test_runs_list_is_by_time_with_kind_and_status_and_hides_failed_runs(invoke, tmp_path: Path) -> None:
    from forecast.cli.options import complete_run

    root = tmp_path / "runs"
    make(root, "zeta-20260101T000000Z", created="2026-01-01T00:00:00")
    make(root, "alpha-20260103T000000Z", status="failed", created="2026-01-03T00:00:00")
    retrained = make(root, "beta-20260102T000000Z", created="2026-01-02T00:00:00")
    (retrained / "retrain.log").write_text("")
    make(root, "predict-zeta-20260104T000000Z", kind="predict", created="2026-01-04T00:00:00")
    listed = invoke("runs", "list", "--json")
    assert [(r["run"], r["kind"]) for r in json.loads(listed.stdout)] == [
        ("zeta-20260101T000000Z", "train"), ("beta-20260102T000000Z", "retrain"),
        ("predict-zeta-20260104T000000Z", "predict"),
    ]  # fmt: skip
    text = invoke("runs", "list").stdout
    assert "alpha" not in text and "1 failed or interrupted run(s) not shown: forecast runs list --all" in text
    every = invoke("runs", "list", "--all", "--json")
    assert [r["status"] for r in json.loads(every.stdout)] == ["complete", "complete", "failed", "complete"]
    assert complete_run("") == ["zeta-20260101T000000Z", "predict-zeta-20260104T000000Z", "beta-20260102T000000Z"]
