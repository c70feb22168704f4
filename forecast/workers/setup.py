"""One set-up for every process that works for another (a pool's workers, pool.py), and how many
of them a machine takes.

A worker: ignores Ctrl-C (the parent stops it), records a stage that SIGTERM stops as
interrupted (resumable, as the CLI does), logs warnings only (debug lines with --verbose), each
line named by its job ("warning: [MSFT] ..."), third-party chatter silenced, and its share of
the cores: FORECAST_THREADS, which network/training.py applies when TensorFlow is imported.
"""

from __future__ import annotations

import logging
import os
import sys

from forecast.errors import UsageError, handle_signals
from forecast.workers import imports

WORKERS = "FORECAST_WORKERS"  # processes for parallel work when --workers is not given
THREADS = "FORECAST_THREADS"  # TensorFlow's threads in this process (network/training.py)
LEVEL = "FORECAST_WORKER_LEVEL"  # the workers' log level: the parent's, warnings at least
# Where libraries keep their caches (the CLI sets them under the data root): a Ray worker on this
# machine gets them from its job, not from the environment its raylet started with.
CACHES = ("MPLCONFIGDIR", "KERAS_HOME", "FORECAST_TF_LOGS")
# Libraries whose log lines are not the tool's: errors only, in the CLI and in every worker.
# Python warnings (numpy's, Keras') are logged as "py.warnings" (logging.captureWarnings).
THIRD_PARTY = ("yfinance", "matplotlib", "tensorflow", "absl", "h5py", "PIL", "optuna", "py.warnings")


def default_workers() -> int:
    """FORECAST_WORKERS, else one process per core: what compare, backtest, tune and a universe
    use unless told (a shared machine, or a test suite, sets 1)."""
    value = os.environ.get(WORKERS, "").strip()
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise UsageError(
            f"{WORKERS}={value!r} is not a whole number of processes", hint=f"unset it, or set {WORKERS}=1"
        )
    return int(value)


def share_of_cores(workers: int) -> int:
    """Threads for each of `workers` parallel processes: a TensorFlow per process using every
    core would oversubscribe the machine."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def worker_level() -> int:
    """The log level a worker of this process gets: debug lines only when the parent shows them."""
    return logging.DEBUG if logging.getLogger("forecast").isEnabledFor(logging.DEBUG) else logging.WARNING


class Labelled(logging.Formatter):
    """'warning: [label] message': which job of several said it."""

    label = ""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: [{self.label}] {record.getMessage()}"


FORMAT = Labelled()


def set_up(threads: int, level: int, env: dict[str, str] | None = None, interrupt: bool = False) -> None:
    """This process as a worker (see the module's docstring); label(job) names each job's lines.
    env: the parent's library caches (CACHES), where they are not set here. interrupt: Ctrl-C
    stops the job too (a Ray worker: ray.cancel stops a task by running SIGINT's handler in it)."""
    for key, value in (env or {}).items():
        os.environ.setdefault(key, value)
    imports.own_process()
    handle_signals(interrupt=interrupt)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMAT)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ[THREADS] = str(threads)


def label(name: str) -> None:
    """Name this worker's log lines after the job it runs now."""
    FORMAT.label = name
