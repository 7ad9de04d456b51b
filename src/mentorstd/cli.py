"""The ``mentorstd`` command line: a thin typer layer over the public API.

Exit codes: 0 done; 1 the ``--fail-on`` level was reached; 2 bad input or usage (one line per
problem on stderr, never a traceback).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from ._version import __version__
from .errors import MentorstdError

if TYPE_CHECKING:
    from rich.console import Console

    from .catalog import Catalog
    from .models import Requirement

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="mentorstd",
    help="Youth-mentoring quality standards as data: browse frameworks (EEPM, IMA, UK school "
    "schemes, NPSS), crosswalk them, and check a program's evidence bundle against any of them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class TextFormat(StrEnum):
    """Output formats for data commands."""

    text = "text"
    json = "json"
    yaml = "yaml"


AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="YYYY-MM-DD", help="Assessment date (default today)."),
]
AllowPersonalDataOption = Annotated[
    bool,
    typer.Option(
        "--allow-personal-data",
        help="Proceed even if tables look like they hold personal data.",
    ),
]


class _State:
    standards: tuple[Path, ...] = ()


_state = _State()


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def fail(lines: list[str] | str, code: int = 2) -> NoReturn:
    """Print one line per problem on stderr and exit (2 by default)."""
    for line in [lines] if isinstance(lines, str) else lines:
        sys.stderr.write(f"mentorstd: error: {line}\n")
    raise typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`MentorstdError` into located lines on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except MentorstdError as err:
            fail(err.lines())
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper


def _catalog() -> Catalog:
    from .catalog import load_catalog

    return load_catalog(_state.standards)


def _emit(data: Any, fmt: TextFormat) -> None:
    if fmt is TextFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"mentorstd {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    standards: Annotated[
        list[Path] | None,
        typer.Option(
            "--standards",
            "-S",
            metavar="PATH",
            help="Extra standards folder (a framework folder or a folder of them); "
            "repeatable. Also read from MENTORSTD_PATH.",
        ),
    ] = None,
) -> None:
    """Youth-mentoring quality standards as data."""
    _state.standards = tuple(standards or ())


# -- frameworks ----------------------------------------------------------------------------


@app.command()
@handles_errors
def frameworks(
    fmt: Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TextFormat.text
    ),
) -> None:
    """List the loaded frameworks with their requirement counts."""
    from ._summary import framework_rows, render

    rows = framework_rows(_catalog())
    if fmt is TextFormat.yaml:
        _emit(rows, fmt)
        return
    sys.stdout.write(render(rows, fmt.value))


# -- show ----------------------------------------------------------------------------------


@app.command()
@handles_errors
def show(
    target: Annotated[
        str,
        typer.Argument(
            metavar="FW[:ID]", help="A framework id, or a requirement id such as eepm:B.3.1."
        ),
    ],
    fmt: Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TextFormat.text
    ),
) -> None:
    """Show a framework's requirements, or one requirement with its evidence and checks."""
    cat = _catalog()
    if ":" in target:
        req = cat.requirement(target)
        if fmt is not TextFormat.text:
            _emit(req.model_dump(mode="json"), fmt)
            return
        _print_requirement(cat, req)
        return
    fw = cat.framework(target)
    if fmt is not TextFormat.text:
        _emit([r.model_dump(mode="json") for r in fw.requirements], fmt)
        return
    from rich.table import Table

    table = Table(
        title=f"{fw.id}: {fw.title} ({fw.meta.edition or fw.meta.year})", title_justify="left"
    )
    for col in ("id", "kind", "title", "provenance", "checks"):
        table.add_column(col, overflow="fold")
    for r in fw.requirements:
        indent = "" if r.is_group else "  "
        table.add_row(
            indent + r.id, r.kind, r.title, r.provenance, str(len(r.checks)) if r.checks else ""
        )
    _stdout().print(table)


