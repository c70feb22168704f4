"""`forecast doctor`: versions, backend, threads, whether every dependency imports, and
the health of the cache, runs and models roots. The first thing to paste into a bug
report. The imports are tried in a child process (TensorFlow's takes seconds, and a broken
one cannot crash the doctor); --no-imports skips them."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Annotated, Any

import typer

from forecast import rundir
from forecast.cli.options import DataDir, JsonFlag, ModelsDir, RunsDir, echo_json
from forecast.errors import DataError, DependencyError

PACKAGES = (
    "forecast",
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scikit-learn",
    "yfinance",
    "pyarrow",
    "exchange-calendars",
    "typer",
    "pydantic",
)


def doctor(
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    models_dir: ModelsDir = None,
    as_json: JsonFlag = False,
    imports: Annotated[
        bool, typer.Option("--imports/--no-imports", help="Import every dependency (in a child process).")
    ] = True,
) -> None:
    """Versions, Keras backend, threads, whether every dependency imports, and the health
    of the data, runs and models roots."""
    from forecast.data.store import data_root
    from forecast.pipeline.lifecycle import package_version as _package_version
    from forecast.registry.registry import models_root
    from forecast.rundir import runs_root
    from forecast.workers.environment import BY_MODULE, probe_imports, reinstall_hint

    report: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _package_version(name) for name in PACKAGES},
        "keras_backend": _keras_backend(),
        "threads": {
            "cpus": os.cpu_count(),
            **{
                k: os.environ[k]
                for k in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
                if k in os.environ
            },
        },
        "roots": {
            "data": _cache_health(data_root(data_dir)),
            "runs": _runs_health(runs_root(runs_dir)),
            "models": _models_health(models_root(models_dir)),
        },
    }
    report["imports"] = probe_imports() if imports else []
    broken = [r for r in report["imports"] if not r["ok"] and not (r["absent"] and BY_MODULE[r["module"]].extra)]
    problems = [f"{name}: {p}" for name, root in report["roots"].items() for p in root["problems"]]
    if as_json:
        echo_json(report)
    else:
        typer.echo(f"python     {report['python']} on {report['platform']}")
        typer.echo("versions   " + "  ".join(f"{k} {v}" for k, v in report["versions"].items() if v))
        missing = [k for k, v in report["versions"].items() if v is None]
        if missing:
            typer.echo(f"missing    {', '.join(missing)}")
        typer.echo(f"backend    keras on {report['keras_backend']}")
        typer.echo("threads    " + "  ".join(f"{k} {v}" for k, v in report["threads"].items()))
        _print_imports(report["imports"], BY_MODULE)
        for name, root in report["roots"].items():
            access = "writable" if root["writable"] else ("read-only" if root["exists"] else "not created yet")
            typer.echo(f"{name:<10} {root['path']}  ({access}; {root['summary']})")
            for problem in root["problems"]:
                typer.echo(f"  problem: {problem}")
    if broken:  # the environment first: nothing else works without its packages
        first = BY_MODULE[broken[0]["module"]]
        raise DependencyError(
            f"{len(broken)} package(s) do not import, first {first.module} ({first.distribution}): "
            f"{broken[0]['error']}",
            hint=reinstall_hint(first).removeprefix("run forecast doctor; "),
        )
    if problems:
        raise DataError(f"{len(problems)} problem(s) found, first: {problems[0]}", hint="see the report above")


def _print_imports(results: list[dict[str, Any]], known: dict[str, Any]) -> None:
    if not results:
        return
    slow = [f"{r['module']} {r['seconds']:.1f} s" for r in results if r["ok"] and (r["seconds"] or 0) >= 1]
    good = sum(r["ok"] for r in results)
    typer.echo(f"imports    {good} of {len(results)} import" + (f" ({', '.join(slow)})" if slow else ""))
    for r in results:
        if r["ok"]:
            continue
        extra = known[r["module"]].extra
        if r["absent"] and extra:
            typer.echo(f"  optional: {r['module']} not installed (pip install 'forecast[{extra}]')")
        else:
            typer.echo(f"  problem: cannot import {r['module']}: {r['error']}")


def _keras_backend() -> str:
    if os.environ.get("KERAS_BACKEND"):
        return f"{os.environ['KERAS_BACKEND']} (KERAS_BACKEND)"
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return f"{json.loads(config.read_text())['backend']} ({config})"
    except (OSError, ValueError, KeyError):
        return "tensorflow (default; forecast sets it when unset)"


def _root(path: Path) -> dict[str, Any]:
    exists = path.is_dir()
    return {
        "path": str(path.resolve()),
        "exists": exists,
        "writable": exists and os.access(path, os.W_OK | os.X_OK),
        "problems": [],
        "summary": "",
    }


def _cache_health(path: Path) -> dict[str, Any]:
    from forecast.data.store import Cache

    root = _root(path)
    entries = Cache(path).entries()
    for entry in entries:
        if "error" in entry:
            root["problems"].append(entry["error"])
            continue
        try:
            Cache(path).load(entry["source"], entry["symbol"], entry["interval"])  # checks the sha256
        except Exception as exc:  # any unreadable entry is a finding, not a crash
            root["problems"].append(getattr(exc, "message", str(exc)))
    root["summary"] = f"{len(entries)} series"
    return root


def _runs_health(path: Path) -> dict[str, Any]:
    from forecast.rundir import RunDir
    from forecast.rundir.verify import VERIFIED

    root = _root(path)
    counts: dict[str, int] = {}
    for manifest in sorted(path.glob("*/manifest.json")) if root["exists"] else []:
        run = RunDir(manifest.parent)
        record = run.manifest()
        status = record.get("status", "unreadable manifest")
        counts[status] = counts.get(status, 0) + 1
        if status != "complete" or record.get("kind"):
            continue
        for name, stage in VERIFIED.items():  # a finished run's files must match what it recorded
            expected = record.get("stages", {}).get(stage, {}).get("outputs", {}).get(name)
            if expected and run.sha256(name) != expected:
                root["problems"].append(f"{run.file(name)} does not match its recorded sha256")
    root["summary"] = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no runs"
    return root


def _models_health(path: Path) -> dict[str, Any]:
    from forecast.registry.registry import entries

    root = _root(path)
    registries = entries(path)
    for registry in registries:
        try:
            champion = registry.champion()
        except Exception as exc:
            root["problems"].append(getattr(exc, "message", str(exc)))
            continue
        if champion and not (Path(champion["run"]) / rundir.CONFIG).is_file():
            root["problems"].append(f"model {registry.name}: champion run {champion['run']} is missing")
    root["summary"] = f"{len(registries)} model(s)"
    return root
