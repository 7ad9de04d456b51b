"""The ``mentorstd`` command line: a thin typer layer over the public API.

Exit codes: 0 done; 1 the ``--fail-on`` level was reached; 2 bad input or usage (one line per
problem on stderr, never a traceback), and in ``batch`` some bundles could not be assessed.

Output formats follow one rule for every command (:func:`mentorstd._formats.choose_format`):
``--format``, else the suffix of ``-o FILE``, else text.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import json
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from ._version import __version__
from .errors import BundleError, MentorstdError

if TYPE_CHECKING:
    from rich.console import Console

    from .catalog import Catalog
    from .models import Requirement

P = ParamSpec("P")
R = TypeVar("R")


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the metavar (BUNDLE, DIR, PATH) says it all


def _tidy_params(params: list[Any]) -> list[Any]:
    """Help without Python types: flags show no ``<bool>``, arguments no ``<path>`` or
    ``<list[Path]>`` beside their metavar."""
    for param in params:
        if isinstance(param, typer.core.TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif type(param) is typer.core.TyperArgument:
            # typer offers no hook for an argument's type column; the subclass only hides it
            param.__class__ = _Argument
    return params


class _Command(typer.core.TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy_params(super().get_params(ctx))


class _Group(typer.core.TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy_params(super().get_params(ctx))


app = typer.Typer(
    name="mentorstd",
    cls=_Group,
    help="Youth-mentoring quality standards as data: browse frameworks (EEPM, IMA, UK school "
    "schemes, NPSS), crosswalk them, and check a program's evidence bundle against any of them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(name: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``@app.command()`` with tidy help: no ``<bool>`` beside flags, and the docstring's
    paragraphs reflowed (rich help keeps every line break of a docstring)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        doc = inspect.getdoc(func) or ""
        text = "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n"))
        return app.command(name, cls=_Command, help=text)(func)

    return decorate


class Format(StrEnum):
    """Every output format name; each command writes a subset (see :mod:`mentorstd._formats`)."""

    text = "text"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"
    html = "html"
    csv = "csv"
    mermaid = "mermaid"
    xlsx = "xlsx"
    sssom = "sssom"
    oscal_catalog = "oscal-catalog"
    oscal_mapping = "oscal-mapping"


def _format_option(formats: tuple[str, ...], extra: str = "") -> Any:
    from ._formats import describe

    return typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help=f"Output format: {describe(formats)}. Default: from the -o suffix, else "
        f"{formats[0]}.{extra}",
        show_default=False,
    )


_TEXT_DATA = ("text", "json", "yaml")
FormatOption = Annotated[Format | None, _format_option(_TEXT_DATA)]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (atomically) instead of the terminal; - is standard output.",
    ),
]


class CadenceOpt(StrEnum):
    """Named staff-contact schedules (mentorstd.metrics.CADENCE_PROFILES)."""

    eepm4 = "eepm4"
    bbbs = "bbbs"


CadenceOption = Annotated[
    CadenceOpt | None,
    typer.Option(
        "--cadence",
        metavar="PROFILE",
        help="Staff-contact schedule for every contact-cadence check and the "
        "contact-completion indicator: eepm4 (2 contacts in month 1, then monthly) or bbbs "
        "(a first contact within 14 days, monthly in year 1, quarterly after). Default: "
        "each check's own rule (eepm4 for EEPM).",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="YYYY-MM-DD", help="Assessment date (default: today)."),
]
AllowPersonalDataOption = Annotated[
    bool,
    typer.Option(
        "--allow-personal-data",
        help="Proceed even if tables look like they hold personal data.",
    ),
]
FrameworkOption = Annotated[
    str,
    typer.Option(
        "--framework",
        "-F",
        metavar="FW",
        help="Framework id: eepm, ima, uk_school, npss or one of your own.",
    ),
]
StandardsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--standards",
        "-S",
        metavar="PATH",
        help="Extra standards folder (a framework folder or a folder of them); repeatable. "
        "Also read from MENTORSTD_PATH.",
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

    class _PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 here; a reader that stops early (| head) is not an error
            raise BrokenPipeError

    return _PipeConsole(highlight=False, soft_wrap=True)


def _capture(draw: Callable[[Console], None]) -> str:
    """What ``draw`` prints, as plain text (no colours) for a file."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    draw(Console(file=buffer, width=100, color_system=None, highlight=False, soft_wrap=True))
    return buffer.getvalue()


def fail(lines: list[str] | str, code: int = 2) -> NoReturn:
    """Print one line per problem on stderr and exit (2 by default)."""
    for line in [lines] if isinstance(lines, str) else lines:
        sys.stderr.write(f"mentorstd: error: {line}\n")
    raise typer.Exit(code)