def _print_requirement(cat: Catalog, req: Requirement) -> None:
    from rich.markup import escape

    from .render import describe_check

    console = _stdout()
    fw = cat.framework(req.framework)
    console.print(f"[bold]{escape(req.global_id)}[/bold]  {escape(req.title)}")
    console.print(
        f"[dim]{req.kind} of {escape(fw.title)}"
        + (f", under {escape(req.parent)}" if req.parent else "")
        + "[/dim]"
    )
    console.print()
    console.print(escape(req.statement))
    if req.criteria:
        console.print("\n[bold]Criteria[/bold]")
        for item in req.criteria:
            console.print(f"  - {escape(item)}")
    if req.applies_to:
        console.print(f"\n[bold]Applies to[/bold]  {', '.join(req.applies_to)}")
    if req.evidence:
        console.print("\n[bold]Evidence[/bold]")
        for kind in req.evidence:
            title = cat.evidence_kinds[kind].title if kind in cat.evidence_kinds else "?"
            console.print(f"  - {kind}: {escape(title)}")
    if req.checks:
        console.print("\n[bold]Checks[/bold]")
        for check in req.checks:
            for n, line in enumerate(describe_check(check)):
                console.print(("  - " if n == 0 else "    ") + escape(line))
    children = fw.children(req.id)
    if children:
        console.print("\n[bold]Contains[/bold]")
        for child in children:
            console.print(f"  - {escape(child.id)}: {escape(child.title)}")
    console.print("\n[bold]Source[/bold]  " + escape(req.source.section))
    if req.source.document:
        console.print(
            "  via "
            + escape(req.source.document)
            + (f" <{escape(req.source.url)}>" if req.source.url else "")
        )
    console.print(f"[bold]Provenance[/bold]  {req.provenance}")
    if req.notes:
        console.print(f"[bold]Notes[/bold]  {escape(req.notes)}")
    if req.tags:
        console.print(f"[bold]Tags[/bold]  {', '.join(req.tags)}")


# -- schema, metrics -------------------------------------------------------------------------


@app.command()
@handles_errors
def schema(
    name: Annotated[str | None, typer.Argument(help="Schema name; omit to list them.")] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="With 'datapackage': describe this bundle's tables at their paths "
            "(default: the canonical data/<table>.csv layout).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (atomically).")
    ] = None,
) -> None:
    """Print a JSON Schema (framework, standard, evidence-kinds, crosswalk, nqms, bundle,
    report), or with 'datapackage' a Frictionless Data Package descriptor of the bundle
    tables; or list the names."""
    from .schemas import names, read

    if name is None:
        for item in names():  # JSON Schemas only; 'datapackage' is named in the help
            sys.stdout.write(f"{item}\n")
        return
    if name == "datapackage":
        _datapackage(bundle, output)
        return
    if bundle is not None:
        from .errors import UsageError

        raise UsageError("--bundle goes with 'schema datapackage' only")
    _write_or_print(read(name.removesuffix(".schema.json")), output, protect=[])


def _datapackage(bundle: Path | None, output: Path | None) -> None:
    from .interop.datapackage import to_datapackage

    loaded = None
    if bundle is not None:
        from .bundle import load_bundle

        loaded = load_bundle(bundle, catalog=_catalog(), allow_personal_data=True)
    descriptor, notes = to_datapackage(loaded)
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    _write_or_print(text, output, protect=[])


