"""`forecast retrain` and the model registry, simulated over several trading days: the
cache holds real sample MSFT prices up to a day, and each "evening" the fake Yahoo
answers with the next real bars. Promotions, keeps, up-to-date skips, pruning,
rollback, the lock between concurrent retrains, and SIGKILL in the middle of training."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forecast.config import DataConfig, RetrainConfig
from forecast.data.sources import Fetched
from forecast.data.store import Cache
from forecast.registry.rules import decide
from forecast.scoring.verdict import judge

from ..conftest import snapshot_tree

CONFIG = """\
name: msft
data: {source: yahoo, symbol: MSFT, start: 2011-06-01, end: 2013-03-02}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25, target_transform: log_return}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 2, batch_size: 64, patience: 0, seed: 3}
retrain: {require_beats_naive: false, keep_runs: 1}
plot: {enabled: false}
"""
FIRST_DAY = "2012-12-14"  # what the cache holds before the first evening


def sample_msft() -> pd.DataFrame:
    from forecast.data.sources import fetch

    return fetch(DataConfig(source="sample", symbol="MSFT")).frame


def as_yahoo(frame: pd.DataFrame) -> pd.DataFrame:
    """Bars in the shape yfinance 1.x returns: tz-aware 'Date' index, title-case columns."""
    out = frame.rename(columns={"adj_close": "Adj Close"}).rename(columns=str.title)
    out.index = pd.DatetimeIndex(out.index, name="Date").tz_localize("America/New_York")
    return out


def sample_until(day: str) -> pd.DataFrame:
    frame = sample_msft()
    return frame[frame.index <= pd.Timestamp(day)]


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    """A yahoo cache holding real MSFT bars up to FIRST_DAY, and the config."""
    Cache(tmp_path / "data").save(
        DataConfig(source="yahoo", symbol="MSFT"), Fetched(sample_until(FIRST_DAY), ("adj_close",), "test")
    )
    (tmp_path / "msft.yaml").write_text(CONFIG)
    return tmp_path / "msft.yaml"


def evening(fake_yahoo, day: str) -> None:
    """What Yahoo answers tonight: the last two weeks of real bars up to `day`."""
    bars = sample_until(day)
    fake_yahoo.responses = [as_yahoo(bars.iloc[-10:])]


def retrain(invoke, config: Path, *args: str) -> dict:
    result = invoke("retrain", "--config", str(config), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def champion(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "models" / "msft" / "champion.json").read_text())


def holdout(rmse: float, p: float | None, naive: float = 1.0) -> dict:
    verdict = judge("lstm", rmse, "naive", naive, p, "the naive forecast (tomorrow = today)")
    return {"rmse": rmse, "naive_rmse": naive, "verdict": verdict.model_dump(mode="json")}


def test_decisions_follow_the_rules() -> None:
    rules = RetrainConfig(min_improvement=0.02)
    good, bad = holdout(0.9, 0.01), holdout(1.1, 0.01)
    assert decide(good, None, rules)[0] == "promoted"
    assert decide(bad, None, rules) == (
        "rejected",
        "on the holdout the lstm is WORSE than the naive forecast (tomorrow = today): RMSE 1.1 vs 1, 10.0% higher "
        "(DM p 0.0100, significant); no champion yet",
    )
    # One rule: lower RMSE without a significant difference is no better than naive, and is not promoted.
    noise = decide(holdout(0.97, 0.30), None, rules)
    assert noise[0] == "rejected" and "is no better than the naive forecast" in noise[1]
    tie = decide(holdout(1.0, None), None, rules)  # a combination that fell back on naive
    assert tie[0] == "rejected" and "the lstm is the naive forecast (tomorrow = today) itself" in tie[1]
    # A record written before verdicts were stored: judged from its RMSEs, with no test, a tie at best.
    assert decide({"rmse": 0.9, "naive_rmse": 1.0}, None, rules)[0] == "rejected"
    assert decide(good, {"rmse": 0.95}, rules)[0] == "promoted"  # 5.3% better, 2% needed
    assert decide(good, {"rmse": 0.91}, rules)[0] == "kept"  # 1.1% better: not enough
    assert decide(good, {"rmse": 0.85}, rules)[0] == "kept"  # worse than the champion
    assert decide(bad, {"rmse": 2.0}, rules)[0] == "rejected"  # better than the champion, worse than naive
    lax = RetrainConfig(require_beats_naive=False, min_improvement=0)
    assert decide(bad, None, lax)[0] == "promoted" and "WORSE than the naive" in decide(bad, None, lax)[1]
    assert "promoted because retrain.require_beats_naive is false" in decide(bad, None, lax)[1]
    assert decide(good, {"rmse": 0.9}, lax)[0] == "kept"  # a tie never replaces the champion
    assert decide(good, {"rmse": None, "error": "pruned"}, lax)[0] == "promoted"


def test_several_evenings_promote_keep_skip_prune_and_roll_back(
    invoke, setup: Path, tmp_path: Path, fake_yahoo
) -> None:
    cache = tmp_path / "data" / "yahoo" / "MSFT_1d.parquet"
    # Evening 1: new bars; the first model is promoted (require_beats_naive is off here).
    evening(fake_yahoo, "2012-12-21")
    first = retrain(invoke, setup)
    assert first["decision"] == "promoted" and first["data_end"] == "2012-12-21"
    assert fake_yahoo.calls[-1]["start"] == "2012-12-07"  # only recent bars are asked for
    run1 = first["run"]
    assert champion(tmp_path)["run"] == run1 and champion(tmp_path)["previous"] == []
    rows = len(pd.read_parquet(cache))
    # The same evening again: nothing new, nothing trained.
    before = sorted(p.name for p in (tmp_path / "runs").iterdir())
    skipped = retrain(invoke, setup)
    assert skipped["decision"] == "up_to_date" and "2012-12-21" in skipped["reason"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == before
    # Evening 2: a challenger that must be 99% better cannot be: the champion stays, byte for byte.
    kept_champion = (tmp_path / "models" / "msft" / "champion.json").read_bytes()
    evening(fake_yahoo, "2012-12-28")
    second = retrain(invoke, setup, "--set", "retrain.min_improvement=0.99")
    assert second["decision"] == "kept"
    assert (tmp_path / "models" / "msft" / "champion.json").read_bytes() == kept_champion
    # Both models were scored on the same holdout, after what either was fitted on.
    assert second["champion"]["run"] == run1 and second["champion"]["windows"] == second["challenger"]["windows"]
    assert second["champion"]["naive_rmse"] == pytest.approx(second["challenger"]["naive_rmse"])
    fitted = json.loads((Path(run1) / "encoding.json").read_text())["fitted_on"]["last"]
    assert second["holdout"]["first"] > fitted
    assert len(pd.read_parquet(cache)) > rows  # the cache grew, never shrank
    # Evening 3: kept again; keep_runs 1 prunes the evening-2 run, never the champion.
    evening(fake_yahoo, "2013-01-08")
    third = retrain(invoke, setup, "--set", "retrain.min_improvement=0.99")
    assert third["decision"] == "kept" and third["pruned"] == [second["run"]]
    assert not Path(second["run"]).exists() and Path(run1).is_dir() and Path(third["run"]).is_dir()
    # By hand: promote the newest run, then roll back to the first.
    promoted = invoke("models", "promote", "msft", third["run"])
    assert promoted.exit_code == 0, promoted.output
    assert champion(tmp_path)["run"] == third["run"] and champion(tmp_path)["previous"][0]["run"] == run1
    rolled = invoke("models", "rollback", "msft")
    assert rolled.exit_code == 0 and champion(tmp_path)["run"] == run1
    # predict --model serves the champion.
    out = invoke("predict", "--model", "msft", "--json", "-n", "2")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["run"] == run1
    # ... and so does the model's bare name, though newer msft runs exist, saying why.
    named = invoke("predict", "msft", "--json", "-n", "2")
    assert named.exit_code == 0 and json.loads(named.stdout)["run"] == run1
    assert f"msft: {run1}, the champion of model msft (promoted by retrain " in named.stderr
    # Every outcome is in the history, in order.
    decisions = [
        r["decision"] for r in map(json.loads, (tmp_path / "models/msft/history.jsonl").read_text().splitlines())
    ]
    assert [d for d in decisions if d != "started"] == [
        "promoted",
        "up_to_date",
        "kept",
        "kept",
        "promoted",
        "rolled_back",
    ]
    listed = invoke("models", "list", "--json")
    assert json.loads(listed.stdout)[0]["champion"] == run1


def test_a_model_worse_than_naive_is_never_the_first_champion(invoke, setup: Path, tmp_path: Path, fake_yahoo) -> None:
    evening(fake_yahoo, "2012-12-21")
    # Two epochs of a 4-unit LSTM on prices: far worse than "tomorrow = today".
    outcome = retrain(invoke, setup, "--set", "retrain.require_beats_naive=true", "--set", "prep.target_transform=none")
    assert outcome["decision"] == "rejected" and "is WORSE than the naive forecast" in outcome["reason"]
    assert outcome["challenger"]["rmse"] > outcome["challenger"]["naive_rmse"]
    assert not (tmp_path / "models" / "msft" / "champion.json").exists()
    result = invoke("predict", "--model", "msft")
    assert result.exit_code == 66 and "has no champion yet" in result.stderr
    # The rejected challenger is never what the bare name means ...
    refused = invoke("predict", "msft")
    assert refused.exit_code == 66 and "(retrain challenger, complete)" in refused.stderr
    # ... the run the user trained is, even when a challenger is newer.
    trained = invoke("train", "--config", str(setup), "--set", "data.end=2012-12-21", "--json")
    assert trained.exit_code == 0, trained.output
    first = json.loads(trained.stdout)["run"]
    evening(fake_yahoo, "2012-12-28")
    retrain(invoke, setup, "--set", "retrain.require_beats_naive=true", "--set", "prep.target_transform=none")
    out = invoke("predict", "msft", "--json", "-n", "2")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["run"] == first and "the newest complete run made by forecast train" in out.stderr


def test_a_source_failure_exits_75_and_changes_nothing(invoke, setup: Path, tmp_path: Path, fake_yahoo) -> None:
    before = snapshot_tree(tmp_path / "data")
    fake_yahoo.responses = [ConnectionError("network is unreachable")]
    result = invoke("retrain", "--config", str(setup))
    assert result.exit_code == 75 and "the cache is unchanged" in result.stderr
    lines = result.stderr.strip().splitlines()  # retry warnings, then one error line
    assert [line for line in lines if not line.startswith("warning: ")] == [lines[-1]]
    assert lines[-1].startswith("error: ") and "Traceback" not in result.stderr
    assert snapshot_tree(tmp_path / "data") == before
    assert not (tmp_path / "runs").exists()
    (record,) = [json.loads(line) for line in (tmp_path / "models/msft/history.jsonl").read_text().splitlines()]
    assert record["decision"] == "failed" and "fetch failed" in record["reason"]


# --- real processes: the lock and SIGKILL --------------------------------------------


def child(tmp_path: Path, *args: str) -> subprocess.Popen:
    """`forecast ARGS` in a new process, its Yahoo answered from fake.parquet."""
    env = {**os.environ, "FAKE_YAHOO_FRAME": str(tmp_path / "fake.parquet"),
           "FORECAST_DATA_DIR": str(tmp_path / "data"), "FORECAST_RUNS_DIR": str(tmp_path / "runs"),
           "FORECAST_MODELS_DIR": str(tmp_path / "models")}  # fmt: skip
    script = Path(__file__).parents[1] / "fake_yahoo_cli.py"
    return subprocess.Popen([sys.executable, str(script), *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def training_started(tmp_path: Path) -> bool:
    for manifest in (tmp_path / "runs").glob("*/manifest.json"):
        try:
            if json.loads(manifest.read_text())["stages"]["train"]["status"] == "running":
                return True
        except (ValueError, KeyError, OSError):
            continue
    return False


@pytest.mark.slow
def test_of_two_concurrent_retrains_exactly_one_trains(invoke, setup: Path, tmp_path: Path, fake_yahoo) -> None:
    as_yahoo(sample_until("2012-12-21").iloc[-10:]).to_parquet(tmp_path / "fake.parquet")
    evening(fake_yahoo, "2012-12-21")
    first = child(tmp_path, "retrain", "--config", str(setup))
    wait_for(lambda: training_started(tmp_path))  # the first holds the lock now
    # Paused, it keeps holding it while the second (this process) tries: no race with a training
    # made long enough, and no long training to wait for afterwards.
    first.send_signal(signal.SIGSTOP)
    try:
        second = invoke("retrain", "--config", str(setup))
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.exit_code == 75, second.output
    assert second.stderr.strip().splitlines()[-1].startswith("error: a retrain of msft is already running (pid ")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert out.startswith("msft: promoted: first model")
    assert len(list((tmp_path / "runs").iterdir())) == 1


@pytest.mark.slow
def test_sigkill_during_training_leaves_champion_and_cache_and_the_next_retrain_works(
    invoke, setup: Path, tmp_path: Path, fake_yahoo
) -> None:
    evening(fake_yahoo, "2012-12-21")  # the first champion, made here: no process boundary to test yet
    assert retrain(invoke, setup)["decision"] == "promoted"
    champion_before = (tmp_path / "models" / "msft" / "champion.json").read_bytes()
    as_yahoo(sample_until("2012-12-28").iloc[-10:]).to_parquet(tmp_path / "fake.parquet")
    victim = child(tmp_path, "retrain", "--config", str(setup), "--set", "train.epochs=500")
    wait_for(lambda: len(list((tmp_path / "runs").iterdir())) == 2 and training_started(tmp_path))
    # The cache was refreshed before training: that write is complete, atomic, and kept.
    cache_after_refresh = snapshot_tree(tmp_path / "data")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    champion_file = tmp_path / "models" / "msft" / "champion.json"
    assert champion_file.read_bytes() == champion_before
    assert snapshot_tree(tmp_path / "data") == cache_after_refresh
    assert len(pd.read_parquet(tmp_path / "data/yahoo/MSFT_1d.parquet")) > 0
    # The lock died with the process: the next retrain runs, and trains on the new bars. It runs
    # here: what is tested is what the killed process left, and this spares a TensorFlow import.
    evening(fake_yahoo, "2012-12-28")
    after = invoke("retrain", "--config", str(setup))
    assert after.exit_code == 0, after.output
    out = after.stdout
    # It trained on the new bars and decided by the rules on the holdout scores it recorded.
    record = json.loads((tmp_path / "models/msft/history.jsonl").read_text().splitlines()[-1])
    assert record["data_end"] == "2012-12-28"
    rules = RetrainConfig(require_beats_naive=False, keep_runs=1)  # the setup config's
    expected, _ = decide(record["challenger"], record["champion"], rules)
    assert record["decision"] == expected and out.startswith(f"msft: {expected}: ")


# --- schedule ------------------------------------------------------------------------


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `crontab` on PATH that keeps the table in a file, as `crontab -l` / `crontab -` do."""
    table, bin_dir = tmp_path / "crontab.txt", tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "crontab"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-l" ]; then [ -f {table} ] || {{ echo "no crontab for user" >&2; exit 1; }}; cat {table}; '
        f'elif [ "$1" = "-" ]; then cat > {table}; else exit 2; fi\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return table


