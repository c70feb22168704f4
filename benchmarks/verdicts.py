"""The verdicts of issue 18 under walk-forward backtests: on each series, the network of a
shipped config, its combination (evaluate.combine), the statistical competitors, naive and
seasonal naive, and a tuned configuration where one is given, on the same test targets.

    .venv/bin/python benchmarks/quality.py --verdicts                       # every series
    .venv/bin/python benchmarks/quality.py --verdicts --series UNEMPLOYMENT MSFT
    .venv/bin/python benchmarks/quality.py --verdicts --tuned UNEMPLOYMENT=runs/unemployment-tune-.../best.yaml

Each cell appends to benchmarks/verdicts.json as it finishes (resumable); quality.py writes
the table and the targets into benchmarks/QUALITY.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.config import load_config
from forecast.folds.report import summarise
from forecast.folds.run import run_fold_stack
from forecast.prepare.series import prepared_series

ROOT = Path(__file__).resolve().parents[1]
STOCK = "configs/lstm.yaml"
SEASONAL = "configs/examples/unemployment.yaml"
# name -> (config, overrides): the shipped config a user of that kind of data starts from.
# The long sub-hourly series are cut to their last weeks so that a fold trains in minutes.
SERIES: dict[str, tuple[str, list[str]]] = {
    "UNEMPLOYMENT": (SEASONAL, []),
    "MARRIAGES": (
        SEASONAL,
        [
            "data.symbol=MARRIAGES",
            "data.target=marriages_per_1000",
            "prep.lookback=8",
            "prep.test_fraction=0.3",
            "prep.val_fraction=0.25",
            "prep.deseasonalize=none",  # yearly: no season to remove
        ],
    ),  # fmt: skip
    "SEA-TEMPERATURE": (
        SEASONAL,
        ["data.symbol=SEA-TEMPERATURE", "data.target=temperature", "data.start=2016-12-01", "prep.lookback=96"],
    ),  # fmt: skip
    "GLUCOSE": (SEASONAL, ["data.symbol=GLUCOSE", "data.target=glucose", "data.start=2010-09-10", "prep.lookback=72"]),
    "MSFT": (STOCK, ["data.source=sample", "data.symbol=MSFT"]),
    "AAPL": (STOCK, ["data.source=sample", "data.symbol=AAPL"]),
    "IBM": (STOCK, ["data.source=sample", "data.symbol=IBM"]),
}
STOCKS = ("MSFT", "AAPL", "IBM")
# What limits a target that is not met, as measured (written under the target when it is not).
NOTES = {
    "UNEMPLOYMENT": "What limits it: AutoARIMA's seasonal ARIMA is a strong model of this series, and the "
    "combination leans on it"
    " (a single split: 0.19 lstm + 0.74 auto_arima + 0.07 naive). The tuned configuration of 0.2's search "
    "(TUNE.md of 2026-11-29: an RNN 64x64 on window-normalised levels, lookback 24) lowers the combination's RMSE"
    " below AutoARIMA's, by less than the folds' spread: a tie, not a clear win.",
    "SEA-TEMPERATURE": "What limits it: half-hourly sea-surface temperature is close to a random walk at this "
    "step (naive's RMSE is 0.03 degrees). The combination follows the validation part, which here does not "
    "predict the test part: AutoETS beat naive significantly on the validation part of folds 1 and 2 (DM p 0.012 "
    "and 0.001, the errors' persistence counted) and took the whole weight; on the test part it lost 1.2% to naive "
    "in fold 1 and won 0.5% in fold 2 (fold 3: nothing earned a weight, naive). AutoETS alone is 1.2% better "
    "than naive on the mean; the network is not. AutoARIMA (season 48) did not finish within its time limit in "
    "folds 1 and 2. A tuned configuration was not measured: the search did not finish one fold of its first "
    "trials in 42 minutes (benchmarks/TUNE.md).",
    "GLUCOSE": "What limits it: the network's edge over naive changes sign from one stretch of days to the next, "
    "and the combination follows the validation part. Network RMSE over naive's, validation part then test part: "
    "fold 1 1.06 then 0.70, fold 2 0.81 then 1.07, fold 3 0.96 then 0.66. Only in fold 2 did the network beat "
    "naive significantly on validation (DM p 0.006, the errors' persistence counted), and it lost there on the "
    "test days: 5.7% on that fold, 2.4% on the mean. A few windows after hours without readings (gaps, which "
    "train now names) hold 35-59% of the squared error of some parts. The network alone is 0.84x naive on the "
    "mean but lost in one fold of three: publishing it would be a bet, not a rule. AutoARIMA and AutoETS, with a "
    "288-reading season, did not finish within their time limit. A tuned configuration was not measured "
    "(benchmarks/TUNE.md).",
    "MARRIAGES": "What limits it: 115 yearly values. Each fold's validation part has about 20 windows, on "
    "which neither the network nor a competitor beats naive significantly, so the combination is naive; "
    "AutoETS fits a random walk here and ties with it. The tuned configuration (benchmarks/tuned/MARRIAGES.yaml: "
    "an LSTM 64x64 on differences, lookback 10, the best of 26 trials, 0.3% below naive on the training part's "
    "folds) loses to naive on the test folds, and its combination is naive too.",
}


def frame_and_config(series: str, config_path: Path, overrides: list[str], folds: int) -> tuple[pd.DataFrame, Any]:
    from benchmarks.quality import GENERATED, GENERATED_POINTS  # the generated series of the quality grid

    common = [f"evaluate.backtest.folds={folds}", "evaluate.combine=true", "plot.enabled=false"]
    if series in GENERATED:
        make, season = GENERATED[series]
        config = load_config(config_path, [*overrides, *common, f"evaluate.season={season}"])
        index = pd.bdate_range("2000-01-03", periods=GENERATED_POINTS, name="date")
        return pd.DataFrame({config.data.target: make()}, index=index), config
    config = load_config(config_path, [*overrides, *common])
    return prepared_series(config, ROOT / "data"), config


def run_cell(series: str, config_path: Path, overrides: list[str], folds: int) -> dict[str, Any]:
    frame, config = frame_and_config(series, config_path, overrides, folds)
    clock = time.perf_counter()
    results = run_fold_stack(frame, config)
    summary = summarise(results)
    competitors = [name for name in config.evaluate.competitors if summary.get(name, {}).get("rmse", {}).get("mean")]
    return {
        "measured": dt.date.today().isoformat(),
        "seconds": round(time.perf_counter() - clock, 1),
        "rows": len(frame),
        "folds": folds,
        "test": f"{frame.index[results[0].fold.test_start]}..{frame.index[-1]}",
        "rmse": {name: summary[name]["rmse"]["mean"] for name in summary},
        "std_rmse": {name: summary[name]["rmse"]["std"] for name in summary},
        "competitors": competitors,
        # Each fold's weights and its members' validation p-values: which member a loss came from.
        "folds_combination": [r.evaluated.combination.to_dict() if r.evaluated.combination else None for r in results],
        "folds_rmse": [{name: m["rmse"] for name, m in r.evaluated.metrics.items()} for r in results],
        # A competitor over its time limit in a fold has no score there: say so beside the table.
        "skipped": sorted({n for r in results for n in config.evaluate.competitors if n not in r.evaluated.metrics}),
    }


def best_competitor(cell: dict[str, Any]) -> tuple[str | None, float | None]:
    found = [(cell["rmse"][n], n) for n in cell["competitors"]]
    return (min(found)[1], min(found)[0]) if found else (None, None)


def on_its_folds(cell: dict[str, Any], competitor: str) -> tuple[float, str] | None:
    """The combination's mean RMSE over the folds a competitor finished, when it was over its
    time limit in some fold (a mean over other folds is no comparison), and those folds in words."""
    folds = cell.get("folds_rmse")
    if competitor not in cell.get("skipped", []) or not folds:
        return None
    kept = [fold for fold in folds if competitor in fold]
    return sum(f["combination"] for f in kept) / len(kept), f"the {len(kept)} of {len(folds)} folds it finished"


def markdown(results: dict[str, Any]) -> list[str]:
    """The verdicts table and the targets of issue 18, for QUALITY.md."""
    if not results:
        return []
    from forecast.pipeline.lifecycle import environment

    versions = ", ".join(f"{k} {v}" for k, v in environment()["versions"].items() if v and k != "forecast")
    dates = sorted({cell["measured"] for cell in results.values()})
    lines = [
        "## Combinations, competitors and tuning (issue 18)",
        "",
        f"Measured on {' to '.join(dict.fromkeys([dates[0], dates[-1]]))} ({versions}).",
        "",
        "Walk-forward backtests as above (3 expanding folds over the test part; every model and competitor "
        "fitted per fold on the rows before it). `network` is the shipped config's model (configs/lstm.yaml "
        "for stocks, configs/examples/unemployment.yaml for the other series), `combination` its "
        "`evaluate.combine` forecaster (weights fitted on each fold's validation part), `best competitor` the "
        "lowest mean RMSE of AutoETS, AutoARIMA and AutoTheta, `tuned` the best configuration of "
        "`forecast tune` on that series (when measured: benchmarks/tuned/SERIES.yaml, kept by benchmarks/tune.py; "
        "UNEMPLOYMENT's is the best trial of benchmarks/TUNE.md applied to configs/examples/unemployment.yaml) and "
        "`tuned comb.` its combination. Mean test RMSE in the series' units; `comb./best competitor` compares "
        "the two on the folds the competitor finished within its time limit; `seconds` is the whole backtest, "
        "measured beside other jobs on the same 2 cores.",
        "",
        "| series | network | combination | tuned | tuned comb. | best competitor | naive | seasonal naive |"
        " comb./naive | comb./best competitor | seconds |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    targets = []
    for series, cell in results.items():
        if series.endswith("|tuned"):
            continue
        rmse = cell["rmse"]
        name, best = best_competitor(cell)
        tuned_rmse = results.get(f"{series}|tuned", {}).get("rmse", {})
        tuned, tuned_combination = tuned_rmse.get("model"), tuned_rmse.get("combination")
        seasonal = rmse.get("seasonal_naive")
        same = on_its_folds(cell, name) if name else None
        versus = "-" if best is None else f"**{(same[0] if same else rmse['combination']) / best:.3f}**"
        lines.append(
            f"| {series} | {rmse['model']:.4f} | {rmse['combination']:.4f} | "
            f"{'-' if tuned is None else f'{tuned:.4f}'} | "
            f"{'-' if tuned_combination is None else f'{tuned_combination:.4f}'} | "
            f"{name or '-'} {'' if best is None else f'{best:.4f}'} | "
            f"{rmse['naive']:.4f} | {'-' if seasonal is None else f'{seasonal:.4f}'} | "
            f"**{rmse['combination'] / rmse['naive']:.4f}** | "
            f"{versus} | {cell['seconds']:.0f} |"
        )
        if cell.get("skipped"):
            targets.append(f"- {series}: {', '.join(cell['skipped'])} skipped in some fold (over its time limit).")
        ours = min(v for v in (rmse["combination"], tuned, tuned_combination) if v is not None)
        if series in STOCKS:
            ratio = rmse["combination"] / rmse["naive"]
            verdict = "met" if ratio <= 1.0005 else "NOT met"  # 1.000x at the table's three decimals
            targets.append(f"- {series}: combination at most 1.000x naive RMSE: **{verdict}** ({ratio:.4f}x; "
                           f"the network alone {rmse['model'] / rmse['naive']:.4f}x).")  # fmt: skip
        elif best is not None and not series.islower():  # the generated series are controls, not targets
            over = "folds"
            if (same := on_its_folds(cell, name)) is not None:
                ours, over = same
            margin = 1 - ours / best
            verdict = "NOT met" if margin <= 0 else f"met by {margin:.2%}"
            tie = 0 < margin < 0.01  # lower, but by less than 1%: a tie in substance, said so
            spread = cell["std_rmse"].get(name)
            targets.append(f"- {series}: tuned or combination below the best competitor ({name}, {best:.4f}, sd "
                           f"{spread:.4f} over {over}): **{verdict}** ({ours:.4f})"
                           + (", less than 1%: a tie in substance." if tie else "."))  # fmt: skip
            ratio = rmse["combination"] / rmse["naive"]
            worse = ratio > 1.0005  # the combination lost to naive: said plainly
            if worse:
                targets.append(f"  The combination is WORSE than naive here ({ratio:.4f}x).")
            if series in NOTES and (tie or margin <= 0 or worse):
                targets.append(f"  {NOTES[series]}")
    from benchmarks.quality import GENERATED

    missing = [name for name in (*SERIES, *GENERATED) if name not in results]
    if missing:  # a long run stopped early says so; quality.py --verdicts resumes with these
        lines += ["", f"Not measured yet: {', '.join(missing)} (`quality.py --verdicts` resumes with them)."]
    return [*lines, "", "### Targets (issue 18)", "", *targets, ""]


def measure(series: list[str], tuned: dict[str, str], folds: int, store: Path) -> None:
    from benchmarks.quality import GENERATED

    results = json.loads(store.read_text()) if store.exists() else {}
    for name in series:
        if name in GENERATED:
            config, overrides = STOCK, ["data.source=synthetic", "data.target=value"]
        else:
            config, overrides = SERIES[name]
        cells = [(name, ROOT / config, overrides)]
        if name in tuned:
            # best.yaml already holds the series' overrides; applying them again would undo the
            # values the search chose (a lookback, say).
            cells.append((f"{name}|tuned", Path(tuned[name]), []))
        for key, path, extra in cells:
            if key in results:
                continue
            print(f"{key} ...", flush=True)
            results[key] = run_cell(name, path, extra, folds)
            store.write_text(json.dumps(results, indent=1) + "\n")
            rmse = results[key]["rmse"]
            print(f"  network {rmse['model'] / rmse['naive']:.4f}x naive, combination "
                  f"{rmse['combination'] / rmse['naive']:.4f}x", flush=True)  # fmt: skip
