"""Self-contained HTML pages (inline CSS and script, no external resources).

Every value goes through Jinja2 with autoescaping on, so text from a bundle can never inject
markup into a page.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from ..checks import STATUSES
from ..render import BASIS_LABEL, format_value
from ._indicators import (
    benchmark_text,
    breakdown_text,
    counts_text,
    survival_chart,
    survival_rows,
    value_text,
)

if TYPE_CHECKING:
    import jinja2

    from ..assessment import Report

__all__ = ["MAX_IDS", "environment", "relative_href", "render_template", "report_html"]

#: Failing ids shown before the rest fold into a <details> element.
MAX_IDS = 40


def relative_href(name: str) -> str:
    """A link to the file ``name`` (a relative path) from the page: always starting ``./``,
    every character but ``/`` and the unreserved ones percent-encoded, so a folder named
    ``javascript:...`` or ``//host`` is only ever a file name."""
    from urllib.parse import quote

    return "./" + quote(name.lstrip("/"), safe="/")


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment (autoescape on for every template)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mentorstd", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["relative_href"] = relative_href
    env.globals["fmt"] = format_value
    env.globals["benchmark_text"] = benchmark_text
    env.globals["breakdown_text"] = breakdown_text
    env.globals["counts_text"] = counts_text
    env.globals["value_text"] = value_text
    env.globals["statuses"] = STATUSES
    env.globals["basis_label"] = BASIS_LABEL
    env.globals["bases"] = tuple(BASIS_LABEL)
    return env


@cache
def _css() -> str:
    env = environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, "_base.css")
    return source


def render_template(name: str, **context: Any) -> str:
    """Render a page template with the shared stylesheet inlined."""
    template = environment().get_template(name)
    return template.render(css=_css(), max_ids=MAX_IDS, **context)


def report_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    from .markdown import md_text_reading

    # the brief rules are plain text with **bold** marks: drop the marks for HTML
    reading = md_text_reading(report).replace("**", "")
    indicators = None
    if report.indicators is not None:
        cohorts, rows = survival_rows(report.indicators)
        indicators = {
            "section": report.indicators,
            "cohorts": cohorts,
            "rows": rows,
            "chart": survival_chart(report.indicators),
        }
    return render_template("report.html.j2", r=report, reading=reading, ind=indicators)
