"""Property tests: every user-controlled string is escaped for where it lands."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from mentorstd.report.html import relative_href, render_template
from mentorstd.report.text import FORMULA_PREFIXES, md_code, md_text, neutralise

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
hostile = st.sampled_from(
    ["javascript:alert(1)", "`", "``x``", "<script>", "//evil.example/x", "=1+1", "|", "\\"]
)
strings = text | hostile | st.lists(hostile | text, max_size=4).map("".join)


@given(strings)
def test_a_code_span_cannot_be_closed_from_inside(value: str) -> None:
    span = md_code(value)
    assert "\n" not in span
    fence = re.match(r"`+", span)
    assert fence is not None and span.endswith(fence.group(0))
    inner = span[len(fence.group(0)) : -len(fence.group(0))]
    assert all(len(run) < len(fence.group(0)) for run in re.findall(r"`+", inner))
    assert inner.strip() == " ".join(value.split())


@given(strings)
def test_markdown_text_has_no_active_character(value: str) -> None:
    out = md_text(value)
    assert "\n" not in out
    assert not re.search(r"(?<!\\)[`*_\[\]<>|~]", out.replace("\\\\", ""))


@given(strings.filter(lambda s: s.strip("/")))
def test_a_link_is_always_a_relative_file_path(name: str) -> None:
    href = relative_href(name)
    assert href.startswith("./")
    parts = urlsplit(href)
    assert parts.scheme == "" and parts.netloc == ""
    assert re.fullmatch(r"\./[A-Za-z0-9._~%/-]*", href)
    assert unquote(href[2:]) == name.lstrip("/")


@given(strings)
def test_a_csv_cell_never_starts_a_formula(value: str) -> None:
    cell = neutralise(value)
    if cell.startswith(FORMULA_PREFIXES):
        float(cell)  # only a plain number may start with - or +
    assert cell in (value, "'" + value)


@settings(max_examples=40, deadline=None)
@given(bundle=strings, program=strings, error=strings)
def test_the_batch_index_escapes_names_and_errors(bundle: str, program: str, error: str) -> None:
    rows = [
        {"bundle": bundle, "program": program, "result": "error", "error": error},
        {"bundle": bundle, "program": "", "result": "skipped", "error": error},
    ]
    page = render_template(
        "batch.html.j2",
        rows=rows,
        framework="eepm",
        framework_title="EEPM",
        link=".html",
        heat={"programs": [], "requirements": [], "most_unmet": []},
        generated="2026-01-01",
        incomplete="",
    )
    for value in (bundle, program, error):
        if "<" in value:
            assert value not in page
    assert all(h.startswith(("./", "#")) for h in re.findall(r'href="([^"]*)"', page))
