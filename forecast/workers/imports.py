"""How a process imports a heavy library (TensorFlow with Keras, statsforecast): once, without
Python's cyclic garbage collector walking its objects again and again, and in forecast's own
processes without the optional parts it never uses."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["for_good", "own_process"]

_OWN: list[bool] = []  # set by own_process(): this process is forecast's


def own_process() -> None:
    """This process is forecast's own (the CLI's, a pool's worker), not a user's Python session
    that imports forecast: for_good() may leave out what forecast never uses, as nothing else
    in the process will want it."""
    _OWN[:] = [True]


@contextlib.contextmanager
def for_good(module: str, unused: Sequence[str] = ()) -> Iterator[None]:
    """Import `module` inside with the collector off, then freeze every object alive
    (gc.freeze): no later collection walks them again. Once: where `module` is imported
    already, nothing changes; where the collector is off, it stays off and nothing is frozen.

    Why: importing Keras on TensorFlow creates about 740,000 tracked objects. One full pass of
    the collector over them takes 0.3 s here, and as the heap grows during the import the
    collector makes such passes repeatedly, then once more at exit: `import keras` took 4.87 s
    of CPU, 3.02 s inside this, and a whole `forecast train` of a tiny model 6.64 against 4.72 s
    (benchmarks/imports.py, SPEED.md). Those objects live as long as the process anyway. The
    price: the import's own cyclic garbage (about 4,000 objects) and any object alive now that
    later becomes cyclic garbage are never freed; it is paid once, as a process imports the
    library once.

    unused: modules that `module` imports only if they are installed (a try/except ImportError),
    for features forecast never uses. In forecast's own processes (own_process) they are left
    out, as if not installed; in a user's session, where the user may want those features, not.
    """
    if module in sys.modules:
        yield
        return
    left_out = _LeftOut([name for name in unused if name not in sys.modules] if _OWN else [])
    sys.meta_path.insert(0, left_out)
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        sys.meta_path.remove(left_out)
        if collecting:
            gc.freeze()
            gc.enable()


class _LeftOut:
    """A finder on sys.meta_path (importlib.abc.MetaPathFinder's protocol; the ABC itself is not
    imported, 3 ms on every command's start): `names` (and their submodules) are not installed, in
    the thread that made it only (another one, fitting the competitors beside, imports as usual)."""

    def __init__(self, names: list[str]) -> None:
        self.names, self.thread = names, threading.get_ident()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if threading.get_ident() != self.thread:
            return None
        if any(fullname == name or fullname.startswith(f"{name}.") for name in self.names):
            raise ModuleNotFoundError(f"{fullname} is left out of this import (forecast never uses it)", name=fullname)
        return None
