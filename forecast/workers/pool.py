"""One pool for work that runs beside other work: a universe's members, compare's candidates,
backtest's folds, tune's trials. Here (one worker), in child interpreters (one per worker,
started once, each with its share of the cores), or on Ray (worker processes kept for every job
with the same share of the cores).

A job names a function by "module:function" (it is imported in the worker) and gives it one
picklable payload; results come back in the jobs' order. One rule for a worker that dies
(killed, out of memory) or that Ray loses: the job's result is a Lost, and the others go on.
A job that raises stops the pool: the error is raised here, as it would be in one process.
On Ctrl-C, SIGTERM or an error the workers are sent SIGTERM (each records the stage it was
running as interrupted, resumable), and killed if they have not stopped GRACE seconds later.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import logging
import os
import shutil
import sys
import tempfile
import time
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
# Seconds stopped workers have to record their runs as interrupted before they are killed: they
# take well under one, but one stopped as it imports TensorFlow finishes the import first
# (network/training.py: import_keras), 5 s of CPU and more on a loaded machine.
GRACE = 30.0


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
    """`with Pool(workers) as pool: results = pool.map(jobs)`; workers == 1 runs the jobs here.

    Or one job at a time, for work that decides its next job from the last one's result (tune):
    `pool.submit(job)` while `pool.free`, then `pool.next_done()` as each finishes."""

    def __init__(self, workers: int, executor: Executor = "local", address: str | None = None) -> None:
        self.workers, self.executor, self.address = max(1, workers), executor, address
        self.children: list[Child | None] = []
        self.scratch: str | None = None  # the workers' TMPDIR, removed with them (_tmpdir)
        self.ray: Any = None
        self.running: dict[int, Job] = {}  # ticket -> the job submitted and not yet done
        self.slots: dict[int, int] = {}  # a child's slot -> the ticket it runs
        self.refs: dict[Any, int] = {}  # a Ray task -> its ticket
        self.tickets = itertools.count()

    def __enter__(self) -> Pool:
        if self.executor == "ray":
            self.session = ray_session(self.workers, self.address)
            self.ray, private = self.session.__enter__()
            self.remote = self.ray.remote(num_cpus=1)(on_ray)
            if private:  # its workers end with this pool
                self.scratch = tempfile.mkdtemp(prefix="forecast-workers-")
        elif self.workers > 1:
            self.scratch = tempfile.mkdtemp(prefix="forecast-workers-")
            self.children = [self._start() for _ in range(self.workers)]  # all at once: their start-ups overlap
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        try:
            self._end_children(stopped=kind is not None)
            if self.ray is not None:
                if kind is not None:
                    self._stop_on_ray()
                self.session.__exit__(kind, error, traceback)
        finally:  # also when a signal lands while they end
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)
                self.scratch = None

    @property
    def free(self) -> int:
        """Workers without a job."""
        return self.workers - len(self.running)

    def submit(self, job: Job, threads: int | None = None) -> int:
        """Start `job` (on a free worker, on Ray, or here at next_done); its ticket. `threads`:
        TensorFlow's threads for a Ray task (default: a share of the cores for `workers` at once)."""
        ticket = next(self.tickets)
        self.running[ticket] = job
        if self.ray is not None:
            env = {key: os.environ[key] for key in setup.CACHES if key in os.environ}
            threads = threads or self._ray_threads(self.workers)
            # TensorFlow's thread settings are per process, fixed when it starts: Ray runs a task
            # only in a worker started with the task's runtime_env, so a worker keeps the threads it
            # started with and is reused for every job with the same share, its TensorFlow imported
            # once (5 s of CPU per job otherwise: one per trial of a search, or per member of a universe).
            share = {"env_vars": {setup.THREADS: str(threads), **self._tmpdir()}}
            task = self.remote.options(runtime_env=share).remote(job, threads, setup.worker_level(), env)
            self.refs[task] = ticket
        elif self.children:
            slot = next(s for s in range(len(self.children)) if s not in self.slots)
            self.slots[slot] = ticket
            self._ready(slot).submit(job)
        return ticket

    def next_done(self) -> tuple[int, Any]:
        """(ticket, result) of a submitted job as soon as one finishes; a Lost for one whose
        worker died. A job's own error is raised here, as it would be in one process."""
        if self.ray is not None:
            ticket, result = self._next_on_ray()
        elif self.children:
            ticket, result = self._next_in_children()
        else:
            ticket = next(iter(self.running))
            result = call(self.running[ticket])
        del self.running[ticket]
        if isinstance(result, Raised):
            raise result.error
        return ticket, result

    def map(self, jobs: list[Job], on_done: Done | None = None) -> list[Any]:
        """The jobs' results in their order; `on_done(position, result)` as each finishes."""
        notify = on_done or (lambda *_: None)
        threads = self._ray_threads(len(jobs)) if self.ray is not None else None
        results: list[Any] = [None] * len(jobs)
        waiting, positions = list(range(len(jobs))), {}
        while waiting or positions:
            # Ray queues on its cluster, which may have more CPUs than workers: every job at once.
            while waiting and (self.free > 0 or self.ray is not None):
                i = waiting.pop(0)
                positions[self.submit(jobs[i], threads)] = i
            ticket, result = self.next_done()
            i = positions.pop(ticket)
            results[i] = result
            notify(i, result)
        return results

    # --- child interpreters ------------------------------------------------------------

    def _end_children(self, stopped: bool) -> None:
        children = [child for child in self.children if child is not None]
        self.children = []
        if not stopped:
            for child in children:
                child.kill()
            return
        for child in children:  # all stopped at once, with one grace for all: not one after another
            child.terminate()
        deadline = time.monotonic() + GRACE
        for child in children:
            child.stop(max(0.0, deadline - time.monotonic()))

    def _start(self) -> Child:
        env = {setup.THREADS: str(setup.share_of_cores(self.workers)), setup.LEVEL: str(setup.worker_level())}
        return Child(__name__, env={**env, **self._tmpdir()}, quiet=False)

    def _tmpdir(self) -> dict[str, str]:
        """The workers' TMPDIR, where the pool has a folder of its own for them. TensorFlow's
        autograph writes each function it converts to a temporary file, removed at the
        interpreter's exit. A worker never gets there (killed when its pool or its private Ray
        instance ends, os._exit when stopped), so each left its files in /tmp."""
        return {} if self.scratch is None else {"TMPDIR": self.scratch}

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

    def _next_in_children(self) -> tuple[int, Any]:
        ready = wait([self.children[slot].receive for slot in self.slots])  # type: ignore[union-attr]
        slot = next(s for s in self.slots if self.children[s].receive in ready)  # type: ignore[union-attr]
        ticket = self.slots.pop(slot)
        return ticket, self._answer(slot, self.running[ticket])

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

    def _ray_threads(self, at_once: int) -> int:
        return setup.share_of_cores(min(at_once, self.workers)) if self.address is None else 1

    def _stop_on_ray(self) -> None:
        """Every task still running is cancelled (ray.cancel raises KeyboardInterrupt in it: it
        records its run as interrupted) and has GRACE seconds to end before Ray shuts down, which
        kills its workers (their runs were left "running")."""
        tasks = list(self.refs)
        for task in tasks:
            with contextlib.suppress(Exception):  # a task that has just ended
                self.ray.cancel(task)
        with contextlib.suppress(Exception):
            self.ray.wait(tasks, num_returns=len(tasks), timeout=GRACE)

    def _next_on_ray(self) -> tuple[int, Any]:
        ready, _ = self.ray.wait(list(self.refs), num_returns=1)
        ticket = self.refs.pop(ready[0])
        try:
            return ticket, self.ray.get(ready[0])
        except Exception as exc:  # the worker died, or the cluster lost it
            return ticket, Lost(self.running[ticket].label, f"Ray lost its job ({type(exc).__name__})")


