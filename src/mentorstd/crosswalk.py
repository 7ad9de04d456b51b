"""The crosswalk graph: stored mappings between frameworks, their inverses, and inference.

Relations follow the set-theory model of NIST OLIR / OSCAL mapping, read "source R target":

``equal``       both ask for the same thing;
``subset``      the source asks for less than (a part of) the target;
``superset``    the source asks for more and covers the target;
``intersects``  they overlap and neither covers the other.

Every stored mapping also gives its inverse (subset and superset swap). Inference composes
relations along paths of mapping edges (see :data:`COMPOSITION`): ``equal`` is the identity,
``subset`` composes with ``subset`` and ``superset`` with ``superset``; every other pair yields
nothing, so no chain through ``intersects`` or through both ``subset`` and ``superset`` is ever
claimed. An inferred link carries its path, the relations on it and a confidence no higher than
its weakest step; a stored link always wins over an inferred one.

A stored mapping may be *topical* (``transfers_evidence: false``): the two requirements share a
subject, but meeting one says nothing about meeting the other (a practice and an outcome
target, say). Such links still show in tables, marked, and an inferred link transfers evidence
only when every step does. A *joint* mapping states that a set of requirements together answer
one requirement: when every member is satisfied, so is the target (:class:`JointLink`).

Examples
--------
>>> from mentorstd import load_catalog
>>> cw = load_catalog().crosswalk
>>> compose("equal", "subset")
'subset'
>>> compose("subset", "superset") is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import Problem, UnknownIdError

if TYPE_CHECKING:
    import networkx as nx

    from ._yaml import LocatedDoc
    from .catalog import Catalog
    from .models import Confidence, CrosswalkFile, Relation

__all__ = [
    "COMPOSITION",
    "CONFIDENCE_ORDER",
    "RELATIONS",
    "Coverage",
    "Crosswalk",
    "JointLink",
    "Link",
    "compose",
    "compose_path",
    "consistency_problems",
    "inverse",
    "weakest",
]

RELATIONS: tuple[Relation, ...] = ("equal", "subset", "superset", "intersects")
CONFIDENCE_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}
_INVERSE: dict[str, Relation] = {
    "equal": "equal",
    "subset": "superset",
    "superset": "subset",
    "intersects": "intersects",
}
#: Composition table: ``COMPOSITION[(r1, r2)]`` is the relation of A to C when A r1 B and
#: B r2 C; pairs that are absent yield no inferred relation.
COMPOSITION: dict[tuple[str, str], Relation] = {
    **{("equal", r): r for r in RELATIONS},
    **{(r, "equal"): r for r in RELATIONS},
    ("subset", "subset"): "subset",
    ("superset", "superset"): "superset",
}
#: Longest path (in mapping steps) that inference follows.
MAX_PATH = 3


def inverse(relation: Relation) -> Relation:
    """The relation read the other way: subset <-> superset; equal and intersects stay.

    >>> inverse("subset")
    'superset'
    """
    return _INVERSE[relation]


def compose(first: Relation, second: Relation) -> Relation | None:
    """Relation of A to C from ``A first B`` and ``B second C`` (``None``: nothing follows)."""
    return COMPOSITION.get((first, second))


def compose_path(relations: Sequence[Relation]) -> Relation | None:
    """Compose relations along a path, left to right (``None`` as soon as nothing follows)."""
    if not relations:
        return None
    result: Relation | None = relations[0]
    for rel in relations[1:]:
        if result is None:
            return None
        result = compose(result, rel)
    return result


def weakest(levels: Iterable[Confidence]) -> Confidence:
    """The lowest confidence among ``levels``."""
    return min(levels, key=CONFIDENCE_ORDER.__getitem__)


@dataclass(frozen=True, slots=True)
class Link:
    """A link from one requirement to another, stored or inferred.

    ``path`` runs from ``source`` to ``target`` (two ids for a stored link) and ``relations``
    holds the relation of each step.
    """

    source: str
    target: str
    relation: Relation
    confidence: Confidence
    inferred: bool
    path: tuple[str, ...]
    relations: tuple[Relation, ...]
    rationale: str
    author: str | None = None
    date: str | None = None
    transfers_evidence: bool = True

    @property
    def source_framework(self) -> str:
        """Framework id of the source."""
        return self.source.partition(":")[0]

    @property
    def target_framework(self) -> str:
        """Framework id of the target."""
        return self.target.partition(":")[0]

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "source": self.source,
            "target": self.target,
            "relation": self.relation,
            "confidence": self.confidence,
            "inferred": self.inferred,
            "path": list(self.path),
            "relations": list(self.relations),
            "rationale": self.rationale,
            "author": self.author,
            "date": self.date,
            "transfers_evidence": self.transfers_evidence,
        }


@dataclass(frozen=True, slots=True)
class JointLink:
    """A set of requirements that together answer one requirement of another framework.

    ``sources`` are the members as stated; ``members`` are what must be satisfied: each
    assessable member itself, and for a group member (a standard or section) every required
    item below it (enhancements, optional by the source's own definition, are not required).
    Satisfied(all members) implies satisfied(target) for ``equal`` and ``superset``.
    """

    sources: tuple[str, ...]
    members: tuple[str, ...]
    target: str
    relation: Relation
    confidence: Confidence
    rationale: str
    author: str | None = None
    date: str | None = None

    @property
    def source_framework(self) -> str:
        """Framework id of the members."""
        return self.sources[0].partition(":")[0]

    @property
    def target_framework(self) -> str:
        """Framework id of the target."""
        return self.target.partition(":")[0]

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "sources": list(self.sources),
            "members": list(self.members),
            "target": self.target,
            "relation": self.relation,
            "confidence": self.confidence,
            "rationale": self.rationale,
            "author": self.author,
            "date": self.date,
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of framework ``a`` links into framework ``b``."""

    a: str
    b: str
    total: int
    covered: tuple[str, ...]
    no_counterpart: tuple[str, ...]
    unmapped: tuple[str, ...]
    inferred: bool = False

    @property
    def share(self) -> float:
        """Share of ``a``'s requirements with at least one link into ``b``."""
        return len(self.covered) / self.total if self.total else 0.0

    @property
    def accounted_share(self) -> float:
        """Share either linked or deliberately listed as having no counterpart."""
        if not self.total:
            return 0.0
        return (len(self.covered) + len(self.no_counterpart)) / self.total

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "a": self.a,
            "b": self.b,
            "total": self.total,
            "covered": len(self.covered),
            "share": round(self.share, 4),
            "accounted_share": round(self.accounted_share, 4),
            "no_counterpart": list(self.no_counterpart),
            "unmapped": list(self.unmapped),
            "inferred": self.inferred,
        }


