"""Universes: one config, one run (and one registry entry) per symbol, in this process,
in parallel processes or on a local Ray instance; and one global model pooled from all."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from forecast.config import build_config
from forecast.config.universe import member_configs, member_name, read_symbols, run_name
from forecast.errors import ConfigError

from ..conftest import snapshot_tree

UNIVERSE = """\
name: uni
data: {source: synthetic, points: 300, seed: 3, target: value, symbols: [AAA, BBB]}
prep: {lookback: 6, test_fraction: 0.2, val_fraction: 0.2}
model: {kind: gru, units: [4], dense: []}
train: {epochs: 2, batch_size: 32, patience: 0, seed: 7}
plot: {enabled: false}
"""


@pytest.fixture
def universe(tmp_path: Path) -> Path:
    path = tmp_path / "uni.yaml"
    path.write_text(UNIVERSE)
    return path


def train_json(invoke, config: Path, *args: str) -> dict:
    result = invoke("train", "--config", str(config), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_symbol(rows: list[dict]) -> dict[str, dict]:
    return {r["symbol"]: r for r in rows}


# --- members ---------------------------------------------------------------------------


def test_each_symbol_becomes_a_valid_config_of_its_own() -> None:
    raw = {"name": "uni", "data": {"source": "synthetic", "symbols": ["aaa", "^GSPC", "EURUSD=X"], "seed": 5}}
    members = member_configs(build_config(raw))
    assert [m.name for m in members] == ["uni-AAA", "uni-_GSPC", "uni-EURUSD_X"]  # run names allow no ^ or =
    assert [m.data.symbol for m in members] == ["AAA", "^GSPC", "EURUSD=X"]
    assert [m.data.seed for m in members] == [5, 6, 7]  # synthetic members are distinct series
    assert all(not m.data.universe for m in members)
    glob = member_configs(build_config({**raw, "model": {"scope": "global"}}))
    assert glob[0].name == "uni-global-AAA" and glob[0].model.scope == "global"
    assert member_name("x" * 60, "ABCDEFGH") == ("x" * 60 + "-ABC")  # within the 64 characters of a run name
    # A member's run is named by its config alone: the name says the series already.
    assert [run_name(m) for m in members] == ["uni-AAA", "uni-_GSPC", "uni-EURUSD_X"]


@pytest.mark.parametrize(
    ("name", "symbol", "run"),
    [("lstm", "MSFT", "lstm-MSFT"), ("lstm", "^GSPC", "lstm-_GSPC"), ("unemployment", "UNEMPLOYMENT", "unemployment"),
     ("co2-lstm", "CO2", "co2-lstm-CO2"), ("lstm-co2", "CO2", "lstm-co2")],
)  # fmt: skip
def test_a_training_run_is_named_by_its_config_and_its_series(name: str, symbol: str, run: str) -> None:
    assert run_name(build_config({"name": name, "data": {"source": "sample", "symbol": symbol}})) == run


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"source": "sample", "symbols": ["MSFT", "msft"]}, "symbol(s) MSFT listed more than once"),
        ({"source": "sample", "symbols": ["MSFT", "../x"]}, "may hold only letters"),
        ({"source": "sample", "symbols": []}, "at least 1"),
        ({"source": "sample", "symbol": "MSFT", "symbols": ["IBM"]}, "one of symbol, symbols or symbols_file"),
        ({"source": "csv", "path": "x.csv", "symbols": ["IBM"]}, "source csv is one series"),
    ],
)
def test_bad_universes_are_refused_naming_the_key(data: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match="data") as caught:
        build_config({"data": data})
    assert fragment in caught.value.message


def test_a_symbols_file_is_read_with_comments_and_its_errors_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "tickers.txt"
    good.write_text("# big tech\nMSFT, aapl\n\nIBM  # blue\n")
    assert read_symbols(good) == ["MSFT", "AAPL", "IBM"]
    bad = tmp_path / "bad.txt"
    bad.write_text("MSFT\nIBM\nrm -rf;\n")
    with pytest.raises(ConfigError, match=r"bad.txt line 3: symbol '-rf;' may hold only letters"):
        read_symbols(bad)
    (tmp_path / "dup.txt").write_text("MSFT\nmsft\n")
    with pytest.raises(ConfigError, match="line 2: MSFT is listed twice"):
        read_symbols(tmp_path / "dup.txt")


def test_a_symbols_file_is_found_relative_to_its_config(invoke, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "symbols.txt").write_text("AAA\n")
    config = tmp_path / "sub" / "uni.yaml"
    config.write_text(UNIVERSE.replace("symbols: [AAA, BBB]", "symbols_file: symbols.txt"))
    rows = train_json(invoke, config, "--workers", "1")["rows"]
    assert [r["symbol"] for r in rows] == ["AAA"] and rows[0]["status"] == "done"


# --- fan-out -------------------------------------------------------------------------


def test_a_universe_trains_one_ordinary_run_per_symbol(invoke, universe: Path, tmp_path: Path) -> None:
    result = invoke("train", "--config", str(universe), "--workers", "1")
    assert result.exit_code == 0, result.output
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert [r.rsplit("-", 1)[0] for r in runs] == ["uni-AAA", "uni-BBB"]
    for run in runs:  # each is a complete run of its own symbol
        manifest = json.loads((tmp_path / "runs" / run / "manifest.json").read_text())
        metrics = json.loads((tmp_path / "runs" / run / "metrics.json").read_text())
        assert manifest["status"] == "complete" and metrics["symbol"] == run.split("-")[1]
    assert "AAA" in result.stdout and "BBB" in result.stdout and "naive RMSE" in result.stdout
    predicted = invoke("predict", "uni-AAA", "--horizon", "2")
    assert predicted.exit_code == 0, predicted.output


def test_one_failing_symbol_is_named_and_the_others_finish(invoke, tmp_path: Path) -> None:
    config = tmp_path / "mixed.yaml"
    config.write_text(UNIVERSE.replace("source: synthetic, points: 300, seed: 3, target: value, symbols: [AAA, BBB]",
                                       "source: sample, start: 2012-01-01, symbols: [NOPE, MSFT]"))  # fmt: skip
    result = invoke("train", "--config", str(config), "--workers", "1", "--json")
    assert result.exit_code == 66, result.output  # the failure's own exit code (missing input)
    rows = by_symbol(json.loads(result.stdout)["rows"])
    assert rows["MSFT"]["status"] == "done" and rows["NOPE"]["status"] == "failed"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: NOPE:") and "Traceback" not in result.output
    assert "1 of 2 symbols failed" in result.stderr


@pytest.mark.slow
def test_local_processes_and_a_local_ray_instance_give_identical_runs(invoke, universe: Path, monkeypatch) -> None:
    """Every executor runs the same job with the same threads per job, so the runs are the same.
    The workers of a private Ray instance leave nothing in the temporary folder (TensorFlow's
    autograph files: Ray kills its workers as it shuts down)."""
    local = by_symbol(train_json(invoke, universe, "--workers", "2")["rows"])
    # A short path: Ray puts its sockets under TMPDIR, and a socket's path has at most 107 bytes.
    temporary = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))
    with monkeypatch.context() as patch:  # the parent, in this process, has nothing of its own there
        patch.setenv("TMPDIR", str(temporary))
        patch.setattr(tempfile, "tempdir", str(temporary))
        on_ray = by_symbol(train_json(invoke, universe, "--workers", "2", "--executor", "ray")["rows"])
    left = [path.name for path in temporary.rglob("*") if not path.is_relative_to(temporary / "ray")]
    shutil.rmtree(temporary)
    assert left == []  # Ray's own session folder (temporary/ray) aside
    assert set(local) == set(on_ray) == {"AAA", "BBB"}
    for symbol in local:
        assert local[symbol]["status"] == on_ray[symbol]["status"] == "done"
        assert local[symbol]["run"] != on_ray[symbol]["run"]
        assert local[symbol]["rmse"] == on_ray[symbol]["rmse"]  # exactly: deterministic ops, same seed
        assert local[symbol]["test"] == on_ray[symbol]["test"]
        predictions = [Path(r[symbol]["run"], "predictions.csv").read_bytes() for r in (local, on_ray)]
        assert predictions[0] == predictions[1]
    assert local["AAA"]["rmse"] != local["BBB"]["rmse"]  # two different series, not one twice


def test_a_universe_retrains_one_registry_entry_per_symbol(invoke, universe: Path, tmp_path: Path) -> None:
    first = invoke("retrain", "--config", str(universe), "--workers", "1", "--json")
    assert first.exit_code == 0, first.output
    rows = by_symbol(json.loads(first.stdout)["rows"])
    assert {r["name"] for r in rows.values()} == {"uni-AAA", "uni-BBB"}
    for name in ("uni-AAA", "uni-BBB"):
        history = (tmp_path / "models" / name / "history.jsonl").read_text().splitlines()
        assert json.loads(history[-1])["decision"] in ("promoted", "rejected")
    again = invoke("retrain", "--config", str(universe), "--workers", "1")
    assert again.exit_code == 0, again.output
    lines = again.stdout.strip().splitlines()
    assert len(lines) == 2 and all("up to date" in line for line in lines)  # one line per symbol for cron


# --- global model ------------------------------------------------------------------


def test_a_global_model_is_trained_once_and_compared_with_per_symbol_models(
    invoke, universe: Path, tmp_path: Path
) -> None:
    per_symbol = by_symbol(train_json(invoke, universe, "--workers", "1")["rows"])
    pooled = train_json(invoke, universe, "--set", "model.scope=global")
    rows = by_symbol(pooled["rows"])
    (index,) = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("uni-global-2")]
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["kind"] == "global" and manifest["status"] == "complete"
    assert manifest["train"]["windows"] == sum(  # pooled: every member's training windows
        json.loads(Path(r["run"], "manifest.json").read_text())["stages"]["split"]["info"]["train"]
        for r in rows.values()
    )
    for symbol, row in rows.items():
        assert Path(row["run"]).name.startswith(f"uni-global-{symbol}-")
        assert Path(row["run"], "model.keras").read_bytes() == (index / "model.keras").read_bytes()
        assert row["test"] == per_symbol[symbol]["test"]  # the same test windows as the per-symbol model
        assert row["per_symbol"]["rmse"] == per_symbol[symbol]["rmse"]
        assert row["rmse"] != per_symbol[symbol]["rmse"]
    universe_json = json.loads((index / "universe.json").read_text())
    assert [r["symbol"] for r in universe_json["rows"]] == ["AAA", "BBB"]

    member = Path(rows["AAA"]["run"])
    before = snapshot_tree(member)
    refused = invoke("train", "--run-dir", str(member), "--force")
    assert refused.exit_code == 64 and "one symbol of a global model" in refused.stderr
    assert snapshot_tree(member) == before
    assert invoke("predict", str(member), "--horizon", "2").exit_code == 0


def test_single_series_commands_refuse_a_universe(invoke, universe: Path) -> None:
    result = invoke("backtest", "--config", str(universe))
    assert result.exit_code == 78 and "names a universe" in result.stderr
    alone = invoke("train", "--config", str(universe), "--set", "data.symbols=null", "--set", "data.symbol=AAA",
                   "--set", "model.scope=global")  # fmt: skip
    assert alone.exit_code == 64 and "needs a universe" in alone.stderr


def test_the_shipped_universe_config_names_the_four_bundled_stocks() -> None:
    from forecast.config import load_config

    config = load_config(Path(__file__).parents[2] / "configs" / "examples" / "universe.yaml")
    members = member_configs(config)
    assert [m.name for m in members] == ["universe-MSFT", "universe-AAPL", "universe-IBM", "universe-GOOG"]
    assert all(m.data.source == "sample" and m.model.scope == "symbol" for m in members)
