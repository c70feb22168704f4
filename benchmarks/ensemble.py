"""What an ensemble costs (issue 36, item 2): `train.ensemble: 5` against one network, the
protocol's LSTM (2 layers of 50 on the fused kernel, Dense 25, lookback 60, batch 64) on sample
MSFT's windows (benchmarks/speed.py), trained by forecast's own loop (network/training.py) as
`forecast train` trains it: the members side by side in one graph, one loss.

Each variant trains one warm-up epoch and EPOCHS timed ones, ROUNDS times, the variants
interleaved round by round; the median of the rounds is reported, with TensorFlow's threads as
this process has them (the CLI's: every core).

    .venv/bin/python benchmarks/ensemble.py      # about 5 minutes on 2 cores

Results go into benchmarks/speed.json ("ensemble") and benchmarks/SPEED.md. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EPOCHS, ROUNDS, MEMBERS = 6, 3, (1, 5)
TARGET = 2.0  # issue 36: an ensemble of 5 in at most twice the time of one


def seconds_per_epoch(data, members: int) -> float:
    from forecast.config import ModelConfig, TrainConfig
    from forecast.network import training
    from forecast.network.models import build_model

    training.import_keras(seed=1, deterministic=True)
    (x, y), (xv, yv) = data
    config = ModelConfig(kind="lstm", units=[50, 50], dense=[25], dense_activation="linear")
    model = build_model(config, 60, 1, 1, fused=True, members=members)
    ends: list[float] = []
    train = TrainConfig(epochs=EPOCHS + 1, batch_size=64, patience=0, seed=1, ensemble=members)
    training.fit(model, train, x, y, xv, yv, on_epoch=lambda epoch, model: ends.append(time.perf_counter()))
    return (ends[EPOCHS] - ends[0]) / EPOCHS  # the warm-up epoch (tracing) left out


def measure() -> dict:
    from benchmarks.speed import msft_windows

    windows, _ = msft_windows(60)
    data = (windows["train"], windows["val"])
    runs: dict[int, list[float]] = {m: [] for m in MEMBERS}
    for _ in range(ROUNDS):
        for members in MEMBERS:
            runs[members].append(seconds_per_epoch(data, members))
            print(f"{members} member(s): {runs[members][-1] * 1000:.0f} ms an epoch", flush=True)
    return {"windows": len(data[0][0]),
            "members": {str(m): {"ms_per_epoch": statistics.median(r) * 1000, "runs_ms": [s * 1000 for s in r]}
                        for m, r in runs.items()}}  # fmt: skip


def markdown(results: dict) -> list[str]:
    """SPEED.md's section of what an ensemble costs."""
    from benchmarks.speed import measured_by

    if "ensemble" not in results:
        return []
    e = results["ensemble"]
    one, five = (e["members"][str(m)]["ms_per_epoch"] for m in MEMBERS)
    ratio = five / one
    lines = ["## Ensembles (issue 36)", "",
             measured_by("ensemble.py", e) + f"): the protocol's LSTM on the fused kernel, "
             f"{e['windows']} training windows of sample MSFT, {e['epochs']} timed epochs after a warm-up, the "
             f"median of {e['rounds']} interleaved rounds, trained by forecast's loop.", "",
             "| train.ensemble | ms an epoch | per round | x one network |",
             "| ---: | ---: | --- | ---: |"]  # fmt: skip
    for members, r in e["members"].items():
        rounds = ", ".join(f"{ms:.0f}" for ms in r["runs_ms"])
        lines.append(f"| {members} | {r['ms_per_epoch']:.0f} | {rounds} | {r['ms_per_epoch'] / one:.2f} |")
    met = "met" if ratio <= TARGET else "NOT met"
    lines += ["", f"- Target: an ensemble of 5 in at most {TARGET:g}x the time of one network: **{met}** "
              f"({ratio:.2f}x). The members train side by side in one graph with one loss, each LSTM layer one "
              "fused BlockLSTM call per member: the kernel takes one weight matrix, and stacking the members "
              "into one call would need a block-diagonal one, the member count times the recurrent "
              "arithmetic.",
              "- Two ways of stacking the 5 members were tried as probes on 2026-12-07 (not kept; the machine was "
              "running the test suite, so only their ratios to the fused members measured beside them mean "
              "anything): the members' weights stacked and one batched matmul per time step for all of them "
              "(tf.scan) took 2.6x the fused members' epoch; one BlockLSTM call with block-diagonal weights (the "
              "5 members as one cell of 250 units) took 4.0x. On this CPU the per-member fused calls, which "
              "TensorFlow already runs side by side, are the fastest way found.",
              "- What bounds it: one network keeps one core busy (the protocol's LSTM trains as fast with one "
              "TensorFlow thread as with two, measured 2026-12-07), so on 2 cores 5 members side by side can hardly "
              f"take less than 2.5x one network; {ratio:.2f}x is within {ratio / 2.5 - 1:.0%} of that bound. The 2x "
              "target needs less work per member, not more parallelism, on this machine."]  # fmt: skip
    return [*lines, ""]


def main() -> None:
    from benchmarks.speed import measure_part

    measure_part("ensemble", __doc__, measure, epochs=EPOCHS, rounds=ROUNDS)


if __name__ == "__main__":
    main()