@app.command()
@handles_errors
def metrics(
    fmt: Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TextFormat.text
    ),
) -> None:
    """List the metrics checks can use: definition, what each reads, parameters."""
    from ._registry import METRIC_SPECS

    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "kind": s.kind,
            "title": s.title,
            "definition": s.definition,
            "entity": s.entity,
            "unit": s.unit,
            "reads": list(s.reads),
            "params": [
                {
                    "name": p.name,
                    "description": p.description,
                    "choices": list(p.choices),
                    "default": p.default,
                    "required": p.required,
                    "many": p.many,
                }
                for p in s.params
            ],
        }
        for s in METRIC_SPECS.values()
    ]
    if fmt is not TextFormat.text:
        _emit(rows, fmt)
        return
    console = _stdout()
    for row in rows:
        console.print(
            f"[bold]{row['name']}[/bold] ({row['kind']}, per {row['entity']}, {row['unit']})"
        )
        console.print(f"  {row['definition']}")
        console.print(f"  reads: {', '.join(row['reads'])}")
        for p in row["params"]:
            extra = f" one of {', '.join(p['choices'])}" if p["choices"] else ""
            default = f" (default {p['default']})" if p["default"] is not None else ""
            need = " (required)" if p["required"] else ""
            console.print(f"  param {p['name']}: {p['description']}{extra}{default}{need}")


# -- validate --------------------------------------------------------------------------------


class ReportFormatOpt(StrEnum):
    """Report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"


class FailOn(StrEnum):
    """Levels for --fail-on."""

    not_met = "not-met"
    partially_met = "partially-met"


_SUFFIX_FORMAT = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xlsx": "xlsx",
}
#: Formats named by a double suffix, checked before the last suffix.
_NAME_SUFFIX_FORMAT = {".sssom.tsv": "sssom"}


def _suffix_format(output: Path | None, allowed: set[str]) -> str | None:
    """The format an output file's name implies, if it is one of ``allowed``."""
    if output is None:
        return None
    name = output.name.lower()
    for suffix, fmt in _NAME_SUFFIX_FORMAT.items():
        if name.endswith(suffix) and fmt in allowed:
            return fmt
    by_suffix = _SUFFIX_FORMAT.get(output.suffix.lower())
    return by_suffix if by_suffix in allowed else None


def _write_binary(data: bytes, output: Path | None, protect: list[Path], fmt: str) -> None:
    from .errors import UsageError

    if output is None:
        raise UsageError(f"--format {fmt} writes a file: give -o FILE.{fmt}")
    from ._io import write_atomic

    write_atomic(output, data, protect=protect)
    sys.stderr.write(f"wrote {output}\n")


class ConfidenceOpt(StrEnum):
    """Confidence levels."""

    low = "low"
    medium = "medium"
    high = "high"


def _parse_date(value: str | None, option: str) -> Any:
    if value is None:
        return None
    import datetime as dt

    from .errors import UsageError

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def _choose_format(fmt: ReportFormatOpt | None, output: Path | None) -> str:
    if fmt is not None:
        return fmt.value
    if output is not None:
        return _SUFFIX_FORMAT.get(output.suffix.lower(), "json")
    return "text"


def fail_level_reached(summary: dict[str, int], fail_on: FailOn | None) -> bool:
    """True when the report has a status at or beyond the --fail-on level."""
    if fail_on is None:
        return False
    levels = ["not-met"] if fail_on is FailOn.not_met else ["not-met", "partially-met"]
    return any(summary.get(level, 0) for level in levels)