def _silence_stdout() -> None:
    """After a broken pipe: send what is left to /dev/null so the exit flush cannot fail."""
    import os

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return  # not a real file (tests)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def print_notes(notes: list[str]) -> None:
    """Print the loader's notes (ignored columns, unknown document kinds) on stderr."""
    for note in notes:
        sys.stderr.write(f"mentorstd: note: {note}\n")


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
            _silence_stdout()
            raise typer.Exit(0) from None

    return wrapper


def _catalog(extra: list[Path] | None = None) -> Catalog:
    from .catalog import load_catalog

    catalog = load_catalog([*_state.standards, *(extra or [])])
    for note in catalog.notes:
        sys.stderr.write(f"mentorstd: note: {note}\n")
    return catalog


def _import_aside(module: str) -> threading.Thread:
    """Start importing ``module`` on a thread of its own and return the thread (join it before
    using the module).

    Importing runs Python code, holding the GIL; reading a bundle's tables spends most of its
    time in polars, which releases it. Started once the tables are being read, the import is
    mostly done by the time they are. Should it fail, the import in the main thread raises the
    error again, where it is handled as usual.
    """

    def run() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)

    thread = threading.Thread(target=run, name=f"import {module}", daemon=True)
    thread.start()
    return thread


def _choose(
    fmt: Format | None, output: Path | None, supported: tuple[str, ...], command: str
) -> str:
    from ._formats import choose_format

    return choose_format(fmt.value if fmt else None, output, supported, command=command)


def _dump(data: Any, fmt: str) -> str:
    """``data`` as JSON or YAML text."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _write_or_print(text: str, output: Path | None, protect: list[Path]) -> None:
    from ._formats import STDOUT

    if output is None or str(output) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from ._io import write_atomic

    write_atomic(output, text, protect=protect, parents=False)
    sys.stderr.write(f"wrote {output}\n")


def _deliver_text(
    draw: Callable[[Console], None], output: Path | None, protect: list[Path] | None = None
) -> None:
    """Terminal text: coloured on the terminal, plain in a file."""
    from ._formats import STDOUT

    if output is None or str(output) == STDOUT:
        draw(_stdout())
        return
    _write_or_print(_capture(draw), output, protect or [])


def _write_binary(data: bytes, output: Path | None, protect: list[Path], fmt: str) -> None:
    from ._formats import STDOUT
    from .errors import UsageError

    if output is None or str(output) == STDOUT:
        raise UsageError(f"--format {fmt} writes a file: give -o FILE.{fmt}")
    from ._io import write_atomic

    write_atomic(output, data, protect=protect, parents=False)
    sys.stderr.write(f"wrote {output}\n")


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
    standards: StandardsOption = None,
) -> None:
    """Youth-mentoring quality standards as data."""
    _state.standards = tuple(standards or ())


# -- frameworks ----------------------------------------------------------------------------


@_command()
@handles_errors
def frameworks(
    fmt: FormatOption = None, output: OutputOption = None, standards: StandardsOption = None
) -> None:
    """List the loaded frameworks with their requirement counts."""
    from ._summary import framework_rows, render

    chosen = _choose(fmt, output, _TEXT_DATA, "frameworks")
    rows = framework_rows(_catalog(standards))
    text = _dump(rows, chosen) if chosen == "yaml" else render(rows, chosen)
    _write_or_print(text, output, [])


# -- show ----------------------------------------------------------------------------------


@_command()
@handles_errors
def show(
    target: Annotated[
        str,
        typer.Argument(
            metavar="FW[:ID]", help="A framework id, or a requirement id such as eepm:B.3.1."
        ),
    ],
    fmt: FormatOption = None,
    output: OutputOption = None,
    standards: StandardsOption = None,
) -> None:
    """Show a framework's requirements, or one requirement with its evidence and checks."""
    chosen = _choose(fmt, output, _TEXT_DATA, "show")
    cat = _catalog(standards)
    if ":" in target:
        req = cat.requirement(target)
        if chosen != "text":
            _write_or_print(_dump(req.model_dump(mode="json"), chosen), output, [])
            return
        _deliver_text(lambda console: _print_requirement(console, cat, req), output)
        return
    fw = cat.framework(target)
    if chosen != "text":
        _write_or_print(
            _dump([r.model_dump(mode="json") for r in fw.requirements], chosen), output, []
        )
        return

    def draw(console: Console) -> None:
        from rich.table import Table

        table = Table(
            title=f"{fw.id}: {fw.title} ({fw.meta.edition or fw.meta.year})",
            title_justify="left",
        )
        for col in ("id", "kind", "title", "id basis", "provenance", "checks"):
            table.add_column(col, overflow="fold")
        for r in fw.requirements:
            indent = "" if r.is_group else "  "
            checks = str(len(r.checks)) if r.checks else ""
            table.add_row(indent + r.id, r.kind, r.title, r.id_basis, r.provenance, checks)
        console.print(table)

    _deliver_text(draw, output)


