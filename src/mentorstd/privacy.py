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
from typing import TYPE_CHECKING

from .errors import BundleError, Problem

if TYPE_CHECKING:
    from ._yaml import LocatedDoc
    from .bundle import Bundle

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
    """What ``value`` looks like (``'an e-mail address'`` ...), or ``None``."""
    if EMAIL.search(value):
        return "an e-mail address"
    if STREET.search(value):
        return "a street address"
    if DOB.search(value):
        return "a date of birth"
    if PHONE.search(value) and sum(c.isdigit() for c in value) >= 9:
        return "a phone number"
    if is_id and NAME_ID.match(value):
        return "a person's name"
    return None


def _scan(values: Iterable[object], is_id: bool) -> tuple[int, str, str] | None:
    seen: set[object] = set()
    for row, value in enumerate(values):
        if not isinstance(value, str) or value in seen:
            continue
        seen.add(value)
        what = looks_personal(value, is_id=is_id)
        if what:
            return row, value, what
    return None


def check_bundle(bundle: Bundle, manifest_doc: LocatedDoc) -> None:
    """Raise :class:`BundleError` when a table or the manifest seems to hold personal data."""
    from .bundle import TABLES, _TableErrors

    for name, table in bundle.tables.items():
        for pos, column in enumerate(TABLES[name]):
            if not table.has(column.name) or column.type not in {"id", "text"}:
                continue
            hit = _scan(table[column.name], is_id=column.type == "id")
            if hit is None:
                continue
            row, value, what = hit
            errors = _TableErrors(
                table.file, (bundle.path / table.file).read_text(encoding="utf-8-sig")
            )
            line = errors.line_of(row)
            raise BundleError(
                Problem(
                    f"{value!r} looks like {what}: {PRIVACY_HELP}",
                    table.file,
                    line,
                    pos + 1,
                    column.name,
                )
            )
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