@app.command()
@handles_errors
def validate(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle folder (with bundle.yaml).")],
    framework: Annotated[
        str,
        typer.Option(
            "--framework", "-F", help="Framework to assess against: eepm, ima, uk_school, npss."
        ),
    ],
    fmt: Annotated[
        ReportFormatOpt | None,
        typer.Option(
            "--format",
            "-f",
            help="text (terminal summary), json, markdown, html or xlsx (one row per "
            "requirement). Default: from the -o suffix, else text.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here (atomically).")
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when any requirement is at this level or worse."),
    ] = None,
    as_of: AsOfOption = None,
    no_crosswalk: Annotated[
        bool,
        typer.Option(
            "--no-crosswalk", help="Use direct evidence only, no projection through the crosswalk."
        ),
    ] = False,
    min_confidence: Annotated[
        ConfidenceOpt,
        typer.Option(
            "--min-confidence", help="Lowest confidence of crosswalk links used for projection."
        ),
    ] = ConfidenceOpt.medium,
    allow_personal_data: AllowPersonalDataOption = False,
) -> None:
    """Assess an evidence bundle against a framework and report each requirement's status,
    what it rests on, and what to fix first."""
    from .assessment import assess
    from .bundle import load_bundle

    day = _parse_date(as_of, "--as-of")
    cat = _catalog()
    cat.framework(framework)
    loaded = load_bundle(bundle, catalog=cat, allow_personal_data=allow_personal_data)
    report = assess(
        loaded,
        framework,
        cat,
        as_of=day,
        use_crosswalk=not no_crosswalk,
        min_confidence=min_confidence.value,
    )
    chosen = _choose_format(fmt, output)
    if chosen == "text":
        if output is not None:
            from .errors import UsageError

            raise UsageError(
                "--format text prints to the terminal; choose json, markdown, html or xlsx for -o"
            )
        _print_report_summary(report)
    elif chosen == "xlsx":
        from .report.xlsx import report_xlsx

        _write_binary(report_xlsx(report), output, protect=[bundle], fmt="xlsx")
    else:
        from .report import render_report

        text = render_report(report, chosen)  # type: ignore[arg-type]
        _write_or_print(text, output, protect=[bundle])
    if fail_level_reached(report.summary, fail_on):
        raise typer.Exit(1)