def _print_requirement(console: Console, cat: Catalog, req: Requirement) -> None:
    from rich.markup import escape

    from .render import describe_check

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
    console.print(f"[bold]Id basis[/bold]  {req.id_basis}")
    console.print(f"[bold]Provenance[/bold]  {req.provenance}")
    if req.notes:
        console.print(f"[bold]Notes[/bold]  {escape(req.notes)}")
    if req.tags:
        console.print(f"[bold]Tags[/bold]  {', '.join(req.tags)}")


# -- schema, metrics -------------------------------------------------------------------------


@_command()
@handles_errors
def init(
    folder: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="New bundle folder (must not exist or be empty)."),
    ],
    framework: Annotated[
        list[str] | None,
        typer.Option(
            "--framework",
            "-F",
            metavar="FW",
            help="Framework whose requirements the self-assessment sheet lists (repeatable; "
            "default: all).",
        ),
    ] = None,
    xlsx: Annotated[
        bool,
        typer.Option(
            "--xlsx", help="One workbook, a sheet per table, drop-down lists for enumerations."
        ),
    ] = False,
    standards: StandardsOption = None,
) -> None:
    """Write a new evidence bundle to fill in: a commented bundle.yaml, every table with its
    header row, and a self-assessment sheet listing every requirement with a blank status."""
    from .errors import UsageError
    from .scaffold import write_scaffold

    try:
        written = write_scaffold(folder, _catalog(standards), framework or (), xlsx=xlsx)
    except OSError as err:
        raise UsageError(f"{err.filename or folder}: cannot write: {err.strerror or err}") from None
    for path in written:
        sys.stderr.write(f"wrote {path}\n")


@_command("evidence-kinds")
@handles_errors
def evidence_kinds(
    fmt: FormatOption = None, output: OutputOption = None, standards: StandardsOption = None
) -> None:
    """List the evidence vocabulary: each kind's id, title, description and aliases (the
    names the frameworks' own evidence lists use; a bundle document may use any of them)."""
    chosen = _choose(fmt, output, _TEXT_DATA, "evidence-kinds")
    kinds = [
        {"id": k.id, "title": k.title, "description": k.description, "aliases": list(k.aliases)}
        for k in _catalog(standards).evidence_kinds.values()
    ]
    if chosen != "text":
        _write_or_print(_dump(kinds, chosen), output, [])
        return
    lines = []
    for kind in kinds:
        aliases = f"  (also: {'; '.join(kind['aliases'])})" if kind["aliases"] else ""
        lines.append(f"{kind['id']:<30} {kind['title']}{aliases}\n")
    _write_or_print("".join(lines), output, [])


@_command()
@handles_errors
def schema(
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Schema name; omit to list them.")
    ] = None,
    output: OutputOption = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            metavar="BUNDLE",
            help="With 'datapackage': describe this bundle's tables at their paths "
            "(default: the canonical data/<table>.csv layout).",
        ),
    ] = None,
) -> None:
    """Print a JSON Schema (framework, standard, evidence-kinds, crosswalk, nqms, bundle,
    report), or with 'datapackage' a Frictionless Data Package descriptor of the bundle
    tables; or list the names."""
    from .schemas import names, read

    if name is None:
        _write_or_print("".join(f"{item}\n" for item in names()), output, [])
        return
    if name == "datapackage":
        _datapackage(bundle, output)
        return
    if bundle is not None:
        from .errors import UsageError

        raise UsageError("--bundle goes with 'schema datapackage' only")
    _write_or_print(read(name.removesuffix(".schema.json")), output, [])


def _datapackage(bundle: Path | None, output: Path | None) -> None:
    from .interop.datapackage import to_datapackage

    loaded = None
    if bundle is not None:
        from .bundle import load_bundle

        loaded = load_bundle(bundle, catalog=_catalog(), allow_personal_data=True)
    descriptor, notes = to_datapackage(loaded)
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    _write_or_print(_dump(descriptor, "json"), output, [])


