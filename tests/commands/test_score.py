"""Live accuracy over simulated evenings on the bundled MSFT prices: each evening the fake
Yahoo answers with the next real bars, retrain keeps a champion and predict publishes its
forecast into the log; `forecast score` then joins the logged forecasts with the actuals that
arrived since and is checked against a hand computation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import DataConfig
from forecast.data.sources import Fetched
from forecast.data.store import Cache
from forecast.scoring.verdict import Verdict

from ..conftest import snapshot_tree
from . import test_retrain
from .test_retrain import as_yahoo, evening, retrain, sample_until

setup = test_retrain.setup  # the fixture: a yahoo cache of real MSFT bars up to 2012-12-14, and the config


def predict(invoke, *args: str) -> dict:
    result = invoke("predict", *args, "-n", "3", "--no-plot", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_published_forecasts_are_logged_and_scored_against_what_happened(
    invoke,
    setup: Path,
    tmp_path: Path,
    fake_yahoo,
) -> None:
    evening(fake_yahoo, "2012-12-21")
    champion = retrain(invoke, setup)["run"]
    first = predict(invoke, "--model", "msft")  # from cron: the champion's forecast
    evening(fake_yahoo, "2012-12-28")
    retrain(invoke, setup, "--set", "retrain.min_improvement=0.99")  # kept: new bars, the same champion
    second = predict(invoke, "msft")  # by hand, by the model's name: its champion too
    evening(fake_yahoo, "2013-01-08")
    retrain(invoke, setup, "--set", "retrain.min_improvement=0.99")

    # Logged: one file per forecast, never rewritten, with what scoring needs.
    files = sorted((tmp_path / "runs" / "forecasts" / "msft").glob("*.parquet"))
    assert [f.name.split("_")[0] for f in files] == ["2012-12-21", "2012-12-28"]
    logged = pd.concat([pd.read_parquet(f) for f in files])
    assert set(logged["model_run"]) == {champion} and logged["champion"].all() and not logged["as_of"].any()
    assert list(logged["step"]) == [1, 2, 3, 1, 2, 3]

    result = invoke("score", "msft", "--json")
    assert result.exit_code == 0, result.output
    (scored,) = json.loads(result.stdout)
    assert scored["forecasts"] == 2 and scored["pending"] == 0 and scored["model_run"] == champion

    # By hand: the six forecast steps against the real closes, naive = the value at each origin.
    closes = sample_until("2013-01-08")["adj_close"]
    rows = []
    for made in (first, second):
        for step in made["forecast"]:
            actual = closes[pd.Timestamp(step["date"])]
            inside = step["lower_80"] <= actual <= step["upper_80"]
            rows.append((step["step"], step["forecast"] - actual, made["last_value"] - actual, inside))
    errors, naive = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    overall = scored["steps"][0]
    assert overall["step"] == "all" and overall["n"] == 6
    assert overall["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert overall["mae"] == pytest.approx(np.mean(np.abs(errors)))
    assert overall["naive_rmse"] == pytest.approx(np.sqrt(np.mean(naive**2)))
    assert overall["skill"] == pytest.approx(1 - overall["rmse"] / overall["naive_rmse"])
    assert overall["coverage_80"] == pytest.approx(np.mean([r[3] for r in rows]))
    step1 = next(s for s in scored["steps"] if s["step"] == 1)
    ones = errors[[i for i, r in enumerate(rows) if r[0] == 1]]
    assert step1["n"] == 2 and step1["rmse"] == pytest.approx(np.sqrt(np.mean(ones**2)))
    # Beside them, the champion's test-period figures.
    metrics = json.loads((Path(champion) / "metrics.json").read_text())
    assert overall["test"]["rmse"] == pytest.approx(metrics["metrics"]["model"]["rmse"])
    assert overall["test"]["coverage_80"] == pytest.approx(metrics["intervals"]["coverage"]["80"]["test"])

    # The figure, and a "Live accuracy" section in the champion's own report.
    folder = tmp_path / "runs" / "forecasts" / "msft"
    assert json.loads((folder / "live.json").read_text())["steps"] == scored["steps"]
    assert (folder / "live.png").read_bytes().startswith(b"\x89PNG")
    page = (Path(champion) / "report.html").read_text()
    assert "Live accuracy" in page and "2 published forecast(s) of this run scored" in page

    text = invoke("score", "msft")
    assert text.exit_code == 0 and "msft: 2 forecast(s) scored, 0 waiting for actuals" in text.stdout
    # The live verdict: step 1 against naive from the same origins, by the one rule (two pairs: no test).
    verdict = Verdict.model_validate(scored["verdict"])
    assert verdict.rmse == pytest.approx(step1["rmse"]) and verdict.p_value is None and verdict.outcome == "tie"
    assert "all steps" in text.stdout and f"live, step 1: {verdict.words}" in text.stdout
    assert verdict.words.startswith("the published msft forecast is no better than naive from the same origins")


def test_nothing_to_score_says_why_with_its_own_exit_code(invoke, setup: Path, tmp_path: Path, fake_yahoo) -> None:
    both = invoke("score", "msft", "--all")
    assert both.exit_code == 64 and "NAME or --all, not both" in both.stderr
    # Nothing logged.
    missing = invoke("score", "msft")
    assert missing.exit_code == 4 and "nothing to score: no forecasts logged for msft" in missing.stderr
    assert "forecast predict msft" in missing.stderr and "Traceback" not in missing.output
    evening(fake_yahoo, "2012-12-21")
    retrain(invoke, setup)
    # Logged, but only afterwards with --as-of: not live, scored only when asked.
    predict(invoke, "--model", "msft", "--as-of", "2012-12-14")
    afterwards = invoke("score", "msft")
    assert afterwards.exit_code == 4 and "were made afterwards with --as-of" in afterwards.stderr
    assert "--include-as-of" in afterwards.stderr
    assert invoke("score", "msft", "--include-as-of").exit_code == 0
    # A live forecast whose actuals are not in the data yet: nothing to score yet, and why.
    (tmp_path / "runs" / "forecasts").rename(tmp_path / "as-of-forecasts")
    predict(invoke, "--model", "msft")
    waiting = invoke("score", "--all", "--json")
    assert waiting.exit_code == 4 and waiting.stdout == ""
    assert "nothing to score yet: 1 forecast(s) logged, none of whose target dates is in the data" in waiting.stderr
    assert "the data ends 2012-12-21" in waiting.stderr


def drift_evenings(invoke, fake_yahoo, bars: pd.DataFrame, evenings: int) -> None:
    """`evenings` evenings after the champion's: Yahoo answers with the next bar of `bars`, and
    predict (from cron: --model, --refresh) publishes the champion's forecast from it."""
    first = bars.index.get_loc(bars.index[bars.index > pd.Timestamp("2012-12-21")][0])
    for i in range(evenings):
        fake_yahoo.responses = [as_yahoo(bars.iloc[first + i - 9 : first + i + 1])]
        predict(invoke, "--model", "msft", "--refresh")


