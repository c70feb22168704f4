"""The epoch budget: early stopping ends training, the epoch cap should not.

A run whose best epoch is its last, at the cap, was still improving when it was cut off:
the results understate the model, and nothing said so (every run of the weekly, monthly
and yearly series in issue 18 stopped at 30 of 30 with its best epoch at 29-30).
"""

from __future__ import annotations

from typing import Any


def cut_short(info: dict[str, Any], cap: int | None) -> str | None:
    """One sentence when training ran into train.epochs with its best epoch the last; else None."""
    run, best = info.get("epochs_run"), info.get("best_epoch")
    if run is None or best is None or cap is None or run < cap or best < run:
        return None
    return (
        f"training stopped at the epoch cap (train.epochs = {cap}) with its best epoch the last: the model was "
        "still improving; raise train.epochs (early stopping ends training once it stops improving)"
    )
