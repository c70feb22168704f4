"""Target transforms: exact round trips, and the whole chain back to levels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import load_config
from forecast.network.inputs import part
from forecast.pipeline import stages
from forecast.pipeline.stages import Context
from forecast.prepare.transforms import continue_forward, first_row, forward, inverse
from forecast.rundir import RunDir, artifacts

LEVELS = np.array([100.0, 101.5, 99.0, 103.0, 104.25, 102.0, 107.0])


@pytest.mark.parametrize("kind", ["none", "diff", "log_return", "pct_change"])
@pytest.mark.parametrize("output_steps", [1, 3])
def test_forward_then_inverse_recovers_the_levels(kind: str, output_steps: int) -> None:
    z = forward(LEVELS, kind)
    starts = np.arange(1, len(LEVELS) - output_steps + 1)
    rows = starts[:, None] + np.arange(output_steps)[None, :]
    levels = inverse(z[rows], LEVELS[starts - 1], kind)
    assert np.allclose(levels, LEVELS[rows], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("kind", "first"), [("seasonal_diff", 3), ("diff_seasonal_diff", 4)])
@pytest.mark.parametrize("output_steps", [1, 3, 8])
def test_a_seasonal_difference_inverts_exactly_beyond_one_season(kind: str, first: int, output_steps: int) -> None:
    # Season 3, forecasts up to 8 steps: steps past the season continue from the forecasts before them.
    rng = np.random.default_rng(1)
    levels = np.cumsum(rng.normal(size=40)) + np.tile([5.0, -2.0, 1.0], 14)[:40]
    z = forward(levels, kind, 3)
    assert first_row(kind, 3) == first and np.isnan(z[:first]).all() and np.isfinite(z[first:]).all()
    starts = np.arange(first, len(levels) - output_steps + 1)
    rows = starts[:, None] + np.arange(output_steps)[None, :]
    past = levels[starts[:, None] + np.arange(-first, 0)[None, :]]
    assert np.allclose(inverse(z[rows], past, kind, 3), levels[rows], rtol=0, atol=1e-9)
    assert np.allclose(continue_forward(levels[rows], past, kind, 3), z[rows], rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="needs the last"):
        inverse(z[rows], past[:, 1:], kind, 3)


@pytest.mark.parametrize("season", [None, 1])
def test_a_seasonal_difference_needs_a_season(season) -> None:
    with pytest.raises(ValueError, match="needs a season of 2 or more rows"):
        forward(LEVELS, "seasonal_diff", season)


def test_returns_need_positive_values() -> None:
    with pytest.raises(ValueError, match="positive"):
        forward(np.array([1.0, 0.0, 2.0]), "log_return")
    assert np.isnan(forward(LEVELS, "diff")[0])


@pytest.mark.parametrize(
    ("kind", "normalize"),
    [
        ("none", "series"), ("diff", "series"), ("log_return", "series"), ("pct_change", "series"),
        ("none", "window"), ("seasonal_diff", "series"), ("diff_seasonal_diff", "series"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("output_steps", [1, 3])
def test_a_perfect_model_is_scored_as_perfect_in_price_units(
    kind, normalize, output_steps, tmp_path: Path, monkeypatch
) -> None:
    # A trending series that leaves the training range: the case levels models cannot reach.
    rng = np.random.default_rng(0)
    close = 50 * np.exp(np.cumsum(0.002 + 0.01 * rng.standard_normal(300)))
    dates = pd.bdate_range("2020-01-01", periods=300)
    pd.DataFrame({"date": dates, "close": close}).to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "c.yaml").write_text(
        f"data: {{source: csv, path: p.csv, target: close}}\n"
        f"prep: {{lookback: 10, output_steps: {output_steps}, target_transform: {kind}, normalize: {normalize}}}\n"
    )
    run = RunDir.create(tmp_path / "runs", "t")
    ctx = Context(load_config(tmp_path / "c.yaml"), run, tmp_path / "data")
    stages.snapshot(ctx), stages.encode(ctx), stages.split(ctx)

    # A perfect network: the true scaled (transformed) targets of the test or validation windows.
    parts = [part(artifacts.read_split(run), name, artifacts.read_encoding(run)) for name in ("test", "val")]

    def perfect(x):  # other windows (the validation forecasts stored for predict) get zeros
        found = (y for inputs, y in parts if inputs.shape == x.shape and np.array_equal(inputs, x))
        return next(found, np.zeros((len(x), output_steps), dtype="float32"))

    monkeypatch.setattr(stages, "load_model", lambda run: None)
    monkeypatch.setattr(stages, "keras_network", lambda model: perfect)
    stages.evaluate(ctx)
    metrics = json.loads((run.path / "metrics.json").read_text())
    # Exact up to float32 storage of the scaled windows (~1e-6 here); naive's RMSE is ~0.5.
    assert metrics["metrics"]["model"]["rmse"] < 1e-4 < metrics["metrics"]["naive"]["rmse"]
    predictions = pd.read_csv(run.path / "predictions.csv")
    assert np.allclose(predictions["predicted"], predictions["actual"], atol=1e-4)
    assert predictions["actual"].max() > close[:240].max()  # the test part leaves the training range
    scaler = json.loads((run.path / "encoding.json").read_text())
    assert scaler["target_transform"] == kind
    assert scaler["columns"][0] == ("close" if kind == "none" else f"close:{kind}")


def test_calendar_inputs_are_exact_cyclic_encodings() -> None:
    from forecast.prepare.known_future import calendar_columns

    index = pd.DatetimeIndex(["2024-01-01", "2024-01-03", "2024-12-31"])  # Mon, Wed, Tue
    cols = calendar_columns(index, ["day_of_week", "month"])
    assert np.allclose(cols["day_of_week_sin"], np.sin(2 * np.pi * np.array([0, 2, 1]) / 7))
    assert np.allclose(cols["month_cos"], np.cos(2 * np.pi * np.array([0, 0, 11]) / 12))


def test_multivariate_inputs_each_scaled_on_the_training_part(invoke, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "data: {source: sample, symbol: IBM, period: 2y, features: [volume]}\n"
        "prep: {lookback: 5, calendar: [day_of_week, month], target_transform: log_return}\n"
        "model: {units: [3], dense: []}\ntrain: {epochs: 1}\nplot: {enabled: false}\n"
        "evaluate: {competitors: []}\n"  # the inputs are tested, not the verdicts
    )
    result = invoke("train", "--config", str(tmp_path / "m.yaml"))
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    series = pd.read_parquet(run / "series.parquet")
    names = ["adj_close", "volume", "day_of_week_sin", "day_of_week_cos", "month_sin", "month_cos"]
    assert list(series.columns) == names
    scaler = json.loads((run / "encoding.json").read_text())
    assert scaler["columns"] == ["adj_close:log_return", *names[1:]]
    train_rows = series.iloc[1 : scaler["fitted_on"]["rows"] + 1]  # row 0 has no log return
    assert scaler["data_max"][1] == train_rows["volume"].max()  # volume: training rows only
    import keras

    assert keras.saving.load_model(run / "model.keras").input_shape == (None, 5, 6)


def test_missing_feature_columns_are_named(invoke, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("data: {source: sample, symbol: IBM, features: [volume, sentiment, rsi]}\n")
    result = invoke("train", "--config", str(tmp_path / "m.yaml"))
    assert result.exit_code == 65 and "column(s) sentiment, rsi not in the IBM series" in result.stderr


def test_window_normalisation_divides_by_the_last_input() -> None:
    from forecast.config import PrepConfig
    from forecast.prepare.encoding import Encoding
    from forecast.prepare.windows import split_rows

    # Rows: target, feature. One window of two steps (rows 0-1) predicting rows 2-3.
    values = np.array([[10.0, 7.0], [20.0, 8.0], [30.0, 9.0], [10.0, 6.0], [40.0, 5.0], [5.0, 4.0]])
    prep = PrepConfig(lookback=2, output_steps=2, normalize="window", test_fraction=0.3, val_fraction=0.0)
    encoding = Encoding.fit(values, split_rows(6, 2, 2, 0.3, 0.0), prep, ("y", "x"), "none")
    rx, ry = encoding.relative_windows(values, np.array([2]))
    assert rx[0, :, 0].tolist() == [-0.5, 0.0] and rx[0, :, 1].tolist() == [7.0, 8.0]
    assert ry.tolist() == [[0.5, -0.5]]


def test_window_normalisation_refuses_a_transformed_target() -> None:
    from forecast.config import PrepConfig

    with pytest.raises(ValueError, match="already relative"):
        PrepConfig(normalize="window", target_transform="log_return")


def test_a_window_normalised_model_applies_to_any_price_range(invoke, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    close = 20 * np.exp(np.cumsum(0.01 * rng.standard_normal(200)))
    dates = pd.bdate_range("2020-01-01", periods=200)
    for name, factor in (("a", 1.0), ("b", 10.0)):
        pd.DataFrame({"date": dates, "close": close * factor}).to_csv(tmp_path / f"{name}.csv", index=False)
        (tmp_path / f"{name}.yaml").write_text(
            f"data: {{source: csv, path: {name}.csv, target: close}}\n"
            "prep: {lookback: 8, normalize: window}\nmodel: {units: [3], dense: []}\n"
            "train: {epochs: 2, seed: 1}\nplot: {enabled: false}\nevaluate: {competitors: []}\n"
        )
        assert invoke("train", "--config", str(tmp_path / f"{name}.yaml")).exit_code == 0
    first, second = sorted((tmp_path / "runs").iterdir())
    a = pd.read_csv(first / "predictions.csv")["predicted"]
    b = pd.read_csv(second / "predictions.csv")["predicted"]
    assert np.allclose(b, 10 * a, rtol=1e-5)  # same relative forecasts at ten times the price


def test_auto_takes_log_returns_for_a_positive_series_and_differences_otherwise(tmp_path: Path) -> None:
    from forecast.prepare.transforms import choose

    assert choose("auto", np.array([3.0, 4.0, 2.5])) == "log_return"
    assert choose("auto", np.array([3.0, 0.0, 2.5])) == "diff"  # log(0) does not exist
    assert choose("auto", np.array([-1.0, 2.0])) == "diff"
    assert choose("auto", np.array([3.0, 4.0]), normalize="window") == "none"  # already relative
    assert choose("pct_change", np.array([3.0, 0.0])) == "pct_change"  # as set: refused later, by name
    # Through the encode stage: a yearly count that hits zero learns differences.
    years = pd.date_range("1900-01-01", periods=60, freq="YS")
    counts = np.abs(np.round(np.sin(np.arange(60)) * 5))
    assert (counts == 0).any()
    pd.DataFrame({"date": years, "count": counts}).to_csv(tmp_path / "counts.csv", index=False)
    (tmp_path / "c.yaml").write_text("data: {source: csv, path: counts.csv, target: count}\nprep: {lookback: 4}\n")
    run = RunDir.create(tmp_path / "runs", "counts")
    ctx = Context(load_config(tmp_path / "c.yaml"), run, tmp_path / "data")
    stages.snapshot(ctx), stages.encode(ctx)
    encoding = json.loads((run.path / "encoding.json").read_text())
    assert encoding["target_transform"] == "diff" and encoding["columns"] == ["count:diff"]


def test_a_calendar_input_that_never_changes_is_left_out_with_a_note(invoke, tmp_path: Path) -> None:
    from forecast.prepare.known_future import calendar_columns

    index = pd.DatetimeIndex(["2024-01-01", "2024-07-01"])  # ISO weeks 1 and 27
    assert np.allclose(calendar_columns(index, ["week_of_year"])["week_of_year_sin"],
                       np.sin(2 * np.pi * np.array([0, 26]) / (365.25 / 7)))  # fmt: skip
    fridays = pd.date_range("2015-01-02", periods=200, freq="W-FRI")
    level = 50 + 10 * np.sin(np.arange(200) * 2 * np.pi / 52) + np.arange(200) * 0.1
    pd.DataFrame({"date": fridays, "sales": level}).to_csv(tmp_path / "weekly.csv", index=False)
    (tmp_path / "w.yaml").write_text(
        "data: {source: csv, path: weekly.csv, target: sales}\n"
        "prep: {lookback: 8, calendar_features: [day_of_week, week_of_year]}\n"
        "model: {units: [3], dense: []}\ntrain: {epochs: 1}\nevaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    trained = invoke("train", "--config", str(tmp_path / "w.yaml"))
    assert trained.exit_code == 0, trained.output
    assert "prep.calendar_features day_of_week is the same on every date of WEEKLY (weeks): left out" in (
        trained.stderr
    )
    (run,) = (tmp_path / "runs").iterdir()
    assert list(pd.read_parquet(run / "series.parquet").columns) == ["sales", "week_of_year_sin", "week_of_year_cos"]
    # Future steps get the same inputs the model was trained with: weekly dates, week of year only.
    predicted = invoke("predict", str(run), "--horizon", "3", "--json")
    assert predicted.exit_code == 0, predicted.output
    dates = [row["date"] for row in json.loads(predicted.stdout)["forecast"]]
    assert dates == [d.date().isoformat() for d in pd.date_range(fridays[-1], periods=4, freq="W-FRI")[1:]]
