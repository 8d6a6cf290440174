"""Reports of robustness results: the terminal summary (JSON, Markdown and HTML reports come next)."""

from ._terminal import summary_lines

__all__ = ["summary_lines"]
