"""The competitors' answers on disk, shared by processes: compare's candidates train in separate
processes on the same series and split, and each would otherwise fit AutoETS, AutoARIMA and
AutoTheta again (half a minute on the sample prices). The first process to ask fits, under a
lock on its key; the others wait for it and read its answer.

An answer is stored when the fit succeeded, or ran over its time limit (then a limit as short
fails again, and every candidate of a compare is scored against the same competitors), under a
key of everything it depends on (competitors._key) and the code that made it (this package's
competitor code and the installed statsforecast): a new version fits again. An error is not
stored, and an unreadable file is fitted again, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from forecast import atomic
from forecast.errors import WriteError

log = logging.getLogger(__name__)

try:  # POSIX; elsewhere two processes may fit the same competitor, which costs time, not results
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def held(folder: Path, key: str) -> Iterator[Path | None]:
    """This key's answer file, with the key locked against other processes meanwhile; None when
    the folder cannot be written (a read-only cache): then nothing is shared, and nothing fails."""
    name = f"{key}-{_code()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / f"{name}.lock", "a")  # noqa: SIM115 (closed below, after the yield)
    except OSError:
        yield None
        return
    with lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield folder / f"{name}.npz"


def read(path: Path) -> tuple[tuple[Any, ...], float] | None:
    """(answer, the seconds it took) as stored, or None when there is none or it cannot be read.
    An answer is ("ok", forecasts, the model chosen) or ("timeout", why, the limit it ran over).
    A file that is there but unreadable (cut short, empty, foreign) is named in a warning and
    fitted again: the new answer replaces it."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            status, seconds = str(stored["status"]), float(stored["seconds"])
            if status == "ok":
                return ("ok", stored["forecasts"], str(stored["described"])), seconds
            return ("timeout", str(stored["why"]), float(stored["limit"])), seconds
    except Exception as exc:  # zipfile, numpy and the OS raise many unrelated types for a bad file
        log.warning(
            "the competitors' remembered answer %s is unreadable (%s): fitted again",
            path,
            f"{type(exc).__name__}: {exc}"[:160],
        )
        return None


def write(path: Path, answer: tuple[Any, ...], seconds: float) -> None:
    """Store an answer; one that cannot be stored is fitted again next time, not an error."""
    status, *rest = answer
    fields = dict(zip(("forecasts", "described") if status == "ok" else ("why", "limit"), rest, strict=True))
    with contextlib.suppress(WriteError):
        atomic.write_npz(path, status=status, seconds=seconds, **fields)


@cache
def _code() -> str:
    """What the answers depend on besides their inputs: the competitors' code and statsforecast."""
    digest = hashlib.sha256((Path(__file__).parent / "competitors.py").read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):  # then nothing is fitted, and nothing stored
        digest.update(metadata.version("statsforecast").encode())
    digest.update(os.fsencode(np.__version__))
    return digest.hexdigest()[:16]
