"""Plain-text tables of scores: aligned, greppable in logs. The columns come from the metric
registry (scoring/evaluation.py: SCORE_COLUMNS), the same in every table."""

from __future__ import annotations

from typing import Any

# What a ranking row (comparison.json's "kind") is when it is not a trained model.
NOT_MODELS = ("baseline", "competitor")


def is_model(row: dict[str, Any]) -> bool:
    return row.get("kind") not in NOT_MODELS


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(rows: list[dict[str, Any]], columns: list[tuple[str, str, int]], label: str = "forecaster",
           text: tuple[str, ...] = ()) -> str:  # fmt: skip
    """Numbers right-aligned; the name and the `text` columns (by key) left-aligned."""
    header = [label, *[c[0] for c in columns]]
    body = [[str(r["name"]), *[_cell(r.get(key), digits) for _, key, digits in columns]] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    left = [True, *[key in text for _, key, _ in columns]]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if lj else c.rjust(w) for c, w, lj in zip(cells, widths, left, strict=True)]
        return "  ".join(padded).rstrip()

    return "\n".join(line(cells) for cells in [header, *body])
