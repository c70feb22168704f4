"""One number format for the terminal and the report, one verdict against naive from the
paired test, and an axis for RMSE against naive that a baseline far off does not set."""

from __future__ import annotations

import pytest

from forecast.figures.ranking import scale_of
from forecast.reports.html import cell
from forecast.tables import number, render


@pytest.mark.parametrize(
    "value, digits, key, text",
    [
        (-3.3e-4, 3, "skill", "-0.0003"),  # not -0.000 (terminal) or -3.30e-04 (report)
        (0.0, 3, "skill", "0.000"),
        (0.2461, 3, "skill", "0.246"),
        (3.44e-64, 4, "dm_p", "<0.0001"),  # a p-value is never 3.44e-64
        (0.0248, 4, "dm_p", "0.0248"),
        (49.857, 1, "seconds", "49.9"),
        (None, 4, "rmse", "-"),
        (float("nan"), 4, "rmse", "-"),
        (True, 4, "", "yes"),
        (12, 4, "epochs", "12"),
    ],
)
def test_one_format_for_terminal_and_report(value, digits, key, text) -> None:
    assert number(value, digits, key) == text
    assert render([{"name": "x", key or "v": value}], [("c", key or "v", digits)]).splitlines()[1].split()[-1] == text


def test_the_report_writes_a_bare_value_as_the_terminal_does() -> None:
    assert cell(-3.3e-4) == number(-3.3e-4) == "-0.0003" and cell(0.31472) == "0.3147"


def test_a_table_with_mase_says_its_scale() -> None:
    table = render([{"name": "naive", "mase": 0.81}], [("MASE", "mase", 3)])
    assert table.splitlines()[-1].startswith("MASE: MAE / the training part's in-sample one-step naive MAE")
    assert "MASE:" not in render([{"name": "naive", "rmse": 0.3}], [("RMSE", "rmse", 4)])


def test_the_axis_shows_one_percent_and_a_far_baseline_does_not_set_it() -> None:
    # naive 0.311, lstm 0.315 (+1.2%), rnn 0.338 (+8.7%), competitors near naive, window_mean 5x naive.
    limit = scale_of([1.2, 8.7, 0.1, 0.3, 0.9], [400.0, 0.05])
    assert 8.7 < limit < 15  # rnn and lstm on the axis, window_mean off it
    assert scale_of([1.2, 0.3], [2.0]) == pytest.approx(2.5)  # a baseline near the models is on the axis
    assert scale_of([0.2, -0.1]) == pytest.approx(1.25)  # never narrower than +-1%


def test_the_future_figure_carries_the_verdict_of_its_model() -> None:
    from forecast.figures.future import future_verdict
    from forecast.rundir.files import ForecastFile
    from forecast.scoring.verdict import judge

    def info(verdict, **more):
        facts = {
            "run": "runs/x",
            "model": "lstm",
            "symbol": "MSFT",
            "target": "adj_close",
            "last_bar": "2012-12-20",
            "last_value": 24.247,
            "horizon": 3,
            "calendar": {"name": "XNYS", "reason": "NYSE sessions"},
        }
        return ForecastFile.model_validate({**facts, "test": {"verdict": verdict}, **more})

    worse = judge("combination", 0.3152, "naive", 0.3112, 0.0108, "the naive forecast (tomorrow = today)")
    said, red = future_verdict(info(worse), "lstm combination")
    assert red and said == f"on its test part {worse.words}: do not trust its forecasts over naive"
    better = judge("gru", 0.2, "naive", 0.25, 0.001)
    assert future_verdict(info(better), "gru") == (f"on its test part {better.words}", False)
    verdict = "on the validation part nothing beat naive, so the combination is naive"
    same = judge("combination", 0.3, "naive", 0.3, None)
    naive = info(same, combination={"verdict": verdict})
    assert future_verdict(naive, "lstm combination") == (f"lstm combination: {verdict}", False)
    old = info(better).model_copy(update={"test": info(better).test.model_copy(update={"verdict": None})})
    assert future_verdict(old, "gru") == (None, False)  # a forecast.json written before verdicts were stored


def test_a_recorded_time_is_shown_in_utc_saying_so() -> None:
    from forecast.tables import stamp

    assert stamp("2026-11-30T03:06:40+00:00") == "2026-11-30 03:06:40 UTC"
    assert stamp("2026-11-30T04:06:40+01:00") == "2026-11-30 03:06:40 UTC"  # converted, not cut
    assert stamp(None) == "-" and stamp("soon") == "soon"
