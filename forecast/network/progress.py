"""How training shows it is under way: one run-level bar on a terminal, a line per epoch
off one (logs, cron mail), nothing under --quiet. Keras' own bars are never shown: two
lines per epoch and no estimate of the whole run (issue 20).

    epoch 12/30 ━━━━━━━━━━━━━━━━························  loss 0.000412  val_loss 0.000388  0:24 elapsed, ETA ≤0:36

The ETA is an upper bound: epochs left at the mean pace so far; early stopping may end sooner.
Pure Python (no Keras), fed by a callback in training.py.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO

log = logging.getLogger("forecast.network.training")
WIDTH = 40  # characters of the bar
REDRAW = 0.1  # seconds between redraws within an epoch: a terminal cannot show more


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def losses(logs: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.6f}" for k, v in logs.items() if k in ("loss", "val_loss"))


class EpochBar:
    """Progress of one fit: epochs `first`..`epochs` (first > 1 when a checkpoint resumed it)."""

    def __init__(self, epochs: int, first: int = 1, stream: IO[str] | None = None) -> None:
        self.epochs, self.first = epochs, first
        self.stream = stream or sys.stderr
        self.shown = log.isEnabledFor(logging.INFO)  # --quiet sets WARNING: warnings still reach stderr
        self.tty = self.shown and bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.epoch, self.logs, self.drawn = first, {}, 0.0
        self.done = 0  # epochs finished in this process: the pace of the ETA

    def batch(self, epoch: int, step: int, steps: int) -> None:
        """Within epoch `epoch` (1-based), `step` of `steps` batches done: redrawn on a terminal."""
        now = time.perf_counter()
        if not self.tty or (now - self.drawn < REDRAW and step < steps):
            return
        self.drawn, self.epoch = now, epoch
        self._draw(self.done + step / max(steps, 1))

    def end_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.done += 1
        self.epoch, self.logs = epoch, logs
        if self.tty:
            self._draw(self.done)
        elif self.shown:
            log.info("epoch %d/%d  %s  %.1f s", epoch, self.epochs, losses(logs), time.perf_counter() - self.started)

    def close(self) -> None:
        if self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, progress: float) -> None:
        """progress: epochs done in this process, with the current one's fraction."""
        elapsed = time.perf_counter() - self.started
        total = self.epochs - self.first + 1
        filled = int(WIDTH * (self.first - 1 + progress) / self.epochs)
        bar = "━" * filled + "·" * (WIDTH - filled)
        left = elapsed / progress * (total - progress) if progress > 0 else None
        eta = f", ETA ≤{clock(left)}" if left is not None and progress < total else ""
        text = f"epoch {self.epoch}/{self.epochs} {bar}  {losses(self.logs)}  {clock(elapsed)} elapsed{eta}"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
