"""The privacy guard: bundles hold records about children, so they must use pseudonymous ids.

Table columns are fixed (a column that nothing maps to is never read, and one whose name looks
personal is refused), so personal data can only arrive as values: in id columns, in free-text
columns (contact ``mode``, training ``topic``) or in the manifest's free text. A value that
looks like a name, an e-mail address, a phone number, a street address or a date of birth stops
the run with an explanation, unless the caller passes ``allow_personal_data`` (CLI:
``--allow-personal-data``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from .errors import BundleError, Problem
from .tables import TABLES, Table, excerpt

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    from ._yaml import LocatedDoc
    from .bundle import Bundle, Manifest

__all__ = [
    "GIVEN_NAMES",
    "PERSONAL_COLUMN_WORDS",
    "PRIVACY_HELP",
    "check_bundle",
    "looks_personal",
    "personal_column",
    "personal_data",
]

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w-])\+?\(?\d{1,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?![\w-])")
STREET = re.compile(
    r"\b\d{1,5}\s+\w+(\s\w+)?\s+(street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|"
    r"boulevard|blvd|court|ct|place|pl)\b",
    re.IGNORECASE,
)
DOB = re.compile(r"\b(dob|d\.o\.b\.|born|birth)\b", re.IGNORECASE)
# An id made of two to four words and no code-like part: Capitalised or lower-case words
# (Maria_Gonzalez, john.smith, Ana Maria de la Cruz), optionally followed by a few digits
# (maria.gonzalez1), or words in capitals with no digit (MARIA_GONZALEZ). Pseudonymous ids
# are codes such as M-017 or NB-MT001, which match neither.
NAME_ID = re.compile(
    r"^(?:[A-Za-z][a-z']+(?:[._ -][A-Za-z][a-z']+){1,3}[0-9]{0,4}"
    r"|[A-Z]{2,}(?:[._ -][A-Z]{2,}){1,3})$"
)
_CAPS_LETTERS = 6  # MARIA_GONZALEZ: capitals-only ids need this many letters (NB-MT is a code)
# Common given names (English, Spanish, Portuguese, French, Arabic, South Asian, African,
# East European). Names that are also everyday words (May, Mark, Grace, Will, Hope, Art ...)
# are left out: free text is full of them, and a false alarm stops the run.
_NAMES = """
    aaliyah abdul adam adriana ahmed aisha alejandro alex alexander alice alicia amanda amina
    amir ana andrea andrew angela anna anthony antonio arjun ashley benjamin brian camila
    carlos carmen catherine charlotte chloe christopher daniel david deborah diana diego
    dmitri ebony elena elijah elizabeth emily emma eric ethan fatima fernando francisco
    gabriel george hannah hassan isabella jacob james jamal jasmine jason jennifer jessica
    john jonathan jorge jose joseph joshua juan julia karen kevin kwame laura lauren layla
    leila liam lucas lucia luis malik maria mariana matthew mei michael michelle miguel
    mohammed muhammad natalia nathan nicole noah olivia omar oliver pablo patricia paul
    pedro priya rachel rahul rebecca ricardo robert rosa ryan samuel sandra sara sarah sofia
    sophia stephanie steven tamika thomas tyrone valentina victoria william yusuf zainab
