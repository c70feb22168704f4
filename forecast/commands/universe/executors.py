"""Run one job per universe member: in this process, in parallel local processes, or on Ray.

Every executor calls the same function (jobs.run_job) with the same payload and the
same thread count per job, so a member's run is the same wherever it ran (tests check
Ray against local processes). Jobs never raise: a failure comes back as a result with
the symbol's name, and the other members go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from forecast.child import default_workers, share_of_cores, spawned_pool
from forecast.commands.universe.jobs import run_job

log = logging.getLogger(__name__)

Executor = Literal["local", "ray"]
Result = dict[str, Any]
Done = Callable[[Result, int, int], None]  # (result, finished so far, total)


def run_jobs(payloads: list[dict[str, Any]], executor: Executor, workers: int | None, address: str | None,
             on_done: Done | None = None) -> list[Result]:  # fmt: skip
    """Results in the order of payloads."""
    notify = on_done or (lambda *_: None)
    if not payloads:
        return []
    if executor == "ray":
        return _on_ray(payloads, workers, address, notify)
    workers = min(len(payloads), workers or default_workers())
    threads = share_of_cores(workers)
    if workers == 1:  # in this process: no start-up cost, and Ctrl-C behaves as for one run
        results = []
        for i, payload in enumerate(payloads):
            results.append(run_job({**payload, "threads": threads, "in_process": True}))
            notify(results[-1], i + 1, len(payloads))
        return results
    return _local_processes(payloads, workers, threads, notify)


def _local_processes(payloads: list[dict[str, Any]], workers: int, threads: int, notify: Done) -> list[Result]:
    from concurrent.futures import as_completed

    results: list[Result | None] = [None] * len(payloads)
    with spawned_pool(workers) as pool:
        jobs = [{**p, "threads": threads, "stop_on_sigterm": True} for p in payloads]
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for finished, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # the worker process died (killed, out of memory)
                results[i] = lost(payloads[i], f"its worker process died ({type(exc).__name__}: {exc})")
            notify(results[i], finished, len(payloads))  # type: ignore[arg-type]
    return results  # type: ignore[return-value]


def lost(payload: dict[str, Any], why: str) -> Result:
    return {"symbol": payload["symbol"], "status": "failed", "error": why, "exit_code": 1}


def _on_ray(payloads: list[dict[str, Any]], workers: int | None, address: str | None, notify: Done) -> list[Result]:
    from forecast.ray_session import ray_session

    with ray_session(workers, address) as ray:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        threads = share_of_cores(min(len(payloads), workers or cpus)) if address is None else 1
        # One fresh worker process per job (max_calls=1), as TensorFlow's thread settings are per process.
        remote = ray.remote(num_cpus=1, max_calls=1)(run_job)
        pending = {remote.remote({**p, "threads": threads}): i for i, p in enumerate(payloads)}
        results: list[Result | None] = [None] * len(payloads)
        finished = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(ready[0])
            try:
                results[i] = ray.get(ready[0])
            except Exception as exc:  # the worker died, or the cluster lost it
                results[i] = lost(payloads[i], f"Ray lost its job ({type(exc).__name__})")
            finished += 1
            notify(results[i], finished, len(payloads))  # type: ignore[arg-type]
        return results  # type: ignore[return-value]