@dataclass
class Crosswalk:
    """Requirements of every framework as nodes; stored mappings (and inverses) as edges.

    ``nodes`` maps each requirement's global id to its attributes (``framework``, ``kind``);
    ``edges`` maps a requirement to the requirements it links to, each with the edge's data
    (``relation``, ``stored``, ``confidence``, ``rationale``, ``author``, ``date``,
    ``transfers_evidence``), in the order the mappings were read; ``hierarchy`` holds the
    (parent, child) pairs of each framework, kept apart so that inference never walks them.
    The queries walk these dicts. :attr:`graph` and :attr:`structure` give the same as
    networkx graphs, built on first use: assessing a bundle needs neither, and so never pays
    for importing networkx.
    """

    nodes: dict[str, dict[str, str]] = field(repr=False)
    edges: dict[str, dict[str, dict[str, Any]]] = field(repr=False)
    hierarchy: list[tuple[str, str]] = field(default_factory=list, repr=False)
    no_counterpart: dict[tuple[str, str], str] = field(default_factory=dict)
    joint: list[JointLink] = field(default_factory=list)
    max_path: int = MAX_PATH
    _inferred: dict[str, dict[str, Link]] = field(default_factory=dict, repr=False)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_files(
        cls, catalog: Catalog, files: Sequence[tuple[CrosswalkFile, LocatedDoc | None]]
    ) -> Crosswalk:
        """Build the graph from loaded crosswalk files (unknown ids are skipped; lint
        reports them)."""
        nodes: dict[str, dict[str, str]] = {}
        hierarchy: list[tuple[str, str]] = []
        for req in catalog.iter_requirements():
            nodes[req.global_id] = {"framework": req.framework, "kind": req.kind}
            if req.parent is not None:
                hierarchy.append((f"{req.framework}:{req.parent}", req.global_id))
        edges: dict[str, dict[str, dict[str, Any]]] = {node: {} for node in nodes}
        no_counterpart: dict[tuple[str, str], str] = {}
        joint: list[JointLink] = []
        for cw, _doc in files:
            for m in cw.mappings:
                src, dst = f"{cw.source}:{m.source}", f"{cw.target}:{m.target}"
                if src not in nodes or dst not in nodes or src == dst:
                    continue
                data = {
                    "confidence": m.confidence,
                    "rationale": m.rationale,
                    "author": m.author or cw.author,
                    "date": m.date or cw.date,
                    "transfers_evidence": m.transfers_evidence,
                }
                # a pair stated again updates its edge in place (as networkx's add_edge does)
                edges[src].setdefault(dst, {}).update(relation=m.relation, stored=True, **data)
                if src not in edges[dst]:
                    edges[dst][src] = {"relation": inverse(m.relation), "stored": False, **data}
            for item in cw.no_counterpart.source:
                no_counterpart[(f"{cw.source}:{item.id}", cw.target)] = item.reason
            for item in cw.no_counterpart.target:
                no_counterpart[(f"{cw.target}:{item.id}", cw.source)] = item.reason
            joint.extend(_joint_links(catalog, cw))
        return cls(nodes, edges, hierarchy, no_counterpart=no_counterpart, joint=joint)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The mapping edges as a networkx graph (nodes with ``framework`` and ``kind``): a
        copy built on first use; the queries read :attr:`nodes` and :attr:`edges`."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes.items())
        for source, targets in self.edges.items():
            graph.add_edges_from((source, target, data) for target, data in targets.items())
        return graph

    @cached_property
    def structure(self) -> nx.DiGraph:
        """Each framework's hierarchy as a networkx graph (parent -> child edges)."""
        import networkx as nx

        structure = nx.DiGraph()
        structure.add_nodes_from(self.nodes)
        structure.add_edges_from(self.hierarchy)
        return structure

    # -- queries --------------------------------------------------------------------------
    def _check(self, requirement_id: str) -> None:
        if requirement_id not in self.nodes:
            raise UnknownIdError(f"unknown requirement {requirement_id!r}")

    def _stored(self, source: str) -> Iterator[Link]:
        for dst, data in self.edges.get(source, {}).items():
            yield Link(
                source=source,
                target=dst,
                relation=data["relation"],
                confidence=data["confidence"],
                inferred=False,
                path=(source, dst),
                relations=(data["relation"],),
                rationale=data["rationale"],
                author=data["author"],
                date=data["date"],
                transfers_evidence=data.get("transfers_evidence", True),
            )

    def _infer_from(self, source: str) -> dict[str, Link]:
        if source in self._inferred:
            return self._inferred[source]
        own_fw = self.nodes[source]["framework"]
        direct = set(self.edges.get(source, ()))
        best: dict[str, Link] = {}
        # Depth-first over simple paths, extending only while the composition is defined.
        stack: list[
            tuple[str, tuple[str, ...], tuple[Relation, ...], Relation, Confidence, bool]
        ] = []
        for nxt, data in self.edges.get(source, {}).items():
            stack.append(
                (
                    nxt,
                    (source, nxt),
                    (data["relation"],),
                    data["relation"],
                    data["confidence"],
                    data.get("transfers_evidence", True),
                )
            )
        while stack:
            node, path, rels, composed, conf, transfers = stack.pop()
            if len(path) > 2 and node not in direct and node != source:
                fw = self.nodes[node]["framework"]
                if fw != own_fw:
                    link = Link(
                        source=source,
                        target=node,
                        relation=composed,
                        confidence=conf,
                        inferred=True,
                        path=path,
                        relations=rels,
                        rationale="inferred: "
                        + " then ".join(rels)
                        + " via "
                        + " -> ".join(path[1:-1]),
                        transfers_evidence=transfers,
                    )
                    if _better(link, best.get(node)):
                        best[node] = link
            if len(rels) >= self.max_path:
                continue
            for nxt, data in self.edges.get(node, {}).items():
                if nxt in path:
                    continue
                step = compose(composed, data["relation"])
                if step is None:
                    continue
                stack.append(
                    (
                        nxt,
                        (*path, nxt),
                        (*rels, data["relation"]),
                        step,
                        weakest((conf, data["confidence"])),
                        transfers and data.get("transfers_evidence", True),
                    )
                )
        self._inferred[source] = best
        return best

    def related(
        self, requirement_id: str, target: str | None = None, inferred: bool = True
    ) -> list[Link]:
        """Links from a requirement to requirements of other frameworks.

        Parameters
        ----------
        requirement_id : str
            Global id, e.g. ``"eepm:B.3.1"``.
        target : str, optional
            Only links into this framework.
        inferred : bool
            Include links inferred along paths (stored links always win).

        Examples
        --------
        >>> from mentorstd import load_catalog
        >>> links = load_catalog().crosswalk.related("uk_school:9.1", target="eepm")
        >>> all(link.target.startswith("eepm:") for link in links)
        True
        """
        self._check(requirement_id)
        if target is not None:
            self._framework_nodes(target)  # an unknown framework is an error, not no links
        links = list(self._stored(requirement_id))
        if inferred:
            links.extend(self._infer_from(requirement_id).values())
        if target is not None:
            links = [link for link in links if link.target_framework == target]
        return sorted(links, key=_link_order)

    def table(self, a: str, b: str, inferred: bool = False) -> list[Link]:
        """Every link from a requirement of framework ``a`` into framework ``b``, in ``a``'s
        requirement order."""
        self._framework_nodes(b)
        rows: list[Link] = []
        for node in self._framework_nodes(a):
            rows.extend(self.related(node, target=b, inferred=inferred))
        return rows

    def coverage(self, a: str, b: str, inferred: bool = False) -> Coverage:
        """Share of ``a``'s requirements with a link into ``b``, and the rest split into
        "no counterpart" (a stated gap) and unmapped (no statement at all)."""
        nodes = self._framework_nodes(a)
        self._framework_nodes(b)
        covered, gaps, unmapped = [], [], []
        for node in nodes:
            if self.related(node, target=b, inferred=inferred):
                covered.append(node)
            elif (node, b) in self.no_counterpart:
                gaps.append(node)
            else:
                unmapped.append(node)
        return Coverage(a, b, len(nodes), tuple(covered), tuple(gaps), tuple(unmapped), inferred)

    def _framework_nodes(self, framework_id: str) -> list[str]:
        nodes = [n for n, d in self.nodes.items() if d["framework"] == framework_id]
        if not nodes:
            raise UnknownIdError(f"unknown framework {framework_id!r}")
        return nodes

    def joint_into(self, requirement_id: str) -> list[JointLink]:
        """Joint mappings whose target is ``requirement_id``.

        Examples
        --------
        >>> from mentorstd import load_catalog
        >>> (link,) = load_catalog().crosswalk.joint_into("npss:placement-eepm-standards")
        >>> link.sources
        ('eepm:1', 'eepm:2', 'eepm:3', 'eepm:4', 'eepm:5', 'eepm:6')
        """
        self._check(requirement_id)
        return [j for j in self.joint if j.target == requirement_id]

    def joint_table(self, a: str, b: str) -> list[JointLink]:
        """Joint mappings from members of framework ``a`` into framework ``b``."""
        self._framework_nodes(a)
        self._framework_nodes(b)
        return [j for j in self.joint if j.source_framework == a and j.target_framework == b]

    def is_related(self, a: str, b: str, inferred: bool = True) -> bool:
        """True when some link joins ``a`` to ``b``."""
        return any(link.target == b for link in self.related(a, inferred=inferred))