def _write_or_print(text: str, output: Path | None, protect: list[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from ._io import write_atomic

    write_atomic(output, text, protect=protect)
    sys.stderr.write(f"wrote {output}\n")


def _print_report_summary(report: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .render import BASIS_LABEL

    console = _stdout()
    colours = {
        "met": "green",
        "partially-met": "yellow",
        "not-met": "red",
        "not-assessed": "dim",
        "not-applicable": "cyan",
    }
    console.print(
        f"[bold]{escape(report.program.name)}[/bold] against "
        f"{escape(report.framework_title)} ({report.framework}), {len(report.results)} "
        "requirements"
    )
    console.print("  ".join(f"[{colours[s]}]{s}[/] {n}" for s, n in report.summary.items()))
    console.print(
        "rests on: "
        + "  ".join(
            f"{BASIS_LABEL[b]} {sum(row.values())}" for b, row in report.summary_by_basis.items()
        )
    )
    if report.fix_first:
        console.print("[bold]What to fix first[/bold]")
        for g in report.fix_first:
            flags = "; safety" if g.safety else ""
            console.print(
                f" {g.rank}. {g.requirement} {escape(g.title)} "
                f"([{colours[g.status]}]{g.status}[/], {BASIS_LABEL[g.basis]}{flags}): "
                f"{escape(g.action)}"
            )
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("requirement")
    table.add_column("title", overflow="fold")
    table.add_column("status")
    table.add_column("rests on")
    table.add_column("finding", overflow="fold")
    for r in report.results:
        first = r.findings[0] if r.findings else None
        table.add_row(
            r.requirement,
            escape(r.title),
            f"[{colours[r.status]}]{r.status}[/]",
            BASIS_LABEL[r.basis],
            escape(first.message if first else ""),
        )
    console.print(table)
    console.print(
        "Documents alone give at most partially-met unless the requirement is about having the "
        "document; "
        + (
            f"projection used crosswalk links of at least {report.min_confidence} confidence."
            if report.use_crosswalk
            else "the crosswalk was not used."
        )
    )


# -- crosswalk -------------------------------------------------------------------------------


class CrosswalkFormatOpt(StrEnum):
    """Crosswalk table formats."""

    csv = "csv"
    markdown = "markdown"
    html = "html"
    json = "json"
    mermaid = "mermaid"
    sssom = "sssom"
    oscal_mapping = "oscal-mapping"


@app.command()
@handles_errors
def crosswalk(
    fw_a: Annotated[str, typer.Argument(metavar="FW_A", help="Source framework (or 'import').")],
    fw_b: Annotated[
        str, typer.Argument(metavar="FW_B", help="Target framework (or, after 'import', a file).")
    ],
    fmt: Annotated[
        CrosswalkFormatOpt | None,
        typer.Option(
            "--format",
            "-f",
            help="markdown (default), csv, html, json, mermaid, sssom (SSSOM/TSV; also from "
            "a .sssom.tsv -o suffix) or oscal-mapping (OSCAL mapping collection JSON).",
        ),
    ] = None,
    inferred: Annotated[
        bool,
        typer.Option("--inferred", help="Add links inferred along paths through other frameworks."),
    ] = False,
    min_confidence: Annotated[
        ConfidenceOpt,
        typer.Option("--min-confidence", help="Leave out links below this confidence."),
    ] = ConfidenceOpt.low,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Print only the coverage figures.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (atomically).")
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            metavar="NAME",
            help="With 'import': the crosswalk's author (default: from the file).",
        ),
    ] = None,
) -> None:
    """Table of links between two frameworks (stored, and with --inferred, inferred), with
    coverage both ways. `crosswalk import FILE.sssom.tsv [-o FILE.yaml]` turns an SSSOM
    mapping set into a crosswalk file and lints it."""
    from .report.crosswalk import build_table, render_crosswalk

    if fw_a == "import":
        _crosswalk_import(Path(fw_b), output, author)
        return
    cat = _catalog()
    cat.framework(fw_a)
    cat.framework(fw_b)
    table = build_table(cat, fw_a, fw_b, inferred=inferred, min_confidence=min_confidence.value)
    chosen = fmt.value if fmt is not None else _suffix_format(output, {"sssom"}) or "markdown"
    if chosen == "sssom" and not coverage:
        from .interop.sssom import to_sssom

        _write_or_print(to_sssom(table), output, protect=[])
        return
    if chosen == "oscal-mapping" and not coverage:
        from .interop.oscal import to_oscal_mapping

        doc = to_oscal_mapping(table)
        if not doc["mapping-collection"]["mappings"][0]["maps"]:
            from .errors import UsageError

            raise UsageError(
                f"no links between controls of {fw_a} and {fw_b} at this confidence: an OSCAL "
                "mapping needs at least one"
            )
        _write_or_print(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output, [])
        return
    fmt = CrosswalkFormatOpt(chosen)
    if coverage:
        data: list[dict[str, Any]] = [table.coverage_ab.to_dict(), table.coverage_ba.to_dict()]
        if fmt is CrosswalkFormatOpt.json:
            text = json.dumps(data, indent=2) + "\n"
        else:
            text = "".join(
                f"{c['a']} -> {c['b']}: {c['covered']} of {c['total']} linked "
                f"({c['share']:.1%}); {len(c['no_counterpart'])} no counterpart; "
                f"{len(c['unmapped'])} unmapped\n"
                for c in data
            )
    else:
        text = render_crosswalk(table, fmt.value)  # type: ignore[arg-type]
    _write_or_print(text, output, protect=[])


def _crosswalk_import(path: Path, output: Path | None, author: str | None) -> None:
    from .interop._lint import lint_in_place_of
    from .interop.sssom import crosswalk_from_sssom

    if not path.is_file():
        from .errors import UsageError

        raise UsageError(f"{path}: no such file")
    imported = crosswalk_from_sssom(path, _catalog(), author=author)
    cw = imported.crosswalk
    text = imported.to_yaml()
    for note in imported.notes:
        sys.stderr.write(f"note: {note}\n")
    name = f"{cw.source}--{cw.target}.yaml"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mentorstd-import-") as tmp:
        scratch = Path(tmp) / name
        scratch.write_text(text, encoding="utf-8")
        problems = lint_in_place_of(
            f"crosswalks/{name}",
            scratch,
            also_replaces=(f"crosswalks/{cw.target}--{cw.source}.yaml",),
        )
    shown = str(output) if output is not None else name
    problems = [p.replace(str(scratch), shown) for p in problems]
    _write_or_print(text, output, protect=[path])
    sys.stderr.write(
        f"{len(cw.mappings)} mappings {cw.source} -> {cw.target}; lint: "
        + ("ok" if not problems else f"{len(problems)} problem(s)")
        + "\n"
    )
    if problems:
        fail(problems)


# -- demo --------------------------------------------------------------------------------------


@app.command()
@handles_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the reports.")] = Path(
        "mentorstd-demo"
    ),
    as_of: AsOfOption = None,
) -> None:
    """Assess the shipped example bundles against every framework; write reports (JSON,
    Markdown, HTML), crosswalk tables and an index page."""
    from .demo import run_demo

    day = _parse_date(as_of, "--as-of")
    result = run_demo(_catalog(), out, as_of=day)
    console = _stdout()
    from rich.table import Table

    table = Table(title="Example bundles", title_justify="left")
    for col in ("bundle", "framework", "met", "partially", "not met", "not assessed", "n/a"):
        table.add_column(col)
    for name, fid, summary, _path in result.reports:
        table.add_row(
            name,
            fid,
            *(
                str(summary[s])
                for s in ("met", "partially-met", "not-met", "not-assessed", "not-applicable")
            ),
        )
    console.print(table)
    console.print(f"Reports: {out}/<bundle>/<framework>.html (.json, .md)")
    console.print(f"Crosswalk tables: {out}/crosswalks/ ({len(result.crosswalks)} files)")
    console.print(f"Open {result.index} in a browser.")


