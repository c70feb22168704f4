"""One child interpreter that answers requests within a time limit (the statistical competitors:
a seasonal ARIMA may take minutes). Started once and reused (its imports cost seconds), killed
and replaced when a request runs over its limit or the child dies: a slow request is an answer
("timeout"), never a hang. One request at a time, whatever thread asks."""

from __future__ import annotations

import atexit
import threading
import time
from typing import Any

from forecast.workers.child import Child, StartError

__all__ = ["Bounded", "StartError"]


class Bounded:
    def __init__(self, module: str) -> None:
        self.module = module
        self.child: Child | None = None
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def ask(self, request: Any, timeout: float, over: str) -> tuple[tuple[Any, ...], float]:
        """(("ok", result) | ("error", why) | ("timeout", why), the seconds the request took, from
        a started child). `over`: what a request that ran over its limit is told. StartError when
        the child cannot import its module."""
        with self.lock:
            if self.child is None or self.child.poll() is not None:
                self.child = Child(self.module)
            child = self.child
            child.ready()
            clock = time.perf_counter()
            try:
                answer: tuple[Any, ...] = child.ask(request, timeout)
            except TimeoutError as exc:
                self.child = None
                child.kill()
                answer = ("timeout", str(exc) or over)
            except EOFError:
                self.child = None
                answer = ("error", f"its process ended without a result (exit code {child.kill()})")
            return answer, time.perf_counter() - clock

    def stop(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None
