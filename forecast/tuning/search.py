"""The search of `forecast tune`: Optuna's TPE sampler over the space, a trial started as soon
as a worker is free, the study kept in a SQLite file so that a stopped tune resumes.

Determinism: the k-th trial is asked (the sampler seeded from tune.seed and the trial's number,
constant_liar so trials asked and not told count as seen) when a number of trials that depends
on k alone have been told (waits_for), and results are told in trial-number order. So trial N
always sees the same trials told and the same ones pending, and its pruning compares it with
those told trials (trials.py): the same seed and worker count give the same trials and scores,
whichever worker finishes first. With one worker each trial sees all before it. With more,
trial N sees those up to N - 2 x workers, so a worker freed by a quickly pruned trial takes the
next ones while a long trial runs beside it; but a trial after the first 5 waits for those 5
(the pruners compare with 5 told trials), else the few after them would all run whole. Trials
run here, in worker processes or on Ray (workers/pool.py).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.config import Config
from forecast.errors import DependencyError
from forecast.tuning.rungs import STARTUP, records
from forecast.tuning.space import Space, configure, suggest
from forecast.tuning.trials import lost, mean_rmse, running_ratios
from forecast.workers.pool import Executor, Job, Lost, Pool

log = logging.getLogger(__name__)
STUDY = "tune"  # the study's name inside study.db
RANDOM_TRIALS = 10  # random trials before TPE models the results (Optuna's default)
TIE_BREAK = 1e-6  # the network's RMSE's weight in the value Optuna sees (_tell)
Told = Callable[[Any], None]  # called with each finished FrozenTrial, in number order


def open_study(path: Path, seed: int):
    """The study in `path` (created, or loaded to resume). Trials a stopped tune left
    running are marked failed ("interrupted") and queued to run again with their values."""
    optuna = _optuna()
    study = optuna.create_study(
        study_name=STUDY,
        storage=f"sqlite:///{path}",
        load_if_exists=True,
        direction="minimize",
        sampler=_sampler(seed, 0),
    )
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        release(study, trial)
    return study


def finished(study: Any) -> list[Any]:
    """The trials that count towards tune.trials: complete, pruned or failed on their own."""
    from optuna.trial import TrialState

    done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return [t for t in study.get_trials(deepcopy=False, states=done) if not t.user_attrs.get("interrupted")]


def search(
    study: Any,
    config: Config,
    space: Space,
    series: Path,
    end: int,
    *,
    first: dict[str, Any],
    workers: int,
    trials: int,
    timeout: float | None,
    on_told: Told | None = None,
    executor: Executor = "local",
    address: str | None = None,
) -> None:
    """Run trials until `trials` have finished (counting a resumed study's) or `timeout`
    seconds have passed: then no trial starts, running ones stop at once (within a batch of
    training) and count as pruned with the folds they finished, and those drawn but not started
    are released to run on resume (release). `first` is the config's own values, the first
    trial of a new study."""
    if not study.get_trials(deepcopy=False):
        study.enqueue_trial(first)
    clock = time.monotonic()
    deadline = None if timeout is None else time.time() + timeout  # wall clock: trials may run elsewhere (Ray)
    startup = STARTUP if config.tune.pruning else 0  # the told trials a pruner needs before it compares
    pace = Pace(len(finished(study)), workers)
    # On Ray the series travels with each trial: a cluster's nodes do not share this disk.
    frame = {"frame": pd.read_parquet(series)} if executor == "ray" else {}
    asked: list[Asked] = []  # in number order: asked, not yet told
    queue: list[Asked] = []  # asked, not yet started
    results: dict[int, Any] = {}  # trial number -> its result, held until the trials before it are told
    past = False  # the time limit has passed

    def ask() -> None:
        study.sampler = _sampler(config.tune.seed, len(study.get_trials(deepcopy=False)))
        trial = study.ask()
        values = suggest(trial, space)
        request = {
            "number": trial.number,
            "series": str(series),
            "end": end,
            "completed": study.get_trials(deepcopy=True, states=(_optuna().trial.TrialState.COMPLETE,)),
            "peers": records(finished(study)),  # a failed trial's record (before it failed) counts too
            "deadline": deadline,
            "config": configure(config, values).model_dump(mode="json"),
            **frame,
        }
        job = Job("forecast.tuning.trials:run_trial", request, f"tune trial {trial.number}")
        asked.append(Asked(trial, values, job))
        queue.append(asked[-1])

    def ask_ready() -> None:
        """Ask every trial whose turn has come (waits_for), up to `trials`."""
        done = len(finished(study))  # asking tells nothing: read the study once
        while not past and (k := done + len(asked)) < trials and done >= waits_for(k, workers, startup):
            ask()

    with Pool(workers, executor, address) as pool:
        ask_ready()
        running: dict[int, Asked] = {}  # the pool's ticket -> the trial it runs
        while asked:
            if not past and timeout is not None and time.monotonic() - clock >= timeout:
                past = True
                log.info("tune: the time limit (%g s) has passed; no new trial starts", timeout)  # running ones stopped
                for waiting in queue:
                    release(study, waiting.trial)
                    asked.remove(waiting)
                queue.clear()
            while queue and pool.free > 0:
                trial = queue.pop(0)
                # Said when it starts (a trial can take minutes), numbered as the leaderboard numbers them.
                event = {"event": "starting", "trial": trial.trial.number, "of": trials}
                log.info("trial %d/%d starting", trial.trial.number, trials, extra={"event": event})
                running[pool.submit(trial.job)] = trial
            if not running:
                break
            ticket, result = pool.next_done()
            number = running.pop(ticket).trial.number
            results[number] = lost(number, result.why) if isinstance(result, Lost) else result
            told = 0
            while asked and asked[0].trial.number in results:
                head = asked.pop(0)
                _tell(study, head.trial, head.values, results.pop(head.trial.number))
                told += 1
                if on_told is not None:
                    on_told(study.get_trials(deepcopy=False)[head.trial.number])
                ask_ready()
            over = timeout is not None and time.monotonic() - clock >= timeout  # then the next turn says so
            if told and not over:
                count, seconds = len(finished(study)), time.monotonic() - clock
                if (left := trials - count) > 0:
                    said, event = pace.said(count, left, seconds), pace.event(count, left, seconds)
                    log.info("tune: %s", said, extra={"event": event})


@dataclass(frozen=True, eq=False)
class Asked:
    trial: Any  # Optuna's Trial
    values: dict[str, Any]
    job: Job


def waits_for(k: int, workers: int, startup: int) -> int:
    """The trials told before the k-th is asked: all but the last 2 x workers - 1 before it (one
    worker: all before it); and, past the first `startup` trials, at least those, so that the
    pruners (which compare with `startup` told trials) judge it rather than let it run whole."""
    told = max(0, k - (1 if workers == 1 else 2 * workers) + 1)
    return max(told, startup) if k >= startup else told


def release(study: Any, trial: Any) -> None:
    """A trial asked and not finished (left running by a stopped tune, or never started before the
    time limit): marked failed and "interrupted" (it does not count), and queued to run again
    with its values when the tune resumes. Optuna has no public setter for such a trial."""
    study._storage.set_trial_user_attr(trial._trial_id, "interrupted", True)
    study.tell(trial.number, state=_optuna().trial.TrialState.FAIL)
    study.enqueue_trial(trial.params, skip_if_exists=False)


class Pace:
    """The time the trials left will take, from the pace of those this invocation finished:
    `workers` run at once, so the seconds so far per trial finished is what each more costs."""

    def __init__(self, before: int, workers: int) -> None:
        self.before, self.workers = before, workers  # trials finished before this invocation

    def estimate(self, done: int, left: int, seconds: float) -> tuple[float, float]:
        """(seconds left, seconds per trial finished so far) after `seconds` of this invocation."""
        per_trial = seconds / max(1, done - self.before)
        return left * per_trial, per_trial

    def said(self, done: int, left: int, seconds: float) -> str:
        more, per_trial = self.estimate(done, left, seconds)
        at_once = f", {self.workers} at a time" if self.workers > 1 else ""
        return (
            f"{done} {'trial' if done == 1 else 'trials'} finished, {left} to go: about {_duration(more)} more "
            f"at {_duration(per_trial)} a trial so far{at_once}"
        )

    def event(self, done: int, left: int, seconds: float) -> dict[str, Any]:
        """The same as --json's progress event (cli/options.py: json_events)."""
        more, per_trial = self.estimate(done, left, seconds)
        timing = {"seconds_left": round(more, 1), "seconds_per_trial": round(per_trial, 1)}
        return {"event": "pace", "finished": done, "left": left, **timing, "workers": self.workers}


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 90 * 60 else f"{seconds / 3600:.1f} h"


def importance(study: Any) -> dict[str, float] | None:
    """Each searched key's share of the variance of the log objective (Optuna's fANOVA,
    seeded): the log, so one trial 8x worse than naive does not decide every share alone.
    None with fewer than 3 complete trials, where it would be noise."""
    optuna = _optuna()
    if len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))) < 3:
        return None
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        shares = optuna.importance.get_param_importances(
            study, evaluator=evaluator, target=lambda t: math.log(t.value), normalize=True
        )
    except (RuntimeError, ValueError):  # no key varied across the complete trials
        return None
    return {key: round(float(share), 4) for key, share in shares.items()}


