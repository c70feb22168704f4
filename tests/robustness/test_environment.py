"""A dependency that does not import is the environment's problem: exit 71, one line naming
the package and the underlying error, and a next step; never "internal error". Real
processes, with a broken package put first on PYTHONPATH (a wheel whose shared library is
missing looks exactly like this to Python); doctor runs in this process, and its import probe
is the real process there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import as_process, snapshot_tree

pytestmark = pytest.mark.slow
FORECAST = [sys.executable, "-m", "forecast"]
TINY = """\
name: tiny
data: {source: sample, symbol: MSFT, start: 2012-01-01}
prep: {lookback: 5, target_transform: log_return}
model: {kind: gru, units: [2], dense: []}
train: {epochs: 1}
plot: {enabled: false}
"""


def broken(tmp_path: Path, package: str, error: str) -> Path:
    fakes = tmp_path / "fakes"
    (fakes / package).mkdir(parents=True)
    (fakes / package / "__init__.py").write_text(f"raise {error}\n")
    return fakes


def run(tmp_path: Path, fakes: Path | None, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FORECAST_DATA_DIR": str(tmp_path / "data"), "FORECAST_RUNS_DIR": str(tmp_path / "runs"),
           "FORECAST_MODELS_DIR": str(tmp_path / "models")}  # fmt: skip
    if fakes is not None:
        env["PYTHONPATH"] = str(fakes)
    return subprocess.run([*FORECAST, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def assert_environment_error(done: subprocess.CompletedProcess, *says: str) -> str:
    assert done.returncode == 71, done.stderr
    lines = done.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    for fragment in says:
        assert fragment in lines[-1], lines[-1]
    return lines[-1]


def test_a_broken_curl_cffi_is_named_when_fetching(tmp_path: Path) -> None:
    """yfinance would fall back to requests and fail later with an AttributeError."""
    fakes = broken(tmp_path, "curl_cffi", 'ImportError("libcurl-impersonate.so.4: cannot open shared object file")')
    done = run(tmp_path, fakes, "fetch", "MSFT")
    assert_environment_error(done, "cannot import curl_cffi: ImportError: libcurl-impersonate.so.4",
                             "forecast doctor", "pip install --force-reinstall curl-cffi")  # fmt: skip
    assert not (tmp_path / "data" / "yahoo").exists()


def test_a_broken_pyarrow_is_named_and_the_cache_is_left_alone(tmp_path: Path) -> None:
    assert run(tmp_path, None, "fetch", "MSFT", "--source", "sample").returncode == 0
    before = snapshot_tree(tmp_path / "data")
    fakes = broken(tmp_path, "pyarrow", 'ImportError("pyarrow.lib: undefined symbol: _ZN5arrow6StatusC1E")')
    for args in (["fetch", "IBM", "--source", "sample"], ["data", "show", "MSFT"]):
        done = run(tmp_path, fakes, *args)
        # pandas wraps pyarrow's error in its own: the package named is the one that is broken.
        assert_environment_error(done, "cannot import pyarrow (needed by pandas)", "undefined symbol",
                                 "pip install --force-reinstall pyarrow")  # fmt: skip
        assert "move it away" not in done.stderr  # the file is fine: never advise deleting it
    assert snapshot_tree(tmp_path / "data") == before


def test_a_broken_tensorflow_fails_the_run_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY)
    fakes = broken(tmp_path, "tensorflow", 'ImportError("libtensorflow_framework.so.2: cannot open shared object")')
    done = run(tmp_path, fakes, "train", "--config", str(tmp_path / "tiny.yaml"))
    assert_environment_error(done, "cannot import tensorflow (needed by keras)", "libtensorflow_framework.so.2",
                             "pip install --force-reinstall tensorflow")  # fmt: skip
    (manifest,) = (tmp_path / "runs").glob("tiny-*/manifest.json")
    assert '"status": "failed"' in manifest.read_text()


def test_doctor_imports_every_dependency_and_tells_broken_from_optional(invoke, tmp_path: Path, monkeypatch) -> None:
    # doctor in this process: its imports are tried in a child process of its own, which
    # inherits PYTHONPATH; a process around it would import forecast's CLI once more.
    fakes = broken(tmp_path, "curl_cffi", 'ImportError("libcurl-impersonate.so.4: cannot open shared object file")')
    (fakes / "mlflow").mkdir()  # an optional extra that is not installed is not a problem
    (fakes / "mlflow" / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'mlflow\'", '
                                                  'name="mlflow")\n')  # fmt: skip
    with monkeypatch.context() as patched:
        patched.setenv("PYTHONPATH", str(fakes))
        done = as_process(invoke, "doctor")
    assert "problem: cannot import curl_cffi: ImportError: libcurl-impersonate.so.4" in done.stdout
    assert "optional: mlflow not installed (pip install 'forecast[mlflow]')" in done.stdout
    assert "imports    18 of 20 import" in done.stdout
    assert_environment_error(done, "1 package(s) do not import, first curl_cffi", "pip install --force-reinstall")

    healthy = as_process(invoke, "doctor")
    assert healthy.returncode == 0, healthy.stderr
    assert "imports    20 of 20 import" in healthy.stdout