@_command()
@handles_errors
def metrics(fmt: FormatOption = None, output: OutputOption = None) -> None:
    """List the metrics checks can use: definition, what each reads, parameters."""
    from ._registry import METRIC_SPECS

    chosen = _choose(fmt, output, _TEXT_DATA, "metrics")
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
    if chosen != "text":
        _write_or_print(_dump(rows, chosen), output, [])
        return

    def draw(console: Console) -> None:
        from rich.markup import escape

        for row in rows:
            console.print(
                f"[bold]{row['name']}[/bold] ({row['kind']}, per {row['entity']}, {row['unit']})"
            )
            console.print(f"  {escape(row['definition'])}")
            console.print(f"  reads: {', '.join(row['reads'])}")
            for p in row["params"]:
                extra = f" one of {', '.join(p['choices'])}" if p["choices"] else ""
                default = f" (default {p['default']})" if p["default"] is not None else ""
                need = " (required)" if p["required"] else ""
                console.print(
                    f"  param {p['name']}: {escape(p['description'])}{extra}{default}{need}"
                )

    _deliver_text(draw, output)


# -- validate --------------------------------------------------------------------------------


class FailOn(StrEnum):
    """Levels for --fail-on."""

    not_met = "not-met"
    partially_met = "partially-met"


FailOnOption = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        metavar="LEVEL",
        help="Exit 1 when any requirement is at this level or worse: not-met or partially-met.",
        show_default=False,
    ),
]

_REPORT_FORMATS = ("text", "json", "yaml", "markdown", "html", "xlsx")


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


def fail_levels(fail_on: FailOn | None) -> tuple[str, ...]:
    """The statuses that reach the --fail-on level."""
    if fail_on is None:
        return ()
    return ("not-met",) if fail_on is FailOn.not_met else ("not-met", "partially-met")


def fail_level_reached(summary: dict[str, int], fail_on: FailOn | None) -> bool:
    """True when the report has a status at or beyond the --fail-on level."""
    return any(summary.get(level, 0) for level in fail_levels(fail_on))


def _failing_line(ids: list[str], fail_on: FailOn, limit: int = 10) -> str:
    shown = ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
    levels = " or ".join(fail_levels(fail_on))
    noun = "requirement is" if len(ids) == 1 else "requirements are"
    return f"--fail-on {fail_on.value}: {len(ids)} {noun} {levels}: {shown}"


@_command()
@handles_errors
def validate(
    bundle: Annotated[
        Path,
        typer.Argument(metavar="BUNDLE", help="Evidence bundle folder (with bundle.yaml)."),
    ],
    framework: FrameworkOption,
    fmt: Annotated[
        Format | None,
        _format_option(_REPORT_FORMATS, " Text is a terminal summary."),
    ] = None,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
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
            "--min-confidence",
            metavar="LEVEL",
            help="Lowest confidence of crosswalk links used for projection: low, medium, high.",
        ),
    ] = ConfidenceOpt.medium,
    cadence: CadenceOption = None,
    allow_personal_data: AllowPersonalDataOption = False,
    standards: StandardsOption = None,
) -> None:
    """Assess an evidence bundle against a framework and report each requirement's status,
    what it rests on, what to fix first, and the program indicators."""
    from .bundle import load_bundle

    chosen = _choose(fmt, output, _REPORT_FORMATS, "validate")
    day = _parse_date(as_of, "--as-of")

    engines: list[threading.Thread] = []

    @functools.cache
    def catalog() -> Catalog:
        # called once the tables are being read: only then is the assessment engine imported
        # beside, so that its imports do not hold up the reads' start
        engines.append(_import_aside("mentorstd.assessment"))
        found = _catalog(standards)
        found.framework(framework)  # an unknown framework is said before the bundle's problems
        return found

    # the catalog loads while the tables are being read
    try:
        loaded = load_bundle(bundle, catalog=catalog, allow_personal_data=allow_personal_data)
    except BundleError:
        catalog()  # a problem of the standards or an unknown framework is said first
        raise
    cat = catalog()
    for engine in engines:
        engine.join()
    from .assessment import assess

    print_notes(loaded.warnings)
    report = assess(
        loaded,
        framework,
        cat,
        as_of=day,
        use_crosswalk=not no_crosswalk,
        min_confidence=min_confidence.value,
        cadence=cadence.value if cadence is not None else None,
    )
    if chosen == "text":
        _deliver_text(lambda console: _print_report_summary(console, report), output, [bundle])
    elif chosen == "yaml":
        _write_or_print(_dump(json.loads(report.to_json()), "yaml"), output, [bundle])
    elif chosen == "xlsx":
        from .report.xlsx import report_xlsx

        _write_binary(report_xlsx(report), output, [bundle], "xlsx")
    else:
        from .report import render_report

        text = render_report(report, chosen)  # type: ignore[arg-type]
        _write_or_print(text, output, [bundle])
    failing = [r.requirement for r in report.results if r.status in fail_levels(fail_on)]
    if failing and fail_on is not None:
        sys.stderr.write(f"mentorstd: {_failing_line(failing, fail_on)}\n")
        raise typer.Exit(1)


