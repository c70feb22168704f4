"""The competitors' answers on disk, shared by processes: compare's candidates train in separate
processes on the same series and split, and each would otherwise fit AutoETS, AutoARIMA and
AutoTheta again (half a minute on the sample prices). The first process to ask fits, under a
lock on its key; the others wait for it and read its answer.

An answer is stored only when the fit succeeded, under a key of everything it depends on
(competitors._key) and the code that made it (this package's competitor code and the installed
statsforecast): a new version fits again. An unreadable file is fitted again, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from forecast import atomic
from forecast.errors import WriteError

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


def read(path: Path) -> tuple[np.ndarray, str, float] | None:
    """(forecasts, the model chosen, the seconds its fit took), or None when there is none or
    it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return stored["forecasts"], str(stored["described"]), float(stored["seconds"])
    except (OSError, ValueError, KeyError):
        return None


def write(path: Path, forecasts: np.ndarray, described: str, seconds: float) -> None:
    """Store an answer; one that cannot be stored is fitted again next time, not an error."""
    with contextlib.suppress(WriteError), atomic.replacing(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, forecasts=forecasts, described=np.asarray(described), seconds=np.asarray(seconds))


@cache
def _code() -> str:
    """What the answers depend on besides their inputs: the competitors' code and statsforecast."""
    digest = hashlib.sha256((Path(__file__).parent / "competitors.py").read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):  # then nothing is fitted, and nothing stored
        digest.update(metadata.version("statsforecast").encode())
    digest.update(os.fsencode(np.__version__))
    return digest.hexdigest()[:16]
