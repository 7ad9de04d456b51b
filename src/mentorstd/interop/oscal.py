"""OSCAL out: a framework as a catalog, a crosswalk table as a mapping collection.

Both follow OSCAL 1.2 (the version that added the control mapping model, NIST IR 8477's set
relations in OSCAL). In the catalog, grouping requirements (standards, sections, areas) become
``groups`` and practice requirements (benchmarks, enhancements, indicators, items) ``controls``
nested under their parents; each has a ``statement`` part with the paraphrased statement and
its criteria as ``item`` sub-parts, and a ``label`` property holding the source's own id.

OSCAL ids are tokens that must start with a letter, and many source ids start with a digit
(``9.1``), so an OSCAL id is ``<framework>-<local id>`` (``uk_school-9.1``). UUIDs are version 5,
derived from the content, so the same data always gives the same document and any change a new
one.

In a mapping collection, relations become OSCAL relationships: equal ``equivalent-to`` (the
statements are paraphrased, so "same effective meaning", not "same words"), subset
``subset-of``, superset ``superset-of``, intersects ``intersects-with``. OSCAL maps controls
and statements, not groups, so links from or to a group are left out, and the collection's
remarks say how many. A joint mapping (a set of requirements that together answer one) is one
map with several sources: the items that must all hold (a group member stands for its required
items), the members as stated kept in ``stated-member`` properties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

from .._version import __version__
from . import NAMESPACE

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..models import Framework, Requirement
    from ..report.crosswalk import CrosswalkTable

__all__ = ["OSCAL_VERSION", "RELATIONSHIP", "oscal_id", "to_oscal_catalog", "to_oscal_mapping"]

OSCAL_VERSION = "1.2.1"
RELATIONSHIP = {
    "equal": "equivalent-to",
    "subset": "subset-of",
    "superset": "superset-of",
    "intersects": "intersects-with",
}
_NS = "urn:mentorstd"


def oscal_id(global_id: str) -> str:
    """The OSCAL token id of a requirement: ``uk_school:9.1`` -> ``uk_school-9.1``.

    >>> oscal_id("eepm:B.3.1")
    'eepm-B.3.1'
    """
    framework, _, local = global_id.partition(":")
    return f"{framework}-{local}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE + ":".join(parts)))


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _statement(req: Requirement) -> dict[str, Any]:
    cid = oscal_id(req.global_id)
    part: dict[str, Any] = {"id": f"{cid}_smt", "name": "statement", "prose": req.statement}
    if req.criteria:
        part["parts"] = [
            {"id": f"{cid}_smt.{i}", "name": "item", "prose": text}
            for i, text in enumerate(req.criteria, start=1)
        ]
    return part


def _entry(req: Requirement, resource: str) -> dict[str, Any]:
    props: list[dict[str, Any]] = [
        {"name": "label", "value": req.id},
        {"name": "provenance", "ns": _NS, "value": req.provenance},
        {"name": "source-section", "ns": _NS, "value": req.source.section},
    ]
    props.extend({"name": "tag", "ns": _NS, "value": tag} for tag in req.tags)
    props.extend({"name": "evidence-kind", "ns": _NS, "value": kind} for kind in req.evidence)
    entry: dict[str, Any] = {
        "id": oscal_id(req.global_id),
        "class": req.kind,
        "title": req.title,
        "props": props,
        "links": [{"href": f"#{resource}", "rel": "reference"}],
        "parts": [_statement(req)],
    }
    if req.notes:
        entry["parts"].append(
            # caveats about the encoding, not guidance to implementers: a part of our own
            {"id": f"{entry['id']}_notes", "name": "encoding-notes", "ns": _NS, "prose": req.notes}
        )
    return entry


def to_oscal_catalog(framework: Framework) -> dict[str, Any]:
    """The framework as an OSCAL catalog (plain data for ``json.dumps``).

    >>> from mentorstd import load_catalog
    >>> doc = to_oscal_catalog(load_catalog().framework("ima"))
    >>> [g["id"] for g in doc["catalog"]["groups"]][:2]
    ['ima-I', 'ima-II']
    """
    meta = framework.meta
    resource = _uuid(framework.id, "source")
    entries: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    for req in framework.requirements:
        entry = _entry(req, resource)
        entries[req.id] = entry
        parent = entries.get(req.parent) if req.parent is not None else None
        if parent is None:
            top.append(entry)
            continue
        key = "groups" if req.is_group else "controls"
        parent.setdefault(key, []).append(entry)
    groups = [e for e in top if framework.requirement(_local(e["id"])).is_group]
    controls = [e for e in top if not framework.requirement(_local(e["id"])).is_group]
    source: dict[str, Any] = {
        "uuid": resource,
        "title": meta.title,
        "citation": {"text": meta.source},
    }
    if meta.url:
        source["rlinks"] = [{"href": meta.url}]
    body: dict[str, Any] = {
        "metadata": {
            "title": f"{meta.title} (mentorstd encoding)",
            "last-modified": _now(),
            "version": f"{meta.edition or meta.year} / mentorstd {__version__}",
            "oscal-version": OSCAL_VERSION,
            "props": [{"name": "framework", "ns": _NS, "value": framework.id}],
            "remarks": meta.usage,
        },
    }
    if groups:
        body["groups"] = groups
    if controls:
        body["controls"] = controls
    body["back-matter"] = {"resources": [source]}
    catalog = {"uuid": _uuid(framework.id, "catalog", _digest(body | {"metadata": None})), **body}
    return {"catalog": catalog}


def _local(oid: str) -> str:
    return oid.partition("-")[2]


def to_oscal_mapping(table: CrosswalkTable) -> dict[str, Any]:
    """The crosswalk table as an OSCAL mapping collection (plain data for ``json.dumps``)."""
    cat: Catalog = table.catalog
    fa, fb = cat.framework(table.a), cat.framework(table.b)
    maps: list[dict[str, Any]] = []
    left_out = 0
    for link in table.links:
        if cat.requirement(link.source).is_group or cat.requirement(link.target).is_group:
            left_out += 1
            continue
        remarks = link.rationale
        if link.inferred:
            remarks = f"Inferred along {' > '.join(link.path)} ({', '.join(link.relations)})."
        if not link.transfers_evidence:
            remarks += " Topical only: carries no evidence from one requirement to the other."
        props = [
            {"name": "inferred", "ns": _NS, "value": "true" if link.inferred else "false"},
        ]
        if link.author:
            props.append({"name": "author", "ns": _NS, "value": link.author})
        maps.append(
            {
                "uuid": _uuid("map", link.source, link.target, link.relation, *link.path),
                "props": props,
                "relationship": RELATIONSHIP[link.relation],
                "sources": [{"type": "control", "id-ref": oscal_id(link.source)}],
                "targets": [{"type": "control", "id-ref": oscal_id(link.target)}],
                "confidence-score": {"category": link.confidence},
                "remarks": remarks,
            }
        )
    joint_left_out = 0
    for j in table.joint:
        # a joint mapping names groups as members; what must hold is every required item below
        # them (``members``), and those are controls
        sources = [m for m in j.members if not cat.requirement(m).is_group]
        if not sources or cat.requirement(j.target).is_group:
            joint_left_out += 1
            continue
        maps.append(
            {
                "uuid": _uuid("joint", j.target, *j.members),
                "props": [
                    {"name": "joint", "ns": _NS, "value": "true"},
                    *(
                        {"name": "stated-member", "ns": _NS, "value": member}
                        for member in j.sources
                    ),
                ],
                "relationship": RELATIONSHIP[j.relation],
                "sources": [{"type": "control", "id-ref": oscal_id(m)} for m in sources],
                "targets": [{"type": "control", "id-ref": oscal_id(j.target)}],
                "confidence-score": {"category": j.confidence},
                "remarks": f"All sources together: {j.rationale}",
            }
        )
    left_out += joint_left_out
    methods = {
        cw.method for cw, _ in cat._crosswalk_files if {cw.source, cw.target} == {fa.id, fb.id}
    }
    method = methods.pop() if len(methods) == 1 else "hybrid"
    if table.inferred and any(link.inferred for link in table.links):
        method = "hybrid" if method != "automation" else method
    description = (
        f"Set-theory relations (NIST IR 8477) from {fa.title} ({fa.id}) to {fb.title} "
        f"({fb.id}), as kept in mentorstd's crosswalk"
        + (", with links inferred along paths through other frameworks." if table.inferred else ".")
    )
    mapping: dict[str, Any] = {
        "uuid": _uuid("mapping", fa.id, fb.id),
        "source-resource": {"type": "catalog", "href": f"{fa.id}.oscal-catalog.json"},
        "target-resource": {"type": "catalog", "href": f"{fb.id}.oscal-catalog.json"},
        "maps": maps,
    }
    if left_out:
        mapping["remarks"] = (
            f"{left_out} link(s) between whole standards or sections are left out: OSCAL maps "
            "controls, and those are groups in the catalogs."
        )
    provenance = {
        "method": method,
        "matching-rationale": "semantic",
        "status": "complete",
        "mapping-description": description,
        "remarks": f"Links at or above {table.min_confidence} confidence.",
    }
    body = {
        "metadata": {
            "title": f"mentorstd crosswalk: {fa.id} to {fb.id}",
            "last-modified": _now(),
            "version": __version__,
            "oscal-version": OSCAL_VERSION,
        },
        "provenance": provenance,
        "mappings": [mapping],
    }
    collection = {"uuid": _uuid("mapping-collection", fa.id, fb.id, _digest(maps)), **body}
    return {"mapping-collection": collection}
