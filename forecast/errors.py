"""One exception family; each class carries its exit code (sysexits.h style).

A ForecastError says what happened (with the values) and, in `hint`, what to do
next. Only the CLI (`forecast/cli/__init__.py`) turns one into an exit code and a line on stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


class ForecastError(Exception):
    """Base of every error a user can cause or fix; never a bug in forecast itself."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def __reduce__(self):  # pickled with its hint: a worker process's error reaches the CLI whole
        return (self.__class__, (self.message, self.hint))


class UsageError(ForecastError):
    """The command line itself is wrong: an option, a symbol, a combination."""

    exit_code = 64


class DataError(ForecastError):
    """Input data exists but is unusable: bad rows, too short, constant, corrupted."""

    exit_code = 65


class MissingInputError(ForecastError):
    """Something asked for does not exist: a file, a cache entry, an unknown symbol."""

    exit_code = 66


class NothingToScore(MissingInputError):
    """forecast score found nothing it could score: no forecast logged, only forecasts made
    afterwards with --as-of, or none whose target dates are in the data yet. Not a failure of
    the tool: its own code, so that cron can tell it from an error."""

    exit_code = 4


class SourceUnavailableError(ForecastError):
    """The data source could not be reached or answered with an error."""

    exit_code = 69


class WriteError(ForecastError):
    """A file could not be written (a full disk, a read-only folder, a file-size limit):
    the message names the file; the old file, if any, is left as it was (forecast/atomic.py)."""

    exit_code = 74


class TryLaterError(ForecastError):
    """A temporary condition (rate limit, lock held); the same command may work later."""

    exit_code = 75


class DependencyError(ForecastError):
    """A package forecast needs does not import: the environment, not the input (forecast/workers/environment.py)."""

    exit_code = 71


class ConfigError(ForecastError):
    """The configuration is invalid: unknown key, wrong type, out of range."""

    exit_code = 78


def with_exit_code(exit_code: int, message: str) -> ForecastError:
    """The error class of that exit code, for a failure reported across a process boundary as
    plain data (a worker's result); ForecastError for a code no class has."""
    kinds, found = [ForecastError], []
    while kinds:  # every subclass, at any depth
        kind = kinds.pop()
        found.append(kind)
        kinds.extend(kind.__subclasses__())
    return next((k for k in found if k.exit_code == exit_code), ForecastError)(message)


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as an interruption: a stage being run is recorded as
    interrupted (resumable with --run-dir), temporary files are removed, locks released."""

    # The signal that stopped this process, once one arrived. Raised inside a TensorFlow
    # call the interruption can come back as another exception (a SystemError from a
    # Keras layer call), or land in a finaliser, where it cannot propagate (on_unraisable
    # delivers it again); the record still says "stop".
    signal: int | None = None
    # While above 0 (inside TensorFlow's fit, a checkpoint being written: held_signals), a signal
    # is recorded and raised at the next safe point (raise_if_stopped after a batch, or the end of
    # the block), not in the middle of work that would be left half done.
    held: int = 0
    # True while on_unraisable runs: a handler landing there asks for the signal once more
    # rather than raising where the interruption would be lost again.
    in_hook: bool = False


def handle_signals(interrupt: bool = True) -> None:
    """Install the handlers (the CLI's main thread, and every worker with interrupt=False: a
    worker ignores the Ctrl-C its terminal sends to the whole group and stops on its parent's
    SIGTERM)."""
    import signal

    Terminated.signal = None  # a fresh start: a kept Ray worker's next job was stopped by the last one's signal
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal if interrupt else signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _again)
    sys.unraisablehook = on_unraisable
    _listening()


LISTEN_EVERY = 0.1  # seconds: how late the main thread may notice a signal another thread received
_LISTENER = "forecast-signals"  # the thread's name


def _listening() -> None:
    """Make the main thread notice a signal whichever thread the kernel gave it to. The kernel may
    deliver SIGTERM to any thread not blocking it, a native one too (TensorFlow's, OpenBLAS'). On
    Python 3.11 the C handler, run in that thread, only marks the signal pending, and the main
    thread runs the Python handler the next time it blocks or gives up the GIL (a SIGTERM sent to
    a native thread went unnoticed through 5 s of pure Python: tests/robustness/test_process.py).
    A Python thread waking every LISTEN_EVERY seconds asks for the GIL, and the main thread,
    giving it up, runs the pending handler."""
    import threading
    import time

    if any(thread.name == _LISTENER for thread in threading.enumerate()):
        return

    def listen() -> None:
        while True:
            time.sleep(LISTEN_EVERY)

    threading.Thread(target=listen, name=_LISTENER, daemon=True).start()


def on_signal(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM handler of the CLI and of every worker."""
    import signal

    Terminated.signal = signum
    if Terminated.held:
        return
    if Terminated.in_hook:
        _soon()
        return
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def on_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """sys.unraisablehook of the CLI and of every worker. A signal can land while a finaliser
    runs (a weakref callback, a __del__ the garbage collector calls); the interruption on_signal
    raises there cannot propagate, and Python would print it ("Exception ignored in ...") and
    drop it: a SIGTERM at the end of a retrain printed a traceback and was lost. The signal is
    delivered once more instead, by SIGALRM a millisecond later, so that its handler runs in the
    code the finaliser interrupted. Not here: os.kill or raise_signal would run the handler at
    once, inside this hook, and a timer thread's start() waits long enough under load for the
    handler to land here too; in_hook makes any handler that does land here ask again."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt) and Terminated.signal is not None:
        Terminated.in_hook = True
        _soon()
        # No handler runs between this store and the return (Python checks for signals at
        # calls and backward jumps only), so a SIGALRM arriving after it waits for the code below.
        Terminated.in_hook = False
        return
    sys.__unraisablehook__(unraisable)


def _soon() -> None:
    import signal

    signal.setitimer(signal.ITIMER_REAL, 0.001)


def _again(signum: int, frame: object) -> None:
    """SIGALRM: the stopping signal delivered once more (on_unraisable)."""
    if Terminated.signal is not None:
        on_signal(Terminated.signal, frame)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM are held while the block runs and raised when it ends (or at a
    raise_if_stopped inside it): an interruption raised from the handler in the middle of
    TensorFlow's Python (an optimizer step half applied, a dataset iterator half built) can
    leave its native state inconsistent, and the process then died in glibc instead of ending
    with 130 or 143 and a resumable run (issue 33)."""
    Terminated.held += 1
    try:
        yield
    finally:
        Terminated.held -= 1
    raise_if_stopped()


