"""How long the test suite takes (issue 19, item 4): `make test` itself (ruff, then pytest with one
test process per core, pytest-xdist), and with --serial pytest in one process too, in the same run
of this script. Each test's seconds come from pytest's --durations, added through PYTEST_ADDOPTS.

    .venv/bin/python benchmarks/suite.py            # about 13 minutes on 2 cores
    .venv/bin/python benchmarks/suite.py --serial   # and the serial run: 20 more

Wall seconds, CPU seconds of pytest and every process it started (the suite is CPU-bound when
the CPU seconds approach cores x wall), the slowest tests by pytest's own durations, and the
machine's speed before and after (reference(): it drifts by a third within an hour here). The
results go into benchmarks/speed.json ("suite") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAKE_TEST = ["make", "test"]  # the README's test command
SERIAL = [sys.executable, "-m", "pytest", "-q"]
TARGET_SECONDS = 300
DURATION = re.compile(r"^([0-9.]+)s (call|setup|teardown)\s+(\S+)$")


def run(command: list[str]) -> dict:
    """One run of the suite: wall and CPU seconds, and each test's seconds (setup, call, teardown)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    env = {**os.environ, "PYTEST_ADDOPTS": "--durations=0 -p no:cacheprovider"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tests: dict[str, float] = {}
    for line in done.stdout.splitlines():
        found = DURATION.match(line.strip())
        if found:
            tests[found.group(3)] = tests.get(found.group(3), 0.0) + float(found.group(1))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    label = " ".join(command if command[0] == "make" else ["pytest", "-q"])
    print(f"{label}: {wall:.0f} s wall, {cpu:.0f} s CPU, exit {done.returncode}: {summary}", flush=True)
    if done.returncode != 0:  # a red suite's time is not the suite's time: the failures, then stop
        print("\n".join(line for line in done.stdout.splitlines() if line.startswith("FAILED")), flush=True)
        raise SystemExit(f"{label} failed (exit {done.returncode}): nothing recorded")
    slowest = sorted(tests.items(), key=lambda item: -item[1])
    long = [seconds for _, seconds in slowest if seconds >= 5]
    return {"command": label, "seconds": wall, "cpu_seconds": cpu, "summary": summary, "slowest": slowest[:10],
            "over_5_s": {"tests": len(long), "seconds": sum(long)}}  # fmt: skip


