"""The geometry of the report's bar charts, which the HTML template draws as inline SVG.

Horizontal grouped bars, one group per category or transform, one bar per series (nominal pass@k and
Robust Pass@k), on a fixed 0..1 scale so that charts of different runs compare by eye. Everything is
computed here, in plain numbers, so the template only places shapes and a test can check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "BarChart", "Group", "Series", "Tick", "bar_chart"]

#: Space for the group labels, the plot, the value labels after the longest bar, and the rows.
LABEL_WIDTH = 250
PLOT_WIDTH = 500
VALUE_WIDTH = 50
BAR_HEIGHT = 12
BAR_GAP = 2
GROUP_GAP = 10
TOP = 44
BOTTOM = 30


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class Bar:
    """One bar: where it is drawn, the value it stands for and its text (``n/a`` and no width for none)."""

    series: int
    x: float
    y: float
    width: float
    height: float
    value: float | None
    text: str


@dataclass(frozen=True)
class Group:
    label: str
    label_y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    series: tuple[Series, ...]
    groups: tuple[Group, ...]
    ticks: tuple[Tick, ...]


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[Series, Sequence[float | None]]]) -> BarChart:
    """A chart with one group per label; ``series`` gives, per series, one value in [0, 1] (or ``None``)
    per label."""
    step = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP
    groups = []
    for index, label in enumerate(labels):
        top = TOP + GROUP_GAP / 2 + index * step
        bars = []
        for number, (_, values) in enumerate(series):
            value = values[index]
            width = 0.0 if value is None else max(0.0, min(1.0, value)) * PLOT_WIDTH
            bars.append(Bar(number, LABEL_WIDTH, top + number * (BAR_HEIGHT + BAR_GAP), round(width, 2), BAR_HEIGHT,
                            value, "n/a" if value is None else f"{value:.3f}"))
        middle = top + (len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP) / 2
        groups.append(Group(label, round(middle + 4, 2), tuple(bars)))
    plot_bottom = int(TOP + len(labels) * step + GROUP_GAP / 2)
    ticks = tuple(Tick(LABEL_WIDTH + PLOT_WIDTH * i / 4, f"{i / 4:g}") for i in range(5))
    return BarChart(
        title=title,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=plot_bottom + BOTTOM,
        plot_left=LABEL_WIDTH,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        series=tuple(s for s, _ in series),
        groups=tuple(groups),
        ticks=ticks,
    )
