"""The one place that finds the shipped data (standards and JSON Schemas).

Installed from a wheel, the data lives inside the package (``mentorstd/_data``) and is found with
:mod:`importlib.resources`. In a source checkout (editable install, or ``src`` on the path) the
same folders sit at the repository root, next to ``src/``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["data_root", "examples_dir", "schemas_dir", "standards_dir"]


@cache
def data_root() -> Path:
    """The folder holding ``standards/`` and ``schemas/``."""
    packaged = resources.files("mentorstd") / "_data"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "standards").is_dir():
        return checkout
    raise FileNotFoundError(  # pragma: no cover - a broken install
        "mentorstd's standards data is missing: reinstall the package"
    )


def standards_dir() -> Path:
    """The shipped ``standards/`` folder."""
    return data_root() / "standards"


def schemas_dir() -> Path:
    """The shipped ``schemas/`` folder."""
    return data_root() / "schemas"


def examples_dir() -> Path:
    """The shipped example bundles."""
    root = data_root()
    return root / "examples" if root.name == "_data" else root / "examples" / "bundles"
