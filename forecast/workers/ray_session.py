"""Ray for the commands that can fan out to it (a universe's members, tune's trials): a
private instance unless an address is given, shut down after if started here.

A private instance is not on loopback only: Ray 2.60's servers (GCS, raylet, workers) listen on
every interface, and ray.init turns a node address of 127.0.0.1 into the machine's own
(services.resolve_ip_for_localhost). Its token, made here, is what keeps others out."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

from forecast.errors import UsageError


@contextlib.contextmanager
def ray_session(workers: int | None, address: str | None) -> Iterator[tuple[Any, bool]]:
    """The ray module, initialised for the duration of the block, and whether the instance is a
    private one started here (its worker processes end with the block)."""
    if address is None and "RAY_AUTH_TOKEN" not in os.environ and "RAY_AUTH_MODE" not in os.environ:
        # A private instance gets a token of its own (read by Ray when it is imported): Ray
        # would otherwise write one to ~/.ray/auth_token, and forecast writes nothing to HOME.
        import secrets

        os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    try:
        import ray
    except ImportError as exc:
        raise UsageError(
            "--executor ray needs the ray package, which is not installed",
            hint="pip install 'forecast[ray]' (or use the default local executor)",
        ) from exc
    started_here = not ray.is_initialized()
    if started_here:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address is None:  # a private local instance
            options.update(num_cpus=workers or os.cpu_count())
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(
                f"cannot reach the Ray cluster at {address}: {exc}",
                hint="check --address (e.g. ray://host:10001 or auto)",
            ) from exc
        finally:
            # ray.init installs its own SIGTERM handler (a stack dump, then death by the signal):
            # a universe on Ray stopped by SIGTERM printed Ray's lines and exited 1 instead of
            # recording its run interrupted and ending with 143. Python's own are set again.
            if threading.current_thread() is threading.main_thread():  # the only one that may set them
                for sig, handler in handlers.items():
                    if handler is not None:
                        signal.signal(sig, handler)
    try:
        yield ray, started_here and address is None
    finally:
        if started_here:
            ray.shutdown()
