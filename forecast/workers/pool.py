"""One pool for work that runs beside other work: a universe's members, compare's candidates,
backtest's folds, tune's trials. Here (one worker), in child interpreters (one per worker,
started once, each with its share of the cores), or on Ray (a fresh worker process per job).

A job names a function by "module:function" (it is imported in the worker) and gives it one
picklable payload; results come back in the jobs' order. One rule for a worker that dies
(killed, out of memory) or that Ray loses: the job's result is a Lost, and the others go on.
A job that raises stops the pool: the error is raised here, as it would be in one process.
On Ctrl-C, SIGTERM or an error the workers are sent SIGTERM (each records the stage it was
running as interrupted, resumable), and killed if they have not stopped a few seconds later.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Literal

from forecast.errors import DependencyError, exit_code, was_interrupted
from forecast.workers import setup
from forecast.workers.child import Child, StartError
from forecast.workers.ray_session import ray_session

log = logging.getLogger(__name__)
Executor = Literal["local", "ray"]
GRACE = 10.0  # seconds a stopped worker has to record its run as interrupted before it is killed


@dataclass(frozen=True)
class Job:
    function: str  # "module:function", called with the payload in the worker
    payload: Any
    label: str  # names the job in its workers' log lines: "MSFT", "fold 2", "trial 5"


@dataclass(frozen=True)
class Lost:
    """A job whose worker died, or was lost by Ray, before it answered."""

    label: str
    why: str


@dataclass(frozen=True)
class Raised:
    """A job's own error, carried back from its worker (an error that does not pickle as text)."""

    error: BaseException


Done = Callable[[int, Any], None]  # (the job's position, its result), as each finishes


def call(job: Job) -> Any:
    module, _, name = job.function.partition(":")
    return getattr(importlib.import_module(module), name)(job.payload)


class Pool:
    """`with Pool(workers) as pool: results = pool.map(jobs)`; workers == 1 runs the jobs here."""

    def __init__(self, workers: int, executor: Executor = "local", address: str | None = None) -> None:
        self.workers, self.executor, self.address = max(1, workers), executor, address
        self.children: list[Child | None] = []
        self.ray: Any = None

    def __enter__(self) -> Pool:
        if self.executor == "ray":
            self.session = ray_session(self.workers, self.address)
            self.ray = self.session.__enter__()
        elif self.workers > 1:
            self.children = [self._start() for _ in range(self.workers)]  # all at once: their start-ups overlap
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        failed = kind is not None
        for child in self.children:
            if child is not None:
                child.stop(GRACE) if failed else child.kill()
        self.children = []
        if self.ray is not None:
            self.session.__exit__(kind, error, traceback)

    def map(self, jobs: list[Job], on_done: Done | None = None) -> list[Any]:
        notify = on_done or (lambda *_: None)
        if self.ray is not None:
            return self._on_ray(jobs, notify)
        if not self.children:
            results = []
            for i, job in enumerate(jobs):
                results.append(call(job))
                notify(i, results[-1])
            return results
        return self._in_children(jobs, notify)

    # --- child interpreters ------------------------------------------------------------

    def _start(self) -> Child:
        env = {setup.THREADS: str(setup.share_of_cores(self.workers)), setup.LEVEL: str(setup.worker_level())}
        return Child(__name__, env=env, quiet=False)

    def _ready(self, slot: int) -> Child:
        child = self.children[slot]
        if child is None or child.poll() is not None:
            child = self.children[slot] = self._start()
        try:
            child.ready()
        except StartError as exc:
            raise DependencyError(
                f"a worker process could not start: {exc}",
                hint="forecast doctor checks the environment; --workers 1 runs the work in this process",
            ) from None
        return child

    def _in_children(self, jobs: list[Job], notify: Done) -> list[Any]:
        results: list[Any] = [None] * len(jobs)
        waiting = list(range(len(jobs)))
        busy: dict[int, int] = {}  # slot -> the job it runs
        while waiting or busy:
            for slot in range(len(self.children)):
                if slot not in busy and waiting:
                    busy[slot] = waiting.pop(0)
                    self._ready(slot).submit(jobs[busy[slot]])
            ready = wait([self.children[slot].receive for slot in busy])  # type: ignore[union-attr]
            for slot in [s for s in list(busy) if self.children[s].receive in ready]:  # type: ignore[union-attr]
                i = busy.pop(slot)
                results[i] = self._answer(slot, jobs[i])
                if isinstance(results[i], Raised):
                    raise results[i].error
                notify(i, results[i])
        return results

    def _answer(self, slot: int, job: Job) -> Any:
        child = self.children[slot]
        try:
            status, result = child.receive.recv()  # type: ignore[union-attr]
        except (EOFError, OSError):  # the worker died: this job is lost, a new worker runs the next
            code = child.kill()  # type: ignore[union-attr]
            self.children[slot] = None
            return Lost(job.label, f"its worker process ended without a result (exit code {code})")
        return result if status == "ok" else Raised(RuntimeError(result))

    # --- Ray ---------------------------------------------------------------------------

    def _on_ray(self, jobs: list[Job], notify: Done) -> list[Any]:
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        threads = setup.share_of_cores(min(len(jobs), self.workers or cpus)) if self.address is None else 1
        # One fresh worker process per job (max_calls=1): TensorFlow's thread settings are per process.
        remote = self.ray.remote(num_cpus=1, max_calls=1)(on_ray)
        env = {key: os.environ[key] for key in setup.CACHES if key in os.environ}
        pending = {remote.remote(job, threads, setup.worker_level(), env): i for i, job in enumerate(jobs)}
        results: list[Any] = [None] * len(jobs)
        while pending:
            ready, _ = self.ray.wait(list(pending), num_returns=1)
            i = pending.pop(ready[0])
            try:
                results[i] = self.ray.get(ready[0])
            except Exception as exc:  # the worker died, or the cluster lost it
                results[i] = Lost(jobs[i].label, f"Ray lost its job ({type(exc).__name__})")
            if isinstance(results[i], Raised):
                raise results[i].error
            notify(i, results[i])
        return results


def on_ray(job: Job, threads: int, level: int, env: dict[str, str]) -> Any:
    """A job as a Ray task, in a fresh worker process set up as a pool's worker."""
    setup.set_up(threads, level, env)
    return answer(job)


# --- in a worker (workers/child.py calls prepare() once, then answer() per job) -------------


def prepare() -> None:
    setup.set_up(int(os.environ.get(setup.THREADS, "1")), int(os.environ.get(setup.LEVEL, logging.WARNING)))


def answer(job: Job) -> Any:
    """The job's result; its error comes back whole (a ForecastError keeps its exit code). Stopped
    by SIGTERM, the worker ends with the documented code once the job has recorded it."""
    setup.label(job.label)
    try:
        return call(job)
    except Exception as exc:
        if not was_interrupted(exc):
            return Raised(exc)
        _leave(exit_code(exc))
    except KeyboardInterrupt as exc:
        _leave(exit_code(exc))


def _leave(code: int) -> None:
    """A worker stopped by a signal ends with the documented code once its job has recorded its run
    interrupted, without the interpreter's teardown under TensorFlow's threads (see cli.main)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
