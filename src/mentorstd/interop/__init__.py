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