def _link_order(link: Link) -> tuple[bool, int, int, str]:
    return (link.inferred, len(link.path), -CONFIDENCE_ORDER[link.confidence], link.target)


_RELATION_STRENGTH = {"equal": 3, "subset": 2, "superset": 2, "intersects": 1}


def _better(new: Link, old: Link | None) -> bool:
    if old is None:
        return True
    key_new = (
        new.transfers_evidence,
        CONFIDENCE_ORDER[new.confidence],
        -len(new.path),
        _RELATION_STRENGTH[new.relation],
    )
    key_old = (
        old.transfers_evidence,
        CONFIDENCE_ORDER[old.confidence],
        -len(old.path),
        _RELATION_STRENGTH[old.relation],
    )
    if key_new != key_old:
        return key_new > key_old
    return new.path < old.path  # deterministic tie-break


def _joint_links(catalog: Catalog, cw: CrosswalkFile) -> Iterator[JointLink]:
    """The joint mappings of one file whose ids all exist (lint reports the others)."""
    from .models import GROUP_KINDS

    for jm in cw.joint_mappings:
        sources = tuple(f"{cw.source}:{s}" for s in jm.sources)
        target = f"{cw.target}:{jm.target}"
        if not all(map(catalog.has_requirement, (*sources, target))):
            continue
        fw = catalog.framework(cw.source)
        members: list[str] = []
        for gid in sources:
            req = catalog.requirement(gid)
            if req.kind not in GROUP_KINDS:
                members.append(gid)
                continue
            stack = [req.id]
            while stack:
                for child in fw.children(stack.pop()):
                    if child.kind in GROUP_KINDS:
                        stack.append(child.id)
                    elif child.kind != "enhancement":
                        members.append(child.global_id)
        yield JointLink(
            sources=sources,
            members=tuple(dict.fromkeys(members)),
            target=target,
            relation=jm.relation,
            confidence=jm.confidence,
            rationale=jm.rationale,
            author=cw.author,
            date=cw.date,
        )


