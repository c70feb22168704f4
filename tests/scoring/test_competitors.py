"""The statistical competitors forecast the test windows from their own past only, with the
parameters fitted before the test part; a slow one is cut off and said so, never a hang."""

from __future__ import annotations

import time

import numpy as np
import pytest

from forecast.scoring.competitors import COMPETITORS, FILTERED, Task, for_part, forecast, run


def walk(n: int = 220, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + np.cumsum(rng.normal(size=n)) + 3 * np.sin(np.arange(n) * 2 * np.pi / 7)


@pytest.mark.parametrize("name", FILTERED)
def test_one_step_fast_path_equals_forecasting_from_each_origin(name: str) -> None:
    # The fast path reads one-step forecasts off one pass of the fitted filter; they must be
    # exactly what the model forecasts from each origin's history alone.
    import statsforecast.models as models

    y = walk()
    task = Task(y, (0, 160), np.arange(160, 220), 1, 7)
    fast, _ = forecast(name, task)
    model = getattr(models, COMPETITORS[name])(season_length=7).fit(y[:160])
    by_origin = [model.forward(y[:start], h=1)["mean"][0] for start in task.starts]
    assert fast[:, 0] == pytest.approx(by_origin, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("name", list(COMPETITORS))
def test_no_forecast_sees_a_value_at_or_after_its_origin(name: str, horizon: int) -> None:
    y = walk()
    starts = np.arange(175, 221 - horizon)  # origins on both sides of the break
    changed = y.copy()
    changed[185:] += 40.0  # a break in the test part, at row 185
    before, _ = forecast(name, Task(y, (0, 160), starts, horizon, 7))
    after, _ = forecast(name, Task(changed, (0, 160), starts, horizon, 7))
    assert before.shape == (len(starts), horizon)
    unseen = starts <= 185  # origins whose history ends before the break
    assert np.array_equal(before[unseen], after[unseen])
    assert not np.allclose(before[~unseen], after[~unseen])  # later origins do see it


def test_a_competitor_over_its_time_limit_is_skipped_with_the_reason_and_the_next_runs() -> None:
    # A seasonal ARIMA with a 52-step season takes far longer than a second to fit.
    rng = np.random.default_rng(1)
    y = 100 + np.cumsum(rng.normal(size=600)) + 10 * np.sin(np.arange(600) * 2 * np.pi / 52)
    task = Task(y, (0, 500), np.arange(500, 600), 1, 52)
    clock = time.perf_counter()
    outcome = run(["auto_arima", "auto_theta"], task, timeout=1.0)
    assert outcome.skipped == {"auto_arima": "no result within 1 s (evaluate.competitor_timeout)"}
    assert time.perf_counter() - clock < 30  # cut off, not waited for
    assert list(outcome.forecasts) == ["auto_theta"] and outcome.forecasts["auto_theta"].shape == (100, 1)
    assert outcome.info() == {"fitted": {"auto_theta": outcome.fitted["auto_theta"]}, "skipped": outcome.skipped}


def test_the_fits_for_the_combinations_weights_say_what_they_are_for(caplog, monkeypatch) -> None:
    # The same competitor fitted again on the rows before the validation part often chooses
    # another model: two lines that read alike, one for each part, would look like a repeat.
    from forecast.scoring import competitors

    monkeypatch.setattr(competitors, "_DONE", {})  # this process's answers stay as the other tests left them
    task = Task(walk(), (0, 160), np.arange(160, 220), 1, 7)
    with caplog.at_level("INFO", logger="forecast.scoring.competitors"):
        for_part(["auto_ets"], task, timeout=60, validation=(np.arange(120, 160), 120))
    said = [r.getMessage().split(":")[0] for r in caplog.records if r.getMessage().startswith("competitor ")]
    assert said == ["competitor auto_ets", "competitor auto_ets for the combination's weights"]


def test_a_competitor_that_fails_is_skipped_with_its_error() -> None:
    y = walk(8)
    outcome = run(["auto_ets"], Task(y, (0, 4), np.arange(4, 8), 1, None), timeout=60)
    assert outcome.forecasts == {} and outcome.skipped["auto_ets"].startswith("NotImplementedError")


def test_a_broken_statsforecast_is_a_dependency_error_that_names_it(tmp_path, monkeypatch) -> None:
    from forecast.errors import DependencyError
    from forecast.scoring import competitors

    fake = tmp_path / "fakes" / "statsforecast"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('libcoreforecast.so: cannot open shared object file')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "fakes"))  # the child's path is this process's
    monkeypatch.setattr(competitors, "_WORKER", competitors.Bounded(competitors.__name__))  # a new child
    monkeypatch.setattr(competitors, "_DONE", {})
    with pytest.raises(DependencyError, match="cannot import statsforecast .*libcoreforecast.so") as caught:
        run(["auto_ets"], Task(walk(), (0, 160), np.arange(160, 220), 1, 7), timeout=60)
    assert caught.value.exit_code == 71 and "evaluate.competitors: []" in caught.value.hint