def _print_report_summary(console: Console, report: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .render import BASIS_LABEL

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
            r.marked_id,
            escape(r.title),
            f"[{colours[r.status]}]{r.status}[/]",
            BASIS_LABEL[r.basis],
            escape(first.message if first else ""),
        )
    console.print(table)
    _print_indicators(console, report)
    if any(r.id_basis == "inferred" for r in report.results):
        from .render import INFERRED_LEGEND

        console.print(INFERRED_LEGEND)
    console.print(
        "Documents alone give at most partially-met unless the requirement is about having the "
        "document; "
        + (
            f"projection used crosswalk links of at least {report.min_confidence} confidence."
            if report.use_crosswalk
            else "the crosswalk was not used."
        )
    )
    if report.evidence.notes:
        console.print("Noted while reading the bundle:")
        for note in report.evidence.notes:
            console.print(f" - {escape(note)}")


def _print_indicators(console: Console, report: Any) -> None:
    """The program indicators in a line each: value, what it counts, and how it compares with
    each benchmark (their sources are in the reports)."""
    from rich.markup import escape

    from .report._indicators import benchmark_head, counts_text, value_text

    section = report.indicators
    if section is None:
        return
    console.print(
        f"[bold]Program indicators[/bold] (not statuses; contact schedule {section.cadence})"
    )
    for item in section.indicators:
        value = "n/a" if item.value is None else value_text(item)  # the reports give why
        counted = counts_text(item)
        line = f" {escape(item.title)}: {value}" + (f" ({counted})" if counted else "")
        compared = [
            benchmark_head(b, item.unit)
            for b in item.benchmarks
            if b.value is not None and b.comparison and item.value is not None
        ]
        if compared:
            line += "; " + "; ".join(compared)
        console.print(line)
    for warning in section.warnings:
        console.print(f" [yellow]warning:[/] {escape(warning.message)}")


# -- crosswalk -------------------------------------------------------------------------------


_CROSSWALK_FORMATS = (
    "text",
    "json",
    "yaml",
    "markdown",
    "html",
    "csv",
    "mermaid",
    "sssom",
    "oscal-mapping",
)


@_command()
@handles_errors
def crosswalk(
    fw_a: Annotated[str, typer.Argument(metavar="FW_A", help="Source framework (or 'import').")],
    fw_b: Annotated[
        str, typer.Argument(metavar="FW_B", help="Target framework (or, after 'import', a file).")
    ],
    fmt: Annotated[
        Format | None,
        _format_option(
            _CROSSWALK_FORMATS,
            " sssom is an SSSOM/TSV mapping set (also from a .sssom.tsv name), oscal-mapping an "
            "OSCAL mapping collection.",
        ),
    ] = None,
    inferred: Annotated[
        bool,
        typer.Option("--inferred", help="Add links inferred along paths through other frameworks."),
    ] = False,
    min_confidence: Annotated[
        ConfidenceOpt,
        typer.Option(
            "--min-confidence",
            metavar="LEVEL",
            help="Leave out links below this confidence: low, medium or high.",
        ),
    ] = ConfidenceOpt.low,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Print only the coverage figures.")
    ] = False,
    output: OutputOption = None,
    standards: StandardsOption = None,
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
    from .errors import UsageError
    from .report.crosswalk import build_table, render_crosswalk

    if fw_a == "import":
        _crosswalk_import(Path(fw_b), output, author, standards)
        return
    cat = _catalog(standards)
    cat.framework(fw_a)
    cat.framework(fw_b)
    if fw_a == fw_b:
        raise UsageError(
            f"crosswalk {fw_a} {fw_b}: a crosswalk links two different frameworks; "
            f"name another one (known: {', '.join(f for f in cat.frameworks if f != fw_a)})"
        )
    supported = ("text", "json", "yaml") if coverage else _CROSSWALK_FORMATS
    chosen = _choose(fmt, output, supported, "crosswalk --coverage" if coverage else "crosswalk")
    table = build_table(cat, fw_a, fw_b, inferred=inferred, min_confidence=min_confidence.value)
    if inferred:
        added = sum(1 for link in table.links if link.inferred)
        if added == 0:
            sys.stderr.write(
                f"mentorstd: note: --inferred adds no link from {fw_a} to {fw_b}: every path "
                "through other frameworks ends at a requirement already linked directly, or "
                "composes to no relation\n"
            )
        else:
            links = "link" if added == 1 else "links"
            sys.stderr.write(f"mentorstd: note: --inferred adds {added} inferred {links}\n")
    if coverage:
        data: list[dict[str, Any]] = [table.coverage_ab.to_dict(), table.coverage_ba.to_dict()]
        if chosen != "text":
            text = _dump(data, chosen)
        else:
            text = "".join(
                f"{c['a']} -> {c['b']}: {c['covered']} of {c['total']} linked "
                f"({c['share']:.1%}); {len(c['no_counterpart'])} no counterpart; "
                f"{len(c['unmapped'])} unmapped\n"
                for c in data
            )
    elif chosen == "text":
        _deliver_text(lambda console: _print_crosswalk(console, table), output)
        return
    elif chosen == "yaml":
        text = _dump(table.to_dict(), "yaml")
    elif chosen == "sssom":
        from .interop.sssom import to_sssom

        text = to_sssom(table)
    elif chosen == "oscal-mapping":
        from .interop.oscal import to_oscal_mapping

        doc = to_oscal_mapping(table)
        if not doc["mapping-collection"]["mappings"][0]["maps"]:
            raise UsageError(
                f"no links between controls of {fw_a} and {fw_b} at this confidence: an OSCAL "
                "mapping needs at least one"
            )
        text = _dump(doc, "json")
    else:
        text = render_crosswalk(table, chosen)  # type: ignore[arg-type]
    _write_or_print(text, output, [])