# -- consistency lint ---------------------------------------------------------------------


def _located(catalog: Catalog) -> list[tuple[CrosswalkFile, LocatedDoc]]:
    files = []
    for cw, doc in catalog._crosswalk_files:
        if doc is None:
            raise ValueError("consistency checks need a catalog loaded by lint(), not a cache")
        files.append((cw, doc))
    return files


def consistency_problems(catalog: Catalog) -> list[Problem]:
    """Problems across the crosswalk files: unknown ids, self-maps, pairs mapped twice with
    conflicting relations, subset both ways, strict-subset cycles, and "no counterpart"
    statements that a mapping contradicts."""
    problems: list[Problem] = []
    # (a, b) -> (relation of a to b, where it was stated)
    stated: dict[tuple[str, str], tuple[Relation, Problem]] = {}
    mapped_into: dict[tuple[str, str], Problem] = {}
    topical: set[tuple[str, str]] = set()
    import networkx as nx  # only lint needs it: assessing a bundle does not

    subset_graph = nx.DiGraph()
    for cw, doc in _located(catalog):
        for side in ("source", "target"):
            fid = getattr(cw, side)
            if fid not in catalog.frameworks:
                problems.append(doc.problem([side], f"unknown framework {fid!r}"))
        if cw.source == cw.target:
            problems.append(doc.problem(["target"], "a framework is mapped to itself"))
        expected = f"{cw.source}--{cw.target}.yaml"
        if not doc.file.endswith(expected):
            problems.append(doc.problem(["source"], f"file should be named {expected!r}"))
        for i, m in enumerate(cw.mappings):
            at: list[str | int] = ["mappings", i]
            src, dst = f"{cw.source}:{m.source}", f"{cw.target}:{m.target}"
            bad = False
            for key, gid in (("source", src), ("target", dst)):
                if not catalog.has_requirement(gid):
                    problems.append(doc.problem([*at, key], f"unknown requirement {gid!r}"))
                    bad = True
            if bad:
                continue
            if src == dst:
                problems.append(doc.problem(at, f"{src!r} is mapped to itself"))
                continue
            here = doc.problem(at, "")
            for a, b, rel in ((src, dst, m.relation), (dst, src, inverse(m.relation))):
                previous = stated.get((a, b))
                if previous is None:
                    stated[(a, b)] = (rel, here)
                    continue
                if a != src:
                    continue  # report each duplicate once, from the source's side
                prev_rel, prev_where = previous
                where = f"{prev_where.file}:{prev_where.line}"
                if prev_rel == rel:
                    problems.append(
                        doc.problem(
                            [*at, "target"], f"{src} -> {dst} is mapped twice (also at {where})"
                        )
                    )
                elif {prev_rel, rel} == {"subset", "superset"}:
                    problems.append(
                        doc.problem(
                            [*at, "relation"],
                            f"{src} and {dst} are each mapped as a subset of the other "
                            f"(at {where}): that is 'equal'",
                        )
                    )
                else:
                    problems.append(
                        doc.problem(
                            [*at, "relation"],
                            f"{src} -> {dst} is {rel!r} here but {prev_rel!r} at {where}",
                        )
                    )
            if not m.transfers_evidence:
                topical.update({(src, dst), (dst, src)})
                if m.relation != "intersects":
                    problems.append(
                        doc.problem(
                            [*at, "transfers_evidence"],
                            f"{src} -> {dst} is {m.relation!r} but marked as not transferring "
                            "evidence: a topical link can only be 'intersects'",
                        )
                    )
            mapped_into.setdefault((src, cw.target), doc.problem([*at, "source"], ""))
            mapped_into.setdefault((dst, cw.source), doc.problem([*at, "target"], ""))
            if m.relation == "subset":
                subset_graph.add_edge(src, dst)
            elif m.relation == "superset":
                subset_graph.add_edge(dst, src)
        for side in ("source", "target"):
            fid = getattr(cw, side)
            seen: set[str] = set()
            for j, item in enumerate(getattr(cw.no_counterpart, side)):
                gid = f"{fid}:{item.id}"
                at2: list[str | int] = ["no_counterpart", side, j, "id"]
                if not catalog.has_requirement(gid):
                    problems.append(doc.problem(at2, f"unknown requirement {gid!r}"))
                elif item.id in seen:
                    problems.append(doc.problem(at2, f"{gid} is listed twice"))
                seen.add(item.id)
    # "no counterpart" contradicted by a mapping (in any file)
    for cw, doc in _located(catalog):
        for side, other in (("source", cw.target), ("target", cw.source)):
            fid = getattr(cw, side)
            for j, item in enumerate(getattr(cw.no_counterpart, side)):
                gid = f"{fid}:{item.id}"
                mapped = mapped_into.get((gid, other))
                if mapped is not None:
                    problems.append(
                        doc.problem(
                            ["no_counterpart", side, j, "id"],
                            f"{gid} is listed as having no counterpart in {other!r} but is mapped "
                            f"at {mapped.file}:{mapped.line}",
                        )
                    )
    problems.extend(_contained_contradictions(catalog, mapped_into, stated, topical))
    problems.extend(_joint_problems(catalog))
    # strict-subset cycles longer than two (two-cycles are reported above)
    for found in nx.simple_cycles(subset_graph, length_bound=6):
        if len(found) > 2:
            start = found.index(min(found))
            cycle = found[start:] + found[:start]
            problems.append(
                Problem(
                    "strict-subset cycle "
                    + " < ".join([*cycle, cycle[0]])
                    + ": requirements that each ask for less than the next cannot loop",
                    "standards/crosswalks",
                )
            )
    return problems