def _tell(study: Any, trial: Any, values: dict[str, Any], result: dict[str, Any]) -> None:
    from optuna.trial import TrialState

    folds = result["folds"]
    for step, ratio in enumerate(running_ratios(folds)):
        trial.report(float(ratio), step)
    attrs = {"values": values, "folds": folds, "seconds": result["seconds"], "error": result["error"]}
    attrs |= {"rungs": result["rungs"], "epochs": result["epochs"]}  # its rung scores (rungs.py), epochs trained
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    objective = mean_rmse(folds) if result["state"] == "complete" else None
    if objective is not None and math.isfinite(objective):
        # Where the combination gives the network no weight, every trial scores the same and the
        # sampler would learn nothing: the network's own RMSE breaks ties, a millionth of its size
        # (never enough to reorder trials whose combinations differ by more than that).
        network = [f.get("network_rmse", f["rmse"]) for f in folds]
        study.tell(trial, objective + TIE_BREAK * float(sum(network) / len(network)))
    else:  # pruned, failed, or (a study of an older version) complete with a non-finite fold
        study.tell(trial, state=TrialState.PRUNED if result["state"] == "pruned" else TrialState.FAIL)


def _sampler(seed: int, number: int):
    # Seeded per trial, not once: a resumed study draws what an uninterrupted one would.
    optuna = _optuna()
    return optuna.samplers.TPESampler(seed=seed * 100_003 + number, constant_liar=True, n_startup_trials=RANDOM_TRIALS)


def _optuna():
    try:
        import optuna
    except ImportError as exc:
        raise DependencyError(
            f"forecast tune needs optuna, which does not import: {exc}", hint="pip install 'optuna>=4.2'"
        ) from exc
    # Optuna's messages go through the tool's logging (third-party: errors only, --verbose shows
    # them), not its own handler on stderr.
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna
