"""Confidence intervals over replications: a mean and its 95% Student-t half-width.

A figure measured on R independent simulated days (replications) is reported as its
mean ± ``t(0.975, R - 1) * s / sqrt(R)``, where ``s`` is the sample standard
deviation: the true mean lies in that interval 95% of the time, for figures that are
roughly normal across days (means and shares over hundreds of dialogs are).

Two set-ups simulated on the *same* days (common random numbers) are compared by the
paired differences day by day, whose spread is far smaller than either figure's.

    >>> round(student_t(9), 3)  # 10 replications
    2.262
    >>> e = estimate([0.80, 0.82, 0.84])
    >>> round(e.mean, 3), round(e.half_width, 4)
    (0.82, 0.0497)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import attrs

from ..errors import InvalidValue

__all__ = ["CONFIDENCE", "Estimate", "estimate", "paired", "student_t"]

#: The confidence level of every interval the simulator reports.
CONFIDENCE = 0.95


def _central(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` degrees of freedom (Abramowitz & Stegun 26.7.3-4).

    A finite sum in ``theta = atan(t / sqrt(df))``, exact for integer ``df``.
    """
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:  # odd: 2/pi (theta + sin cos (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    term = total = 1.0  # even: sin (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 ...)
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return math.sin(theta) * total


def student_t(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student-t quantile: ``P(|T| <= t) = confidence`` with ``df`` degrees of freedom.

    Args:
        df: degrees of freedom, at least 1 (replications minus one).
        confidence: the coverage, in (0, 1).

    Raises:
        InvalidValue: an argument out of range.
    """
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise InvalidValue("df", df, "must be a positive integer")
    if not 0 < confidence < 1:
        raise InvalidValue("confidence", confidence, "must be between 0 and 1")
    low, high = 0.0, 1.0
    while _central(high, df) < confidence:
        high *= 2
    for _ in range(100):  # bisection to the float's precision
        middle = (low + high) / 2
        if _central(middle, df) < confidence:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@attrs.frozen(kw_only=True)
class Estimate:
    """A mean over replications and its confidence half-width.

    Attributes:
        mean: the mean of the values.
        half_width: ``t * s / sqrt(n)``; ``nan`` with fewer than two values.
        n: how many values (replications where the figure exists).
    """

    mean: float
    half_width: float
    n: int

    @property
    def significant(self) -> bool:
        """The interval excludes zero (for a difference: the difference is not noise)."""
        return self.n > 1 and abs(self.mean) > self.half_width

    def to_dict(self) -> dict[str, float | int | None]:
        """``{"mean", "half_width", "n"}``; a ``nan`` half-width is ``None`` (JSON has no NaN)."""
        width = None if math.isnan(self.half_width) else self.half_width
        return {"mean": self.mean, "half_width": width, "n": self.n}


def estimate(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate:
    """The mean of ``values`` and its Student-t half-width at ``confidence``.

    Raises:
        InvalidValue: no values.
    """
    if not values:
        raise InvalidValue("values", values, "needs at least one value")
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return Estimate(mean=mean, half_width=math.nan, n=1)
    spread = statistics.stdev(values)
    return Estimate(
        mean=mean,
        half_width=student_t(len(values) - 1, confidence) * spread / math.sqrt(len(values)),
        n=len(values),
    )


def paired(
    first: Sequence[float | None], second: Sequence[float | None], confidence: float = CONFIDENCE
) -> Estimate | None:
    """The mean difference ``second - first`` over the samples both have, with its half-width.

    Returns:
        None when no sample has both.
    """
    pairs = [b - a for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    return estimate(pairs, confidence) if pairs else None
