"""Comparing two runs: Robust Pass per category and per transform, and the CI gate on its drops.

``recode compare BASE NEW --max-drop X`` and ``pytest --recode-baseline BASE --recode-max-drop X`` both
come here. A row drops when its Robust Pass@k falls by more than ``max_drop`` (an absolute share: 0.02
is two points); rows present in one run only are listed, not judged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidArgument
from ._figures import Figures, Row
from ._terminal import figure, table_lines

__all__ = ["DEFAULT_MAX_DROP", "Comparison", "Delta", "compare_figures", "compare_files", "check_max_drop"]

#: The largest drop of a Robust Pass that passes the gate by default.
DEFAULT_MAX_DROP = 0.02
#: Shares are exact fractions rounded once to float: a drop equal to the threshold is not a regression.
_TOLERANCE = 1e-9
#: Settings whose difference makes two runs measure different things; the comparison says so.
_COMPARED_SETTINGS = ("dataset", "recode_data", "transforms", "seeds", "base_seed", "n_samples", "temperature",
                      "limit", "max_new_tokens")


def check_max_drop(value: object, name: str = "max_drop") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidArgument(f"{name}={value!r}: give a share between 0 and 1 (0.02 allows a drop of two points).")
    return float(value)


@dataclass(frozen=True)
class Delta:
    """One row's Robust Pass@k in both runs (``None`` where a run has no figure for it)."""

    kind: str
    name: str
    k: int
    base: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    def dropped(self, max_drop: float) -> bool:
        change = self.change
        return change is not None and change < -max_drop - _TOLERANCE


@dataclass(frozen=True)
class Comparison:
    deltas: tuple[Delta, ...]
    max_drop: float
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[Delta, ...]:
        return tuple(d for d in self.deltas if d.dropped(self.max_drop))

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def table(self) -> list[str]:
        """The deltas, per k: categories first, then transforms."""
        lines: list[str] = []
        for k in sorted({d.k for d in self.deltas}):
            table = [("", "", f"RP@{k} base", "new", "change", "")]
            for d in (d for d in self.deltas if d.k == k):
                change = d.change
                table.append((d.kind, d.name, figure(d.base, 3), figure(d.new, 3),
                               "-" if change is None else f"{change:+.3f}", "DROP" if d.dropped(self.max_drop) else ""))
            lines += [*table_lines(table), ""]
        return lines[:-1]

    def verdict(self) -> str:
        """One line: passed, or which categories and transforms dropped by how much."""
        if not self.failed:
            return f"no Robust Pass dropped by more than {self.max_drop:g}"
        parts = [f"{d.kind} {d.name} at k={d.k} ({figure(d.base, 3)} -> {figure(d.new, 3)}, {d.change:+.3f})"
                 for d in self.regressions]
        return f"Robust Pass dropped by more than {self.max_drop:g} in " + "; ".join(parts)


def _rows(figures: Figures) -> dict[tuple[str, str], Row]:
    return {**{("category", r.name): r for r in figures.categories},
            **{("transform", r.name): r for r in figures.transforms}}


def compare_figures(base: Mapping[int, Figures], new: Mapping[int, Figures], max_drop: float = DEFAULT_MAX_DROP, *,
                    base_settings: Mapping[str, Any] | None = None,
                    new_settings: Mapping[str, Any] | None = None) -> Comparison:
    """The Robust Pass deltas of every row of every k the two runs share."""
    max_drop = check_max_drop(max_drop)
    notes = []
    for name in _COMPARED_SETTINGS:
        before, after = (base_settings or {}).get(name), (new_settings or {}).get(name)
        if before != after and base_settings is not None and new_settings is not None:
            notes.append(f"note: the runs differ in {name}: {before!r} (base) and {after!r} (new)")
    ks = sorted(set(base) & set(new))
    if not ks:
        notes.append(f"note: no k in common (base {sorted(base)}, new {sorted(new)}): nothing compared")
    deltas = []
    for k in ks:
        before, after = _rows(base[k]), _rows(new[k])
        for key in [*before, *(key for key in after if key not in before)]:
            if key in before and key in after:
                deltas.append(Delta(key[0], key[1], k, before[key].robust_pass, after[key].robust_pass))
            else:
                notes.append(f"note: {key[0]} {key[1]} is only in the {'base' if key in before else 'new'} run")
    return Comparison(tuple(deltas), max_drop, tuple(dict.fromkeys(notes)))


def compare_files(base: str | os.PathLike[str], new: str | os.PathLike[str],
                  max_drop: float = DEFAULT_MAX_DROP) -> Comparison:
    """Compare two ``results.json`` or ``report.json`` files (one of each works too)."""
    from ._report import load_figures

    base_settings, base_figures = load_figures(base)
    new_settings, new_figures = load_figures(new)
    return compare_figures(base_figures, new_figures, max_drop, base_settings=base_settings,
                           new_settings=new_settings)
