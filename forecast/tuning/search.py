"""The search of `forecast tune`: Optuna's TPE sampler over the space, trials run in batches
of one per worker, the study kept in a SQLite file so that a stopped tune resumes.

Determinism: each batch asks one trial per worker (the sampler seeded from tune.seed and
the trial's number, constant_liar so the batch's pending trials count as seen), runs them
here, in worker processes or on Ray (workers/pool.py), and tells their results in trial-number order. A trial's
pruning compares it with the trials finished before its batch (trials.py). So the same
seed and worker count give the same trials and scores, whichever worker finishes first.
The price: a batch waits for its slowest trial.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.config import Config
from forecast.errors import DependencyError
from forecast.tuning.rungs import records
from forecast.tuning.space import Space, configure, suggest
from forecast.tuning.trials import lost, mean_rmse, running_ratios
from forecast.workers.pool import Executor, Job, Lost, Pool

log = logging.getLogger(__name__)
STUDY = "tune"  # the study's name inside study.db
STARTUP_TRIALS = 10  # random trials before TPE models the results (Optuna's default)
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
        # Optuna has no public setter for a trial that is no longer running anywhere.
        study._storage.set_trial_user_attr(trial._trial_id, "interrupted", True)
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, skip_if_exists=False)
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
    seconds have passed: then no trial starts, and running ones stop at once (within a batch of
    training) and count as pruned with the folds they finished. `first` is the config's own
    values, the first trial of a new study."""
    optuna = _optuna()
    if not study.get_trials(deepcopy=False):
        study.enqueue_trial(first)
    clock = time.monotonic()
    deadline = None if timeout is None else time.time() + timeout  # wall clock: trials may run elsewhere (Ray)
    pace = Pace(len(finished(study)), workers)
    # On Ray the series travels with each trial: a cluster's nodes do not share this disk.
    frame = {"frame": pd.read_parquet(series)} if executor == "ray" else {}
    with Pool(workers, executor, address) as pool:
        while (left := trials - len(finished(study))) > 0:
            if timeout is not None and time.monotonic() - clock >= timeout:
                log.info("tune: the time limit (%g s) has passed; no new trial starts", timeout)  # running ones stopped
                break
            batch = []
            for _ in range(min(left, workers)):
                study.sampler = _sampler(config.tune.seed, len(study.get_trials(deepcopy=False)))
                trial = study.ask()
                batch.append((trial, suggest(trial, space)))
            completed = study.get_trials(deepcopy=True, states=(optuna.trial.TrialState.COMPLETE,))
            peers = records(finished(study))  # a failed trial's record (before it failed) counts too
            # Said before the trials start (each can take minutes), numbered as the leaderboard numbers them.
            numbers = ", ".join(str(trial.number) for trial, _ in batch)
            event = {"event": "starting", "trials": [trial.number for trial, _ in batch], "of": trials}
            at_once = " at once" if len(batch) > 1 else ""
            log.info("trial %s/%d starting%s", numbers, trials, at_once, extra={"event": event})
            jobs = [
                Job(
                    "forecast.tuning.trials:run_trial",
                    {
                        "number": trial.number,
                        "series": str(series),
                        "end": end,
                        "completed": completed,
                        "peers": peers,
                        "deadline": deadline,
                        "config": configure(config, values).model_dump(mode="json"),
                        **frame,
                    },
                    f"tune trial {trial.number}",
                )
                for trial, values in batch
            ]
            for (trial, values), result in zip(batch, pool.map(jobs), strict=True):
                if isinstance(result, Lost):
                    result = lost(trial.number, result.why)
                _tell(study, trial, values, result)
                if on_told is not None:
                    on_told(study.get_trials(deepcopy=False)[trial.number])
            past = timeout is not None and time.monotonic() - clock >= timeout  # then the line below says so
            if (left := trials - len(finished(study))) > 0 and not past:
                done, seconds = len(finished(study)), time.monotonic() - clock
                log.info("tune: %s", pace.said(done, left, seconds), extra={"event": pace.event(done, left, seconds)})


class Pace:
    """The time the trials left will take, from the pace of those this invocation finished:
    they run `workers` at a time, so the batches left times the seconds of a batch so far."""

    def __init__(self, before: int, workers: int) -> None:
        self.before, self.workers = before, workers  # trials finished before this invocation

    def estimate(self, done: int, left: int, seconds: float) -> tuple[float, float]:
        """(seconds left, seconds per batch so far) after `seconds` of this invocation."""
        per_batch = seconds / max(1, math.ceil((done - self.before) / self.workers))
        return math.ceil(left / self.workers) * per_batch, per_batch

    def said(self, done: int, left: int, seconds: float) -> str:
        more, per_batch = self.estimate(done, left, seconds)
        return (
            f"{done} trials finished, {left} to go: about {_duration(more)} more "
            f"at {_duration(per_batch)} per {'batch' if self.workers > 1 else 'trial'} so far"
        )

    def event(self, done: int, left: int, seconds: float) -> dict[str, Any]:
        """The same as --json's progress event (cli/options.py: json_events)."""
        more, per_batch = self.estimate(done, left, seconds)
        timing = {"seconds_left": round(more, 1), "seconds_per_batch": round(per_batch, 1)}
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
    return optuna.samplers.TPESampler(seed=seed * 100_003 + number, constant_liar=True, n_startup_trials=STARTUP_TRIALS)


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
