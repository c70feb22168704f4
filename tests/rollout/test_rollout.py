"""Multi-step forecasts, conformal bands and future dates, without Keras: a fake
network with known behaviour stands in for the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.config import PrepConfig
from forecast.errors import ConfigError, DataError
from forecast.prepare.encoding import Encoding
from forecast.prepare.transforms import continue_forward, forward, inverse, model_values
from forecast.prepare.windows import split_rows
from forecast.rollout import conformal
from forecast.rollout.calendar import resolve
from forecast.rollout.rollout import rollout


@pytest.mark.parametrize("kind", ["none", "diff", "log_return", "pct_change"])
def test_continue_forward_is_the_inverse_of_inverse(kind: str) -> None:
    last = np.array([100.0, 50.0])
    levels = np.array([[101.0, 99.5, 102.0], [49.0, 51.0, 50.5]])
    z = continue_forward(levels, last, kind)
    assert np.allclose(inverse(z, last, kind), levels, rtol=0, atol=1e-12)
    # ... and agrees with the whole-series transform.
    series = np.array([100.0, 101.0, 99.5, 102.0])
    assert np.allclose(continue_forward(series[None, 1:], series[:1], kind)[0], forward(series, kind)[1:])


def encoding_for(values: np.ndarray, prep: PrepConfig, names: tuple[str, ...] = ("y",)) -> Encoding:
    first = 0 if prep.target_transform == "none" else 1
    split = split_rows(len(values), prep.lookback, prep.output_steps, 0.2, 0.0, first)
    return Encoding.fit(values, split, prep, names)


def last_input_network(encoding: Encoding, output_steps: int):
    """A 'network' that forecasts each step as the window's last scaled input."""
    calls: list[int] = []

    def network(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        assert x.dtype == np.float32 and np.isfinite(x).all()
        return np.repeat(x[:, -1:, 0], output_steps, axis=1)

    network.calls = calls  # type: ignore[attr-defined]
    return network


def test_recursive_log_returns_compound_from_the_last_level() -> None:
    # Prices growing 1% a day: the model repeats the last log return, so the forecast
    # keeps compounding 1% a day from the last price, step after step.
    prices = 100 * 1.01 ** np.arange(60)
    prep = PrepConfig(lookback=5, output_steps=1, target_transform="log_return")
    values = model_values(prices, "log_return")
    values[1:, 0] += np.tile([1e-4, -1e-4], 30)[1:]  # not constant, or the encoding cannot fit
    values = values.copy()
    values[-1, 0] = np.log(1.01)
    encoding = encoding_for(values, prep)
    network = last_input_network(encoding, 1)
    out = rollout(network, encoding, values, prices, np.array([60]), 7)
    assert np.allclose(out[0], prices[-1] * 1.01 ** np.arange(1, 8), rtol=1e-5)
    assert network.calls == [1] * 7  # one call per step for all origins at once


@pytest.mark.parametrize("kind", ["seasonal_diff", "diff_seasonal_diff"])
def test_recursive_seasonal_differences_repeat_the_last_season_when_the_network_says_no_change(kind) -> None:
    # A network whose every output decodes to z = 0: a seasonal difference then forecasts last
    # season again (plus the last season-on-season change, after a first difference too), for
    # steps past one season as well, each leaning on the forecast a season before it.
    rng = np.random.default_rng(3)
    levels = np.tile([10.0, 14.0, 9.0, 12.0], 20) + rng.normal(0, 0.1, 80)
    prep = PrepConfig(lookback=6, output_steps=1, target_transform=kind)
    values = model_values(levels, kind, 4)
    first = 4 if kind == "seasonal_diff" else 5
    split = split_rows(len(values), prep.lookback, prep.output_steps, 0.2, 0.0, first)
    encoding = Encoding.fit(values, split, prep, ("y",), kind, 4)
    zero = encoding.scaler.min_[0]  # the scaled value of z = 0
    origin = np.array([80])
    out = rollout(lambda x: np.full((len(x), 1), zero), encoding, values, levels, origin, 10)
    if kind == "seasonal_diff":
        expected = np.tile(levels[-4:], 3)[:10]
    else:
        step = levels[-1] - levels[-5]  # the last season-on-season change, carried on
        expected = np.concatenate([levels[-4:] + step * k for k in (1, 2, 3)])[:10]
    assert np.allclose(out[0], expected, atol=1e-9)
    assert encoding.rows_needed == prep.lookback + first


def test_direct_model_calls_once_per_horizon_and_recursion_continues_past_it() -> None:
    levels = np.sin(np.arange(80) / 3.0) + 5
    prep = PrepConfig(lookback=6, output_steps=3, target_transform="none")
    values = levels[:, None].copy()
    encoding = encoding_for(values, prep)
    origins = np.array([40, 50, 60])
    network = last_input_network(encoding, 3)
    direct = rollout(network, encoding, values, levels, origins, 3)
    assert network.calls == [3]  # every origin in one batch
    assert np.allclose(direct, np.repeat(levels[origins - 1][:, None], 3, axis=1))
    longer = rollout(last_input_network(encoding, 3), encoding, values, levels, origins, 7)
    assert np.allclose(longer[:, :3], direct) and longer.shape == (3, 7)


def test_rollout_never_reads_at_or_after_its_origin() -> None:
    levels = np.cos(np.arange(50) / 4.0) + 3
    prep = PrepConfig(lookback=8, output_steps=2, target_transform="none")
    values = levels[:, None].copy()
    encoding = encoding_for(values, prep)
    network = last_input_network(encoding, 2)
    clean = rollout(network, encoding, values, levels, np.array([30]), 5)
    poisoned_values, poisoned_levels = values.copy(), levels.copy()
    poisoned_values[30:], poisoned_levels[30:] = np.nan, np.nan  # the future, unknowable
    assert np.array_equal(rollout(network, encoding, poisoned_values, poisoned_levels, np.array([30]), 5), clean)


def test_rollout_refuses_origins_without_a_full_window_and_unknown_future_inputs() -> None:
    levels = np.linspace(1, 2, 40)
    prep = PrepConfig(lookback=8, output_steps=1, target_transform="diff")
    values = model_values(np.column_stack([levels, np.arange(40.0)]), "diff")
    values[1:, 0] += np.tile([1e-3, -1e-3], 20)[1:]
    encoding = encoding_for(values, prep, ("y", "x"))
    with pytest.raises(ValueError, match="rows a window needs"):
        rollout(lambda x: x[:, -1:, 0], encoding, values, levels, np.array([8]), 1)  # row 0 is undefined
    with pytest.raises(ValueError, match="future values of its other inputs"):
        rollout(lambda x: x[:, -1:, 0], encoding, values, levels, np.array([20]), 3)


# --- conformal ---------------------------------------------------------------------


def test_conformal_half_width_is_the_finite_sample_quantile() -> None:
    scores = np.arange(1.0, 10.0)[:, None]  # 9 calibration windows, scores 1..9
    assert conformal.half_widths(scores, 0.8)[0] == 8.0  # ceil(10 * 0.8) = 8th smallest
    assert conformal.half_widths(scores, 0.5)[0] == 5.0
    assert np.isinf(conformal.half_widths(scores, 0.95)[0])  # 9 windows cannot support 95%
    assert conformal.minimum_windows(0.95) == 19 and conformal.minimum_windows(0.8) == 4
    assert np.isfinite(conformal.half_widths(np.ones((19, 1)), 0.95)[0])
    assert conformal.label(0.8) == "80" and conformal.label(0.975) == "97.5"


def test_conformal_bands_reach_their_level_on_exchangeable_errors() -> None:
    rng = np.random.default_rng(0)
    calibration = np.abs(rng.standard_normal((2000, 2)))
    widths = conformal.half_widths(calibration, 0.9)
    forecast = np.zeros((20_000, 2))
    actual = rng.standard_normal((20_000, 2))
    lower, upper = conformal.bands(forecast, np.ones(20_000), widths, relative=False)
    total, per_step = conformal.coverage(actual, lower, upper)
    assert 0.88 <= total <= 0.93 and len(per_step) == 2  # at least 0.9 in expectation; sd 0.007


def test_relative_scores_scale_the_band_with_the_price() -> None:
    scores = conformal.scores(np.array([[22.0]]), np.array([[20.0]]), np.array([20.0]), relative=True)
    assert scores[0, 0] == pytest.approx(0.1)
    lower, upper = conformal.bands(np.array([[200.0]]), np.array([200.0]), scores[0], relative=True)
    assert (lower[0, 0], upper[0, 0]) == pytest.approx((180.0, 220.0))


# --- future dates ------------------------------------------------------------------


def nyse_days(first: str, last: str) -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    sessions = xcals.get_calendar("XNYS", start=first, end=last).sessions
    return pd.DatetimeIndex(sessions.tz_localize(None) if sessions.tz else sessions)


def test_daily_stock_bars_step_over_weekends_and_nyse_holidays() -> None:
    history = nyse_days("2011-12-01", "2012-12-20")
    calendar = resolve(history, "auto", daily_stock=True)
    assert calendar.name == "XNYS"
    dates = [d.isoformat() for d in calendar.future(history[-1], 10).date]
    assert dates == [
        "2012-12-21", "2012-12-24", "2012-12-26", "2012-12-27", "2012-12-28",
        "2012-12-31", "2013-01-02", "2013-01-03", "2013-01-04", "2013-01-07",
    ]  # fmt: skip
    # Hurricane Sandy closed the exchange on 2012-10-29 and 30.
    assert [d.isoformat() for d in calendar.future(pd.Timestamp("2012-10-26"), 2).date] == ["2012-10-31", "2012-11-01"]
    # The sessions recognising the calendar reach about 270 sessions ahead; further, the calendar is built again.
    far = calendar.future(history[-1], 400)
    assert len(far) == 400 and far[:10].equals(calendar.future(history[-1], 10))
    assert far.equals(nyse_days("2012-12-21", "2014-12-31")[:400])


def test_exchange_sessions_kept_in_a_cache_are_read_without_exchange_calendars(tmp_path, monkeypatch) -> None:
    # predict from cron: the second evening reads the sessions the first one built, and needs
    # neither exchange_calendars' import nor its calendar (most of predict's time after imports).
    import sys

    history = nyse_days("2011-12-01", "2012-12-20")
    later = nyse_days("2012-01-03", "2013-01-02")  # a few evenings later
    older = nyse_days("2008-01-02", "2008-12-31")
    first = resolve(history, "auto", daily_stock=True, cache=tmp_path)
    expected = first.future(history[-1], 10)
    (kept,) = tmp_path.glob("XNYS-exchange_calendars-*.npz")
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)  # any import of it now fails
    again = resolve(history, "auto", daily_stock=True, cache=tmp_path)
    assert again.name == "XNYS" and again.reason == first.reason
    assert again.future(history[-1], 10).equals(expected)
    # A few evenings later: still inside what was kept.
    assert resolve(later, "auto", daily_stock=True, cache=tmp_path).future(later[-1], 3).equals(expected[7:10])
    monkeypatch.undo()  # dates outside what was kept: built again, and kept with the others
    assert resolve(older, "auto", daily_stock=True, cache=tmp_path).future(older[-1], 1)[0].isoformat() == (
        "2009-01-02T00:00:00"
    )
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)
    assert resolve(history, "auto", daily_stock=True, cache=tmp_path).future(history[-1], 10).equals(expected)
    kept.write_bytes(b"not sessions")  # unreadable: built again, never trusted
    monkeypatch.undo()
    assert resolve(history, "auto", daily_stock=True, cache=tmp_path).future(history[-1], 10).equals(expected)


