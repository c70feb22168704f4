"""The verdict: is a forecaster better than naive, or than the best statistical competitor, on
the same targets? One rule and one wording for every forecaster, command, figure and page.

The rule: "better" or "worse" only when the paired Diebold-Mariano test on the same targets
says the difference is significant at SIGNIFICANT; otherwise the forecaster is "no better
than" its rival (a tie), whichever RMSE is lower. Why not the RMSEs alone: across seeds one
config's RMSE moves by more than most differences between an LSTM and naive on prices, and a
network 3% ahead of a competitor with DM p 0.30 is not ahead (issue 32).

Every sentence about who beats whom goes through `said`: the tests check that every verdict
a command prints was made here, and nothing else in the package writes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, computed_field, model_validator

from forecast.tables import number

SIGNIFICANT = 0.05  # the level every verdict in the tool is stated at
Outcome = Literal["better", "worse", "tie", "same", "none"]
# What the words are made of, by outcome: a verb for a sentence, a short form for a cell.
VERB = {"better": "beats", "worse": "is WORSE than", "tie": "is no better than"}
SHORT = {"better": "beats", "worse": "WORSE than", "tie": "no better than"}
# What to do about a forecaster that did not beat naive, by outcome.
ADVICE = {"worse": "do not trust its forecasts over naive", "tie": "naive is as good, and simpler"}


def said(text: str) -> str:
    """Every verdict sentence and short form leaves this module through here (the tests listen)."""
    return text


class Verdict(BaseModel):
    """One forecaster against one rival on the same targets: the numbers, the outcome, the words.

    Stored as it is in metrics.json (and the comparison, backtest, tune and live-score files);
    the derived fields (ratio, difference, outcome, significant, words, short) are written
    for readers of the file and recomputed from the numbers when it is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    forecaster: str  # as the user knows it: "lstm", "combination", "auto_ets"
    against: str  # the rival's name: "naive", "auto_ets"
    rival: str  # the rival in a sentence: "the naive forecast (tomorrow = today)"
    rmse: float | None
    rival_rmse: float | None
    p_value: float | None  # the paired Diebold-Mariano test's; None: no test could be made
    # The test's statistic (negative: the forecaster has the smaller squared errors), when its
    # direction can disagree with the RMSEs' (a step-1 test of a multi-step forecast).
    statistic: float | None = None
    level: float = SIGNIFICANT

    @model_validator(mode="before")
    @classmethod
    def _derived_are_not_inputs(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in DERIVED}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ratio(self) -> float | None:
        """RMSE / the rival's RMSE: below 1 is lower."""
        if self.rmse is None or not self.rival_rmse:
            return None
        return self.rmse / self.rival_rmse

    @computed_field  # type: ignore[prop-decorator]
    @property
    def difference(self) -> float | None:
        """RMSE minus the rival's, in the target's units."""
        return None if self.rmse is None or self.rival_rmse is None else self.rmse - self.rival_rmse

    @computed_field  # type: ignore[prop-decorator]
    @property
    def outcome(self) -> Outcome:
        ratio = self.ratio
        if ratio is None:
            return "none"
        if self.p_value is None:
            return "same" if abs(ratio - 1) < 1e-12 else "tie"  # the same errors: nothing to test
        if self.p_value >= self.level or ratio == 1:
            return "tie"
        if self.statistic is not None and (self.statistic < 0) != (ratio < 1):
            return "tie"  # the test and the RMSEs point different ways: no verdict either way
        return "better" if ratio < 1 else "worse"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def significant(self) -> bool | None:
        """Whether the paired test found the difference significant; None without a test."""
        return None if self.p_value is None else self.p_value < self.level

    @property
    def better(self) -> bool:
        return self.outcome == "better"

    @property
    def worse(self) -> bool:
        return self.outcome == "worse"

    @property
    def good(self) -> bool | None:
        """For colour: True better, False worse, None for a tie or the same forecasts."""
        return {"better": True, "worse": False}.get(self.outcome)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def words(self) -> str:
        """The sentence: "the lstm is WORSE than the naive forecast (tomorrow = today): RMSE
        0.3152 vs 0.3112, 1.3% higher (DM p 0.0108, significant)"."""
        subject = f"the {self.forecaster}"
        if self.outcome == "none":
            return said(f"{subject} has no RMSE to set beside {self.rival}'s")
        if self.outcome == "same":
            return said(f"{subject} is {self.rival} itself: the same forecasts (RMSE {_rmse(self.rmse)})")
        return said(f"{subject} {VERB[self.outcome]} {self.rival}: {self.numbers}")

    @property
    def numbers(self) -> str:
        """RMSE a vs b, the change, and the test: the part of the sentence after the verdict."""
        ratio = self.ratio
        change = "" if ratio is None else f", {percent(ratio)} {'lower' if ratio < 1 else 'higher'}"
        if self.p_value is None:
            test = "no paired test: too few targets"
        else:
            test = f"DM p {number(self.p_value, 4, 'dm_p')}, {'' if self.significant else 'not '}significant"
        return f"RMSE {_rmse(self.rmse)} vs {_rmse(self.rival_rmse)}{change} ({test})"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def short(self) -> str:
        """Two or three words for a table cell or beside a bar: "WORSE than naive"."""
        if self.outcome == "none":
            return said("-")
        if self.outcome == "same":
            return said(f"= {self.against}")
        return said(f"{SHORT[self.outcome]} {self.against}")

    def advice(self) -> str | None:
        """What to do about a forecaster that did not beat naive: the warning train and predict
        give; None when it did (or when it is naive's own forecasts)."""
        return None if self.outcome not in ADVICE else said(f"{self.words}: {ADVICE[self.outcome]}")


