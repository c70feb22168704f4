"""Where a batch of tune trials runs: here (one worker), in child interpreters (one per
worker, each with its share of the cores), or on Ray. Each returns the batch's results in
the order of its requests; a trial whose process dies is a failed trial, not a failed tune.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from forecast.child import Child, StartError, share_of_cores
from forecast.errors import DependencyError
from forecast.tuning.trials import THREADS, ray_trial, run_trial

Executor = Literal["local", "ray"]


def pool(executor: Executor, workers: int, address: str | None = None) -> LocalPool | RayPool:
    return RayPool(workers, address) if executor == "ray" else LocalPool(workers)


def lost(request: dict[str, Any], why: str) -> dict[str, Any]:
    return {"number": request["number"], "state": "failed", "folds": [], "error": why, "seconds": 0.0}


class LocalPool:
    """One worker: trials run in this process. More: one child interpreter each, started
    once for the whole tune."""

    def __init__(self, workers: int) -> None:
        self.threads = share_of_cores(workers)
        self.children: list[Child | None] = [None] * (workers if workers > 1 else 0)

    def __enter__(self) -> LocalPool:
        for i in range(len(self.children)):
            self.children[i] = self._start()  # all at once: their start-ups overlap
        return self

    def __exit__(self, *_: Any) -> None:
        for child in self.children:
            if child is not None:
                child.kill()

    def _start(self) -> Child:
        return Child("forecast.tuning.trials", env={THREADS: str(self.threads)}, quiet=False)

    def run(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.children:
            return [run_trial(r) for r in requests]
        for i, request in enumerate(requests):
            child = self.children[i]
            if child is None or child.poll() is not None:
                child = self.children[i] = self._start()
            try:
                child.ready()
            except StartError as exc:
                raise DependencyError(
                    f"a tune worker could not start: {exc}",
                    hint="forecast doctor checks the environment; --workers 1 runs trials here",
                ) from None
            child.submit(request)
        return [self._answer(i, r) for i, r in enumerate(requests)]

    def _answer(self, i: int, request: dict[str, Any]) -> dict[str, Any]:
        child = self.children[i]
        try:
            status, result = child.receive.recv()  # type: ignore[union-attr]
        except EOFError:  # the child died (out of memory, killed): this trial fails, a new child runs the next
            code = child.kill()  # type: ignore[union-attr]
            self.children[i] = None
            return lost(request, f"its worker process ended without a result (exit code {code})")
        return result if status == "ok" else lost(request, result)


class RayPool:
    """Each trial a Ray task in a fresh worker process (TensorFlow's thread settings are per
    process). The series travels with the request: a cluster's nodes do not share our disk."""

    def __init__(self, workers: int, address: str | None) -> None:
        self.workers, self.address = workers, address

    def __enter__(self) -> RayPool:
        from forecast.ray_session import ray_session

        self.session = ray_session(self.workers, self.address)
        self.ray = self.session.__enter__()
        self.threads = share_of_cores(self.workers) if self.address is None else 1
        self.remote = self.ray.remote(num_cpus=1, max_calls=1)(ray_trial)
        self.frames: dict[str, pd.DataFrame] = {}
        return self

    def __exit__(self, *exc: Any) -> None:
        self.session.__exit__(*exc)

    def run(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        refs = []
        for request in requests:
            path = request["series"]
            frame = self.frames.setdefault(path, pd.read_parquet(path))
            refs.append(self.remote.remote({**request, "frame": frame}, self.threads))
        results = []
        for request, ref in zip(requests, refs, strict=True):
            try:
                results.append(self.ray.get(ref))
            except Exception as exc:  # the worker died, or the cluster lost it
                results.append(lost(request, f"Ray lost its task ({type(exc).__name__})"))
        return results