def test_schedule_prints_an_absolute_crontab_line(invoke, setup: Path, tmp_path: Path) -> None:
    result = invoke("schedule", "--config", str(setup), "--cron", "30 22 * * 1-5")
    assert result.exit_code == 0, result.output
    line, weekly = result.stdout.strip().splitlines()
    log = tmp_path / "logs" / "retrain-msft.log"
    assert line.startswith("30 22 * * 1-5 FORECAST_DATA_DIR=" + str(tmp_path / "data"))
    # The evening pair: retrain, then the champion's forecast into the forecast log, whatever retrain decided.
    assert f"{sys.executable} -m forecast retrain --config {setup} >> {log} 2>&1; FORECAST_DATA_DIR=" in line
    assert f"{sys.executable} -m forecast predict --model msft --no-plot >> {log} 2>&1 # forecast-retrain:msft" in line
    assert line.count(f"FORECAST_MODELS_DIR={tmp_path / 'models'} ") == 2  # each command has the roots
    # The weekly check: forecast score, which exits 3 on drift.
    assert weekly.startswith("0 8 * * 1 FORECAST_DATA_DIR=")
    assert weekly.endswith(f"{sys.executable} -m forecast score msft >> {log} 2>&1 # forecast-score:msft")
    alone = invoke("schedule", "--config", str(setup), "--retrain-only", "--score-cron", "none")
    assert alone.stdout.strip().splitlines() == [line.split("; ")[0] + " # forecast-retrain:msft"]
    # Printing changes nothing: the logs folder is not made, and the line's need of it is said.
    assert not (tmp_path / "logs").exists()
    assert f"{tmp_path / 'logs'} does not exist yet: create it (mkdir -p {tmp_path / 'logs'})" in result.stderr
    bad = invoke("schedule", "--config", str(setup), "--cron", "every evening")
    assert bad.exit_code == 64 and "is not five cron fields" in bad.stderr