def test_other_series_follow_their_own_frequency() -> None:
    weekly = pd.date_range("2020-01-03", periods=100, freq="W-FRI")
    assert list(resolve(weekly, "auto", daily_stock=False).future(weekly[-1], 2)) == list(
        pd.date_range(weekly[-1], periods=3, freq="W-FRI")[1:]
    )
    # A crypto-like daily series trades on weekends: NYSE sessions would be wrong.
    every_day = pd.date_range("2020-01-01", periods=400, freq="D")
    calendar = resolve(every_day, "auto", daily_stock=True)
    assert calendar.name == "D" and calendar.future(every_day[-1], 1)[0] == every_day[-1] + pd.Timedelta(days=1)
    # Weekday bars with a few holidays missing: business days.
    weekdays = pd.bdate_range("2020-01-01", periods=300).delete([20, 90, 200])
    assert resolve(weekdays, "auto", daily_stock=False).name == "B"
    assert resolve(weekly, "B", daily_stock=False).name == "B"


def test_unknown_calendars_and_irregular_dates_are_errors_with_a_next_step() -> None:
    with pytest.raises(ConfigError, match="not an exchange calendar or a pandas frequency"):
        resolve(pd.bdate_range("2020-01-01", periods=10), "NOPE1", daily_stock=False)
    rng = np.random.default_rng(0)
    irregular = pd.DatetimeIndex(pd.Timestamp("2020-01-01") + pd.to_timedelta(np.cumsum(rng.integers(1, 9, 300)), "h"))
    with pytest.raises(DataError, match="no regular spacing"):
        resolve(irregular, "auto", daily_stock=False)


