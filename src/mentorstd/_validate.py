"""Turn parsed YAML into models, with every error located at ``file:line:col: field``.

pydantic builds the models and its errors (with their key paths) are mapped back to YAML
positions through :class:`~mentorstd._yaml.LocatedDoc`. ``mentorstd lint`` also validates every
document against its committed JSON Schema with :mod:`jsonschema` (the schema editors use), so a
schema that drifted from the models is caught.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ._resources import schemas_dir
from ._yaml import LocatedDoc
from .errors import Problem

__all__ = ["build_model", "schema_problems"]

M = TypeVar("M", bound=BaseModel)


@cache
def _validator(schema_name: str) -> Any:
    import jsonschema  # imported lazily: only lint and error paths need it

    path = schemas_dir() / schema_name
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_problems(doc: LocatedDoc, schema_name: str) -> list[Problem]:
    """Every violation of the committed JSON Schema ``schema_name`` in ``doc``, located."""
    validator = _validator(schema_name)
    problems = []
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path)))
    for error in errors:
        # For oneOf/anyOf failures, the most specific sub-error says more.
        best = _best_match(error)
        problems.append(doc.problem(list(best.absolute_path), _schema_message(best)))
    return problems


def _best_match(error: Any) -> Any:
    import jsonschema

    if error.context:
        return jsonschema.exceptions.best_match(error.context) or error
    return error


def _schema_message(error: Any) -> str:
    message: str = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return message


def _clean_loc(data: Any, loc: Sequence[str | int]) -> list[str | int]:
    """Drop union tags and validator names from a pydantic error location."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part == node.get("type") and index < len(loc) - 1:
            continue  # the tag of a discriminated union (checks' 'type')
        if isinstance(node, dict) and part in node:  # noqa: SIM114  (separate branches narrow types for mypy)
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif index == len(loc) - 1:
            path.append(part)  # a missing or extra key: name it
        # anything else is a union tag such as 'metric' or 'function-after[...]'
    return path


def pydantic_problems(doc: LocatedDoc, err: ValidationError) -> list[Problem]:
    """Located problems for a pydantic ``ValidationError`` raised on ``doc.data``."""
    problems = []
    for item in err.errors(include_url=False):
        path = _clean_loc(doc.data, item["loc"])
        message = item["msg"]
        if item["type"] in {"value_error", "assertion_error"}:
            # our own validators' words, without pydantic's "Value error, " prefix
            message = str(item.get("ctx", {}).get("error", message.partition(", ")[2] or message))
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif "input" in item and item["type"] not in {"model_type", "dict_type"}:
            shown = repr(item["input"])
            if len(shown) <= 60:
                message = f"{shown}: {message}"
            if item["type"] == "string_type" and isinstance(item["input"], bool):
                # YAML reads yes, no, on, off, true and false unquoted as true or false
                message += " (YAML reads an unquoted yes, no, on or off as true or false: quote it)"
        problems.append(doc.problem(path, message))
    return problems


def build_model(
    model: type[M], doc: LocatedDoc, schema_name: str, *, strict_schema: bool = False
) -> tuple[M | None, list[Problem]]:
    """Validate ``doc`` and build ``model`` from it.

    Returns the model (``None`` when invalid) and the located problems. With
    ``strict_schema`` the JSON Schema is checked even when pydantic accepts the document.
    """
    try:
        built = model.model_validate(doc.data)
    except ValidationError as err:
        return None, pydantic_problems(doc, err)
    if strict_schema:
        # The models accepted it; the committed schema must too (catches schema drift).
        problems = schema_problems(doc, schema_name)
        if problems:
            return None, problems
    return built, []