def _descendants(catalog: Catalog) -> dict[str, list[str]]:
    """Global id -> global ids of every requirement below it in its own framework."""
    children: dict[str, list[str]] = {}
    for req in catalog.iter_requirements():
        if req.parent is not None:
            children.setdefault(f"{req.framework}:{req.parent}", []).append(req.global_id)
    out: dict[str, list[str]] = {}
    for req in catalog.iter_requirements():
        found, stack = [], list(children.get(req.global_id, ()))
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(children.get(node, ()))
        out[req.global_id] = sorted(found)
    return out


def _contained_contradictions(
    catalog: Catalog,
    mapped_into: dict[tuple[str, str], Problem],
    stated: dict[tuple[str, str], tuple[Relation, Problem]],
    topical: set[tuple[str, str]],
) -> list[Problem]:
    """Claims of "no counterpart" that containment and a mapping contradict.

    ``C`` is within ``A`` when C is below A in A's framework, or C is ``equal`` to or a
    ``subset`` of A by a stored mapping, or any chain of these. Every stored relation means
    overlap, so when a requirement within X is mapped to one within some A of framework F, X
    overlaps A, and "X has no counterpart in F" cannot hold. Two kinds are reported: a part of
    X mapped straight into F, and overlaps that go through containment stated in other files.
    Topical links (``transfers_evidence: false``) claim a shared subject, not shared content,
    so they take no part in the chains.
    """
    below = _descendants(catalog)
    direct_parent = {
        req.global_id: f"{req.framework}:{req.parent}"
        for req in catalog.iter_requirements()
        if req.parent is not None
    }
    # one step "within": structural parent, or a stored equal/subset target
    up_step: dict[str, list[tuple[str, Problem | None]]] = {}
    down_step: dict[str, list[tuple[str, Problem | None]]] = {}
    for child, parent in direct_parent.items():
        up_step.setdefault(child, []).append((parent, None))
        down_step.setdefault(parent, []).append((child, None))
    neighbours: dict[str, list[tuple[str, Problem]]] = {}
    for (a, b), (rel, where) in stated.items():
        if (a, b) in topical:
            continue
        neighbours.setdefault(a, []).append((b, where))
        if rel in ("equal", "subset"):
            up_step.setdefault(a, []).append((b, where))
            down_step.setdefault(b, []).append((a, where))

    def closure(
        start: str, step: dict[str, list[tuple[str, Problem | None]]]
    ) -> dict[str, list[str]]:
        # node -> the chain of "file:line" (or "parent") steps that reach it from start
        seen: dict[str, list[str]] = {start: []}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for nxt, where in step.get(node, ()):
                if nxt not in seen:
                    how = f"{where.file}:{where.line}" if where is not None else "hierarchy"
                    seen[nxt] = [*seen[node], how]
                    queue.append(nxt)
        return seen

    problems: list[Problem] = []
    for cw, doc in _located(catalog):
        for side, other in (("source", cw.target), ("target", cw.source)):
            fid = getattr(cw, side)
            for j, item in enumerate(getattr(cw.no_counterpart, side)):
                gid = f"{fid}:{item.id}"
                if gid not in below or (gid, other) in mapped_into:
                    continue  # unknown ids and direct mappings are reported elsewhere
                witness = _overlap_witness(gid, other, closure, down_step, up_step, neighbours)
                if witness is None:
                    continue
                part, counterpart, target, place = witness
                at: list[str | int] = ["no_counterpart", side, j, "id"]
                if part in below[gid] and counterpart == target:
                    text = (
                        f"{gid} is listed as having no counterpart in {other!r} but its part "
                        f"{part} is mapped to {target} at {place}"
                    )
                else:
                    text = (
                        f"{gid} is listed as having no counterpart in {other!r} but "
                        f"{part} (within {gid}) is mapped to {counterpart} at {place}, which "
                        f"is within {target}: they overlap"
                    )
                problems.append(doc.problem(at, text))
    return problems