def reference() -> float:
    """The machine's speed now: the CPU seconds of `import keras` in a fresh process (the
    collector off, as forecast imports it), the median of 3. This machine's speed drifts by a
    third within an hour (another tenant's load): a suite's seconds read against it."""
    from benchmarks.imports import cpu_seconds

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return statistics.median(cpu_seconds("import gc; gc.disable(); import keras", ROOT, env) for _ in range(3))


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of the test suite."""
    if "suite" not in results:
        return []
    s = results["suite"]
    rows = [(label, s[label]) for label in ("serial", "parallel") if label in s]
    lines = ["## The test suite (issue 19)", "",
             f"Measured by `benchmarks/suite.py` on {s['date']} ({s['cpus']} cores, idle otherwise): `make test` "
             "(ruff, then pytest with one test process per core), and pytest in one process when measured.", "",
             "| command | wall s | CPU s (all processes) | result |", "| --- | ---: | ---: | --- |",
             *[f"| `{r['command']}` | {r['seconds']:.0f} | {r['cpu_seconds']:.0f} | {r['summary']} |" for _, r in rows],
             ""]  # fmt: skip
    parallel = s["parallel"]
    met = "met" if parallel["seconds"] <= TARGET_SECONDS else "NOT met"
    busy = parallel["cpu_seconds"] / (parallel["seconds"] * s["cpus"])
    lines += [f"- Target: the whole suite within {TARGET_SECONDS / 60:.0f} minutes: **{met}** "
              f"({parallel['seconds'] / 60:.1f} minutes). In parallel the suite keeps {busy:.0%} of the cores busy: "
              f"it is CPU-bound, and {parallel['over_5_s']['tests']} tests of 5 s or more take "
              f"{parallel['over_5_s']['seconds']:.0f} s of its test time. The slowest:", ""]  # fmt: skip
    lines += [f"  - {name}: {seconds:.0f} s" for name, seconds in parallel["slowest"][:6]]
    if "reference" in s:  # measured since 2026-12-07
        before, after = s["reference"]["before"], s["reference"]["after"]
        lines += ["", f"The machine's speed then, the CPU seconds of `import keras` in a fresh process: {before:.2f} "
                      f"before the suite and {after:.2f} after."]  # fmt: skip
    return [*lines, "", SUITE_LIMITS, ""]


SUITE_LIMITS = (
    "In the afternoon of 2026-12-07 the machine was a third to a half slower than in the morning (`import keras`: "
    "4.1-5.0 s of CPU against 3.0-3.2 s), and the figures above were measured then. Back to back, base and new "
    "alternated (ABBA, pytest -n 2): 48ddeca took 416 and 427 s (700 and 714 s of CPU), 9efb1ce 398 and 391 s (663 "
    "and 650 s of CPU): 6.5% less wall time, 7.1% less CPU. What it holds: the validation loss without Keras' "
    "evaluate (network/validation.py: about 25 ms less every epoch of every fit), the CLI's click command built "
    "once per test process (typer.testing built it for every invoke, 35 ms), a run's environment read once a "
    "process (a git process per run), doctor's import probe without the garbage collector, and the long-season "
    "AutoARIMA test on 200 points instead of 350. Runs differ by about 10% from one to the next (pytest alone took "
    "342-348 s in the same hour). What limits it (measured 2026-12-07, each figure from one run, per test with a "
    "pytest plugin of process times, the competitors' child included): the 74 tests marked slow take 279 s of CPU "
    "and 354 s of the test processes' time, the 694 others 283 and 321 s (149 s of wall time by themselves). About "
    "40 real processes each import TensorFlow (4.9-5.3 s of CPU, a third of the suite's CPU) before they train a "
    "tiny model: the random-moments signals test (6 processes), the parallel-equals-serial tests of compare, "
    "backtest, tune and universes (2 workers each), Ray's workers, the terminal test, `doctor` (20 packages "
    "imported twice). `-n 3` (TensorFlow on one thread each) took 350 s: the suite is CPU-bound. Done on "
    "2026-12-07: fits of one network in a process run on one compiled model and forward passes on one trace "
    "(network/kept.py), which cut the test processes' own CPU from 488 to 341 s; Ray's workers kept between jobs; "
    "figures drawn once (0.76 -> 0.59 s of CPU a plot stage, median of 9 interleaved rounds); one quick competitor "
    "in the API and season tests (the competitors' child: 65 -> 51 s of CPU); six trainings in the random-moments "
    "test, not eight; the real fetch/train/predict processes shared by two tests; waits on the workers' CPU time, "
    "not fixed sleeps. Earlier: runs trained once per test process and copied for the tests that only read them "
    "(tests/conftest.py: trained_copy), paused processes where a test needs one to hold a lock, one model.fit for "
    "all of a training's epochs, stopped runs resumed in the test process. Later on 2026-12-07: TensorFlow's and "
    "statsforecast's imports without the garbage collector walking them, and ml_dtypes below 0.7 "
    "(benchmarks/imports.py: a real `forecast train` process of a tiny model 29% less CPU). The suite went from 352"
    " s and 582 s of CPU (420a308, in the morning) to the figures above; back to back an hour before them, on a "
    "machine about 30% slower, 54c9981 took 395 s and 654 s of CPU and 23e245d (the imports) 385 s and 645 s: the "
    "suite's gain is within its spread, less than the per-process figure suggests. What is left is mostly fixed: "
    "TensorFlow's import in each real process (3 s of CPU now), the first trace of each of about 45 networks per "
    "test process, figures (constrained layout is 40% of them; only fixed margins are cheaper; the tests not marked"
    " slow draw 135 run figures in their own processes, 31 s of CPU). With about 540 s of CPU on 2 cores kept 79% "
    "busy the suite takes about 340 s; five minutes needs about another 12% of the CPU cut, that is, fewer real "
    "processes: fewer tests of a process boundary."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serial", action="store_true", help="Also run the suite in one process.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    args = parser.parse_args()
    from benchmarks.speed import save_part

    before = reference()
    results = {"date": dt.date.today().isoformat(), "cpus": os.cpu_count(), "parallel": run(MAKE_TEST)}
    if args.serial:
        results["serial"] = run(SERIAL)
    results["reference"] = {"before": before, "after": reference()}
    save_part(args.out, "suite", results)


if __name__ == "__main__":
    main()
