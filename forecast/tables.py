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


def render(rows: list[dict[str, Any]], columns: list[tuple[str, str, int]], label: str = "forecaster") -> str:
    header = [label, *[c[0] for c in columns]]
    body = [[str(r["name"]), *[_cell(r.get(key), digits) for _, key, digits in columns]] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join([cells[0].ljust(widths[0]), *[c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]])

    return "\n".join(line(cells) for cells in [header, *body])