@app.command()
@handles_errors
def codes(
    fmt: Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TextFormat.text
    ),
) -> None:
    """List the finding codes and their message templates."""
    from .checks import MESSAGES

    if fmt is not TextFormat.text:
        _emit([{"code": k, "message": v} for k, v in MESSAGES.items()], fmt)
        return
    for code, message in MESSAGES.items():
        sys.stdout.write(f"{code}\n    {message}\n")


# -- plan, diff, batch ------------------------------------------------------------------------


class PlanFormat(StrEnum):
    """Plan formats."""

    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"
    yaml = "yaml"
    xlsx = "xlsx"


@app.command()
@handles_errors
def plan(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle folder.")],
    framework: Annotated[str, typer.Option("--framework", "-F", help="Framework to plan for.")],
    fmt: Annotated[
        PlanFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="text, markdown, html, json, yaml (goals ready to paste into the "
            "bundle's nqms.plan_goals) or xlsx (one row per goal; also from a .xlsx -o "
            "suffix). Default: text.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (atomically).")
    ] = None,
    as_of: AsOfOption = None,
    min_confidence: Annotated[
        ConfidenceOpt,
        typer.Option(
            "--min-confidence",
            help="Lowest confidence of crosswalk links used for projection and leverage.",
        ),
    ] = ConfidenceOpt.medium,
    allow_personal_data: AllowPersonalDataOption = False,
) -> None:
    """An improvement plan: every gap as a goal with what to do, ranked by safety, leverage
    across frameworks and size of the gap."""
    from .assessment import assess
    from .bundle import load_bundle
    from .plan import build_plan, plan_html, plan_text

    day = _parse_date(as_of, "--as-of")
    cat = _catalog()
    cat.framework(framework)
    loaded = load_bundle(bundle, catalog=cat, allow_personal_data=allow_personal_data)
    report = assess(loaded, framework, cat, as_of=day, min_confidence=min_confidence.value)
    result = build_plan(report, cat)
    fmt = fmt or PlanFormat(_suffix_format(output, {"xlsx"}) or "text")
    if fmt is PlanFormat.xlsx:
        from .report.xlsx import plan_xlsx

        _write_binary(plan_xlsx(result), output, protect=[bundle], fmt="xlsx")
        return
    if fmt is PlanFormat.html:
        text = plan_html(result)
    elif fmt is PlanFormat.json:
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt is PlanFormat.yaml:
        import yaml

        text = "# Paste under nqms: in bundle.yaml (mentorstd plan, ranked)\n" + yaml.safe_dump(
            {"plan_goals": result.to_plan_goals()}, sort_keys=False, allow_unicode=True, width=100
        )
    else:
        text = plan_text(result, markdown=fmt is PlanFormat.markdown)
    _write_or_print(text, output, protect=[bundle])


