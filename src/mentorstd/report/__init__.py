"""Renderers: assessment reports (JSON, Markdown, HTML) and crosswalk tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..assessment import Report

__all__ = ["ReportFormat", "render_report"]

ReportFormat = Literal["json", "markdown", "html"]


def render_report(report: Report, fmt: ReportFormat) -> str:
    """The report in one of the output formats."""
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        from .markdown import report_markdown

        return report_markdown(report)
    from .html import report_html

    return report_html(report)