def test_schedule_install_adds_the_line_once_and_replaces_an_older_schedule(
    invoke, setup: Path, fake_crontab: Path
) -> None:
    fake_crontab.write_text("0 1 * * * /usr/bin/backup\n")
    for _ in range(2):
        assert invoke("schedule", "--config", str(setup), "--install").exit_code == 0
    assert (setup.parent / "logs").is_dir()  # installed: cron's first evening has its folder
    lines = fake_crontab.read_text().splitlines()
    assert lines[0] == "0 1 * * * /usr/bin/backup" and len(lines) == 3 and lines[1].startswith("30 22 * * 1-5 ")
    assert lines[2].startswith("0 8 * * 1 ") and lines[2].endswith("# forecast-score:msft")
    again = invoke("schedule", "--config", str(setup), "--install")
    assert again.stdout.startswith("already installed: ")
    moved = invoke("schedule", "--config", str(setup), "--install", "--cron", "0 23 * * 1-5")
    assert moved.stdout.startswith("installed: ")
    lines = fake_crontab.read_text().splitlines()
    assert len(lines) == 3 and sum(line.startswith("0 23 * * 1-5 ") for line in lines) == 1


def test_a_stale_answer_from_yahoo_fails_the_evening_and_leaves_the_cache_as_it_was(
    invoke, setup: Path, fake_yahoo
) -> None:
    """Yahoo answers with bars that end a week before the cache does: a stale answer. The
    retrain exits 75 for cron, the cache is byte for byte as it was (sidecar included), and
    the registry's history says why the evening failed."""
    cache = setup.parent / "data"
    before = snapshot_tree(cache)
    fake_yahoo.responses = [as_yahoo(sample_until("2012-12-07").iloc[-10:])]
    result = invoke("retrain", "--config", str(setup))
    assert result.exit_code == 75, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert "ends 2012-12-07, before the cache's last bar 2012-12-14" in line and "stale answer" in line, line
    assert snapshot_tree(cache) == before
    history = (setup.parent / "models" / "msft" / "history.jsonl").read_text().splitlines()
    assert json.loads(history[-1])["decision"] == "failed" and "stale answer" in json.loads(history[-1])["reason"]


