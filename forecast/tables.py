"""Plain-text tables of scores: aligned, greppable in logs. The columns come from the metric
registry (scoring/evaluation.py: SCORE_COLUMNS), the same in every table."""

from __future__ import annotations

import math
from typing import Any

# What a ranking row (comparison.json's "kind") is when it is not a trained model.
NOT_MODELS = ("baseline", "competitor")
P_VALUES = ("dm_p", "p_value")  # keys of p-values: "<0.0001", never 3.44e-64
# MASE's scale, said under every table that shows MASE: darts and sktime users read MASE < 1
# as "beats naive", which holds for naive's in-sample errors, not for the test period's.
MASE_SCALE = (
    "MASE: MAE / the training part's in-sample one-step naive MAE; below 1 does not mean "
    "beating naive on the test part: compare with naive's MASE"
)


def versus_naive(ratio: float | None) -> str:
    """An RMSE against naive's, in percent: +1.3%, -0.02% (two decimals below 1%, so it is never -0.0%)."""
    if ratio is None:
        return "-"
    pct = 100 * (ratio - 1)
    return f"{pct:+.2f}%" if abs(pct) < 1 else f"{pct:+.1f}%"


def number(value: Any, digits: int = 4, key: str = "") -> str:
    """One way to write a number, on the terminal and in the report: fixed `digits`, except a
    p-value below 0.0001 ("<0.0001") and a value that would round to zero but is not (-0.0003,
    not -0.000, whose sign and size say nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, float):
        return str(value)
    if key in P_VALUES and value < 1e-4:
        return "<0.0001"
    text = f"{value:.{digits}f}"
    if value != 0 and float(text) == 0:
        return f"{value:.1g}"
    return text


def is_model(row: dict[str, Any]) -> bool:
    return row.get("kind") not in NOT_MODELS


def render(
    rows: list[dict[str, Any]],
    columns: list[tuple[str, str, int]],
    label: str = "forecaster",
    text: tuple[str, ...] = (),
) -> str:
    """Numbers right-aligned; the name and the `text` columns (by key) left-aligned."""
    header = [label, *[c[0] for c in columns]]
    body = [[str(r["name"]), *[number(r.get(key), digits, key) for _, key, digits in columns]] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    left = [True, *[key in text for _, key, _ in columns]]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if lj else c.rjust(w) for c, w, lj in zip(cells, widths, left, strict=True)]
        return "  ".join(padded).rstrip()

    lines = [line(cells) for cells in [header, *body]]
    return "\n".join(lines + ([MASE_SCALE] if any(key == "mase" for _, key, _ in columns) else []))


def stamp(iso: str | None) -> str:
    """A recorded time (ISO 8601 with its offset) as a table shows it, in UTC and saying so:
    2026-11-30 03:06:40 UTC; "-" for none, and a time without an offset as it is."""
    import datetime as dt

    if not iso:
        return "-"
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is None:
        return when.isoformat(sep=" ", timespec="seconds")
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
