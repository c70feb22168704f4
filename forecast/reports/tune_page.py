"""The report page of a tune run: the final verdict on the test part, the leaderboard, the
search's figures and the space searched; built from tune.json alone."""

from __future__ import annotations

from typing import Any

from forecast import rundir
from forecast.reports import html as h
from forecast.rundir import RunDir
from forecast.rundir.artifacts import read_tune
from forecast.rundir.files import Trial, TuneFile
from forecast.tuning.leaderboard import SHORT

SHOWN = 50  # leaderboard rows on the page; trials.csv has them all


def tune_page(run: RunDir, manifest: dict[str, Any]) -> tuple[str, str, list[tuple[str, str, str]]]:
    if not run.exists(rundir.TUNE):
        return "Tune", "", []
    summary = read_tune(run)
    title = f"Tune: {summary.symbol} {summary.target}"
    counts = summary.trials
    about = h.facts(
        [
            ("objective", summary.objective),
            ("rows searched", f"{summary.searched_rows.first} .. {summary.searched_rows.last}"),
            (
                "trials",
                f"{counts['finished']}: {counts['complete']} complete, {counts['pruned']} pruned"
                + (f" ({summary.pruned_share:.0%} of the trials' time)" if summary.pruned_share else "")
                + f", {counts['failed']} failed",
            ),
            ("workers, sampler seed", f"{summary.workers}, {summary.seed}"),
        ]
    )
    sections = [("search", "Search", about + _improvement(summary))]
    leaderboard = summary.leaderboard
    if leaderboard:
        sections.append(("leaderboard", "Leaderboard", _leaderboard(leaderboard)))
    figures = h.figure(run.file(rundir.TUNE_HISTORY_PNG), "Optimisation history") + h.figure(
        run.file(rundir.TUNE_IMPORTANCE_PNG), "Parameter importance"
    )
    if figures:
        sections.append(("figures", "Figures", figures))
    space = [[key, _choices(value)] for key, value in summary.space.items()]
    sections.append(("space", "Space", h.table(["key", "choices or range"], space, text_columns={0, 1})))
    return title, _top(summary), sections


def _top(summary: TuneFile) -> str:
    final = summary.final
    if final is None:
        return h.verdict("No trial completed: nothing was trained. The leaderboard says why each one failed.", False)
    parts = [
        h.note(
            f"The best configuration (trial {summary.best.trial}), trained once and scored on the "
            "test part the search never saw:"
        )
    ]
    parts += [h.verdict(f"{v.words}.", v.good) for v in final.judged()]
    if final.published not in (None, "model") and final.published_rmse is not None:
        parts.append(
            h.note(
                f"What predict publishes from it is the {final.published}: test RMSE {final.published_rmse:.4g} "
                f"(naive {final.naive_rmse:.4g}); its run's report has its verdicts."
            )
        )
    parts.append(
        h.note(
            f"Its run: {final.run} (report.html there has every figure). Its config: "
            f"{rundir.BEST_CONFIG} in this run, ready for forecast train and retrain."
        )
    )
    return "".join(parts)


def _improvement(summary: TuneFile) -> str:
    best, own = summary.best, summary.config_trial
    if best is None or own is None or own.state != "complete":
        return ""
    change = best.rmse / own.rmse - 1  # type: ignore[operator]
    return h.note(
        f"Best mean fold RMSE {best.rmse:.4g} (trial {best.trial}) vs {own.rmse:.4g} for the "
        f"config as given (trial 0): {change:+.1%}. Naive on the same folds: {best.naive_rmse:.4g}. "
        "The folds lie in the training part; a gain here is a search result, the verdict above is the "
        "test."
    )


def _leaderboard(rows: list[Trial]) -> str:
    keys = sorted({k for r in rows for k in r.values})
    fields = [k.split(".", 1)[1] for k in keys]
    # The objective is the combination's: the network's own RMSE beside it (tune's terminal table too).
    combined = any(r.network_rmse not in (None, r.rmse) for r in rows)
    columns = ["trial", "state", "RMSE", *(["network"] if combined else []), "ratio", "folds", "epochs", "s"]
    columns += [SHORT.get(f, f) for f in fields]
    body = [
        [
            r.trial,
            _state(r),
            r.rmse,
            *([r.network_rmse] if combined else []),
            r.ratio,
            r.folds,
            r.epochs,
            f"{r.seconds or 0:.0f}",
            *[_value(r.values.get(k)) for k in keys],
        ]
        for r in rows[:SHOWN]
    ]
    more = h.note(f"{len(rows) - SHOWN} more trials in {rundir.TRIALS_CSV}.") if len(rows) > SHOWN else ""
    return h.table(columns, body, highlight={0}, text_columns={1}) + more


def _state(r: Trial) -> str:
    """Where a pruned trial stopped, in a few words: "pruned at epoch 10 of fold 2" (the scores
    behind a rung's stop are in trials.csv and the terminal)."""
    if r.state == "complete" or not r.error:
        return r.state
    return f"{r.state} {r.error.split(':')[0].removeprefix('stopped ')}"


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "-" if value is None else (str(value) if isinstance(value, list) else value)


def _choices(spec: Any) -> str:
    if isinstance(spec, dict):  # a range
        step = f", step {spec['step']:g}" if spec.get("step") else ""
        return f"{spec['low']:g} .. {spec['high']:g}" + (" (log scale)" if spec.get("log") else "") + step
    return ", ".join(str(choice) for choice in spec)