class DiffFormat(StrEnum):
    """Diff formats."""

    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
@handles_errors
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD.json", help="The earlier JSON report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW.json", help="The later JSON report.")],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = (
        DiffFormat.text
    ),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
) -> None:
    """Compare two assessments of the same program: requirements improved, regressed and
    unchanged, metric deltas, plan goals completed."""
    from .diff import diff_reports, diff_text, load_report

    result = diff_reports(load_report(old), load_report(new))
    if fmt is DiffFormat.json:
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = diff_text(result, markdown=fmt is DiffFormat.markdown)
    _write_or_print(text, output, protect=[old, new])


@app.command()
@handles_errors
def batch(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder holding bundles (any depth).")
    ],
    framework: Annotated[str, typer.Option("--framework", "-F", help="Framework.")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: CPU count).")
    ] = 0,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for reports, summary.csv and index.html.")
    ] = Path("mentorstd-batch"),
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="Report formats to write per bundle (json, markdown, html, xlsx; xlsx also "
            "writes summary.xlsx); repeatable. Default: json and html.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    allow_personal_data: AllowPersonalDataOption = False,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on", help="Exit 1 when any bundle has a requirement at this level or worse."
        ),
    ] = None,
) -> None:
    """Assess every bundle under DIR in parallel; write each report, summary.csv (one row per
    bundle) and index.html. A bad bundle becomes an error row and never stops the batch."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .batch import run_batch
    from .errors import UsageError

    formats = fmt or ["json", "html"]
    for item in formats:
        if item not in {"json", "markdown", "html", "xlsx"}:
            raise UsageError(f"--format: {item!r} is not one of json, markdown, html, xlsx")
    day = _parse_date(as_of, "--as-of")
    cat = _catalog()
    cat.framework(framework)
    workers = jobs or os.cpu_count() or 1
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    ) as bar:
        task = bar.add_task("assessing", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_batch(
            folder,
            framework,
            out,
            jobs=workers,
            standards=[str(p) for p in _state.standards],
            as_of=day,
            allow_personal_data=allow_personal_data,
            formats=formats,
            progress=tick,
        )
    assessed = len(result.rows) - result.errors
    also = f" and {result.summary_xlsx}" if result.summary_xlsx else ""
    sys.stdout.write(
        f"{assessed} assessed, {result.errors} with errors; summary "
        f"{result.summary_csv}{also}; index {result.index_html}\n"
    )
    if fail_on is not None and any(
        fail_level_reached({s: int(r[s] or 0) for s in ("not-met", "partially-met")}, fail_on)
        for r in result.rows
        if r["result"] == "assessed"
    ):
        raise typer.Exit(1)


# -- export, import ----------------------------------------------------------------------


class ExportFormat(StrEnum):
    """Framework export formats."""

    oscal_catalog = "oscal-catalog"
    xlsx = "xlsx"


@app.command()
@handles_errors
def export(
    framework: Annotated[str, typer.Argument(metavar="FW", help="Framework to export.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="oscal-catalog (OSCAL catalog JSON, the default) or xlsx (a workbook to edit "
            "and bring back with `mentorstd import`; also from a .xlsx -o suffix).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (atomically).")
    ] = None,
) -> None:
    """Export a framework in a neutral format: an OSCAL catalog, or a workbook."""
    cat = _catalog()
    fw = cat.framework(framework)
    fmt = fmt or ExportFormat(_suffix_format(output, {"xlsx"}) or "oscal-catalog")
    if fmt is ExportFormat.xlsx:
        from .interop.workbook import to_workbook

        _write_binary(to_workbook(fw), output, protect=[], fmt="xlsx")
        return
    from .interop.oscal import to_oscal_catalog

    text = json.dumps(to_oscal_catalog(fw), indent=2, ensure_ascii=False) + "\n"
    _write_or_print(text, output, protect=[])


@app.command("import")
@handles_errors
def import_(
    workbook: Annotated[
        Path, typer.Argument(metavar="WORKBOOK", help="An .xlsx from `mentorstd export`.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Framework folder to write (framework.yaml and parts)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Bring a framework workbook back as a framework folder and lint it. By id: a new id is
    added, a listed id is changed, a row with action 'delete' is deleted, and requirements the
    sheet leaves out are kept."""
    from .errors import UsageError
    from .interop._lint import lint_in_place_of
    from .interop.workbook import base_parts, from_workbook

    if not workbook.is_file():
        raise UsageError(f"{workbook}: no such file")
    cat = _catalog()
    from .interop.workbook import read_framework_id

    fid = read_framework_id(workbook)
    base = cat.frameworks.get(fid)
    folder = next((r / fid for r in cat.roots if (r / fid / "framework.yaml").is_file()), None)
    update = from_workbook(workbook, base, base_parts(folder))
    sys.stdout.write(update.summary() + "\n")
    if dry_run:
        return
    try:
        update.write(output, base_folder=folder)
    except OSError as err:
        raise UsageError(f"{output}: cannot write: {err.strerror or err}") from None
    problems = lint_in_place_of(fid, output)
    sys.stdout.write(f"wrote {output}; lint: {'ok' if not problems else 'problems'}\n")
    if problems:
        fail(problems)


