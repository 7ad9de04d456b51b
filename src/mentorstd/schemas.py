"""JSON Schemas generated from the models, committed under ``schemas/``.

``python scripts/gen_schemas.py`` rewrites them; a test fails when a committed schema differs
from what the models generate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._resources import schemas_dir
from .errors import UnknownIdError

__all__ = ["SCHEMA_BASE", "SCHEMA_VERSION", "generate", "model_for", "names", "read", "render"]

#: Bumped when a schema changes incompatibly; part of every ``$id``.
SCHEMA_VERSION = "1"
SCHEMA_BASE = f"https://mentorstd.github.io/schemas/v{SCHEMA_VERSION}/"

_MODELS: dict[str, tuple[str, str]] = {
    "framework": ("mentorstd.models", "FrameworkFile"),
    "standard": ("mentorstd.models", "StandardFile"),
    "evidence-kinds": ("mentorstd.models", "EvidenceKindsFile"),
    "crosswalk": ("mentorstd.models", "CrosswalkFile"),
    "nqms": ("mentorstd.models", "NqmsFile"),
}


def register(name: str, module: str, model: str) -> None:
    """Add a schema generated from ``module.model`` (used by the bundle and report modules)."""
    _MODELS[name] = (module, model)


def names() -> list[str]:
    """Every schema name, sorted."""
    _ensure_all()
    return sorted(_MODELS)


def _ensure_all() -> None:
    # Modules that define schema models register them on import.
    for module in ("mentorstd.bundle", "mentorstd.assessment"):
        try:
            __import__(module)
        except ModuleNotFoundError as err:  # pragma: no cover - during bootstrapping only
            if err.name != module:
                raise


def model_for(name: str) -> type[BaseModel]:
    """The model class a schema is generated from."""
    _ensure_all()
    try:
        module, attr = _MODELS[name]
    except KeyError:
        known = ", ".join(sorted(_MODELS))
        raise UnknownIdError(f"unknown schema {name!r} (known: {known})") from None
    mod = __import__(module, fromlist=[attr])
    model: type[BaseModel] = getattr(mod, attr)
    return model


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema for ``name``, as generated from its model now."""
    schema = model_for(name).model_json_schema(mode="validation")
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{name}.schema.json",
        "version": SCHEMA_VERSION,
    }
    out.update(schema)
    return out


def render(name: str) -> str:
    """``generate(name)`` as committed: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(generate(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read(name: str) -> str:
    """The committed schema file's text."""
    model_for(name)  # validates the name
    return (schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8")


def write_all(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        path = folder / f"{name}.schema.json"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written
