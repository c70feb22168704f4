"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every artifact is written to a temporary name in the same folder (same file system,
so os.replace is atomic), flushed to disk, then renamed over the destination.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forecast.errors import WriteError


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it replaces `path`.

    On any exception the temporary file is removed and `path` is left untouched. An
    OSError (a full disk, a read-only folder, a file-size limit; from Python, pyarrow,
    Keras or matplotlib alike) becomes a WriteError naming `path`, not the temporary
    file nor nothing at all.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Keep the real suffix last: Keras refuses to save a model to a name not ending in .keras.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _cannot_write(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _cannot_write(path: Path, exc: OSError) -> WriteError:
    number = exc.errno
    if number is None:  # pyarrow says "Error writing bytes to file. Detail: [errno 28] ..."
        found = re.search(r"\[errno (\d+)\]", str(exc))
        number = int(found.group(1)) if found else None
    reason = os.strerror(number) if number else (exc.strerror or str(exc))
    return WriteError(
        f"cannot write {path}: {reason}",
        hint="free space, raise the file-size limit or make the folder writable, then run the command again; "
        "the file was left as it was",
    )


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_npz(path: Path, **arrays: Any) -> None:
    """NumPy arrays (and 0-d values) as one .npz file, written whole or not at all."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes(path, buffer.getvalue())
