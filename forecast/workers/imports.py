"""How a process imports a heavy library (TensorFlow with Keras, statsforecast): once, without
Python's cyclic garbage collector walking its objects again and again."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

__all__ = ["for_good"]


@contextlib.contextmanager
def for_good(module: str) -> Iterator[None]:
    """Import `module` inside with the collector off, then freeze every object alive
    (gc.freeze): no later collection walks them again. Once: where `module` is imported
    already, or the collector is off, nothing changes.

    Why: importing Keras on TensorFlow creates about 740,000 tracked objects. One full pass of
    the collector over them takes 0.3 s here, and as the heap grows during the import the
    collector makes such passes repeatedly, then once more at exit: `import keras` took 4.87 s
    of CPU, 3.02 s inside this, and a whole `forecast train` of a tiny model 6.64 against 4.72 s
    (benchmarks/imports.py, SPEED.md). Those objects live as long as the process anyway. The
    price: the import's own cyclic garbage (about 4,000 objects) and any object alive now that
    later becomes cyclic garbage are never freed; it is paid once, as a process imports the
    library once.
    """
    if module in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
