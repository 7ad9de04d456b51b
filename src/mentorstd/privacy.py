"""The privacy guard: bundles hold records about children, so they must use pseudonymous ids.

Table columns are fixed (an unknown column is refused), so personal data can only arrive as
values: in id columns, in free-text columns (contact ``mode``, training ``topic``) or in the
manifest's free text. A value that looks like a name, an e-mail address, a phone number, a
street address or a date of birth stops the run with an explanation, unless the caller passes
``allow_personal_data`` (CLI: ``--allow-personal-data``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import BundleError, Problem

if TYPE_CHECKING:
    from ._yaml import LocatedDoc
    from .bundle import Bundle, Table

__all__ = [
    "PERSONAL_COLUMN_WORDS",
    "PRIVACY_HELP",
    "check_bundle",
    "looks_personal",
    "personal_column",
]

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w-])\+?\(?\d{1,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?![\w-])")
STREET = re.compile(
    r"\b\d{1,5}\s+\w+(\s\w+)?\s+(street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|"
    r"boulevard|blvd|court|ct|place|pl)\b",
    re.IGNORECASE,
)
DOB = re.compile(r"\b(dob|d\.o\.b\.|born|birth)\b", re.IGNORECASE)
# An id made of two or three capitalised words (Maria_Gonzalez, john.smith) and no digit.
NAME_ID = re.compile(r"^[A-Za-z][a-z]+([._ -][A-Za-z][a-z]+){1,2}$")
PERSONAL_COLUMN_WORDS = (
    "name",
    "firstname",
    "surname",
    "lastname",
    "email",
    "e-mail",
    "phone",
    "mobile",
    "tel",
    "address",
    "street",
    "postcode",
    "zip",
    "dob",
    "birth",
    "ssn",
)
PRIVACY_HELP = (
    "use pseudonymous ids (for example M-017) and keep personal details out of the bundle; "
    "pass --allow-personal-data to proceed anyway"
)


def personal_column(name: str) -> bool:
    """True when a column name suggests personal data (``first_name``, ``email`` ...)."""
    tokens = re.split(r"[^a-z]+", name.lower())
    joined = "".join(tokens)
    return any(w in tokens or w == joined for w in PERSONAL_COLUMN_WORDS) or "birth" in joined


def looks_personal(value: str, *, is_id: bool = False) -> str | None:
    """What ``value`` looks like (``'an e-mail address'`` ...), or ``None``.

    Cheap tests guard each regular expression: this runs on every distinct id of a table.
    """
    if "@" in value and EMAIL.search(value):
        return "an e-mail address"
    if " " in value and STREET.search(value):
        return "a street address"
    lower = value.lower()
    if ("dob" in lower or "born" in lower or "birth" in lower or "d.o.b" in lower) and (
        DOB.search(value)
    ):
        return "a date of birth"
    digits = sum(map(str.isdigit, value))
    if digits >= 9 and PHONE.search(value):
        return "a phone number"
    if is_id and digits == 0 and NAME_ID.match(value):
        return "a person's name"
    return None


# Prefilters run over all distinct values of a column joined by newlines (one C-level regex
# pass each), so that only the few candidate lines reach looks_personal().
_TOKEN = re.compile(r"@|[ \t]|dob|born|birth|d\.o\.b", re.IGNORECASE)
_NINE_DIGITS = re.compile(r"^(?:[^\d\n]*\d){9}", re.MULTILINE)
_NOT_DIGIT_OR_NEWLINE = bytes(c for c in range(256) if not (0x30 <= c <= 0x39 or c == 0x0A))
_NAME_CANDIDATE = re.compile(r"^[A-Za-z][a-z]+(?:[._ -][A-Za-z][a-z]+){1,2}$", re.MULTILINE)


def _lines_at(joined: str, positions: Iterable[int]) -> set[str]:
    out = set()
    for pos in positions:
        start = joined.rfind("\n", 0, pos) + 1
        end = joined.find("\n", pos)
        out.add(joined[start : end if end != -1 else len(joined)])
    return out


def _find(distinct: set[str], is_id: bool) -> tuple[str, str] | None:
    """The first (sorted) value that looks personal, and what it looks like."""
    joined = "\n".join(distinct)
    token, nine_digits = True, True
    if joined.isascii():  # cheap tests that rule out whole regular-expression passes
        lower = joined.lower()
        token = "@" in joined or " " in joined or "\t" in joined
        token = token or any(word in lower for word in ("dob", "born", "birth", "d.o.b"))
        digits = joined.encode("ascii").translate(None, _NOT_DIGIT_OR_NEWLINE)
        nine_digits = max(map(len, digits.split(b"\n"))) >= 9
    candidates: set[str] = set()
    if token:
        candidates |= _lines_at(joined, (m.start() for m in _TOKEN.finditer(joined)))
    if nine_digits:
        candidates |= _lines_at(joined, (m.start() for m in _NINE_DIGITS.finditer(joined)))
    if is_id:
        candidates.update(m.group(0) for m in _NAME_CANDIDATE.finditer(joined))
    for value in sorted(candidates):
        what = looks_personal(value, is_id=is_id)
        if what:
            return value, what
    return None


def scan_tables(tables: dict[str, Table], *, is_id: bool) -> BundleError | None:
    """The problem to raise when an id (or free-text) value of the tables looks personal."""
    from .bundle import TABLES, _TableErrors

    kind = "id" if is_id else "text"
    # a referencing column holds only ids of the column it references, scanned there
    columns = [
        (name, column.name)
        for name, table in tables.items()
        for column in TABLES[name]
        if column.type == kind
        and table.has(column.name)
        and not (column.references and column.references.partition(".")[0] in tables)
    ]
    pool: set[Any] = set()
    for name, column_name in columns:
        pool.update(tables[name].distinct_values(column_name))
    pool.discard(None)
    hit = _find(pool, is_id)
    if hit is None:
        return None
    value, what = hit
    for name, column_name in columns:
        table = tables[name]
        values = table[column_name]
        if value in values:
            line = _TableErrors(table.file, table.path).line_of(values.index(value))
            return BundleError(
                Problem(
                    f"{value!r} looks like {what}: {PRIVACY_HELP}",
                    table.file,
                    line,
                    table.positions[column_name],
                    column_name,
                )
            )
    return None  # pragma: no cover - the value came from one of the columns


def check_bundle(
    bundle: Bundle, manifest_doc: LocatedDoc, id_problem: BundleError | bool | None = True
) -> None:
    """Raise :class:`BundleError` when a table or the manifest seems to hold personal data.

    Distinct values of every id column (and of every free-text column) are pooled and scanned
    once; only a hit is traced back to its table, row and column. ``id_problem`` is the result
    of :func:`scan_tables` for ids when the loader ran it already (``True``: not run yet).
    """
    if id_problem is True:
        id_problem = scan_tables(bundle.tables, is_id=True)
    if isinstance(id_problem, BundleError):
        raise id_problem
    text_problem = scan_tables(bundle.tables, is_id=False)
    if text_problem is not None:
        raise text_problem
    manifest = bundle.manifest
    texts: list[tuple[list[str | int], str | None]] = []
    texts += [(["documents", i, "title"], d.title) for i, d in enumerate(manifest.documents)]
    texts += [(["practices", i, "note"], p.note) for i, p in enumerate(manifest.practices)]
    for path, text in texts:
        found = looks_personal(text) if text else None
        if found:
            raise BundleError(
                manifest_doc.problem(path, f"text looks like it contains {found}: {PRIVACY_HELP}")
            )
