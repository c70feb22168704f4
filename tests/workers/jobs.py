"""Jobs for the pool's tests: imported by name in its worker processes (tests is a package)."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from forecast.errors import DataError


def double(x: int) -> int:
    return 2 * x


def refuse(x: int) -> int:
    raise DataError(f"no {x}", hint="try another")


def die(x: int) -> int:
    os._exit(9)  # a worker killed mid-job (out of memory, kill -9)


def say(x: int) -> str | None:
    logging.getLogger("forecast.test").warning("hello %s", x)
    logging.getLogger("forecast.test").info("not shown: a worker logs warnings only")
    return os.environ.get("FORECAST_THREADS")


def where(x: int) -> tuple[int, str | None]:
    """The worker process that ran the job, and the TensorFlow threads it was started with."""
    return os.getpid(), os.environ.get("FORECAST_THREADS")


def extras(folder: str) -> bool:
    """Whether this worker imports `folder`'s lib_with_extras without its unused extra_lib."""
    from forecast.workers.imports import for_good

    sys.path.insert(0, folder)
    with for_good("lib_with_extras", ["extra_lib"]):
        import lib_with_extras
    return lib_with_extras.extra_lib is None


def linger(folder: str) -> None:
    """Waits to be stopped, and says in `folder` that it started and that it was stopped."""
    Path(folder, "started").touch()
    try:
        for _ in range(600):  # short sleeps: a handler run from another thread lands between them
            time.sleep(0.1)
    except KeyboardInterrupt:
        Path(folder, "stopped").touch()
        raise