def test_processes_share_answers_through_the_memo_and_fit_each_once(tmp_path, monkeypatch) -> None:
    # compare's candidates train in separate processes on the same series: the first to ask fits
    # (under a lock on the key), the others wait and read its answer. Threads open the lock file
    # separately, so they wait for each other as processes do.
    import threading

    from forecast.scoring import competitors

    fits: list[str] = []

    def slow_fit(name: str, task: Task, timeout: float):
        fits.append(name)
        time.sleep(0.5)  # long enough for the others to arrive while it fits
        return ("ok", np.full((len(task.starts), task.horizon), 7.0), "ETS(A,N,N)"), 12.5

    monkeypatch.setattr(competitors, "_bounded", slow_fit)
    task = Task(walk(), (0, 160), np.arange(160, 220), 1, 7)
    outcomes: list[object] = []

    def candidate() -> None:
        outcomes.append(run(["auto_ets"], task, timeout=60, memo=tmp_path / "memo"))

    monkeypatch.setattr(competitors, "_DONE", {})
    threads = [threading.Thread(target=candidate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fits == ["auto_ets"]
    for outcome in outcomes:
        assert np.array_equal(outcome.forecasts["auto_ets"], np.full((60, 1), 7.0))
        assert outcome.fitted == {"auto_ets": "ETS(A,N,N)"} and outcome.seconds == {"auto_ets": 12.5}

    monkeypatch.setattr(competitors, "_DONE", {})  # another process, later: read from disk, not fitted
    again = run(["auto_ets"], task, timeout=60, memo=tmp_path / "memo")
    assert fits == ["auto_ets"] and again.seconds == {"auto_ets": 12.5}
    other = Task(walk(seed=1), (0, 160), np.arange(160, 220), 1, 7)  # another series: its own fit
    run(["auto_ets"], other, timeout=60, memo=tmp_path / "memo")
    assert fits == ["auto_ets", "auto_ets"]


def test_an_unreadable_or_unwritable_memo_is_fitted_again_not_an_error(tmp_path, monkeypatch) -> None:
    from forecast.scoring import competitors

    fits: list[str] = []

    def fit(name: str, task: Task, timeout: float):
        fits.append(name)
        return ("ok", np.ones((len(task.starts), task.horizon)), "ETS(A,N,N)"), 1.0

    monkeypatch.setattr(competitors, "_bounded", fit)
    task = Task(walk(), (0, 160), np.arange(160, 220), 1, 7)
    memo = tmp_path / "memo"
    run(["auto_ets"], task, timeout=60, memo=memo)
    for stored in memo.glob("*.npz"):
        stored.write_bytes(b"not an npz")
    monkeypatch.setattr(competitors, "_DONE", {})
    assert run(["auto_ets"], task, timeout=60, memo=memo).fitted == {"auto_ets": "ETS(A,N,N)"}
    assert fits == ["auto_ets", "auto_ets"]

    blocked = tmp_path / "a file"  # a memo folder that cannot be made
    blocked.write_text("")
    monkeypatch.setattr(competitors, "_DONE", {})
    assert run(["auto_ets"], task, timeout=60, memo=blocked / "memo").fitted == {"auto_ets": "ETS(A,N,N)"}
    assert len(fits) == 3


def test_a_fit_over_its_limit_is_remembered_for_limits_as_short_and_tried_again_with_a_longer(
    tmp_path, monkeypatch
) -> None:
    # Every candidate of a compare is scored against the same competitors, and none waits a
    # second time limit for a fit that ran over the first.
    from forecast.scoring import competitors

    tries: list[float] = []

    def slow(name: str, task: Task, timeout: float):
        tries.append(timeout)
        if timeout < 10:
            return ("timeout", f"no result within {timeout:g} s (evaluate.competitor_timeout)"), timeout
        return ("ok", np.ones((len(task.starts), task.horizon)), "ARIMA(1,1,1)"), 9.0

    monkeypatch.setattr(competitors, "_bounded", slow)
    task = Task(walk(), (0, 160), np.arange(160, 220), 1, 7)
    memo = tmp_path / "memo"
    for limit in (5, 5, 3):
        monkeypatch.setattr(competitors, "_DONE", {})  # each a process of its own
        outcome = run(["auto_arima"], task, timeout=limit, memo=memo)
        assert outcome.skipped == {"auto_arima": "no result within 5 s (evaluate.competitor_timeout)"}
    assert tries == [5]
    monkeypatch.setattr(competitors, "_DONE", {})
    assert run(["auto_arima"], task, timeout=20, memo=memo).fitted == {"auto_arima": "ARIMA(1,1,1)"}
    assert run(["auto_arima"], task, timeout=5, memo=memo).fitted == {"auto_arima": "ARIMA(1,1,1)"}  # it finished
    assert tries == [5, 20]


def test_a_long_season_is_searched_with_the_approximation_and_is_another_fit(monkeypatch) -> None:
    import statsforecast.models

    from forecast.scoring import competitors

    built: list[dict] = []
    real = statsforecast.models.AutoARIMA

    def spy(**options):
        built.append(options)
        return real(**options)

    monkeypatch.setattr(statsforecast.models, "AutoARIMA", spy)
    t = np.arange(250)  # four seasons of 48 to fit on: a longer series only makes the search slower
    y = 20 + np.sin(2 * np.pi * t / 48) + np.random.default_rng(0).normal(0, 0.1, 250)
    long, short = (Task(y, (0, 200), np.arange(200, 210), 1, season) for season in (48, 12))
    out, model = forecast("auto_arima", long)
    assert out.shape == (10, 1) and np.isfinite(out).all() and model.startswith("ARIMA")
    forecast("auto_arima", short)
    assert built == [{"season_length": 48, "approximation": True}, {"season_length": 12}]
    # A fit remembered (fit_memo) under the exact search, an older timeout included, is not this one.
    approximated = competitors._key("auto_arima", long)
    monkeypatch.setattr(competitors, "options", lambda name, season: {})
    assert competitors._key("auto_arima", long) != approximated


@pytest.mark.parametrize(("name", "model"), [("auto_arima", "ARIMA"), ("auto_ets", "ETS(")])
def test_a_season_too_long_for_a_seasonal_model_is_removed_by_mstl_and_added_back(name: str, model: str) -> None:
    # GLUCOSE's 288 five-minute readings: statsforecast's seasonal ARIMA runs out of memory, ETS out of time.
    season, rows, fit_end = 288, 288 * 5, 288 * 4
    t = np.arange(rows)
    cycle = 5 * np.sin(2 * np.pi * t / season)
    y = 100 + cycle + np.cumsum(np.random.default_rng(1).normal(0, 0.05, rows))
    task = Task(y, (0, fit_end), np.arange(fit_end, rows - 3), 3, season)
    out, fitted = forecast(name, task)
    assert fitted.startswith(f"MSTL(288) + {model}") and out.shape == (len(task.starts), 3)
    actual = y[task.starts[:, None] + np.arange(3)]
    # The season is in the forecasts: their errors are far below the cycle's own spread.
    assert np.sqrt(np.mean((out - actual) ** 2)) < 0.1 * np.std(cycle)
    # No forecast sees its origin or later (the season was fitted on the rows before fit_end).
    changed = y.copy()
    changed[fit_end + 100 :] += 40.0
    again, _ = forecast(name, Task(changed, (0, fit_end), task.starts, 3, season))
    unseen = task.starts <= fit_end + 100
    assert np.array_equal(out[unseen], again[unseen]) and not np.allclose(out[~unseen], again[~unseen])
    # Fewer than two seasons to fit on: an error that says so (the competitor is then skipped).
    with pytest.raises(ValueError, match="fewer than two seasons of 288"):
        forecast(name, Task(y, (0, 400), np.arange(400, 410), 1, season))
