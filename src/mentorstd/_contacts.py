"""Staff contacts counted per match-month, the way the cadence metric needs them.

Contacts are by far the largest table (a national program logs millions a year), and all the
metrics ask of them is how many contacts each match had with each person in each month of
the match. :func:`summarise` reads ``contacts.csv`` straight into those counts, a few
megabytes at a time: numpy finds the field boundaries, reads each field as 64-bit words,
looks match ids up by sorted search (checking every word) and checks each distinct date once
with the full reader's own ``parse_date``. No Python object is made per row. It vouches only
for files it fully understands (plain CSV, known header, every value valid); for anything
else it returns ``None`` and the bundle loader reads the file in full, which reports the
exact located problems. :func:`count_columns` computes the same counts from parsed columns,
and :func:`summarise_files` is what the helper process (:mod:`mentorstd._worker`) runs.

A match-month key is ``match row * MONTH_SPAN + MONTH_ZERO + k`` for month ``k`` of the
match (see :mod:`._calendar`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import numpy.typing as npt

from ._calendar import MONTH_SPAN, MONTH_ZERO, REACHED, STARTED, parse_date

if TYPE_CHECKING:
    from .bundle import Table

__all__ = ["WHO", "ContactCounts", "ContactSummary", "count_columns", "summarise"]

#: Who a staff contact was with (the ``with`` column's choices), in key order.
WHO = ("mentor", "mentee", "parent")
_WHO_CODE = {w: i for i, w in enumerate(WHO)}

Ints = npt.NDArray[np.int64]
Counts = npt.NDArray[np.signedinteger[Any]]
#: Person contacted -> (sorted match-month keys that have contacts, contacts in each).
ContactCounts = dict[str, tuple[Counts, Counts]]


@dataclass(frozen=True)
class ContactSummary:
    """What the loader keeps of a contacts file read by :func:`summarise`."""

    n_rows: int
    sha256: str
    size: int
    positions: dict[str, int]  # 1-based column numbers
    counts: ContactCounts
    distinct: dict[str, frozenset[str]]  # free-text column -> its distinct non-blank values


def _start_codes(start_dates: list[int]) -> Ints:
    """``STARTED`` codes of the matches' start dates."""
    return np.fromiter(map(STARTED.__getitem__, start_dates), np.int64, len(start_dates))


def _bases(starts: Ints) -> Ints:
    """Per match: ``32 * (its first match-month key) - STARTED[start]``; adding
    ``REACHED[day]`` and dividing by 32 gives the day's match-month key (see
    :class:`._calendar.DayCodes`)."""
    return 32 * (np.arange(len(starts), dtype=np.int64) * MONTH_SPAN + MONTH_ZERO) - starts


def _keys(
    bases: Ints, rows: npt.NDArray[np.intp], reached: Ints, who: npt.NDArray[np.intp]
) -> Ints:
    """``4 * match-month key + person`` of each contact, from :func:`_bases`, each
    contact's match row, ``REACHED`` code of its day and person code."""
    keys = bases[rows]
    keys += reached
    keys //= 32
    keys *= 4
    keys += who
    return keys


