"""YAML reading with positions: every mapping key and list item remembers its line and column.

PyYAML's C loader is used when present. Duplicate keys are rejected (PyYAML silently keeps the
last one), aliases can be refused (a "billion laughs" document expands exponentially when
traversed), and the size of the input is capped before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, Problem

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "LocatedDoc",
    "flow_depth",
    "format_path",
    "load_yaml",
    "utf8_problem",
]

#: Largest YAML file read (bytes). Standards files are a few kB, manifests smaller still.
MAX_YAML_BYTES = 5 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_YAML_DEPTH = 64

Position = tuple[int, int]


@dataclass
class LocatedDoc:
    """A parsed YAML document and the 1-based position of every key and list item in it."""

    data: Any
    file: str
    _positions: dict[int, dict[Any, Position]] = field(default_factory=dict, repr=False)
    _origin: Position = (1, 1)

    def locate(self, path: Sequence[str | int]) -> Position:
        """Position of the deepest element of ``path`` that can be found (else the start)."""
        pos = self._origin
        node: Any = self.data
        for part in path:
            table = self._positions.get(id(node))
            if table is None or part not in table:
                break
            pos = table[part]
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
        return pos

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        """A :class:`Problem` located at ``path``."""
        line, col = self.locate(path)
        return Problem(message, self.file, line, col, format_path(path) or None)


def utf8_problem(raw: bytes, err: UnicodeDecodeError, name: str, hint: str = "") -> Problem:
    """A located problem for bytes that ``utf-8-sig`` could not decode."""
    bad = err.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)  # offsets skip the BOM
    line = raw.count(b"\n", 0, bad) + 1
    return Problem(f"not valid UTF-8 (byte 0x{raw[bad]:02x}){hint}", name, line)


def format_path(path: Iterable[str | int]) -> str:
    """Render a key path as ``requirements[2].evidence[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Loader(_BaseLoader):
    """Safe loader that records positions, rejects duplicate keys and bounds depth."""

    allow_aliases = True
    strict_numbers = False

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.positions: dict[int, dict[Any, Position]] = {}
        self.depth = 0

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects and not self.allow_aliases:
            raise _YamlError("aliases (*name) are not allowed in this file", node.start_mark)
        if node in self.recursive_objects:
            raise _YamlError("recursive alias", node.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _YamlError(f"nesting deeper than {MAX_YAML_DEPTH} levels", node.start_mark)
            return super().construct_object(node, deep=deep)
        finally:
            self.depth -= 1

    def _construct_map(self, node: yaml.MappingNode) -> Any:
        data: dict[Any, Any] = {}
        yield data
        table: dict[Any, Position] = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise _YamlError("mapping keys must be plain scalars", key_node.start_mark)
            if key in data:
                first = table[key]
                raise _YamlError(
                    f"duplicate key {key!r} (first at line {first[0]})", key_node.start_mark
                )
            data[key] = self.construct_object(value_node, deep=True)
            table[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        self.positions[id(data)] = table

    def _construct_seq(self, node: yaml.SequenceNode) -> Any:
        data: list[Any] = []
        yield data
        table: dict[Any, Position] = {}
        for index, child in enumerate(node.value):
            data.append(self.construct_object(child, deep=True))
            table[index] = (child.start_mark.line + 1, child.start_mark.column + 1)
        self.positions[id(data)] = table


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader._construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader._construct_seq)


# Dates stay strings: the models parse them, so errors come out located and uniform.
def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


#: Longest whole number accepted: Python refuses to convert more than 4,300 digits, and no
#: value in standards or manifests needs more than a few.
MAX_INT_DIGITS = 18
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _construct_int(loader: _Loader, node: yaml.Node) -> int:
    assert isinstance(node, yaml.ScalarNode)
    text = str(node.value)
    if loader.strict_numbers and not _PLAIN_INT.fullmatch(text):
        raise _YamlError(
            f"number {text[:20]!r} must be written in plain digits (for example 12)",
            node.start_mark,
        )
    if sum(c.isdigit() for c in text) > MAX_INT_DIGITS:
        raise _YamlError(
            f"number with {sum(c.isdigit() for c in text)} digits is too large "
            f"(at most {MAX_INT_DIGITS})",
            node.start_mark,
        )
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    return int(value)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _NoAliasLoader(_Loader):
    """For untrusted documents (manifests, profiles): no aliases, numbers in plain digits
    only (YAML 1.1 would also read ``0x0c``, ``0_12``, ``+12``, ``012`` as octal or ``1:30``)."""

    allow_aliases = False
    strict_numbers = True


# Quoted scalars and comments, removed before counting flow brackets.
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\n]|\'\')*\'|(?:^|[ \t])#[^\n]*', re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]{}]")


def flow_depth(text: str) -> int:
    """Deepest nesting of flow collections (``[`` and ``{``) outside quotes and comments.

    libyaml's C parser recurses once per level and can exhaust the stack on a few hundred
    thousand brackets, so deep input is refused before it is parsed.
    """
    depth = peak = 0
    for char in _BRACKETS.findall(_QUOTED.sub("", text)):
        if char in "[{":
            depth += 1
            peak = max(peak, depth)
        else:
            depth -= 1
    return peak


class _YamlError(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def load_yaml(
    path: Path,
    *,
    display: str | None = None,
    allow_aliases: bool = True,
    max_bytes: int = MAX_YAML_BYTES,
    error: type[DataError] = DataError,
) -> LocatedDoc:
    """Read one YAML document from ``path`` with positions.

    Parameters
    ----------
    path : Path
        The file to read.
    display : str, optional
        How the file is named in error messages (default: ``str(path)``).
    allow_aliases : bool
        Refuse anchors and aliases when False (for untrusted input).
    max_bytes : int
        Refuse files larger than this.
    error : type
        The :class:`DataError` subclass to raise.

    Raises
    ------
    DataError
        With a ``file:line:col: message`` for unreadable, oversized, non-UTF-8 or malformed
        YAML, duplicate keys, aliases (when refused) and excessive nesting.
    """
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(
                Problem(f"file is {size} bytes, larger than the {max_bytes}-byte limit", name)
            )
        raw = path.read_bytes()
    except OSError as err:
        raise error(Problem(f"cannot read file: {err.strerror or err}", name)) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise error(utf8_problem(raw, err, name)) from err
    if flow_depth(text) > MAX_YAML_DEPTH:
        raise error(Problem(f"nesting deeper than {MAX_YAML_DEPTH} levels", name, 1, 1))
    loader_cls = _Loader if allow_aliases else _NoAliasLoader
    loader = loader_cls(text)
    line: int | None
    col: int | None
    try:
        data = loader.get_single_data()
    except _YamlError as err:
        line, col = (err.mark.line + 1, err.mark.column + 1) if err.mark else (None, None)
        raise error(Problem(err.message, name, line, col)) from err
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = f"malformed YAML: {err.problem or err.context or 'syntax error'}"
        raise error(Problem(message, name, line, col)) from err
    except yaml.YAMLError as err:
        raise error(Problem(f"malformed YAML: {err}", name)) from err
    except RecursionError as err:
        raise error(Problem(f"nesting deeper than {MAX_YAML_DEPTH} levels", name)) from err
    finally:
        loader.dispose()
    return LocatedDoc(data=data, file=name, _positions=loader.positions)
