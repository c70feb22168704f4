"""What keeping Ray's worker processes saves (workers/pool.py): a tune on Ray ran every trial in a
fresh worker process (max_calls=1, until 2026-12-07), which imported TensorFlow (about 5 s of
CPU) before its trial; now a worker started with a share of the cores runs every trial with that
share, TensorFlow imported once.

A search of TRIALS trials (1 fold each, tiny LSTMs, 3 epochs) of a 160-month sine series, 2
workers on a private local Ray instance, run with the workers kept (as `forecast tune --executor
ray` runs) and with a fresh worker per trial (max_calls=1, patched in here), interleaved, ROUNDS
rounds: the median wall time of each, and whether both found the same scores.

    .venv/bin/python benchmarks/ray_workers.py      # about 2 minutes on 2 cores

Results go into benchmarks/speed.json ("ray") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS, TRIALS, WORKERS = 2, 8, 2
CONFIG = {
    "name": "sine",
    "data": {},
    "prep": {"lookback": 12, "val_fraction": 0.2},
    "model": {"units": [4], "dense": []},
    "train": {"epochs": 3, "batch_size": 32},
    "evaluate": {"competitors": ["auto_ets"]},
    "plot": {"enabled": False, "report": False},
    "tune": {"folds": 1, "trials": TRIALS, "space": {"model.units": [[4], [3], [5]]}},
}


def one_tune(fresh: bool) -> tuple[float, list[float]]:
    """Seconds of one tune on Ray, and its trials' scores in trial order."""
    import numpy as np
    import pandas as pd

    import forecast
    from forecast.workers import pool

    dates = pd.date_range("2000-01-31", periods=160, freq="ME")
    noise = np.random.default_rng(0).normal(0, 0.1, 160)
    series = pd.Series(10 + np.sin(np.arange(160) * 2 * np.pi / 12) + noise, index=dates, name="sine")
    enter = pool.Pool.__enter__

    def fresh_per_job(self: pool.Pool) -> pool.Pool:  # the pool as it was: one process per job
        enter(self)
        self.remote = self.ray.remote(num_cpus=1, max_calls=1)(pool.on_ray)
        return self

    base = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    if fresh:
        pool.Pool.__enter__ = fresh_per_job  # type: ignore[method-assign]
    try:
        clock = time.perf_counter()
        done = forecast.tune(CONFIG, data=series, workers=WORKERS, executor="ray", runs_dir=base / "runs",
                             data_dir=base / "data")  # fmt: skip
        seconds = time.perf_counter() - clock
    finally:
        pool.Pool.__enter__ = enter  # type: ignore[method-assign]
    return seconds, [row.rmse for row in sorted(done.leaderboard, key=lambda row: row.trial)]


def measure() -> dict:
    runs: dict[str, list[float]] = {"kept": [], "fresh": []}
    scores: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for variant in runs:
            seconds, scores[variant] = one_tune(fresh=variant == "fresh")
            runs[variant].append(seconds)
            print(f"{variant}: {seconds:.1f} s", flush=True)
    return {v: {"seconds": statistics.median(r), "runs": r} for v, r in runs.items()} | {
        "same_scores": scores["kept"] == scores["fresh"]
    }


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of what keeping Ray's workers saves."""
    from benchmarks.speed import measured_by

    if "ray" not in results:
        return []
    r = results["ray"]
    kept, fresh = r["kept"]["seconds"], r["fresh"]["seconds"]
    same = "the same scores, trial by trial" if r["same_scores"] else "**different scores**"
    return ["## Ray's worker processes kept between trials (workers/pool.py)", "",
            measured_by("ray_workers.py", r) + f"): `forecast.tune` of {r['trials']} trials (1 fold, tiny LSTMs) on a "
            f"private local Ray instance with {r['workers']} workers, the median of {r['rounds']} interleaved rounds.",
            "", "| Ray workers | tune (s) |", "| --- | ---: |",
            f"| kept, one per share of the cores (now) | {kept:.1f} |",
            f"| a fresh one per trial (max_calls=1, before 2026-12-07) | {fresh:.1f} |", "",
            f"- {fresh / kept:.2f}x faster, {same}: each fresh worker imported TensorFlow (about 5 s of CPU) "
            "for a trial of a second or two. The saving grows with the trials: a search of 30 trials x 3 folds "
            "imported it 30 times.", ""]  # fmt: skip


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("ray", __doc__, measure, trials=TRIALS, workers=WORKERS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