def _crosswalk_import(
    path: Path, output: Path | None, author: str | None, standards: list[Path] | None
) -> None:
    import tempfile

    from .errors import UsageError
    from .interop._lint import lint_in_place_of
    from .interop.sssom import crosswalk_from_sssom

    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    imported = crosswalk_from_sssom(path, _catalog(standards), author=author)
    cw = imported.crosswalk
    text = imported.to_yaml()
    for note in imported.notes:
        sys.stderr.write(f"note: {note}\n")
    name = f"{cw.source}--{cw.target}.yaml"
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
    _write_or_print(text, output, [path])
    sys.stderr.write(
        f"{len(cw.mappings)} mappings {cw.source} -> {cw.target}; lint: "
        + ("ok" if not problems else f"{len(problems)} problem(s)")
        + "\n"
    )
    if problems:
        fail(problems)


def _print_crosswalk(console: Console, table: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]Crosswalk {table.a} -> {table.b}[/bold]")
    for c in (table.coverage_ab, table.coverage_ba):
        console.print(
            f"  {c.a} -> {c.b}: {len(c.covered)} of {c.total} linked ({c.share:.0%}); "
            f"{len(c.no_counterpart)} with no counterpart; {len(c.unmapped)} unmapped"
        )
    grid = Table(show_edge=False, pad_edge=False)
    for col in ("source", "relation", "target", "confidence"):
        grid.add_column(col, overflow="fold")
    for link in table.links:
        grid.add_row(
            f"{link.source} {escape(table.title_of(link.source))}",
            link.relation + (" (inferred)" if link.inferred else ""),
            f"{link.target} {escape(table.title_of(link.target))}",
            link.confidence,
        )
    console.print(grid)


# -- demo --------------------------------------------------------------------------------------


@_command()
@handles_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the reports.")
    ] = Path("mentorstd-demo"),
    as_of: AsOfOption = None,
    standards: StandardsOption = None,
) -> None:
    """Assess the shipped example bundles against every framework; write reports (JSON,
    Markdown, HTML), crosswalk tables and an index page."""
    from .demo import run_demo

    day = _parse_date(as_of, "--as-of")
    result = run_demo(_catalog(standards), out, as_of=day)
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


@_command()
@handles_errors
def codes(fmt: FormatOption = None, output: OutputOption = None) -> None:
    """List the finding codes and their message templates."""
    from .checks import MESSAGES

    chosen = _choose(fmt, output, _TEXT_DATA, "codes")
    if chosen != "text":
        data = [{"code": k, "message": v} for k, v in MESSAGES.items()]
        _write_or_print(_dump(data, chosen), output, [])
        return
    _write_or_print(
        "".join(f"{code}\n    {message}\n" for code, message in MESSAGES.items()), output, []
    )


# -- plan, diff, batch ------------------------------------------------------------------------

_PLAN_FORMATS = ("text", "json", "yaml", "markdown", "html", "xlsx")