def on_ray(job: Job, threads: int, level: int, env: dict[str, str]) -> Any:
    """A job as a Ray task, in a worker process set up as a pool's worker (again, the same way, for
    each job it runs)."""
    setup.set_up(threads, level, env, interrupt=True)  # Pool._stop_on_ray cancels it with SIGINT's handler
    # Stopped, the interruption goes back to Ray, which ends the task as cancelled and keeps its
    # worker: a worker leaving by os._exit had the raylet print "A worker died" on our stdout.
    return answer(job, leave=False)


# --- in a worker (workers/child.py calls prepare() once, then answer() per job) -------------


def prepare() -> None:
    setup.set_up(int(os.environ.get(setup.THREADS, "1")), int(os.environ.get(setup.LEVEL, logging.WARNING)))


def answer(job: Job, leave: bool = True) -> Any:
    """The job's result; its error comes back whole (a ForecastError keeps its exit code). Stopped
    by SIGTERM, the worker ends with the documented code once the job has recorded it (leave), or
    the interruption is raised again (not leave)."""
    setup.label(job.label)
    try:
        return call(job)
    except Exception as exc:
        if not was_interrupted(exc):
            return Raised(exc)
        if not leave:
            raise
        _leave(exit_code(exc))
    except KeyboardInterrupt as exc:
        if not leave:
            raise
        _leave(exit_code(exc))


def _leave(code: int) -> None:
    """A worker stopped by a signal ends with the documented code once its job has recorded its run
    interrupted, without the interpreter's teardown under TensorFlow's threads (see cli.main)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