@pytest.mark.slow  # 2 x 26 evenings of predict
def test_drift_is_signalled_when_the_series_changes_and_not_when_it_goes_on(
    invoke, setup: Path, tmp_path: Path, fake_yahoo, monkeypatch
) -> None:
    evening(fake_yahoo, "2012-12-21")
    # The champion publishes its combination (naive, as on the shipped configs): its bands are
    # calibrated on the calm days before, as a real champion's are.
    retrain(invoke, setup, "--set", "evaluate.combine=true")
    runs = tmp_path / "runs"
    # The real bars that followed: the live forecasts are as good as the test period's, no signal.
    real = sample_until("2013-03-01")
    drift_evenings(invoke, fake_yahoo, real, 26)
    calm = invoke("score", "msft", "--json")
    assert calm.exit_code == 0, calm.output
    (scored,) = json.loads(calm.stdout)
    # 3 steps each: tonight's forecast has no actual yet, the two before it not all of theirs.
    assert scored["forecasts"] == 25 and scored["pending"] == 3
    assert scored["drift"]["skill"]["n"] == 25 and scored["drift"]["drifted"] is False
    # So an evening's retrain --when-drifted trains nothing, and says why in the model's history.
    calm_retrain = retrain(invoke, setup, "--when-drifted")
    assert calm_retrain["decision"] == "not_drifted"
    assert "no drift in the champion's live forecasts" in calm_retrain["reason"]
    views = snapshot_tree(runs / "forecasts")
    shown = invoke("models", "show", "msft")
    assert snapshot_tree(runs / "forecasts") == views  # asking questions writes nothing; forecast score does
    assert "live RMSE" in shown.stdout and "from the same origins over 72 steps of 25 forecast(s)" in shown.stdout
    assert "not_drifted" in shown.stdout
    # The same champion on a series whose day-to-day moves become six times larger after
    # 2012-12-21 (a generated continuation): the bands calibrated on calm days stop holding.
    monkeypatch.setenv("FORECAST_RUNS_DIR", str(tmp_path / "runs-wild"))
    shutil.copytree(runs, tmp_path / "runs-wild", ignore=shutil.ignore_patterns("forecasts"))
    shutil.rmtree(tmp_path / "data" / "yahoo")  # the cache as it was the evening the champion was made
    Cache(tmp_path / "data").save(DataConfig(source="yahoo", symbol="MSFT"),
                                  Fetched(sample_until("2012-12-21"), ("adj_close",), "test"))  # fmt: skip
    wild = real.copy()
    after = wild.index > pd.Timestamp("2012-12-21")
    moves = np.exp(np.random.default_rng(7).normal(0, 0.08, after.sum()))  # 8% a day, MSFT moved about 1.3%
    scale = np.cumprod(moves) / (wild.loc[after, "adj_close"] / wild.loc[~after, "adj_close"].iloc[-1]).to_numpy()
    wild.loc[after, ["open", "high", "low", "close", "adj_close"]] *= scale[:, None]
    drift_evenings(invoke, fake_yahoo, wild, 26)
    result = invoke("score", "msft")
    assert result.exit_code == 3, result.output  # the documented signal cron can act on
    assert "drift: msft: live accuracy below what the test period makes plausible" in result.stderr
    assert "80% band: DRIFT: held" in result.stdout, result.stdout
    # ... and retrain --when-drifted does train a challenger then.
    trained = retrain(invoke, setup, "--when-drifted")
    assert trained["decision"] != "not_drifted" and (Path(trained["run"]) / "model.keras").is_file()
