"""forecast/workers/child.py: a plain interpreter answering requests, its errors, a module that does not import."""

from __future__ import annotations

import importlib
import signal

import pytest

from forecast.workers.child import Child, StartError


def test_a_child_answers_requests_and_reports_errors_without_dying(tmp_path, monkeypatch) -> None:
    (tmp_path / "doubler.py").write_text(
        "def answer(request):\n    if request == 'boom':\n        raise ValueError('no boom')\n    return request * 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # the child's path is this process's
    child = Child("doubler")
    try:
        child.ready()
        assert child.ask(21, timeout=30) == ("ok", 42)
        assert child.ask("boom", timeout=30) == ("error", "ValueError: no boom")
        assert child.ask([1], timeout=30) == ("ok", [1, 1])  # still serving after an error
    finally:
        assert child.kill() is not None


def test_a_module_that_does_not_import_is_a_start_error_with_its_message(tmp_path, monkeypatch) -> None:
    (tmp_path / "broken.py").write_text("raise ImportError('libthing.so: cannot open shared object file')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    child = Child("broken")
    with pytest.raises(StartError, match="ImportError: libthing.so"):
        child.ready()


def a_child_with_handlers(tmp_path, monkeypatch) -> Child:
    """A ready child that answers each request with itself, with forecast's signal handlers. Both
    are set here: a child started from a background shell inherits SIGINT ignored."""
    (tmp_path / "echo.py").write_text(
        "import signal\nfrom forecast.errors import on_signal\n"
        "signal.signal(signal.SIGTERM, on_signal)\nsignal.signal(signal.SIGINT, on_signal)\n"
        "def answer(request):\n    return request\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    child = Child("echo", quiet=False)
    child.ready()
    return child


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_between_requests_ends_the_child_quietly(tmp_path, monkeypatch, capfd, sig, code) -> None:
    # Seen in a backtest stopped by Ctrl-C: the workers, stopped with SIGTERM, got it while one
    # unpickled its next request, and its traceback went to the terminal.
    child = a_child_with_handlers(tmp_path, monkeypatch)
    try:
        assert child.ask(1, timeout=30) == ("ok", 1)
        child.process.send_signal(sig)  # waiting in recv() for the next request
        assert child.process.wait(30) == code
    finally:
        child.kill()
    assert "Traceback" not in capfd.readouterr().err


class ImportedOnArrival:
    """A request whose unpickling imports `module` in the child (never in this process)."""

    def __init__(self, module: str) -> None:
        self.module = module

    def __reduce__(self) -> tuple:
        return importlib.import_module, (self.module,)


def test_a_signal_that_an_import_turns_into_another_error_ends_the_child_quietly(tmp_path, monkeypatch, capfd) -> None:
    # Seen in a backtest stopped by Ctrl-C: the parent's SIGTERM landed as a worker unpickled its
    # first request, inside numpy's import, which raised an ImportError from the interruption.
    (tmp_path / "wraps_it.py").write_text(
        "import os, signal, time\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # the parent's SIGTERM, as this module imports\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt as exc:  # as numpy's C extensions do\n"
        "    raise ImportError('PyCapsule_Import could not import module \"datetime\"') from exc\n"
    )
    child = a_child_with_handlers(tmp_path, monkeypatch)
    try:
        child.submit(ImportedOnArrival("wraps_it"))
        assert child.process.wait(30) == 143
    finally:
        child.kill()
    assert "Traceback" not in capfd.readouterr().err
