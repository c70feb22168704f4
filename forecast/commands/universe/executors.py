"""Run one job per universe member in a pool (workers/pool.py): in this process, in parallel local
processes, or on Ray. Every executor runs the same function with the same payload and the same
thread count per job, so a member's run is the same wherever it ran (tests check Ray against
local processes). A member's failure, or its lost worker, comes back as a failed row naming
the symbol, and the other members go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forecast.workers.failure import lost
from forecast.workers.pool import Executor, Job, Lost, Pool
from forecast.workers.setup import default_workers

__all__ = ["Executor", "run_jobs"]
Result = dict[str, Any]
Done = Callable[[Result, int, int], None]  # (result, finished so far, total)


def run_jobs(
    payloads: list[dict[str, Any]],
    executor: Executor,
    workers: int | None,
    address: str | None,
    on_done: Done | None = None,
) -> list[Result]:
    """Results in the order of payloads."""
    if not payloads:
        return []
    workers = workers or default_workers()
    if executor == "local":
        workers = min(len(payloads), workers)
    jobs = [Job("forecast.commands.universe.jobs:run_job", p, p["symbol"]) for p in payloads]
    finished = []

    def done(i: int, result: Any) -> None:
        finished.append(i)
        if on_done is not None:
            on_done(_row(payloads[i], result), len(finished), len(payloads))

    with Pool(workers, executor, address) as pool:
        return [_row(p, r) for p, r in zip(payloads, pool.map(jobs, done), strict=True)]


def _row(payload: dict[str, Any], result: Any) -> Result:
    return lost({"symbol": payload["symbol"]}, result.why) if isinstance(result, Lost) else result