def test_the_retrain_log_is_stamped_in_utc_whatever_tz_says(
    invoke, setup: Path, tmp_path: Path, fake_yahoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cron runs with the machine's TZ; the retrain log, the manifest and the registry's
    history must still agree on when things happened."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9: a local stamp would be 9 hours off
    time.tzset()
    try:
        evening(fake_yahoo, "2012-12-21")
        outcome = retrain(invoke, setup)
    finally:
        monkeypatch.undo()
        time.tzset()
    run = Path(outcome["run"])
    created = pd.Timestamp(json.loads((run / "manifest.json").read_text())["created"])
    assert created.tzinfo is not None and created.utcoffset() == pd.Timedelta(0)
    lines = (run / "retrain.log").read_text().splitlines()
    stamps = [pd.Timestamp(line.split(" ", 1)[0]) for line in lines if line[:4].isdigit()]
    assert stamps and all(s.utcoffset() == pd.Timedelta(0) for s in stamps)
    assert abs(stamps[0] - created) < pd.Timedelta(minutes=5)  # the same clock, not 9 hours apart
    history = (tmp_path / "models" / "msft" / "history.jsonl").read_text().splitlines()
    assert all(pd.Timestamp(json.loads(line)["time"]).utcoffset() == pd.Timedelta(0) for line in history)
