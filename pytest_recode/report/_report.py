"""A report: a run's results with every figure computed, as ``report.json``, ``report.md`` and ``report.html``.

Every format is rendered from the same :class:`Report`, and a report depends on nothing but the results
(the date it carries is the run's), so ``recode report results.json`` writes the same files again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import ReportError
from ._figures import Figures, figures
from ._files import write_text_atomic
from ._results import RESULTS_FORMAT, RunResults, read_json

__all__ = ["FORMATS", "REPORT_FORMAT", "Report", "load_figures", "write_reports"]

REPORT_FORMAT = "pytest-recode report"
REPORT_VERSION = 1
#: The report formats, by the name options use, and the file each is written to.
FORMATS: dict[str, str] = {"json": "report.json", "md": "report.md", "html": "report.html"}


@dataclass(frozen=True)
class Report:
    """A run's results and its figures at every k of the run."""

    results: RunResults
    figures: tuple[Figures, ...]

    @classmethod
    def of(cls, results: RunResults, ks: Sequence[int] | None = None) -> Report:
        return cls(results, tuple(figures(results, k) for k in (ks or results.ks)))

    @property
    def title(self) -> str:
        model = self.results.model.get("name") or self.results.model.get("spec") or "model"
        dataset = self.results.dataset.get("name") or "dataset"
        return f"ReCode robustness of {model} on {dataset}"

    def settings_items(self) -> list[tuple[str, str]]:
        """The run's settings as (name, text) pairs, lists joined, in the order the run gave them."""
        items = []
        for name, value in self.results.settings.items():
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value)) or "-"
            items.append((name, "-" if value is None else str(value)))
        return items

    def about_lines(self) -> list[str]:
        """Who measured what, when: model and fingerprint, dataset and shard, versions, date."""
        results = self.results
        first = self.figures[0] if self.figures else None
        counts = "" if first is None else f": {first.problems} problems, {first.cases} seeded variants"
        shard = f" (shard {results.shard})" if results.shard else ""
        versions = ", ".join(f"{name} {version}" for name, version in results.versions.items())
        return [
            f"model: {results.model.get('spec') or results.model.get('name', '?')} "
            f"(fingerprint {results.model.get('fingerprint') or 'unknown'})",
            f"dataset: {results.dataset.get('name', '?')}{shard}{counts}",
            f"versions: {versions or '-'}",
            f"date: {results.created}",
        ]

    def to_json(self) -> dict[str, Any]:
        results = self.results
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "created": results.created,
            "settings": dict(results.settings),
            "model": dict(results.model),
            "dataset": dict(results.dataset),
            "versions": dict(results.versions),
            "figures": [f.to_json() for f in self.figures],
            "examples": [e.to_json() for e in results.examples],
            "unavailable": dict(results.unavailable),
            "unfinished": list(results.unfinished),
        }

    def render(self, name: str) -> str:
        """The text of one format: ``json``, ``md`` or ``html``."""
        if name == "json":
            return json.dumps(self.to_json(), indent=1) + "\n"
        if name == "md":
            from ._markdown import render_markdown

            return render_markdown(self)
        if name == "html":
            from ._html import render_html

            return render_html(self)
        raise ReportError(f"format={name!r}: expected one of {', '.join(FORMATS)}.")


def write_reports(results: RunResults, directory: str | os.PathLike[str], formats: Sequence[str] = tuple(FORMATS),
                  ks: Sequence[int] | None = None) -> list[Path]:
    """Write the chosen report files into ``directory`` (each atomically); returns their paths."""
    report = Report.of(results, ks)
    return [write_text_atomic(Path(directory) / FORMATS[name], report.render(name)) for name in formats]


def load_figures(path: str | os.PathLike[str]) -> tuple[Mapping[str, Any], dict[int, Figures]]:
    """The settings and the figures (by k) of a ``results.json`` or a ``report.json``."""
    path = Path(path)
    if path.is_dir() and (path / "results.json").is_file():
        path = path / "results.json"
    data = read_json(path, "results or report")
    if isinstance(data, Mapping) and data.get("format") == RESULTS_FORMAT:
        report = Report.of(RunResults.from_json(data, where=str(path)))
        return report.results.settings, {f.k: f for f in report.figures}
    if not isinstance(data, Mapping) or data.get("format") != REPORT_FORMAT:
        raise ReportError(f"{path} is neither a pytest-recode results file nor a report.json.")
    try:
        found = {f.k: f for f in (Figures.from_json(item) for item in data["figures"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"{path} is corrupt: its figures are incomplete ({exc}).") from None
    return dict(data.get("settings", {})), found