def _overlap_witness(
    gid: str,
    other: str,
    closure: Callable[[str, dict[str, list[tuple[str, Problem | None]]]], dict[str, list[str]]],
    down_step: dict[str, list[tuple[str, Problem | None]]],
    up_step: dict[str, list[tuple[str, Problem | None]]],
    neighbours: dict[str, list[tuple[str, Problem]]],
) -> tuple[str, str, str, str] | None:
    """(part within gid, its mapped counterpart, a requirement of ``other`` containing that
    counterpart, where the mapping is), or ``None`` when gid overlaps nothing in ``other``.
    A part mapped straight into ``other`` is preferred as the simplest witness."""
    parts = sorted(closure(gid, down_step))
    for part in parts:
        for counterpart, where in sorted(neighbours.get(part, ()), key=lambda n: n[0]):
            if counterpart.partition(":")[0] == other:
                return part, counterpart, counterpart, f"{where.file}:{where.line}"
    for part in parts:
        for counterpart, where in sorted(neighbours.get(part, ()), key=lambda n: n[0]):
            ups = closure(counterpart, up_step)
            hits = sorted(n for n in ups if n.partition(":")[0] == other)
            if hits:
                # prefer the counterpart itself, then the nearest container
                target = min(hits, key=lambda n: (len(ups[n]), n))
                return part, counterpart, target, f"{where.file}:{where.line}"
    return None


