"""`forecast tune` as a user runs it: wall time, peak memory, and whether the best
configuration found beats naive and the statistical competitors on the test part.

    .venv/bin/python benchmarks/tune.py                          # MSFT and UNEMPLOYMENT, 30 trials each
    .venv/bin/python benchmarks/tune.py --series MARRIAGES --trials 30 --timeout 1200

Each series is tuned by the real command in a subprocess (fresh roots under a temporary
folder, the bundled sample data, one worker per core), so the time is what a user waits.
Appends to benchmarks/tune.json and rewrites benchmarks/TUNE.md; keeps each series' best.yaml as
benchmarks/tuned/SERIES.yaml, which `quality.py --verdicts --tuned SERIES=...` backtests. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.verdicts import SERIES, STOCKS  # noqa: E402  the same series and configs as the verdicts
from forecast.pipeline.lifecycle import environment  # noqa: E402
from forecast.tuning.rungs import STARTUP  # noqa: E402
from forecast.tuning.search import waits_for  # noqa: E402

TUNED = ROOT / "benchmarks" / "tuned"  # each series' best.yaml, for the verdicts' tuned column
# What limits a target that is not met, as measured (written under it).
NOTES = {
    "UNEMPLOYMENT": "What limits it: the config as given is already the seasonal recipe (MSTL's season "
    "removed, lookback 36, "
    "one LSTM layer of 32: QUALITY.md), about 0.98x AutoARIMA on the test part by itself, and the search finds "
    "little beyond it: its best trial (an LSTM 64x64, lookback 48, dropout 0.25) is 1.2% better on the folds "
    "(0.1601 vs 0.1620) and scores 0.1922 on the test part, 1.1% behind AutoARIMA (DM p 0.78) and about 2% "
    "behind the 0.1880 the same recipe scored in README's session of 2026-12-06 (a gain on the folds that did"
    " not carry to the test part). What predict publishes, the combination (0.92 network + 0.08 AutoARIMA, "
    "fitted on validation), scores AutoARIMA's own 0.1902 to four digits (DM p 0.9997). 30 trials (7 complete, "
    "23 pruned) took 6.4 min, the final training included; 0.2's unbudgeted search ran 18 trials in the 30 "
    "minutes of its --timeout 1800, whose tuned network scored 0.2233.",
    "MARRIAGES": "What limits it: 115 yearly values, close to a random walk. The objective, the combination, was "
    "naive on every fold of every complete trial (1.136), so the trials ranked by the network's own RMSE; the "
    "tuned network loses to naive on the test part (0.5328 vs 0.5018, DM p 0.10), and what predict publishes, "
    "the combination, is naive there, which AutoETS (a random walk here) equals.",
}
NOTES["SEA-TEMPERATURE"] = (
    "Measured without a time limit (2026-12-06): 30 trials in 22.8 min of search and 1.9 min of final training, now"
    " bounded by tune.budget.epochs (20 epochs; 14.5 min at train.epochs 300 before). The work is the trials that "
    "run whole: the first five, which run before the pruners have five to compare with, and trial 25, which beat "
    "the median at every rung: 1.8-5.3 min each (3 folds x 20 epochs of about 3,000 half-hourly windows of 96-192 "
    "steps), 51% of the search's 40 worker-minutes; the 24 others stopped at a rung, most at epoch 3 of fold 1 "
    "(5-18 s), some after a fold or two (29-264 s). The same command earlier that day, under --timeout 1500, "
    "finished 29 trials in 25 min: the same first five trials took 2-23% longer there (the first five 2.2-5.5 min; "
    "run-to-run variation on this machine, nothing else was running); before the pruners' start-up wait (trial N "
    "saw trials up to N - 4 only, so trials 5-7 ran whole too) 19; in batches (0.2's search) 30 trials took 25.3 "
    "min of search with 7 run whole and 14.5 min of final training. The best trial is the same in all four (trial "
    "3, a GRU on window-normalised levels, lookback 192): trained 20 epochs rather than to early stopping at 300, "
    "the network scores 0.03257 on the test part against 0.03220 (1.2% worse); what predict publishes, the "
    "combination, chose AutoARIMA on validation and is AutoARIMA's 0.03206."
)
NOTES["GLUCOSE"] = (
    "What limits it: 5-minute readings (8,357 rows; lookbacks 72 and 256). The first five trials run whole "
    "before the pruners have five told trials to compare with, 2.1-7.6 min each at 10 epochs x 3 folds "
    "(tune.budget.epochs=10), 60% of the 38.7 worker-minutes; then all 25 others stopped at a rung (epoch 3 "
    "or 9 of fold 1, 8-94 s). The best trial (trial 3, a GRU on window-normalised levels) moved the objective "
    "19% from the config's own (5.616 vs 6.952 on the folds), and what predict publishes from it, the "
    "combination (the network alone on validation), is 14% ahead of naive and 2.3% behind AutoARIMA on the "
    "test part (DM p 0.46, no difference the test can call). Its final training, now at the trials' 10 "
    "epochs, scores the same test RMSE to the last digit as at train.epochs 300 before, as it would if its "
    "best epoch fell within the first 10 (early stopping restores the best epoch's weights; not checked). The "
    "rungs judge the network alone on validation, the objective is the combination on the folds' test parts: "
    "trial 3 was 1.02x naive at its first rung in the earlier search and would have been stopped there had it "
    "not been among the first trials, which run whole, so the rungs may stop trials the combination would "
    "have liked; a rung scoring the combination would need the competitors' validation forecasts in the loop."
)
NOTES["MSFT"] = (
    "Met by 1.5 s, which is within this machine's run-to-run noise: the trials are the work now, not their "
    "schedule (the line below: the workers were busy 90% of the time, start-up and the final training "
    "included, and no schedule of these trials on two workers takes less than 9 minutes). The same seed draws "
    "the same trials; the same command earlier the same evening took 12.5 and 11.1 min, before a trial past the "
    "first five waited for them (trials 5-7 ran whole: 12 complete, 18 pruned). What makes the work long: the "
    "config's own trial (lookback 120, 134 s) and one of 176 s, and pruned trials that take 25-50 s to reach "
    "their first rung at epoch 10 (wide LSTMs or lookbacks of 120, one thread each). Faster epochs (issue 36: "
    "the cost of an epoch outside the kernel) would give it a margin."
)
MSFT_MINUTES = 30  # the target: 30 trials on sample MSFT within 30 minutes on 2 cores
SUB_HOURLY = ("SEA-TEMPERATURE", "GLUCOSE")  # issue 35: 30 trials each within 30 minutes
MSFT_BUDGETED_MINUTES = 10  # issue 35: 30 trials on sample MSFT within 10 minutes
# Issue 35's bar: the test RMSE of 0.2's unbudgeted search (its rows of 2026-11-29), which a budgeted one must match.
UNBUDGETED = {"MSFT": 0.311502, "UNEMPLOYMENT": 0.223340, "MARRIAGES": 0.563077}


def run_one(
    series: str, trials: int, workers: int | None, timeout: float | None, extra: list[str], log: Path | None = None
) -> dict:
    config, overrides = SERIES[series]
    overrides = [*overrides, *extra]
    with tempfile.TemporaryDirectory() as scratch:
        runs = Path(scratch) / "runs"
        command = [sys.executable, "-m", "forecast", "tune", "--config", str(ROOT / config), "--trials", str(trials),
                   "--runs-dir", str(runs), "--data-dir", str(Path(scratch) / "data")]  # fmt: skip
        command += [a for o in overrides for a in ("--set", o)] + (["--workers", str(workers)] if workers else [])
        command += ["--timeout", str(timeout)] if timeout else []
        clock = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        seconds = time.monotonic() - clock
        if log is not None:  # what the user saw on the terminal, the run's folder named as theirs would be
            log.write_text(
                done.stderr.replace(str(runs) + "/", "runs/") + done.stdout.replace(str(runs) + "/", "runs/")
            )
        if done.returncode != 0:
            raise SystemExit(f"{series}: forecast tune failed ({done.returncode}):\n{done.stderr[-2000:]}")
        (run,) = runs.glob("*-tune-*")
        summary = json.loads((run / "tune.json").read_text())
        if (run / "best.yaml").exists():
            TUNED.mkdir(exist_ok=True)
            kept = TUNED / f"{series}.yaml"
            # Its header's "Train it" line names the temporary folder: name the kept file instead.
            text = (run / "best.yaml").read_text()
            kept.write_text(text.replace(str(run / "best.yaml"), str(kept.relative_to(ROOT))))
    # The largest resident set of any process this script waited for: the tune or one of its workers.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    shown = " ".join(a for a in command[2:] if scratch not in a and a not in ("--runs-dir", "--data-dir"))
    return cell(series, summary, seconds, peak_mb, shown.replace(str(ROOT) + "/", ""))


def cell(series: str, summary: dict, seconds: float, peak_mb: float, command: str) -> dict:
    final, best, own = summary.get("final") or {}, summary.get("best") or {}, summary.get("config_trial") or {}
    rival = final.get("best_competitor") or {}
    return {
        "series": series,
        "date": dt.date.today().isoformat(),
        "command": command,
        "seconds": round(seconds, 1),
        "peak_mb": round(peak_mb),
        "trials": summary["trials"],
        "pruned_share": summary.get("pruned_share"),  # of the trials' seconds
        "workers": summary["workers"],
        "config_trial_rmse": own.get("rmse"),
        "best_trial": best.get("trial"),
        "best_trial_rmse": best.get("rmse"),
        "best_values": best.get("values"),
        "folds_naive_rmse": best.get("naive_rmse"),
        "test_rmse": final.get("rmse"),
        "published": final.get("published"),  # what predict publishes from the tuned run, and its test RMSE
        "published_rmse": final.get("published_rmse"),
        "test_naive_rmse": final.get("naive_rmse"),
        "test_dm_p": final.get("dm_p"),
        "competitor": rival.get("against"),
        "competitor_rmse": rival.get("rmse"),
        "competitor_p": rival.get("p_value"),
        # Each trial's (number, state, epochs, seconds): how the schedule used the workers.
        "trial_seconds": sorted(
            (r["trial"], r["state"], r.get("epochs"), r["seconds"]) for r in summary["leaderboard"]
        ),
        # The trials' seconds over the workers' seconds of the whole command (start-up and the final
        # training included): how busy the workers were.
        "busy": round(sum(r["seconds"] for r in summary["leaderboard"]) / (summary["workers"] * seconds), 3),
    }


# Series whose tune did not finish here, and why (measured; written under the targets).
UNFINISHED = {
    "SEA-TEMPERATURE": "not measured: started 2026-11-29 with `--timeout 1500` beside the test suite, its first two "
    "trials had not finished a single fold after 42 minutes, and it was stopped. Each fold trains to early "
    "stopping (up to train.epochs 300, patience 20) on about 3,000 half-hourly windows with lookbacks of 48 to 192 "
    "steps; 30 trials of 3 folds would take many hours on 2 cores. `--timeout` stops new trials from starting, "
    "not running ones.",
    "GLUCOSE": "not measured: one backtest of the shipped config takes 31 minutes there against "
    "SEA-TEMPERATURE's 16 (QUALITY.md), so a search costs more still.",
}


def write_markdown(results: dict, out: Path) -> None:
    env = environment()
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    lines = [
        "# forecast tune",
        "",
        f"Measured by `benchmarks/tune.py` ({env['platform']}, {os.cpu_count()} cores); {versions}.",
        "",
        "Each row is one `forecast tune` of a shipped config on bundled data, as a user runs it. The search "
        "scores trials on walk-forward folds of the training part; `test` columns are the best configuration "
        "trained once and scored on the test part, which the search never saw.",
        "",
        "| series | date | trials (complete/pruned/failed) | minutes | time on pruned | peak MB | config's own fold "
        "RMSE | best fold RMSE | test RMSE | published (test RMSE) | naive | best competitor | its RMSE | DM p vs "
        "naive | DM p vs competitor |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for r in results.values():
        t = r["trials"]
        lines.append(
            f"| {r['series']} | {r['date']} | {t['finished']} ({t['complete']}/{t['pruned']}/{t['failed']}) | "
            f"{r['seconds'] / 60:.1f} | {_share(r.get('pruned_share'))} | {r['peak_mb']} | "
            f"{_num(r['config_trial_rmse'])} | "
            f"{_num(r['best_trial_rmse'])} | **{_num(r['test_rmse'])}** | "
            + (f"{r['published']} {_num(r['published_rmse'])}" if r.get("published") else "-")
            + f" | {_num(r['test_naive_rmse'])} | "
            f"{r['competitor']} | {_num(r['competitor_rmse'])} | {_num(r['test_dm_p'])} | {_num(r['competitor_p'])} |"
        )
    lines += ["", "Commands:", ""] + [f"- {r['series']}: `{r['command']}`" for r in results.values()]
    lines += ["", "Best values found:", ""]
    for r in results.values():
        values = (r["best_values"] or {}).items()
        lines.append(f"- {r['series']}: trial {r['best_trial']}: "
                     + ", ".join(f"`{k}` {f'{v:.3g}' if isinstance(v, float) else v}" for k, v in values))  # fmt: skip
    lines += ["", "## Targets (issue 18)", ""]
    for r in results.values():
        if r["series"] == "MSFT":
            ok = r["seconds"] <= MSFT_MINUTES * 60
            lines.append(f"- 30 trials on sample MSFT within {MSFT_MINUTES} minutes on this machine: "
                         f"**{'met' if ok else 'NOT met'}** ({r['seconds'] / 60:.1f} min).")  # fmt: skip
        if r["series"] not in STOCKS and r["competitor_rmse"] is not None:
            ok = r["test_rmse"] < r["competitor_rmse"]
            lines.append(f"- {r['series']}: the tuned configuration's test RMSE below the best statistical "
                         f"competitor's: **{'met' if ok else 'NOT met'}** ({r['test_rmse']:.4f} vs "
                         f"{r['competitor']} {r['competitor_rmse']:.4f}).")  # fmt: skip
            if not ok and r["series"] in NOTES:
                lines.append(f"  {NOTES[r['series']]}")
    lines += [f"- {series}: {why}" for series, why in UNFINISHED.items() if series not in results]
    lines += ["", "## Targets (issue 35)", ""]
    for r in results.values():
        if r["series"] == "MSFT":
            ok = r["seconds"] <= MSFT_BUDGETED_MINUTES * 60 and r["trials"]["finished"] >= 30
            lines.append(f"- 30 trials on sample MSFT within {MSFT_BUDGETED_MINUTES} minutes: "
                         f"**{'met' if ok else 'NOT met'}** ({r['seconds'] / 60:.1f} min, "
                         f"{r['seconds']:.1f} s).")  # fmt: skip
            lines += [f"  {NOTES['MSFT']}"]
            lines += [schedules(r)] if r.get("trial_seconds") else []
        measured = r.get("pruned_share") is not None  # by a budgeted search (rows of 0.2 have no share)
        if (before := UNBUDGETED.get(r["series"])) is not None and measured and r["test_rmse"] is not None:
            # 0.2 published the tuned network; what a tuned run publishes now is the objective's forecaster.
            now, what = r.get("published_rmse") or r["test_rmse"], r.get("published") or "the network"
            ok = now <= before
            lines.append(f"- {r['series']}: the tuned result at least as good as 0.2's unbudgeted search's: "
                         f"**{'met' if ok else 'NOT met'}** (what predict publishes, {what}: "
                         f"{now:.4f}; the tuned network alone {r['test_rmse']:.4f}; 0.2's tuned network "
                         f"{before:.4f}).")  # fmt: skip
        if r["series"] in SUB_HOURLY:
            t, ok = r["trials"], r["trials"]["finished"] >= 30 and r["seconds"] <= 30 * 60
            lines.append(f"- 30 trials on {r['series']} within 30 minutes: **{'met' if ok else 'NOT met'}** "
                         f"({t['finished']} trials, {t['complete']} complete, in {r['seconds'] / 60:.1f} min, "
                         f"the final training included{'' if ok else '; what limits it: above'}).")  # fmt: skip
            lines += [schedules(r)] if r.get("trial_seconds") else []
    out.write_text("\n".join(lines) + "\n")


def simulated(seconds: list[float], workers: int, wait: bool = True) -> float:
    """Minutes the trials would take on `workers` given their measured seconds: a trial starts when
    a worker is free and its turn has come (search.waits_for, as tune runs it), or, without
    `wait`, as soon as a worker is free."""
    clock, running, done, told, started = 0.0, [], set(), 0, 0
    while told < len(seconds):
        while (
            started < len(seconds)
            and len(running) < workers
            and (not wait or told >= waits_for(started, workers, STARTUP))
        ):
            heapq.heappush(running, (clock + seconds[started], started))
            started += 1
        clock, number = heapq.heappop(running)
        done.add(number)
        while told in done:
            told += 1
    return clock / 60


def batched(seconds: list[float], workers: int) -> float:
    """Minutes the trials would take in batches of `workers`, each waiting for its slowest (0.2's search)."""
    return sum(max(seconds[i : i + workers]) for i in range(0, len(seconds), workers)) / 60


def schedules(r: dict) -> str:
    """The schedules compared on one run's measured trial seconds (the trials as drawn there)."""
    seconds, workers = [t[3] for t in r["trial_seconds"]], r["workers"]
    return (
        f"  Schedules on these trials' measured seconds ({sum(seconds) / 60:.1f} worker-minutes, {workers} workers): "
        f"batches of {workers} (0.2's search) {batched(seconds, workers):.1f} min, a trial per free worker in its "
        f"turn (as run) {simulated(seconds, workers):.1f} min, no wait at all {simulated(seconds, workers, False):.1f} "
        f"min; the workers were busy {r['busy']:.0%} of the command's time."
    )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", nargs="+", default=["MSFT", "UNEMPLOYMENT"], choices=list(SERIES))
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--workers", type=int, default=None, help="Default: one per core, as the command's.")
    parser.add_argument("--timeout", type=float, default=None, help="Seconds the search may take (tune --timeout).")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="More overrides (tune.budget...).")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    parser.add_argument("--log", type=Path, default=None, help="Keep the command's terminal output (one series).")
    args = parser.parse_args()
    store = args.out / "tune.json"
    results = json.loads(store.read_text()) if store.exists() else {}
    for series in args.series:
        print(f"{series}: forecast tune, {args.trials} trials ...", flush=True)
        results[series] = run_one(series, args.trials, args.workers, args.timeout, args.extra, args.log)
        store.write_text(json.dumps(results, indent=1) + "\n")
        r = results[series]
        print(f"  {r['seconds'] / 60:.1f} min; test RMSE {r['test_rmse']:.4f}, naive {r['test_naive_rmse']:.4f}, "
              f"{r['competitor']} {r['competitor_rmse']}", flush=True)  # fmt: skip
    write_markdown(results, args.out / "TUNE.md")
    print(f"wrote {args.out / 'TUNE.md'}")


if __name__ == "__main__":
    main()
