"""`forecast compare`: identical data and targets, ranked with baselines, mismatches refused."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from forecast.scoring.verdict import Verdict

from ..conftest import snapshot_tree

BASE = """\
data: {source: synthetic, points: 240, seed: 1, target: value}
prep: {lookback: 6, test_fraction: 0.2}
model: {units: [3], dense: []}
train: {epochs: 2, patience: 0, seed: 3}
plot: {dpi: 50}
"""


def write_base(tmp_path: Path, text: str = BASE, name: str = "base.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_compare_kinds_on_a_base_ranks_models_with_baselines(invoke, tmp_path: Path) -> None:
    result = invoke("compare", "rnn", "gru", "--config", str(write_base(tmp_path)))
    assert result.exit_code == 0, result.output
    # Each candidate is announced before it trains: "candidate 2/2" comes after rnn's stages, before gru's.
    err = result.stderr
    assert err.index("candidate 1/2: rnn") < err.index("rnn        train") < err.index("candidate 2/2: gru")
    assert err.index("candidate 2/2: gru") < err.index("gru        train")
    (out,) = (tmp_path / "runs").iterdir()
    assert out.name.startswith("compare-")
    assert {p.name for p in out.iterdir()} == {
        "manifest.json", "comparison.json", "comparison.csv", "comparison.png", "comparison_predictions.csv",
        "report.html", "rnn", "gru",
    }  # fmt: skip
    fingerprints = {json.loads((out / k / "manifest.json").read_text())["data_fingerprint"] for k in ("rnn", "gru")}
    assert len(fingerprints) == 1  # the identical data snapshot
    report = json.loads((out / "comparison.json").read_text())
    kinds = {r["name"]: r["kind"] for r in report["rows"]}
    assert kinds == {"rnn": "rnn", "gru": "gru", "auto_ets": "competitor", "auto_arima": "competitor",
                     "auto_theta": "competitor", "naive": "baseline", "seasonal_naive": "baseline",
                     "drift": "baseline", "window_mean": "baseline"}  # fmt: skip
    rmses = [r["rmse"] for r in report["rows"]]
    assert rmses == sorted(rmses) and report["ranking"][0] == report["rows"][0]["name"]
    rnn = next(r for r in report["rows"] if r["name"] == "rnn")
    assert rnn["parameters"] > 0 and rnn["epochs"] == 2 and 0 <= rnn["dm_p"] <= 1
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["name"]) == report["ranking"]
    # The step-1 forecasts behind the ranking, and each RMSE against naive's with its paired verdict.
    side = pd.read_csv(out / "comparison_predictions.csv", index_col="date")
    assert list(side.columns) == [
        "actual", "auto_ets", "auto_arima", "auto_theta", "naive", "seasonal_naive", "drift", "window_mean",
        "rnn", "gru",
    ]  # fmt: skip
    for row in report["rows"]:
        errors = side[row["name"]] - side["actual"]
        assert ((errors**2).mean() ** 0.5) == pytest.approx(row["rmse"])
        assert row["vs_naive"] == pytest.approx(row["rmse"] / ((side["naive"] - side["actual"]) ** 2).mean() ** 0.5)
        if row["name"] != "naive":  # each row's verdict against naive is its run's, on the same p-value
            verdict = Verdict.model_validate(row["versus_naive"])
            assert verdict.p_value == row["dm_p"] and verdict.ratio == pytest.approx(row["vs_naive"])
    header = next(line for line in result.stdout.splitlines() if line.startswith("rank"))
    assert header.split() == ["rank", "RMSE", "MAE", "MASE", "skill", "DM", "p", "params", "train", "s", "epochs"]
    # Each model's verdicts, against naive and the best competitor, as its evaluation made them.
    for name in ("rnn", "gru"):
        row = next(r for r in report["rows"] if r["name"] == name)
        for key in ("versus_naive", "versus_competitor"):
            assert f"{name}: {Verdict.model_validate(row[key]).words}" in result.stdout
    best = next(r for r in report["rows"] if r["kind"] not in ("baseline", "competitor"))
    listed = json.loads(invoke("runs", "list", "--json").stdout)
    assert [(r["kind"], r["status"]) for r in listed] == [("compare", "complete")]
    assert listed[0]["model"] == f"best: {best['name']}"


def test_existing_runs_are_compared_without_retraining(invoke, tmp_path: Path) -> None:
    base = write_base(tmp_path)
    invoke("train", "--config", str(base))
    invoke("train", "--config", str(base), "--set", "model.kind=gru")
    first, second = sorted((tmp_path / "runs").iterdir())
    before = snapshot_tree(first) | {f"2/{k}": v for k, v in snapshot_tree(second).items()}
    result = invoke("compare", str(first), second.name, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {r["name"] for r in payload["rows"]} >= {first.name, second.name}
    after = snapshot_tree(first) | {f"2/{k}": v for k, v in snapshot_tree(second).items()}
    assert after == before  # nothing retrained or rewritten
    out = Path(payload["run"])
    assert not [p for p in out.iterdir() if p.is_dir()]  # no candidate trained inside the compare dir


def test_runs_on_different_data_are_refused_naming_what_differs(invoke, tmp_path: Path) -> None:
    base = write_base(tmp_path)
    invoke("train", "--config", str(base))
    invoke("train", "--config", str(base), "--set", "data.seed=2")
    first, second = sorted((tmp_path / "runs").iterdir())
    result = invoke("compare", str(first), str(second))
    assert result.exit_code == 65
    assert "data fingerprint differs" in result.stderr and "Traceback" not in result.output
    assert len(list((tmp_path / "runs").iterdir())) == 2  # refused before a compare dir was made


def test_configs_that_cannot_share_a_test_part_are_refused_before_training(invoke, tmp_path: Path) -> None:
    a = write_base(tmp_path, name="a.yaml")
    b = write_base(tmp_path, BASE.replace("test_fraction: 0.2", "test_fraction: 0.3"), name="b.yaml")
    result = invoke("compare", str(a), str(b))
    assert result.exit_code == 64 and "prep.test_fraction differs (0.3 vs 0.2)" in result.stderr
    c = write_base(tmp_path, BASE.replace("seed: 1", "seed: 5"), name="c.yaml")
    result = invoke("compare", str(a), str(c))
    assert result.exit_code == 64 and "data differs (seed: 5 vs 1)" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_shipped_config_names_and_unknown_candidates(invoke, tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "mine.yaml").write_text(BASE)
    result = invoke("compare", "mine", "nonsense")
    assert result.exit_code == 66 and "'nonsense'" in result.stderr
    assert invoke("compare", "rnn", "lstm").exit_code == 64  # no configs/rnn.yaml here and no --config
    assert invoke("compare", "mine").exit_code == 64  # one candidate is not a comparison


@pytest.mark.slow
def test_candidates_in_parallel_processes_give_the_serial_results_byte_for_byte(
    invoke, tmp_path: Path, monkeypatch
) -> None:
    """--workers 2 trains each candidate in a process of its own (one core each); the files that
    rank them are the same bytes as one after another in this process, and the workers leave
    nothing in the temporary folder (TensorFlow's autograph files: a killed worker left them)."""
    base = str(write_base(tmp_path))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    made = {}
    for workers in ("1", "2"):
        runs = tmp_path / f"runs-{workers}"
        with monkeypatch.context() as patch:
            if workers == "2":  # the parent, in this process, has nothing of its own there while it runs
                patch.setenv("TMPDIR", str(temporary))
                patch.setattr(tempfile, "tempdir", str(temporary))
            result = invoke("compare", "rnn", "gru", "--config", base, "--workers", workers, "--runs-dir", str(runs))
        assert result.exit_code == 0, result.output
        assert "rnn        train" in result.stderr and "gru        evaluate" in result.stderr  # each stage heard
        (made[workers],) = runs.iterdir()
    serial, parallel = made["1"], made["2"]
    for name in ("comparison_predictions.csv", "rnn/predictions.csv", "gru/predictions.csv", "gru/validation.npz"):
        assert (parallel / name).read_bytes() == (serial / name).read_bytes(), name
    elsewhere = ("train_seconds", "run")  # how long it took, and the folder it is in
    rows = [[{k: v for k, v in r.items() if k not in elsewhere} for r in json.loads((d / "comparison.json").read_text())
             ["rows"]] for d in (serial, parallel)]  # fmt: skip
    assert rows[0] == rows[1]
    assert list(temporary.iterdir()) == []


def test_a_bad_forecast_workers_is_refused_before_anything_is_made(invoke, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FORECAST_WORKERS", "two")
    result = invoke("compare", "rnn", "gru", "--config", str(write_base(tmp_path)))
    assert result.exit_code == 64 and "FORECAST_WORKERS='two' is not a whole number of processes" in result.stderr
    assert not (tmp_path / "runs").exists()
