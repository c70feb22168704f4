"""The tune report's leaderboard: the budget each trial used, and where a pruned one stopped."""

from __future__ import annotations

from forecast.reports.tune_page import _leaderboard
from forecast.rundir.files import Trial


def trial(number: int, state: str, error: str | None = None, epochs: int | None = 30) -> Trial:
    return Trial(trial=number, state=state, rmse=1.0, naive_rmse=1.1, ratio=0.91, folds=1, seconds=12.0,
                 values={"model.kind": "lstm"}, error=error, epochs=epochs)  # fmt: skip


def test_the_leaderboard_shows_epochs_and_where_a_pruned_trial_stopped_in_a_few_words() -> None:
    rung = "stopped at epoch 10 of fold 2: validation 1.084x naive; the best 1/3 of 9 trials there were at most 1.0x"
    page = _leaderboard([
        trial(0, "complete", epochs=72),
        trial(1, "pruned", rung, epochs=40),
        trial(2, "pruned", "stopped at the --timeout limit"),
        trial(3, "complete", epochs=None),  # a study of 0.2: no epochs recorded
    ])  # fmt: skip
    assert "<th" in page and ">epochs<" in page and ">72<" in page and ">40<" in page
    assert "pruned at epoch 10 of fold 2<" in page and "validation 1.084x" not in page  # its scores: trials.csv
    assert "pruned at the --timeout limit<" in page