@_command()
@handles_errors
def plan(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="Evidence bundle folder.")],
    framework: FrameworkOption,
    fmt: Annotated[
        Format | None,
        _format_option(
            _PLAN_FORMATS, " YAML gives goals ready to paste into the bundle's nqms.plan_goals."
        ),
    ] = None,
    output: OutputOption = None,
    as_of: AsOfOption = None,
    min_confidence: Annotated[
        ConfidenceOpt,
        typer.Option(
            "--min-confidence",
            metavar="LEVEL",
            help="Lowest confidence of crosswalk links used for projection and leverage: "
            "low, medium, high.",
        ),
    ] = ConfidenceOpt.medium,
    allow_personal_data: AllowPersonalDataOption = False,
    standards: StandardsOption = None,
) -> None:
    """An improvement plan: every gap as a goal with what to do, ranked by safety, leverage
    across frameworks and size of the gap."""
    from .assessment import assess
    from .bundle import load_bundle
    from .plan import build_plan, plan_html, plan_text

    chosen = _choose(fmt, output, _PLAN_FORMATS, "plan")
    day = _parse_date(as_of, "--as-of")
    cat = _catalog(standards)
    cat.framework(framework)
    loaded = load_bundle(bundle, catalog=cat, allow_personal_data=allow_personal_data)
    print_notes(loaded.warnings)
    report = assess(loaded, framework, cat, as_of=day, min_confidence=min_confidence.value)
    result = build_plan(report, cat)
    if chosen == "xlsx":
        from .report.xlsx import plan_xlsx

        _write_binary(plan_xlsx(result), output, [bundle], "xlsx")
        return
    if chosen == "html":
        text = plan_html(result)
    elif chosen == "json":
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif chosen == "yaml":
        import yaml

        text = "# Paste under nqms: in bundle.yaml (mentorstd plan, ranked)\n" + yaml.safe_dump(
            {"plan_goals": result.to_plan_goals()}, sort_keys=False, allow_unicode=True, width=100
        )
    else:
        text = plan_text(result, markdown=chosen == "markdown")
    _write_or_print(text, output, [bundle])


_DIFF_FORMATS = ("text", "json", "yaml", "markdown")


@_command()
@handles_errors
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier JSON report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later JSON report.")],
    fmt: Annotated[Format | None, _format_option(_DIFF_FORMATS)] = None,
    output: OutputOption = None,
) -> None:
    """Compare two assessments of the same program: requirements improved, regressed and
    unchanged, metric deltas, plan goals completed."""
    from .diff import diff_reports, diff_text, load_report

    chosen = _choose(fmt, output, _DIFF_FORMATS, "diff")
    result = diff_reports(load_report(old), load_report(new))
    if chosen in {"json", "yaml"}:
        text = _dump(result.to_dict(), chosen)
    else:
        text = diff_text(result, markdown=chosen == "markdown")
    _write_or_print(text, output, [old, new])


_BATCH_FORMATS = ("json", "yaml", "markdown", "html", "xlsx")


@_command()
@handles_errors
def batch(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder holding bundles (any depth).")
    ],
    framework: FrameworkOption,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            help="Worker processes. Default: the number of CPUs.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder for the reports, summary.csv and index.html.",
        ),
    ] = Path("mentorstd-batch"),
    fmt: Annotated[
        list[Format] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="Report format to write for each bundle: json, yaml, markdown, html or xlsx "
            "(xlsx also writes summary.xlsx); repeatable. Default: json and html.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    cadence: CadenceOption = None,
    allow_personal_data: AllowPersonalDataOption = False,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            metavar="LEVEL",
            help="Exit 1 when any bundle has a requirement at this level or worse: not-met or "
            "partially-met.",
            show_default=False,
        ),
    ] = None,
    standards: StandardsOption = None,
) -> None:
    """Assess every bundle under DIR in parallel; write each report, summary.csv (one row per
    folder) and index.html (with a requirement x program heat map).

    A bad bundle becomes an error row and never stops the batch; folders holding no bundle are
    listed as skipped, with the reason. Exit codes: 0 every bundle assessed; 1 all assessed
    and the --fail-on level reached; 2 some bundles could not be assessed (the others'
    reports are still written) or bad usage.
    """
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .batch import run_batch
    from .errors import UsageError

    formats = [f.value for f in fmt] if fmt else ["json", "html"]
    for item in formats:
        if item not in _BATCH_FORMATS:
            raise UsageError(f"--format {item}: batch writes {', '.join(_BATCH_FORMATS)}")
    day = _parse_date(as_of, "--as-of")
    extra = [*_state.standards, *(standards or [])]
    cat = _catalog(standards)
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
            standards=[str(p) for p in extra],
            as_of=day,
            allow_personal_data=allow_personal_data,
            formats=formats,
            progress=tick,
            catalog=cat,
            cadence=cadence.value if cadence is not None else None,
        )
    for row in result.rows:
        if row["result"] == "skipped":
            sys.stdout.write(f"skipped {row['path']}: {row['error']}\n")
        elif row["result"] == "error":
            sys.stdout.write(f"error   {row['path']}: {row['error']}\n")
    sys.stdout.write(
        f"{result.assessed} assessed, {result.errors} with errors, {result.skipped} skipped; "
        f"summary {result.summary_csv}"
        + (f" and {result.summary_xlsx}" if result.summary_xlsx else "")
        + f"; index {result.index_html}\n"
    )
    if result.errors:
        raise typer.Exit(2)
    levels = fail_levels(fail_on)
    failing = [
        r["bundle"]
        for r in result.rows
        if r["result"] == "assessed" and any(int(r[s] or 0) for s in levels)
    ]
    if failing and fail_on is not None:
        shown = ", ".join(failing[:10]) + (
            f" and {len(failing) - 10} more" if len(failing) > 10 else ""
        )
        sys.stderr.write(
            f"mentorstd: --fail-on {fail_on.value}: {len(failing)} bundles have requirements "
            f"{' or '.join(levels)}: {shown}\n"
        )
        raise typer.Exit(1)


