"""The exception tree of mentorstd.

Every error a user can cause (bad data, bad bundle, bad option) is a :class:`MentorstdError`
carrying a located, one-line message. Third-party exceptions (pydantic, yaml, csv, networkx)
are converted at the boundary with ``raise ... from err``::

    MentorstdError
    ├── DataError (ValueError)             a file's content is wrong
    │   ├── StandardsError                 shipped or user framework data, crosswalks
    │   └── BundleError                    an evidence bundle: manifest, documents, tables
    ├── UnknownIdError (LookupError)       a framework or requirement id that does not exist
    └── UsageError (ValueError)            an option or argument that cannot be used

Each error has ``problems``: a list of :class:`Problem` (file, line, column, field, message);
``str(err)`` renders the first as ``file:line:col: field: message``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BundleError",
    "DataError",
    "MentorstdError",
    "Problem",
    "StandardsError",
    "UnknownIdError",
    "UsageError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in an input file.

    ``line`` and ``column`` are 1-based; either may be ``None`` when unknown.
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class MentorstdError(Exception):
    """Base class of every error mentorstd raises on purpose."""

    def __init__(self, message: str | Problem | list[Problem]) -> None:
        if isinstance(message, Problem):
            problems = [message]
        elif isinstance(message, list):
            problems = list(message) or [Problem("unknown error")]
        else:
            problems = [Problem(message)]
        self.problems: list[Problem] = problems
        super().__init__(str(problems[0]))

    def __str__(self) -> str:
        return str(self.problems[0])

    def lines(self) -> list[str]:
        """Every problem as one line, in order."""
        return [str(p) for p in self.problems]


class DataError(MentorstdError, ValueError):
    """The content of an input file is invalid."""


class StandardsError(DataError):
    """Framework, evidence-kind or crosswalk data is invalid."""


class BundleError(DataError):
    """An evidence bundle (manifest, documents or tables) is invalid."""


class UnknownIdError(MentorstdError, LookupError):
    """A framework or requirement id does not exist in the catalog."""


class UsageError(MentorstdError, ValueError):
    """An argument or option cannot be used as given."""


def first_line(err: BaseException) -> str:
    """The first line of an error's text (its type when it has none), for a message."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