def _joint_problems(catalog: Catalog) -> list[Problem]:
    """Joint mappings: unknown ids, members listed twice, members within other members."""
    problems: list[Problem] = []
    for cw, doc in _located(catalog):
        fw = catalog.frameworks.get(cw.source)
        for i, jm in enumerate(cw.joint_mappings):
            at: list[str | int] = ["joint_mappings", i]
            target = f"{cw.target}:{jm.target}"
            if not catalog.has_requirement(target):
                problems.append(doc.problem([*at, "target"], f"unknown requirement {target!r}"))
            seen: set[str] = set()
            for k, local in enumerate(jm.sources):
                gid = f"{cw.source}:{local}"
                if fw is None or local not in fw:
                    problems.append(
                        doc.problem([*at, "sources", k], f"unknown requirement {gid!r}")
                    )
                    continue
                if local in seen:
                    problems.append(doc.problem([*at, "sources", k], f"{gid} is listed twice"))
                seen.add(local)
                node = fw.requirement(local).parent
                while node is not None and node in fw:
                    if node in jm.sources:
                        problems.append(
                            doc.problem(
                                [*at, "sources", k],
                                f"{gid} lies within member {cw.source}:{node}: list one or "
                                "the other",
                            )
                        )
                        break
                    node = fw.requirement(node).parent
    return problems
