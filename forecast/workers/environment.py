"""The packages forecast imports, and what to say when one of them does not import.

A dependency that fails to import (missing, a broken wheel, a shared library that is not
there) is a problem of the environment, not of the user's input and not a bug in
forecast: the CLI reports it with its own exit code (71), the package's name and the
underlying error, and `forecast doctor` imports every one of them to find it first.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dependency:
    module: str  # what is imported
    distribution: str  # what pip installs
    extra: str | None = None  # optional: installed by pip install 'forecast[extra]'


DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("numpy", "numpy"),
    Dependency("pandas", "pandas"),
    Dependency("pyarrow", "pyarrow"),
    Dependency("yaml", "pyyaml"),
    Dependency("pydantic", "pydantic"),
    Dependency("typer", "typer"),
    Dependency("rich", "rich"),
    Dependency("scipy", "scipy"),
    Dependency("sklearn", "scikit-learn"),
    Dependency("matplotlib", "matplotlib"),
    Dependency("curl_cffi", "curl-cffi"),
    Dependency("yfinance", "yfinance"),
    Dependency("exchange_calendars", "exchange-calendars"),
    Dependency("statsforecast", "statsforecast"),
    Dependency("optuna", "optuna"),
    Dependency("bokeh_sampledata", "bokeh-sampledata"),
    Dependency("tensorflow", "tensorflow"),
    Dependency("keras", "keras"),
    Dependency("mlflow", "mlflow-skinny", extra="mlflow"),
    Dependency("ray", "ray", extra="ray"),
)
BY_MODULE = {d.module: d for d in DEPENDENCIES}
_OWN = Path(__file__).resolve().parents[1]  # the forecast package


def culprit(exc: ImportError) -> tuple[Dependency, Dependency | None, ImportError]:
    """(the package that does not import, the dependency forecast was importing when it
    failed if another one, the underlying error). pandas failing on a broken pyarrow is
    pyarrow needed by pandas; keras failing on TensorFlow's shared library is tensorflow."""
    inner = exc
    while isinstance(inner.__cause__ or inner.__context__, ImportError):
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    frames = traceback.extract_tb(exc.__traceback__)
    own = [i for i, f in enumerate(frames) if _OWN in Path(f.filename).resolve().parents]
    first = frames[own[-1] + 1] if own and own[-1] + 1 < len(frames) else None
    via = _dependency(_package_of(Path(first.filename)) if first else None)
    if isinstance(inner, ModuleNotFoundError) and inner.name:
        broken = _dependency(inner.name.split(".")[0])  # not installed: no frame of its own
    else:
        deepest = traceback.extract_tb(inner.__traceback__)[-1:]
        broken = _dependency(_package_of(Path(deepest[0].filename)) if deepest else None) or via
    broken = broken or via or Dependency("a dependency", "forecast")
    if _import_error(broken.module) is None:
        # A package that imports but reports another's failure in its own words (pandas:
        # "Unable to find a usable engine; ... pyarrow"): the broken one is the package
        # its message names that does not import itself, and its own error is the one to show.
        for named in DEPENDENCIES:
            if named.module != broken.module and re.search(rf"\b{named.module}\b", str(inner)):
                error = _import_error(named.module)
                if error is not None:
                    via, broken, inner = broken, named, error
                    break
    return broken, via if via and via.module != broken.module else None, inner


def _import_error(module: str) -> ImportError | None:
    import importlib

    try:
        importlib.import_module(module)
        return None
    except ImportError as exc:
        return exc
    except Exception as exc:  # whatever else a broken package raises while importing
        return ImportError(f"{type(exc).__name__}: {exc}")


def _dependency(top: str | None) -> Dependency | None:
    if not top or top == "forecast":
        return None
    return BY_MODULE.get(top, Dependency(top, top.replace("_", "-")))


def describe(exc: ImportError) -> tuple[str, str, Dependency]:
    """The one line and the hint the CLI prints for a dependency that does not import."""
    broken, via, inner = culprit(exc)
    needed = f" (needed by {via.module})" if via else ""
    return f"cannot import {broken.module}{needed}: {type(inner).__name__}: {inner}", reinstall_hint(broken), broken


def _package_of(path: Path) -> str | None:
    """The top-level package a file belongs to, from the sys.path entry it lies under."""
    import sys

    roots = [Path(p).resolve() for p in sys.path if p]
    path = path.resolve()
    under = [root for root in roots if root in path.parents]
    if not under:
        return None
    relative = path.relative_to(max(under, key=lambda r: len(r.parts)))
    return relative.parts[0].removesuffix(".py")


def reinstall_hint(dependency: Dependency) -> str:
    package = f"'forecast[{dependency.extra}]'" if dependency.extra else dependency.distribution
    return f"run forecast doctor; reinstall it: pip install --force-reinstall {package} (or: make clean-venv test)"


# Run in a fresh interpreter: an import that crashes the process (a bad shared library)
# or leaves half-initialised modules behind cannot take forecast doctor down with it. It
# imports and exits: the garbage collector walking TensorFlow's objects again and again as
# they pile up would only cost time (workers/imports.py), about a second of its seven.
_PROBE = """
import gc
gc.disable()
import importlib, json, sys, time
for name in sys.argv[1:]:
    clock = time.perf_counter()
    try:
        importlib.import_module(name)
        found = {"ok": True}
    except BaseException as exc:
        absent = isinstance(exc, ModuleNotFoundError) and exc.name == name
        found = {"ok": False, "absent": absent, "error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps({"module": name, "seconds": round(time.perf_counter() - clock, 2), **found}), flush=True)
"""


def probe_imports(timeout: float = 300.0) -> list[dict]:
    """Import every dependency in a child process: [{module, ok, seconds, absent?, error?}].
    A module the child never reported (it crashed or hung on it) is reported as failed."""
    import json
    import os
    import subprocess
    import sys

    names = [d.module for d in DEPENDENCIES]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, *names],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        output, why = done.stdout, f"the import crashed the interpreter (exit {done.returncode})"
    except subprocess.TimeoutExpired as exc:
        output, why = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), "it hung"
    results = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    reported = {r["module"] for r in results}
    for name in names:
        if name not in reported:
            results.append({"module": name, "ok": False, "absent": False, "seconds": None, "error": why})
            break  # the ones after it were never tried
    return results