# -- export, import ----------------------------------------------------------------------

#: json is the OSCAL catalog too, so that ``-o ima.json`` works
_EXPORT_FORMATS = ("oscal-catalog", "xlsx", "json")


@_command()
@handles_errors
def export(
    framework: Annotated[str, typer.Argument(metavar="FW", help="Framework to export.")],
    fmt: Annotated[
        Format | None,
        _format_option(
            _EXPORT_FORMATS,
            " oscal-catalog (or json) is an OSCAL catalog; xlsx a workbook to edit and bring "
            "back with `mentorstd import`.",
        ),
    ] = None,
    output: OutputOption = None,
    standards: StandardsOption = None,
) -> None:
    """Export a framework in a neutral format: an OSCAL catalog, or a workbook."""
    chosen = _choose(fmt, output, _EXPORT_FORMATS, "export")
    fw = _catalog(standards).framework(framework)
    if chosen == "xlsx":
        from .interop.workbook import to_workbook

        _write_binary(to_workbook(fw), output, [], "xlsx")
        return
    from .interop.oscal import to_oscal_catalog

    _write_or_print(_dump(to_oscal_catalog(fw), "json"), output, [])


@_command("import")
@handles_errors
def import_(
    workbook: Annotated[
        Path, typer.Argument(metavar="WORKBOOK", help="An .xlsx from `mentorstd export`.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Framework folder to write (framework.yaml and parts).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    standards: StandardsOption = None,
) -> None:
    """Bring a framework workbook back as a framework folder and lint it. By id: a new id is
    added, a listed id is changed, a row with action 'delete' is deleted, and requirements the
    sheet leaves out are kept."""
    from .errors import UsageError
    from .interop._lint import lint_in_place_of
    from .interop.workbook import base_parts, from_workbook, read_framework_id

    if not workbook.is_file():
        raise UsageError(f"{workbook}: no such file")
    cat = _catalog(standards)
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


@_command()
@handles_errors
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Standards folders to check (with the shipped ones, unless --no-builtin).",
            show_default=False,
        ),
    ] = None,
    no_builtin: Annotated[
        bool,
        typer.Option(
            "--no-builtin",
            help="Check only PATH, not the shipped frameworks (the shipped evidence "
            "vocabulary is still used).",
        ),
    ] = False,
    standards: StandardsOption = None,
) -> None:
    """Check standards data: schemas, ids, parents, evidence kinds, metrics, crosswalks."""
    from .catalog import lint as run_lint

    report = run_lint(
        [*_state.standards, *(standards or []), *(paths or [])], builtin=not no_builtin
    )
    if report.problems:
        for warning in report.warnings:
            sys.stderr.write(f"mentorstd: warning: {warning}\n")
        fail([str(p) for p in report.problems])
    counts = report.counts()
    parts = []
    for fid, c in counts.items():
        prov = "/".join(
            f"{c.get(k, 0)} {k}" for k in ("verified", "derived", "provisional") if c.get(k)
        )
        ids = "/".join(
            f"{c.get('id-' + k, 0)} {k}"
            for k in ("source", "assigned", "inferred")
            if c.get("id-" + k)
        )
        parts.append(f"{fid} {c['requirements']} ({prov}; ids {ids})")
    cw = ""
    if report.catalog is not None and report.catalog._crosswalk_files:
        n = sum(len(f.mappings) for f, _ in report.catalog._crosswalk_files)
        cw = f"; {n} crosswalk mappings in {len(report.catalog._crosswalk_files)} files"
    sys.stdout.write(f"ok: {len(counts)} frameworks: {'; '.join(parts)}{cw}\n")
    for warning in report.warnings:
        sys.stdout.write(f"warning: {warning}\n")
    for note in report.notes:
        sys.stdout.write(f"note: {note}\n")


def main() -> None:
    """Console-script entry point.

    A bug must not greet users with a traceback: it is reported in one line with exit code 3
    (set MENTORSTD_DEBUG=1 to see the traceback).
    """
    import os
    import signal

    def _terminate(signum: int, frame: object) -> None:
        # SIGTERM ends a run like Ctrl-C: temporary files are removed, a batch marks what it
        # did not assess, and the exit code is 130
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
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