# -- lint ----------------------------------------------------------------------------------


@app.command()
@handles_errors
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Extra standards folders to check with the shipped ones."),
    ] = None,
    no_builtin: Annotated[
        bool, typer.Option("--no-builtin", help="Check only PATH, not the shipped data.")
    ] = False,
) -> None:
    """Check standards data: schemas, ids, parents, evidence kinds, metrics, crosswalks."""
    from .catalog import lint as run_lint

    report = run_lint([*_state.standards, *(paths or [])], builtin=not no_builtin)
    if report.problems:
        fail([str(p) for p in report.problems])
    counts = report.counts()
    parts = []
    for fid, c in counts.items():
        prov = "/".join(
            f"{c.get(k, 0)} {k}" for k in ("verified", "derived", "provisional") if c.get(k)
        )
        parts.append(f"{fid} {c['requirements']} ({prov})")
    cw = ""
    if report.catalog is not None and report.catalog._crosswalk_files:
        n = sum(len(f.mappings) for f, _ in report.catalog._crosswalk_files)
        cw = f"; {n} crosswalk mappings in {len(report.catalog._crosswalk_files)} files"
    sys.stdout.write(f"ok: {len(counts)} frameworks: {'; '.join(parts)}{cw}\n")
    for note in report.notes:
        sys.stdout.write(f"note: {note}\n")


def main() -> None:
    """Console-script entry point.

    A bug must not greet users with a traceback: it is reported in one line with exit code 3
    (set MENTORSTD_DEBUG=1 to see the traceback).
    """
    import os

    try:
        app()
    except MentorstdError as err:  # pragma: no cover - commands handle their own errors
        fail(err.lines())
    except Exception as err:
        if os.environ.get("MENTORSTD_DEBUG"):
            raise
        sys.stderr.write(
            f"mentorstd: internal error: {type(err).__name__}: {err} (this is a "
            "bug; please report it, with MENTORSTD_DEBUG=1 for the traceback)\n"
        )
        sys.exit(3)
