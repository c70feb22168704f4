"""Child interpreters that answer requests: the statistical competitors (bounded by a time
limit) and every pool's workers (pool.py: a universe's members, compare's candidates,
backtest's folds, tune's trials) run in them.

A plain `python -c`, not multiprocessing: with spawn or forkserver multiprocessing re-imports
the user's __main__ script in the child, and a script without an `if __name__ == "__main__"`
guard runs again there (seen: it crashed every child). Requests and answers are pickles,
framed by multiprocessing's Connection over the child's stdin and stdout.

The child imports `module`, calls its `prepare()` if it has one (the heavy imports, before
it says ready, so that start-up is not counted against a request's time limit), then answers
every request with `module.answer(request)`: ("ok", result) or ("error", "Type: message").
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import Any

from forecast.errors import exit_code, was_interrupted

STARTUP = 300  # seconds a child may take to import its module (a cold disk, a busy machine)


class StartError(RuntimeError):
    """The child could not import its module: the message is the ImportError's."""


class Child:
    def __init__(self, module: str, env: dict[str, str] | None = None, quiet: bool = True) -> None:
        """quiet: the child's stderr (its warnings) is dropped rather than shown."""
        environ = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import serve; serve({module!r})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if quiet else None,
            env=environ,
        )
        pipes = self.process.stdin, self.process.stdout
        # The Connections own duplicates, so closing the pipes' file objects closes nothing twice.
        self.send = Connection(os.dup(pipes[0].fileno()), readable=False)  # type: ignore[union-attr]
        self.receive = Connection(os.dup(pipes[1].fileno()), writable=False)  # type: ignore[union-attr]
        for pipe in pipes:
            pipe.close()  # type: ignore[union-attr]
        self.started = False
        self.terminated = False

    def ready(self, timeout: float = STARTUP) -> None:
        """Wait until the child has imported its module (TimeoutError, StartError)."""
        if self.started:
            return
        if not self.receive.poll(timeout):
            raise TimeoutError(f"a child process did not start within {timeout:g} s")
        try:
            answer = self.receive.recv()
        except EOFError:
            answer = f"its process ended while starting (exit code {self.kill()})"
        self.started = answer == "ready"
        if not self.started:
            self.kill()
            raise StartError(answer)

    def poll(self) -> int | None:
        return self.process.poll()

    def submit(self, request: Any) -> None:
        try:
            self.send.send(request)
        except OSError as exc:
            raise EOFError from exc

    def ask(self, request: Any, timeout: float | None = None) -> tuple[Any, ...]:
        """The answer; TimeoutError after `timeout` seconds, EOFError if the child died."""
        self.submit(request)
        if not self.receive.poll(timeout):
            raise TimeoutError
        return self.receive.recv()

    def kill(self) -> int:
        self.send.close()
        self.receive.close()
        self.process.kill()
        return self.process.wait()

    def terminate(self) -> None:
        """SIGTERM, once: a worker set up to stop on SIGTERM (setup.py) records the stage it was
        running as interrupted, resumable; a second SIGTERM would interrupt that record."""
        if self.process.poll() is None and not self.terminated:
            self.terminated = True
            self.process.terminate()

    def stop(self, grace: float) -> int:
        """terminate(), then SIGKILL if the child has not ended within `grace` seconds."""
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(grace)
        return self.kill()


def serve(module_name: str) -> None:
    """The child's loop, until the parent closes the pipe. Its own stdout goes to stderr:
    the pipe carries pickles."""
    receive = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    try:
        _serve(module_name, receive, send)
    except BaseException as exc:  # a signal to the process group, or the parent's SIGTERM, at any moment
        # Between requests (unpickling one imports its modules) nothing is running that a stop
        # must record: leave with the documented code, quietly (pool.py's workers do the same
        # inside a request, after their run is marked). The interruption can surface as another
        # exception: numpy's import turns it into an ImportError (seen in a backtest stopped by Ctrl-C).
        if not was_interrupted(exc):
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code(exc))


def _serve(module_name: str, receive: Connection, send: Connection) -> None:
    try:
        module = importlib.import_module(module_name)
        if hasattr(module, "prepare"):
            module.prepare()
    except ImportError as exc:
        send.send(f"{type(exc).__name__}: {exc}")
        return
    send.send("ready")
    while True:
        try:
            request = receive.recv()
        except EOFError:
            return
        try:
            send.send(("ok", module.answer(request)))
        except Exception as exc:  # the parent decides what a failed request means
            send.send(("error", f"{type(exc).__name__}: {exc}"))
