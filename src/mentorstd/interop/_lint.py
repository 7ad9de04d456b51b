"""Lint an imported framework folder or crosswalk file in place of its shipped counterpart.

An import is checked the way a contribution would be: with the shipped evidence kinds,
frameworks and crosswalks, the imported one replacing the shipped one of the same name (so a
framework is not loaded twice and a crosswalk pair is not mapped twice). Problems name the
imported file, not the scratch copy.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .._resources import standards_dir

__all__ = ["lint_in_place_of"]


def lint_in_place_of(
    relative: str, imported: Path, also_replaces: tuple[str, ...] = ()
) -> list[str]:
    """Problems found when ``imported`` stands in for ``standards/<relative>`` (and for
    ``also_replaces``, such as the same crosswalk pair stored the other way round)."""
    from ..catalog import lint

    with tempfile.TemporaryDirectory(prefix="mentorstd-lint-") as tmp:
        root = Path(tmp) / "standards"
        shutil.copytree(standards_dir(), root)
        for rel in (relative, *also_replaces):
            old = root / rel
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink(missing_ok=True)
        target = root / relative
        if imported.is_dir():
            shutil.copytree(imported, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(imported, target)
        report = lint([root], builtin=False, entry_points=False)
        prefix = str(root) + "/"
        lines = []
        for problem in report.problems:
            text = str(problem)
            if text.startswith(prefix + relative):
                text = str(imported) + text[len(prefix + relative) :]
            elif text.startswith(prefix):
                text = "standards/" + text[len(prefix) :]
            lines.append(text)
        return lines
