"""workers/pool.py: one pool for every fan-out, its results in order, one rule for a lost worker,
a job's error whole, and one exit code for any error (errors.exit_code, workers/failure.py)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.errors import DataError, Terminated, exit_code
from forecast.workers.failure import failure, reported
from forecast.workers.pool import GRACE, Job, Lost, Pool


def jobs(name: str, values: list[int]) -> list[Job]:
    return [Job(f"tests.workers.jobs:{name}", v, f"job {v}") for v in values]


@pytest.mark.slow
def test_worker_processes_answer_in_order_and_a_lost_worker_is_one_lost_job(capfd, tmp_path: Path) -> None:
    (tmp_path / "lib_with_extras.py").write_text(
        "try:\n    import extra_lib\nexcept ImportError:\n    extra_lib = None\n"
    )
    (tmp_path / "extra_lib.py").write_text("")
    with Pool(2) as pool:
        done: list[int] = []
        assert pool.map(jobs("double", [1, 2, 3, 4, 5]), lambda i, _: done.append(i)) == [2, 4, 6, 8, 10]
        assert sorted(done) == [0, 1, 2, 3, 4]
        mixed = pool.map([*jobs("die", [7]), *jobs("double", [8, 9])])
        assert mixed[0] == Lost("job 7", "its worker process ended without a result (exit code 9)")
        assert mixed[1:] == [16, 18]  # the others go on, and a new worker replaces the dead one
        threads = pool.map(jobs("say", [3]))
        left_out = pool.map([Job("tests.workers.jobs:extras", str(tmp_path), "extras")])
    assert threads == ["1"]  # two workers on two cores: one thread each
    assert left_out == [True]  # a worker is forecast's own process (workers/imports.py)
    err = capfd.readouterr().err
    assert "warning: [job 3] hello 3" in err and "not shown" not in err


@pytest.mark.slow
def test_a_jobs_error_comes_back_whole_and_stops_the_pool() -> None:
    with pytest.raises(DataError, match="no 2") as raised, Pool(2) as pool:
        pool.map(jobs("refuse", [2]))
    assert raised.value.hint == "try another" and exit_code(raised.value) == 65


@pytest.mark.slow
def test_on_ray_a_worker_runs_every_job_with_its_threads_and_only_those(monkeypatch) -> None:
    if importlib.util.find_spec("ray") is None:  # not imported here: ray_session sets its token first
        pytest.skip("ray is not installed")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[2]))  # Ray's workers import tests.workers.jobs
    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # two shares: 4 threads for one job at a time, 2 for two
    with Pool(1, "ray") as pool:
        alone = pool.map(jobs("where", [1, 2, 3]))  # one at a time, every job in one worker process
        pool.submit(jobs("where", [4])[0], threads=2)
        shared = pool.next_done()[1]
    assert len(set(alone)) == 1 and alone[0][1] == "4"
    assert shared[1] == "2" and shared[0] != alone[0][0]  # another share of the cores: another process


STOPPED_ON_RAY = """\
import os, signal, sys, time
from pathlib import Path
from forecast.errors import Terminated, handle_signals
from forecast.workers.pool import Job, Pool
handle_signals()  # as the CLI does
folder = Path(sys.argv[1])
try:
    with Pool(1, "ray") as pool:
        pool.submit(Job("tests.workers.jobs:linger", str(folder), "linger"))
        while not (folder / "started").exists():
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)
        pool.next_done()
except Terminated:
    print("terminated")
"""


@pytest.mark.slow
def test_a_pool_on_ray_stopped_by_sigterm_stops_its_tasks_and_ends_as_forecast_says(tmp_path: Path) -> None:
    """ray.init replaced the process's SIGTERM handler with Ray's (a stack dump, then death by
    the signal: exit 1 for a universe on Ray), and shutting Ray down killed the running tasks
    before they could record their runs as interrupted."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}  # Ray's workers import tests.workers.jobs
    done = subprocess.run([sys.executable, "-c", STOPPED_ON_RAY, str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.stdout.strip() == "terminated", done.stderr[-2000:]
    assert (tmp_path / "stopped").exists()  # the task was stopped, not killed


def test_stopped_workers_are_all_signalled_before_any_is_waited_for() -> None:
    """Each has the whole grace to record its run: one after another, a slow first one used up
    the next one's, which was killed with its run left "running"."""
    events: list[str] = []

    class Worker:
        def __init__(self, name: str) -> None:
            self.name = name

        def terminate(self) -> None:
            events.append(f"SIGTERM {self.name}")

        def stop(self, grace: float) -> int:
            events.append(f"wait {self.name}")
            assert grace > GRACE - 5  # the second one's grace did not wait for the first one
            return -15

    pool = Pool(2)
    pool.children = [Worker("a"), Worker("b")]  # type: ignore[list-item]
    pool.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert events == ["SIGTERM a", "SIGTERM b", "wait a", "wait b"] and pool.children == []


def test_one_worker_runs_the_jobs_here() -> None:
    with Pool(1) as pool:
        assert pool.map(jobs("double", [1, 2])) == [2, 4]
        with pytest.raises(DataError):
            pool.map(jobs("refuse", [1]))


def test_one_exit_code_for_any_error() -> None:
    assert exit_code(DataError("x")) == 65
    assert exit_code(ImportError("libfoo.so")) == 71
    assert exit_code(PermissionError(13, "Permission denied", "/x")) == 74
    assert exit_code(ValueError("a bug")) == 1
    assert exit_code(KeyboardInterrupt()) == 130 and exit_code(Terminated()) == 143
    said = failure(PermissionError(13, "Permission denied", "/x"))
    assert (said.code, said.message) == (74, "cannot write or read /x: Permission denied")


def test_a_reported_job_never_raises_for_its_own_failure() -> None:
    def fails() -> dict:
        base["run"] = "runs/x"
        raise DataError("bad rows", hint="repair them")

    base = {"symbol": "MSFT"}
    assert reported(fails, base) == {"symbol": "MSFT", "run": "runs/x", "status": "failed",
                                     "error": "bad rows (repair them)", "exit_code": 65}  # fmt: skip
    assert reported(lambda: {"rmse": 1.0}, {"symbol": "IBM"}) == {"symbol": "IBM", "status": "done", "rmse": 1.0}
    with pytest.raises(KeyboardInterrupt):  # being stopped is not failing
        reported(lambda: (_ for _ in ()).throw(KeyboardInterrupt()), {})