def test_many_origins_are_forecast_in_chunks_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast.rollout import rollout as module

    levels = np.sin(np.arange(300) / 5.0) + 4
    prep = PrepConfig(lookback=6, output_steps=1, target_transform="none")
    values = levels[:, None].copy()
    encoding = encoding_for(values, prep)
    origins = np.arange(10, 290)
    whole = rollout(last_input_network(encoding, 1), encoding, values, levels, origins, 3)
    monkeypatch.setattr(module, "CHUNK", 64)
    network = last_input_network(encoding, 1)
    chunked = rollout(network, encoding, values, levels, origins, 3)
    assert np.array_equal(whole, chunked) and max(network.calls) == 64


def test_a_series_never_negative_gets_no_band_below_zero() -> None:
    from forecast.rollout.intervals import interval_bounds

    calibrated = {"half_width": {"95": [5.0, None]}, "relative": False}  # step 2: unbounded (NaN)
    forecast, last = np.array([[1.0, 2.0]]), np.array([1.0])
    counts = interval_bounds(calibrated, forecast, last, history=np.array([0.0, 3.0, 1.0]))
    assert counts["lower_95"][0, 0] == 0.0 and np.isnan(counts["lower_95"][0, 1])
    assert counts["upper_95"][0, 0] == 6.0
    anomalies = interval_bounds(calibrated, forecast, last, history=np.array([-0.5, 3.0]))
    assert anomalies["lower_95"][0, 0] == -4.0  # a series that has been negative may be again


def test_a_band_that_held_fewer_actuals_than_chance_allows_is_flagged() -> None:
    from forecast.rollout.conformal import short_bands

    def held(share80: float, share95: float) -> dict:
        return {"coverage": {"80": {"test": share80}, "95": {"test": share95}}}

    # 654 actuals: two standard errors of a 95% band are 1.7 points, of an 80% band 3.1.
    assert short_bands(held(0.836, 0.965), 654) == []  # the demo's bands
    assert short_bands(held(0.78, 0.94), 654) == []  # below the level, within chance
    (line,) = short_bands(held(0.80, 0.90), 654)
    assert line.startswith("the 95% band held 90.0% of 654 test actuals, below its level beyond chance")
    assert "(at least 93.3% expected)" in line
    assert short_bands(held(float("nan"), 0.5), 0) == [] and short_bands(None, 10) == []
    empty = {**held(0.80, 0.0), "half_width": {"80": [0.1], "95": [None]}}  # too few windows for a 95% band
    assert short_bands(empty, 40) == []