def _split(keys: Ints) -> ContactCounts:
    """Distinct keys counted, then regrouped per person contacted.

    A stable sort, which is linear on the runs of a file ordered by match (the usual
    export) and never worse than n log n otherwise, then run lengths.
    """
    keys = np.sort(keys, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    distinct = keys[starts]
    counts = np.diff(np.append(starts, len(keys)))
    people = distinct & 3
    out: ContactCounts = {}
    for code, who in enumerate(WHO):
        mask = people == code
        if mask.any():
            out[who] = (_compact(distinct[mask] >> 2), _compact(counts[mask]))
    return out


def _compact(values: npt.NDArray[np.signedinteger[Any]]) -> Counts:
    """32-bit integers when they hold every value (half the memory, and half the bytes the
    helper process hands over)."""
    if len(values) and int(values.max()) < 2**31 and int(values.min()) >= -(2**31):
        return values.astype(np.int32)
    return values.astype(np.int64)


def count_columns(contacts: Table, matches: Table) -> ContactCounts:
    """Contact counts per person and match-month, from parsed columns."""
    n = contacts.n_rows
    if not n:
        return {}
    ids = matches["match_id"]
    row_of = dict(zip(ids, range(len(ids)), strict=True))
    rows = np.fromiter(map(row_of.__getitem__, contacts["match_id"]), np.intp, n)
    reached = np.fromiter(map(REACHED.__getitem__, contacts["date"]), np.int64, n)
    who = np.fromiter(map(_WHO_CODE.__getitem__, contacts["with"]), np.intp, n)
    return _split(_keys(_bases(_start_codes(matches["start_date"])), rows, reached, who))


# -- the fast path from the file ---------------------------------------------------------------


class _DeclinedError(Exception):
    """The fast path does not vouch for this file: it must be read in full."""


def summarise(
    path: Path,
    match_ids: list[str],
    start_dates: list[int],
    columns: frozenset[str],
    max_bytes: int,
) -> ContactSummary | None:
    """Read ``contacts.csv`` into contact counts, or ``None`` when it must be read in full.

    ``match_ids`` and ``start_dates`` are the matches table's columns, ``columns`` the
    header names allowed, ``max_bytes`` the largest file accepted. Every value is checked as
    the full reader checks it (match ids must be among ``match_ids``), so a file summarised
    here is a valid one. Runs in a worker process too (:mod:`mentorstd._worker`): it needs
    nothing but these arguments.
    """
    try:
        return _summarise(path, match_ids, start_dates, columns, max_bytes)
    except (_DeclinedError, OSError, UnicodeDecodeError):
        return None


#: Longest free-text value the fast path handles (longer ones go to the full reader).
_MAX_TEXT = 64
#: Bytes kept past the end of a block, so that reading 8 bytes at any field start is safe.
_PAD = 8 * ((_MAX_TEXT + 100) // 8 + 2)
#: _MASKS[i][n] keeps what word i of a field of n bytes holds of it (n < _MAX_FIELD).
_MAX_FIELD = _PAD
_MASKS = np.array(
    [
        [(1 << (8 * min(max(n - 8 * i, 0), 8))) - 1 for n in range(_MAX_FIELD)]
        for i in range(_MAX_FIELD // 8)
    ],
    dtype=np.uint64,
)
#: Odd multipliers that fold the words of a long field into one 64-bit hash.
_FOLD = np.array(
    [0x9E3779B97F4A7C15 * (2 * i + 1) % 2**64 for i in range(_MAX_FIELD // 8)],
    dtype=np.uint64,
)
#: 1 for the bytes that end a field or that the fast path leaves to the full reader (quote,
#: carriage return, NUL), 0 for the rest.
_MARKS = bytes(1 if c in (0x2C, 0x0A, 0x22, 0x0D, 0x00) else 0 for c in range(256))
#: Bytes read at a time: small enough that the memory of one block is reused by the next.
BLOCK_BYTES = 4 * 1024 * 1024


class _Block:
    """Complete rows of a plain CSV file as bytes, with each field's position.

    Fields are read as little-endian 64-bit words (8 bytes each, zero beyond the field), so
    a field of up to 8 bytes is one integer and a longer one a few; fields never contain a
    separator, so equal words mean equal text.
    """

    def __init__(self, data: bytes, width: int) -> None:
        self.buf = np.frombuffer(data + bytes(_PAD), dtype=np.uint8)
        marks = np.frombuffer(data.translate(_MARKS), dtype=np.bool_)
        flat = np.flatnonzero(marks)
        if len(flat) % width:
            raise _DeclinedError
        kinds = self.buf[flat].reshape(-1, width)
        # every row: width - 1 commas, then a newline (no quotes, blank or ragged lines)
        if not ((kinds[:, :-1] == 0x2C).all() and (kinds[:, -1] == 0x0A).all()):
            raise _DeclinedError
        self.ends = flat.reshape(-1, width)
        self.n_rows = len(self.ends)
        # the buffer read as 64-bit words starting at every byte
        self._words: npt.NDArray[np.uint64] = np.ndarray(
            shape=(len(self.buf) - 7,), dtype="<u8", buffer=self.buf, strides=(1,)
        )
        self._fields: dict[int, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = {}

    def field(self, column: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Start and length of each row's field in the column."""
        if column not in self._fields:
            ends = self.ends[:, column]
            starts = np.empty_like(ends)
            if column:
                starts[:] = self.ends[:, column - 1] + 1
            else:
                starts[0] = 0
                starts[1:] = self.ends[:-1, -1] + 1
            self._fields[column] = (starts, ends - starts)
        return self._fields[column]

    def words(self, column: int, count: int) -> npt.NDArray[np.uint64]:
        """(rows, count) words of each field of the column, zero beyond its end."""
        starts, lengths = self.field(column)
        if int(lengths.max()) > 8 * count:
            raise _DeclinedError
        out = np.empty((self.n_rows, count), dtype="<u8")
        for i in range(count):
            out[:, i] = self._words[starts + 8 * i]
            out[:, i] &= _MASKS[i][lengths]
        return out

    def text(self, column: int, row: int) -> str:
        """One field as text."""
        starts, lengths = self.field(column)
        start = int(starts[row])
        return self.buf[start : start + int(lengths[row])].tobytes().decode("utf-8")


def _fold(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One 64-bit value per row: the word itself, or a hash of several words."""
    if words.shape[1] == 1:
        return words[:, 0].copy()
    out: npt.NDArray[np.uint64] = words[:, 0] * _FOLD[0]
    for i in range(1, words.shape[1]):
        out += words[:, i] * _FOLD[i]
    return out


def _word_count(longest: int) -> int:
    """Words needed for fields of up to ``longest`` bytes (at least one)."""
    return max(1, (longest + 7) // 8)


def _ascii_words(values: list[str], count: int) -> npt.NDArray[np.uint64]:
    """Words of ASCII values, as :meth:`_Block.words` reads them from a file."""
    data = np.array(values, dtype=f"S{8 * count}")
    return data.view("<u8").reshape(len(values), count)


class _Known:
    """Distinct ASCII values (ids, choices), looked up by their words."""

    def __init__(self, words: npt.NDArray[np.uint64]) -> None:
        if not len(words):
            raise _DeclinedError
        self.count = words.shape[1]
        self.words = words
        keys = _fold(self.words)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        if len(self.keys) > 1 and not (self.keys[1:] != self.keys[:-1]).all():
            raise _DeclinedError  # two values fold alike (or a value twice)

    @classmethod
    def of(cls, values: list[str]) -> _Known:
        """The words of ASCII strings of up to 100 characters."""
        longest = max(map(len, values), default=0)
        if longest > 100 or not all(map(str.isascii, values)):
            raise _DeclinedError
        return cls(_ascii_words(values, _word_count(longest)))

    def rows(self, block: _Block, column: int) -> npt.NDArray[np.intp]:
        """Position in ``values`` of each row's field; declines on any other value."""
        words = block.words(column, self.count)  # declines on longer fields
        keys = _fold(words)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        rows = self.order[at]
        if not (self.words[rows] == words).all():
            raise _DeclinedError  # a value that is not known
        return rows


class _Dates:
    """YYYY-MM-DD fields -> day codes (``REACHED`` or ``STARTED``); each distinct date is
    checked once, as the full reader checks it."""

    def __init__(self, table: dict[int, int]) -> None:
        self.table = table
        # one slot per (year, month, day <= 31) from 1900 to 2100; 0 = not seen yet
        self.codes = np.zeros(201 * 372, dtype=np.int64)

    def codes_of(self, block: _Block, column: int) -> npt.NDArray[np.int64]:
        _, lengths = block.field(column)
        if not (lengths == 10).all():
            raise _DeclinedError
        chars = np.ascontiguousarray(block.words(column, 2)).view(np.uint8)[:, :10]
        if not ((chars[:, 4] == 45) & (chars[:, 7] == 45)).all():
            raise _DeclinedError
        digits = chars[:, [0, 1, 2, 3, 5, 6, 8, 9]].astype(np.int64) - 48
        if not ((digits >= 0) & (digits <= 9)).all():
            raise _DeclinedError
        year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
        month = digits[:, 4] * 10 + digits[:, 5]
        day = digits[:, 6] * 10 + digits[:, 7]
        if not ((year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12)).all():
            raise _DeclinedError
        if not ((day >= 1) & (day <= 31)).all():
            raise _DeclinedError
        slots = (year - 1900) * 372 + (month - 1) * 31 + (day - 1)
        seen = np.flatnonzero(np.bincount(slots, minlength=len(self.codes)))
        for slot in seen[self.codes[seen] == 0].tolist():
            y, rest = divmod(slot, 372)
            ordinal = parse_date(f"{1900 + y:04d}-{rest // 31 + 1:02d}-{rest % 31 + 1:02d}")
            if ordinal is None or ordinal < 0:
                raise _DeclinedError
            self.codes[slot] = self.table[ordinal]
        codes: npt.NDArray[np.int64] = self.codes[slots]
        return codes


def _texts(block: _Block, column: int) -> set[str]:
    """Distinct values of a free-text column in the block."""
    _, lengths = block.field(column)
    longest = int(lengths.max())
    if longest > _MAX_TEXT:
        raise _DeclinedError
    words = block.words(column, _word_count(longest))
    folded = _fold(words)
    kinds = np.unique(folded)
    inverse = np.searchsorted(kinds, folded)
    sample = np.zeros(len(kinds), dtype=np.intp)
    sample[inverse] = np.arange(block.n_rows)  # some row of each kind
    if not (words[sample][inverse] == words).all():
        raise _DeclinedError  # two texts fold alike
    return {block.text(column, row) for row in sample.tolist()}


def _blocks(handle: BinaryIO, digest: Any) -> Iterator[bytes]:
    """Complete lines of the rest of the file, a few megabytes at a time (UTF-8 checked)."""
    carry = b""
    while True:
        data = handle.read(BLOCK_BYTES)
        digest.update(data)
        if not data:
            if carry:
                yield _checked(carry + b"\n")
            return
        data = carry + data
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if cut:
            yield _checked(data[:cut])


def _checked(block: bytes) -> bytes:
    if not block.isascii():
        block.decode("utf-8")  # raises UnicodeDecodeError: the full reader reports it
    return block


def _open_csv(
    path: Path, max_bytes: int, required: set[str], allowed: frozenset[str]
) -> tuple[BinaryIO, Any, list[str], int]:
    """The open file, its running sha256, header and size; declines what is not plain."""
    size = path.stat().st_size
    if size > max_bytes:
        raise _DeclinedError
    digest = hashlib.sha256()
    handle = path.open("rb")
    try:
        head = handle.readline(64 * 1024)
        digest.update(head)
        if not head.endswith(b"\n") or b"\r" in head or b'"' in head:
            raise _DeclinedError
        header = head.removeprefix(b"\xef\xbb\xbf")[:-1].decode("utf-8").split(",")
        names = set(header)
        if len(names) != len(header) or not required <= names or not names <= allowed:
            raise _DeclinedError
    except BaseException:
        handle.close()
        raise
    return handle, digest, header, size


def _summarise(
    path: Path,
    match_ids: list[str],
    start_dates: list[int],
    columns: frozenset[str],
    max_bytes: int,
) -> ContactSummary:
    return _read_contacts(path, _Known.of(match_ids), _start_codes(start_dates), columns, max_bytes)


def _read_contacts(
    path: Path, known_ids: _Known, starts: Ints, columns: frozenset[str], max_bytes: int
) -> ContactSummary:
    handle, digest, header, size = _open_csv(path, max_bytes, {"match_id", "date", "with"}, columns)
    with handle:
        width = len(header)
        at = {name: header.index(name) for name in header}
        whos = _Known.of(list(WHO))
        dates = _Dates(REACHED)
        bases = _bases(starts)
        parts: list[Ints] = []
        texts: dict[str, set[str]] = {name: set() for name in header if name == "mode"}
        n_rows = 0
        for data in _blocks(handle, digest):
            block = _Block(data, width)
            rows = known_ids.rows(block, at["match_id"])
            reached = dates.codes_of(block, at["date"])
            parts.append(_keys(bases, rows, reached, whos.rows(block, at["with"])))
            for name, seen in texts.items():
                seen.update(_texts(block, at[name]))
            n_rows += block.n_rows
    if not n_rows:
        raise _DeclinedError
    distinct = {name: frozenset(seen - {""}) for name, seen in texts.items()}
    return ContactSummary(
        n_rows=n_rows,
        sha256=digest.hexdigest(),
        size=size,
        positions={name: i + 1 for i, name in enumerate(header)},
        counts=_split(np.concatenate(parts)),
        distinct=distinct,
    )


def summarise_files(
    contacts: Path,
    matches: Path,
    matches_columns: frozenset[str],
    columns: frozenset[str],
    max_bytes: int,
) -> tuple[str, ContactSummary | None] | None:
    """:func:`summarise` for the helper process, which reads the matches' ids and start
    dates itself, so that it need not wait for the loader's parse of them.

    Returns the sha256 of the matches file it read with the summary, which is ``None`` when
    the contacts file must be read in full: the loader uses the answer only when its own
    matches table has that digest (and so the same rows). Returns ``None`` when the matches
    file itself is beyond the fast path (the loader then summarises from its parsed columns).
    """
    try:
        handle, digest, header, _ = _open_csv(
            matches, max_bytes, {"match_id", "start_date"}, matches_columns
        )
        with handle:
            id_column, start_column = header.index("match_id"), header.index("start_date")
            dates = _Dates(STARTED)
            ids: list[npt.NDArray[np.uint64]] = []
            starts: list[Ints] = []
            for data in _blocks(handle, digest):
                block = _Block(data, len(header))
                longest = int(block.field(id_column)[1].max())
                if longest > 100:
                    raise _DeclinedError
                ids.append(block.words(id_column, _word_count(longest)))
                starts.append(dates.codes_of(block, start_column))
        if not ids:
            raise _DeclinedError
        count = max(w.shape[1] for w in ids)
        words = np.concatenate([np.pad(w, ((0, 0), (0, count - w.shape[1]))) for w in ids])
        known = _Known(words)
    except (_DeclinedError, OSError, UnicodeDecodeError):
        return None
    try:
        summary: ContactSummary | None = _read_contacts(
            contacts, known, np.concatenate(starts), columns, max_bytes
        )
    except (_DeclinedError, OSError, UnicodeDecodeError):
        summary = None
    return digest.hexdigest(), summary