DERIVED = ("ratio", "difference", "outcome", "significant", "words", "short")


def judge(
    forecaster: str,
    rmse: float | None,
    against: str,
    rival_rmse: float | None,
    p_value: float | None,
    rival: str | None = None,
    statistic: float | None = None,
) -> Verdict:
    """The one verdict of `forecaster` against `against` (rival: how to say it in a sentence)."""
    return Verdict(
        forecaster=forecaster,
        against=against,
        rival=rival or against,
        rmse=_finite(rmse),
        rival_rmse=_finite(rival_rmse),
        p_value=p_value,
        statistic=statistic,
    )


def members_advice(verdict: Verdict, members: list[str]) -> str | None:
    """The warning for the members of a universe whose verdict is this one's: "on the test part,
    WORSE than naive: MSFT, IBM; do not trust their forecasts over naive"."""
    if verdict.outcome not in ADVICE:
        return None
    advice = ADVICE[verdict.outcome].replace("its forecasts", "their forecasts")
    return said(f"on the test part, {verdict.short}: {', '.join(members)}; {advice}")


def competitor_words(name: str, fitted: str | None) -> str:
    """The best statistical competitor in a sentence: "the best statistical competitor, auto_ets
    (ETS(M,Ad,N))"."""
    return f"the best statistical competitor, {name}" + (f" ({fitted})" if fitted else "")


def tally(verdicts: Iterable[Verdict], unit: str) -> str:
    """A forecaster's verdicts over several parts (backtest folds) in one line: "beats naive in
    1, no better than naive in 2 of 3 folds"."""
    verdicts = list(verdicts)
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.short] = counts.get(verdict.short, 0) + 1
    parts = ", ".join(f"{short} in {n}" for short, n in counts.items())
    return said(f"{parts} of {len(verdicts)} {unit}")


def unearned(names: list[str], part: str) -> str:
    """Members a combination gave no weight, because on `part` they did not beat naive significantly."""
    if len(names) == 1:
        return said(f"{names[0]} did not beat naive significantly on the {part} part")
    return said(f"neither {' nor '.join(names)} beat naive significantly on the {part} part")


def percent(ratio: float) -> str:
    """|ratio - 1| in percent: two decimals below 1%, so that it never reads 0.0%."""
    change = abs(ratio - 1) * 100
    return f"{change:.2f}%" if change < 1 else f"{change:.1f}%"


def _rmse(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _finite(value: float | None) -> float | None:
    import math

    return None if value is None or not math.isfinite(value) else float(value)
