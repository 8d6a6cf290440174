"""``report.md``: the report as GitHub-flavoured Markdown, fit for a CI job summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._figures import Figures, Row
from ._terminal import figure

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["FIGURE_DIGITS", "MAX_MARKDOWN_EXAMPLES", "render_markdown"]

#: Decimals of every figure in the Markdown and HTML reports (report.json keeps full precision).
FIGURE_DIGITS = 3
#: Failing perturbations shown with their diffs in a job summary (the HTML page shows them all).
MAX_MARKDOWN_EXAMPLES = 10


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table(rows: Sequence[Row], k: int, first: str, with_category: bool) -> list[str]:
    head = [first, *(["category"] if with_category else []), "problems", "cases", f"pass@{k}", f"Robust Pass@{k}",
            f"Robust Drop@{k}", f"Robust Relative@{k}", "equivalent", "differ", "broken"]
    text_columns = 2 if with_category else 1
    aligns = ["---"] * text_columns + ["---:"] * (len(head) - text_columns)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(aligns) + "|"]
    for row in rows:
        cells = [_escape(row.name), *([row.category] if with_category else []), str(row.problems), str(row.cases),
                 *(figure(v, FIGURE_DIGITS) for v in (row.pass_at_k, row.robust_pass, row.robust_drop,
                                                      row.robust_relative, row.equivalence)),
                 str(row.differ), str(row.broken)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def headline(figures: Figures) -> str:
    """``nominal pass@1: 0.875 (partial-code prompts: 0.833)``."""
    text = f"nominal pass@{figures.k}: {figure(figures.nominal, FIGURE_DIGITS)}"
    if figures.nominal_partial is not None:
        text += f" (partial-code prompts: {figure(figures.nominal_partial, FIGURE_DIGITS)})"
    return text


def render_markdown(report: Report) -> str:
    results = report.results
    lines = [f"# {report.title}", ""]
    lines += [f"- {line}" for line in report.about_lines()]
    lines.append("- settings: " + ", ".join(f"{name}={value}" for name, value in report.settings_items()))
    for figures in report.figures:
        lines += ["", f"## Figures at k = {figures.k}", "", headline(figures) + ".", ""]
        if not figures.categories:
            lines.append("No seeded variant was measured.")
            continue
        lines += ["### Per category (worst case over its transforms and seeds)", ""]
        lines += _table(figures.categories, figures.k, "category", with_category=False)
        lines += ["", "### Per transform (worst case over its seeds)", ""]
        lines += _table(figures.transforms, figures.k, "transform", with_category=True)
    if results.examples:
        shown = results.examples[:MAX_MARKDOWN_EXAMPLES]
        lines += ["", f"## Failing perturbations ({len(results.examples)})", ""]
        if len(shown) < len(results.examples):
            lines += [f"The first {len(shown)}; report.html shows them all.", ""]
        for example in shown:
            seed = "" if example.seed is None else f", seed {example.seed}"
            where = f" in `{example.test}`" if example.test else ""
            lines += [f"<details><summary>{example.task_id}: {example.transform} ({example.category}{seed}, "
                      f"{example.size} edit{'' if example.size == 1 else 's'}){where}</summary>", "",
                      "```diff", example.prompt_diff.rstrip("\n"), "```", "", "</details>", ""]
    if results.unfinished:
        lines += ["", f"## Unfinished items ({len(results.unfinished)})", "",
                  "These items never reported (their worker crashed, or the session stopped); their cases are not "
                  "counted.", ""]
        lines += [f"- `{nodeid}`" for nodeid in results.unfinished]
    if results.unavailable:
        lines += ["", "## Not run here", ""]
        lines += [f"- {name}: {reason}" for name, reason in sorted(results.unavailable.items())]
    lines += ["", LEGEND]
    return "\n".join(lines).rstrip("\n") + "\n"


#: One line per figure, under every Markdown report.
LEGEND = """<sub>pass@k: share of problems solved by the nominal prompt (unbiased estimator over n completions).
Robust Pass@k: the same where a completion counts only if it passes on every perturbed variant (worst case).
Robust Drop@k: (pass@k - Robust Pass@k) / pass@k. Robust Relative@k: outcomes that flip either way.
equivalent: share of judged cases whose two completions behave the same; differ: judged cases that do not;
broken: cases where the nominal completion passes and the perturbed one fails.</sub>"""