def raise_if_stopped() -> None:
    """Raise the interruption again if a signal arrived (training checks after every batch)."""
    import signal

    if Terminated.signal is not None:
        raise Terminated() if Terminated.signal == signal.SIGTERM else KeyboardInterrupt()


def was_terminated(exc: BaseException) -> bool:
    import signal

    return isinstance(exc, Terminated) or Terminated.signal == signal.SIGTERM


def was_interrupted(exc: BaseException) -> bool:
    """Stopped by Ctrl-C or SIGTERM, whatever exception that surfaced as."""
    return isinstance(exc, KeyboardInterrupt) or Terminated.signal is not None


# Not an error: forecast score's signal, for cron (`forecast score || forecast retrain ...`).
DRIFTED = 3
IO_ERROR = WriteError.exit_code  # also an OSError that reached the CLI: permissions, read-only or full disk
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
TERMINATED = 143  # SIGTERM (128 + SIGTERM)
INTERNAL = 1  # a bug in forecast


def exit_code(error: BaseException) -> int:
    """The documented exit code of whatever ended a command, in the CLI or in a worker: a signal
    (whatever exception it surfaced as), a ForecastError's own, a dependency that does not
    import (71), a file that cannot be written or read (74), else an internal error (1)."""
    if was_interrupted(error):
        return TERMINATED if was_terminated(error) else INTERRUPTED
    if isinstance(error, ForecastError):
        return error.exit_code
    if isinstance(error, ImportError):
        return DependencyError.exit_code
    if isinstance(error, OSError):
        return IO_ERROR
    return INTERNAL


# The README's exit-code table is generated from this list (tests check it is in sync).
EXIT_CODES: list[tuple[int, str]] = [
    (0, "success"),
    (DRIFTED, "drift: forecast score found live accuracy below what the model's test period makes plausible"),
    (
        NothingToScore.exit_code,
        "nothing to score: no forecast logged, only --as-of ones (--include-as-of scores them), "
        "or none whose target dates are in the data yet",
    ),
    (INTERNAL, "unexpected internal error (a bug: please report it with --verbose output)"),
    (UsageError.exit_code, "usage: bad option, argument or symbol"),
    (DataError.exit_code, "bad data: rows, values or a file that cannot be used"),
    (MissingInputError.exit_code, "missing input: file, cache entry, run or symbol not found, or a run not complete"),
    (SourceUnavailableError.exit_code, "data source unavailable: network error or source failure"),
    (DependencyError.exit_code, "environment: a package forecast needs does not import (forecast doctor names it)"),
    (IO_ERROR, "i/o error: a file could not be written or read (permissions, read-only or full disk)"),
    (
        TryLaterError.exit_code,
        "try later: rate limited, a stale or short answer from the source, source down during retrain, "
        "or the model's retrain running",
    ),
    (ConfigError.exit_code, "bad configuration: unknown key, wrong type or value"),
    (INTERRUPTED, "interrupted (Ctrl-C); a run stopped in a stage resumes with forecast train --run-dir RUN"),
    (TERMINATED, "terminated (SIGTERM); resumable like 130"),
]
