"""Neutral formats in and out: SSSOM mapping sets, OSCAL catalogs and mapping collections,
Frictionless Data Packages for bundles, and framework workbooks (xlsx).

One module per format; each turns mentorstd's own objects into the format's plain data (and
back, where the format is an input too) and knows nothing of the command line.
"""

from __future__ import annotations

#: Namespace of the IRIs minted for requirements (``urn:mentorstd:<framework>:<local id>``).
#: URNs, so that they name the requirement without claiming a web address nobody serves.
NAMESPACE = "urn:mentorstd:"

__all__ = ["NAMESPACE"]


def _first_error(err: ValueError) -> str:
    """The first problem of a pydantic validation error, on one line (``loc: message``)."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        items = errors()
        if items:
            loc = ".".join(str(x) for x in items[0]["loc"])
            return f"{loc}: {items[0]['msg']}" if loc else str(items[0]["msg"])
    return str(err).splitlines()[0]