"""
GIVEN_NAMES = frozenset(_NAMES.split())
# as ids are written: maria, Maria, MARIA (a plain set lookup, far cheaper than lower-casing
# every id first)
_GIVEN_SET = frozenset(f for n in GIVEN_NAMES for f in (n, n.capitalize(), n.upper()))
_GIVEN_FORMS = sorted(_GIVEN_SET)
_GIVEN = "|".join(sorted(GIVEN_NAMES))
# In free text: a common given name followed by a surname: "Maria Gonzalez", "MARIA
# GONZALEZ", "Maria de la Cruz" (separated by a space, the surname capitalised), or a handle
# "maria.gonzalez1" / "maria_gonzalez" (any case).
NAME_IN_TEXT = re.compile(
    rf"(?<![A-Za-z])(?i:{_GIVEN})"
    r"(?:[._][A-Za-z]{2,}|[ ](?:[a-z]{1,3}[ ])*[A-Z][A-Za-z'-]+)"
)
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
    if is_id and NAME_ID.match(value) and _name_shaped(value):
        return "a person's name"
    if is_id and value in _GIVEN_SET:
        return "a person's name"
    if not is_id and _name_in_text(value):
        return "a person's name"
    return None


def _name_shaped(value: str) -> bool:
    """An id of name-like words is a name when written like one: Maria-Gonzalez (each word
    capitalised), or, in lower case or capitals, starting with a common given name
    (maria.gonzalez1, MARIA_GONZALEZ). So codes such as nb-mt001, site-ab1, mentor.ab or
    NYC-BRONX are not."""
    words = [w for w in re.split(r"[._ -]", value.rstrip("0123456789")) if w]
    if all(w[0].isupper() and w[1:].islower() for w in words):
        return True
    if value.isupper() and sum(map(str.isalpha, value)) < _CAPS_LETTERS:
        return False  # NB-MT: a code
    return words[0].lower() in GIVEN_NAMES


def _name_in_text(value: str) -> bool:
    for match in NAME_IN_TEXT.finditer(value):
        text = match.group(0)
        first = re.split(r"[ ._]", text, maxsplit=1)[0]
        if text[len(first)] in "._":
            return True  # a handle: maria.gonzalez1
        # a name is written Maria or MARIA: "maria Gonzalez" in running text is not one
        if first[:1].isupper() and (first[1:].islower() or first.isupper()):
            return True
    return False


# Prefilters run in polars over the distinct values of each column, so that only the few
# candidate values reach looks_personal().
_SUSPECT_WORDS = r"(?i)@|[ \t]|dob|born|birth|d\.o\.b"
_NAME_CANDIDATE = NAME_ID.pattern
_GIVEN_TEXT = rf"(?i)(?:{_GIVEN})[ _.]"


def _suspect(values: pl.Expr, is_id: bool) -> pl.Expr:
    # nine digits or more (a phone number); a regular expression stops at the ninth, where
    # counting every digit reads the whole value
    suspect = values.str.contains(_SUSPECT_WORDS) | values.str.contains(r"(?:[0-9][^0-9]*){9}")
    if is_id:
        given = values.is_in(_GIVEN_FORMS)
        return suspect | values.str.contains(_NAME_CANDIDATE) | given
    return suspect | values.str.contains(_GIVEN_TEXT)


def scan_tables(tables: dict[str, Table], *, is_id: bool) -> BundleError | None:
    """The problem to raise when an id (or free-text) value of the tables looks personal.

    Each column's distinct values (as validation found them, for ids) are prefiltered by
    polars; only candidates reach :func:`looks_personal`, and a hit is traced back to its
    first row. The tables are scanned in order and the first hit is returned.
    """
    for name, table in tables.items():
        problem = scan_table(name, table, tables, is_id=is_id)
        if problem is not None:
            return problem
    return None


def scan_table(
    name: str, table: Table, present: Collection[str], *, is_id: bool
) -> BundleError | None:
    """:func:`scan_tables` for one table of a bundle whose tables are ``present`` (a column
    referencing a present table holds only ids of that table, and is scanned there)."""
    kind = "id" if is_id else "text"
    columns = [
        c.name
        for c in TABLES[name]
        if c.type == kind
        and table.has(c.name)
        and not (c.references and c.references.partition(".")[0] in present)
    ]
    for column in columns:
        # validation kept each id column's distinct values
        values = table.distinct.get(column)
        if values is None:
            values = table[column].drop_nulls().unique()
        # one query a column (a query of all columns at once measured slower)
        suspects = values.to_frame("v").filter(_suspect(pl.col("v"), is_id)).to_series()
        for value in sorted(suspects.to_list()):
            what = looks_personal(value, is_id=is_id)
            if what is None:
                continue
            row = int((table[column] == value).arg_true()[0])
            return BundleError(
                Problem(
                    f"{excerpt(value)} looks like {what}: {PRIVACY_HELP}",
                    table.file,
                    table.line_of(row),
                    table.positions[column],
                    column,
                )
            )
    return None


#: What :func:`scan_table` found in one table: its id problem and its free-text problem.
Scan = tuple[BundleError | None, BundleError | None]


def scan_both(name: str, table: Table, present: Collection[str]) -> Scan:
    """:func:`scan_table` of ids, then of free text."""
    return (
        scan_table(name, table, present, is_id=True),
        scan_table(name, table, present, is_id=False),
    )


def check_bundle(
    bundle: Bundle, manifest_doc: LocatedDoc, scans: dict[str, Scan] | None = None
) -> None:
    """Raise :class:`BundleError` when a table or the manifest seems to hold personal data.

    Distinct values of every id column (and of every free-text column) are scanned; only a hit
    is traced back to its table, row and column. ``scans`` holds the tables already scanned
    (as each was read), by name; the others are scanned here. An id that looks personal is
    said before free text, and tables in their order.
    """
    scanned = dict(scans or {})
    for name, table in bundle.tables.items():
        if name not in scanned:
            scanned[name] = scan_both(name, table, bundle.tables)
    first = next(personal_data(bundle.manifest, manifest_doc, scanned), None)
    if first is not None:
        raise BundleError(first)


def personal_data(
    manifest: Manifest, manifest_doc: LocatedDoc, scans: dict[str, Scan]
) -> Iterator[Problem]:
    """What looks like personal data: the first hit of each table scanned (ids before free
    text, tables in the order given), then the manifest's free text. A run that stops on
    other problems says these too (see :func:`mentorstd.load_bundle`)."""
    # in the tables' order, whichever was read first
    order = sorted(scans, key=lambda n: list(TABLES).index(n) if n in TABLES else len(TABLES))
    for kind in (0, 1):
        for name in order:
            problem = scans[name][kind]
            if problem is not None:
                yield from problem.problems
    texts: list[tuple[list[str | int], str | None]] = []
    texts += [(["documents", i, "title"], d.title) for i, d in enumerate(manifest.documents)]
    texts += [(["practices", i, "note"], p.note) for i, p in enumerate(manifest.practices)]
    for path, text in texts:
        hit = looks_personal(text) if text else None
        if hit:
            yield manifest_doc.problem(path, f"text looks like it contains {hit}: {PRIVACY_HELP}")
