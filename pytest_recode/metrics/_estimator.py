"""The unbiased pass@k estimator, computed exactly.

With ``n`` completions of which ``c`` are correct, the chance that at least one of ``k`` completions drawn
without replacement is correct is ``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021). Python's integers make
the binomial coefficients exact, so the estimate is a ratio of two integers; the aggregates in
:mod:`._scores` keep it as a :class:`~fractions.Fraction` and round once at the end, which is why the
properties the tests check (monotone in ``c`` and ``k``, robust pass <= pass, the greedy formulas equal the
``n = k = 1`` case) hold exactly rather than up to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import comb

from .._errors import InvalidArgument

__all__ = ["pass_at_k", "pass_at_k_of"]


def _check_count(name: str, value: object, low: int, high: int | None = None, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} has type {type(value).__name__}; expected int.")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high}"
        raise InvalidArgument(f"{name}={value!r} must be {bound}.{hint}")
    return value


def check_k(k: object) -> int:
    """Check the ``k`` of pass@k on its own (the bound ``k <= n`` is checked per problem)."""
    return _check_count("k", k, 1)


def estimate(n: int, c: int, k: int) -> Fraction:
    """``1 - C(n-c, k) / C(n, k)`` as an exact fraction; arguments already checked."""
    if n - c < k:
        # Every draw of k completions contains a correct one (C(n-c, k) = 0).
        return Fraction(1)
    total = comb(n, k)
    return Fraction(total - comb(n - c, k), total)


def check_estimate_args(n: object, c: object, k: object) -> tuple[int, int, int]:
    """Check ``(n, c, k)`` for the estimator; messages say which bound failed and what to do."""
    n = _check_count("n", n, 1)
    c = _check_count("c", c, 0, n, " (c counts the correct completions among the n)")
    k = _check_count(
        "k", k, 1, n,
        f" pass@k needs at least k completions per prompt: generate n >= {k} samples or lower k."
        if isinstance(k, int) and not isinstance(k, bool) and k > n else "",
    )
    return n, c, k


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate for ``c`` correct completions out of ``n``.

    >>> pass_at_k(10, 3, 1)
    0.3
    >>> round(pass_at_k(10, 3, 5), 4)
    0.9167
    >>> pass_at_k(4, 2, 3)
    1.0

    Raises :class:`~pytest_recode.InvalidArgument` unless ``n >= 1``, ``0 <= c <= n`` and ``1 <= k <= n``
    (``k > n`` cannot be estimated from ``n`` samples).
    """
    n, c, k = check_estimate_args(n, c, k)
    return float(estimate(n, c, k))


def pass_at_k_of(results: Sequence[bool], k: int) -> float:
    """pass@k of one prompt's completions given as their pass/fail results (``n = len(results)``)."""
    return pass_at_k(len(results), sum(bool(r) for r in results), k)
