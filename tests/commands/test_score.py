"""Live accuracy over simulated evenings on the bundled MSFT prices: each evening the fake
Yahoo answers with the next real bars, retrain keeps a champion and predict publishes its
forecast into the log; `forecast score` then joins the logged forecasts with the actuals that
arrived since and is checked against a hand computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .test_retrain import evening, retrain, sample_until, setup  # noqa: F401  (setup is a fixture)


def predict(invoke, *args: str) -> dict:
    result = invoke("predict", *args, "-n", "3", "--no-plot", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_published_forecasts_are_logged_and_scored_against_what_happened(
    invoke,
    setup: Path,
    tmp_path: Path,
    fake_yahoo,  # noqa: F811
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

    text = invoke("score", "msft")
    assert text.exit_code == 0 and "msft: 2 forecast(s) scored, 0 waiting for actuals" in text.stdout
    assert "all steps" in text.stdout and "live: the forecasts" in text.stdout


def test_forecasts_still_waiting_and_an_empty_log(invoke, setup: Path, tmp_path: Path, fake_yahoo) -> None:  # noqa: F811
    missing = invoke("score", "msft")
    assert missing.exit_code == 66 and "no forecasts logged for msft" in missing.stderr
    assert "forecast predict msft" in missing.stderr
    evening(fake_yahoo, "2012-12-21")
    retrain(invoke, setup)
    predict(invoke, "--model", "msft")
    waiting = json.loads(invoke("score", "--json").stdout)
    assert waiting == [{**waiting[0], "forecasts": 0, "pending": 1, "steps": []}]
