"""Assessment: requirement statuses for any framework, from direct evidence or the crosswalk.

:func:`assess` checks every requirement of the chosen framework against the bundle
(:func:`~mentorstd.checks.iter_findings`), combines each requirement's findings into one status
and the :data:`basis` it rests on by :data:`STATUS_RULES` (see :func:`decide`), and, where a
requirement has no direct evidence, or only documents, projects the result of a linked
requirement of another framework through the crosswalk by :data:`PROJECTION`. Groups
(standards, sections, areas) get a roll-up of their items. The report opens with what to fix
first (the top goals of :func:`mentorstd.plan.build_plan`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import schemas
from ._registry import METRIC_SPECS
from ._version import __version__
from .checks import MESSAGES, STATUSES, CheckContext, Finding, Status, iter_findings
from .crosswalk import CONFIDENCE_ORDER, inverse
from .errors import UsageError
from .indicators import IndicatorsSection, compute_indicators, indicator_metrics
from .models import MetricCheck
from .tables import report_note

if TYPE_CHECKING:
    from .bundle import Bundle
    from .catalog import Catalog
    from .crosswalk import Link
    from .metrics import MetricContext
    from .models import Framework, Requirement

__all__ = [
    "BASES",
    "DIRECT_BASES",
    "FIX_FIRST",
    "PROJECTION",
    "STATUS_RULES",
    "Basis",
    "FixFirst",
    "Report",
    "Result",
    "StandardSummary",
    "Via",
    "assess",
    "combine",
    "decide",
    "relation_text",
]

#: What decided a status: a metric, the program's attestation, documents or tables of the
#: requirement's evidence kinds only, a linked requirement through the crosswalk, or nothing.
Basis = Literal["measured", "attested", "documented", "crosswalk", "none"]
BASES: tuple[Basis, ...] = ("measured", "attested", "documented", "crosswalk", "none")
#: Bases that rest on the bundle itself (the rest: through the crosswalk, or nothing).
DIRECT_BASES: tuple[Basis, ...] = ("measured", "attested", "documented")
_BASIS_STRENGTH: dict[str, int] = {"measured": 3, "attested": 2, "documented": 1, "none": 0}
#: How many of the plan's top goals a report shows under "what to fix first".
FIX_FIRST = 5
#: Explicit document rules whose failure lowers an attested met to partially-met.
_DOCUMENT_RULES = {"documents-incomplete", "document-stale", "document-undated"}

#: How findings combine into a requirement's status (echoed in every report).
STATUS_RULES: tuple[str, ...] = (
    "Every status names its basis: measured (a metric decided), attested (the program's "
    "attestation decided), documented (only documents or tables of the requirement's evidence "
    "kinds), crosswalk (projected from another framework) or none.",
    "not-applicable: the program attests that the requirement does not apply to it.",
    "Measured checks decide when any could be computed: all met gives met, all not-met gives "
    "not-met, anything else partially-met. A rate against a threshold (e.g. 90% pair "
    "completion) is met or not-met; a per-person or per-match rule (e.g. 2 hours of pre-match "
    "training for each mentor) is met when every one passes, partially-met when some do, "
    "not-met when none do. Attestations and documents are still reported but cannot overrule "
    "a measurement.",
    "Otherwise the program's attestation decides: implemented with evidence gives met, "
    "implemented without any evidence partially-met, partial partially-met, planned or "
    "not-implemented not-met. A stale or incomplete document under an explicit document rule "
    "(a maximum age, all kinds required) lowers met to partially-met.",
    "Documents alone give at most partially-met (documented; not attested or measured): a "
    "document shows that a practice may exist, not that it is in place. The exception is a "
    "requirement about having the document itself (a written code of conduct, policy or "
    "published statement), whose standards data marks the document sufficient.",
    "not-assessed: nothing in the bundle bears on the requirement (no attestation, document or "
    "data for its checks).",
    "Through the crosswalk, when a requirement has no direct evidence, or only documents that "
    "leave it short of met and a linked requirement resting on attested or measured evidence "
    "gives a different status (the same status leaves the direct evidence deciding): "
    "met travels along equal and superset links; met along subset or intersects gives "
    "partially-met; partially-met and not-met travel along equal and subset. Only links of at "
    "least the minimum confidence (medium unless chosen otherwise) that transfer evidence are "
    "used (topical-only links never do). Stored links win over inferred ones, then higher "
    "confidence, then stronger relations (equal, then subset or superset, then intersects), "
    "then the stronger basis of the linked result, then shorter paths; among equals the more "
    "cautious status. A set of requirements that together answer one (a joint mapping) gives "
    "met when every member is met or not applicable.",
    "Groups (standards, sections, areas) roll up their items: met only when every applicable "
    "item is met, not-met when every assessed item is not-met, not-assessed when none is "
    "assessed, otherwise partially-met.",
    "What to fix first: the improvement plan's top goals, ranked by safety first, then "
    "leverage across frameworks, then the size of the gap.",
)

#: (status of the linked requirement S, relation of S to the target T) -> status of T.
PROJECTION: dict[tuple[str, str], Status] = {
    ("met", "equal"): "met",
    ("met", "superset"): "met",
    ("met", "subset"): "partially-met",
    ("met", "intersects"): "partially-met",
    ("partially-met", "equal"): "partially-met",
    ("partially-met", "subset"): "partially-met",
    ("not-met", "equal"): "not-met",
    ("not-met", "subset"): "not-met",
}
_SEVERITY = {"not-met": 0, "partially-met": 1, "met": 2}
_RELATION_STRENGTH = {"equal": 2, "subset": 1, "superset": 1, "intersects": 0}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Via(_Model):
    """Where a status came from when it came through the crosswalk."""

    from_: str = Field(alias="from", description="The requirement whose result was used.")
    path: list[str] = Field(description="Requirement ids from that requirement to this one.")
    relations: list[str] = Field(description="Relation of each step along the path.")
    confidence: str = Field(description="Weakest confidence along the path.")
    inferred: bool = Field(description="True when the link was inferred, not stored.")
    source_status: Status = Field(description="The linked requirement's own status.")
    source_basis: Basis = Field(
        default="none", description="What the linked requirement's own status rests on."
    )


class Result(_Model):
    """One requirement's status and why."""

    requirement: str = Field(description="Global requirement id.")
    title: str = Field(description="Requirement title.")
    kind: str = Field(description="Requirement kind.")
    standard: str = Field(description="Global id of the top-level standard or section.")
    status: Status = Field(
        description="met, partially-met, not-met, not-assessed or not-applicable."
    )
    basis: Basis = Field(
        default="none",
        description="What decided the status: measured, attested, documented, crosswalk or none.",
    )
    via: Via | None = Field(default=None, description="Crosswalk origin; null when direct.")
    findings: list[Finding] = Field(default_factory=list, description="What was found.")
    provenance: str = Field(description="How sure the requirement's encoding is.")
    id_basis: str = Field(
        default="source",
        description="How the id was set: source (printed in the source), assigned (numbered "
        "by us in source order) or inferred (reconstructed from a restatement; it may differ "
        "from the source's own). Reports mark inferred ids with a dagger.",
    )
    tags: list[str] = Field(default_factory=list, description="Requirement tags.")

    @property
    def marked_id(self) -> str:
        """The requirement id, with a dagger when it was inferred."""
        from .render import INFERRED_MARK

        return self.requirement + (INFERRED_MARK if self.id_basis == "inferred" else "")

    def __repr__(self) -> str:
        via = f" via {self.via.from_}" if self.via is not None else ""
        n = len(self.findings)
        return f"<Result {self.requirement} {self.status}{via}, {n} finding{'s' * (n != 1)}>"


class StandardSummary(_Model):
    """Counts and roll-up for one top-level standard, section or area."""

    requirement: str = Field(description="Global id of the group.")
    title: str = Field(description="Its title.")
    status: Status = Field(description="Roll-up of its items.")
    counts: dict[str, int] = Field(description="Items per status.")
    by_basis: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Items per basis, then per status."
    )


class FixFirst(_Model):
    """One of the improvement plan's top goals, shown at the top of the report."""

    rank: int = Field(description="Rank in the plan (1 first).")
    requirement: str = Field(description="Global requirement id.")
    title: str = Field(description="Requirement title.")
    status: Status = Field(description="Its status now.")
    basis: Basis = Field(description="What its status rests on now.")
    safety: bool = Field(description="True for safety requirements (ranked first).")
    leverage: float = Field(description="1 plus the requirements a fix would satisfy elsewhere.")
    action: str = Field(description="What to do, as a sentence starting with a verb.")


class DocumentUsed(_Model):
    """A document of the bundle, with its hash."""

    id: str = Field(description="Document id.")
    kind: str = Field(description="Evidence kind.")
    path: str = Field(description="Path in the bundle.")
    sha256: str = Field(description="SHA-256 of the file.")
    size: int = Field(description="Bytes.")
    date: str | None = Field(default=None, description="Document date.")
    title: str | None = Field(default=None, description="Title.")


class TableUsed(_Model):
    """A data table of the bundle, with its hash."""

    name: str = Field(description="Table name.")
    path: str = Field(description="Path in the bundle.")
    rows: int = Field(description="Data rows.")
    sha256: str = Field(description="SHA-256 of the file.")


class Evidence(_Model):
    """Everything the assessment read, with hashes."""

    manifest_sha256: str = Field(description="SHA-256 of bundle.yaml.")
    documents: list[DocumentUsed] = Field(description="Documents.")
    tables: list[TableUsed] = Field(description="Tables.")
    notes: list[str] = Field(
        default_factory=list,
        description="What reading the bundle noted, to read the results with: columns "
        "ignored, ids not checked because the table they refer to is missing, document kinds "
        "not in the vocabulary.",
    )


class MetricUsed(_Model):
    """A metric computed for the report, with its definition."""

    metric: str = Field(description="Metric name.")
    title: str = Field(description="Metric title.")
    definition: str = Field(description="How it is computed.")
    result: dict[str, Any] = Field(description="Value, counts and parameters.")


class ProgramInfo(_Model):
    """The assessed program."""

    name: str = Field(description="Program name.")
    model: str = Field(description="Mentoring model.")
    period_start: str = Field(description="Start of the reporting period.")
    period_end: str = Field(description="End of the reporting period.")


class Report(_Model):
    """An assessment of one bundle against one framework."""

    report_version: Literal[1] = Field(default=1, description="Report format version.")
    framework: str = Field(description="Framework id.")
    framework_title: str = Field(description="Framework title.")
    bundle: str = Field(description="Bundle name (its folder name).")
    program: ProgramInfo = Field(description="The program.")
    assessed_on: str = Field(description="Date of the assessment.")
    generator: str = Field(description="mentorstd version that produced it.")
    results: list[Result] = Field(description="One per assessable requirement, in order.")
    summary: dict[str, int] = Field(description="Requirements per status.")
    summary_by_basis: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="Requirements per basis (measured, attested, documented, crosswalk, "
        "none), then per status.",
    )
    use_crosswalk: bool = Field(
        default=True, description="Whether results were projected through the crosswalk."
    )
    min_confidence: str = Field(
        default="medium", description="Lowest link confidence used for projection."
    )
    fix_first: list[FixFirst] = Field(
        default_factory=list,
        description="The improvement plan's top goals: safety first, then leverage, then gap.",
    )
    standards: list[StandardSummary] = Field(description="Roll-up per top-level group.")
    metrics: list[MetricUsed] = Field(description="Metrics computed, with definitions.")
    evidence: Evidence = Field(description="What was read, with hashes.")
    status_rules: list[str] = Field(description="How statuses were decided.")
    nqms: dict[str, Any] | None = Field(
        default=None, description="NQMS cycle and badge (EEPM only)."
    )
    indicators: IndicatorsSection | None = Field(
        default=None,
        description="Program indicators (retention, closure, match length, contact "
        "completion, dosage, survival per start cohort) with cited benchmarks; apart from the "
        "framework statuses, which they never change.",
    )

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.summary.items() if n)
        return (
            f"<Report {self.framework} of {self.bundle!r} on {self.assessed_on}: "
            f"{len(self.results)} results ({counts})>"
        )

    def __iter__(self) -> Iterator[Result]:  # type: ignore[override]
        """The results, in the framework's order (not pydantic's field pairs: use
        ``model_dump()`` for those)."""
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __contains__(self, requirement_id: object) -> bool:
        return any(r.requirement == _global(requirement_id) for r in self.results)

    def __getitem__(self, requirement_id: str | Requirement) -> Result:
        """The result for a global requirement id (``"uk_school:9.1"``) or a
        :class:`~mentorstd.Requirement`; a ``KeyError`` names the nearest ids."""
        wanted = _global(requirement_id)
        for result in self.results:
            if result.requirement == wanted:
                return result
        raise KeyError(_missing_result(self, str(wanted)))

    def get(
        self, requirement_id: str | Requirement, default: Result | None = None
    ) -> Result | None:
        """The result for ``requirement_id``, or ``default``."""
        try:
            return self[requirement_id]
        except KeyError:
            return default

    def to_markdown(self) -> str:
        """The report as Markdown (what ``validate --format markdown`` writes)."""
        from .report.markdown import report_markdown

        return report_markdown(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (``validate --format html``)."""
        from .report.html import report_html

        return report_html(self)

    def statuses(self) -> dict[str, Status]:
        """Requirement id -> status."""
        return {r.requirement: r.status for r in self.results}

    def flatten(self) -> list[tuple[str, str, str, str]]:
        """One row per finding: (requirement, status, check, code), in report order."""
        rows: list[tuple[str, str, str, str]] = []
        for r in self.results:
            if not r.findings:
                rows.append((r.requirement, r.status, "", ""))
            for f in r.findings:
                rows.append((r.requirement, r.status, f.check, f.code))
        return rows

    def to_json(self) -> str:
        """The report as JSON (the shape of ``schemas/report.schema.json``)."""
        return self.model_dump_json(indent=2, by_alias=True) + "\n"


schemas.register("report", "mentorstd.assessment", "Report")


def _global(requirement_id: object) -> object:
    """A Requirement's global id; anything else unchanged."""
    return getattr(requirement_id, "global_id", requirement_id)


def _missing_result(report: Report, wanted: str) -> str:
    import difflib

    ids = [r.requirement for r in report.results]
    local = wanted.rpartition(":")[2]
    close = [i for i in ids if i.partition(":")[2].casefold() == local.casefold()]
    close += difflib.get_close_matches(wanted, ids, 3, 0.75)
    unique = list(dict.fromkeys(close))[:3]
    hint = f"; did you mean {' or '.join(repr(i) for i in unique)}?" if unique else ""
    return f"no result for {wanted!r} in this {report.framework} report{hint}"


# -- combining -------------------------------------------------------------------------------


def _aggregate(statuses: Iterable[Status]) -> Status:
    values = set(statuses)
    if not values:
        return "not-assessed"
    if values == {"met"}:
        return "met"
    if values == {"not-met"}:
        return "not-met"
    return "partially-met"


def decide(findings: Iterable[Finding]) -> tuple[Status, Basis]:
    """One status from a requirement's direct findings, and what decided it.

    See :data:`STATUS_RULES`: a measurement decides, else the attestation, else documents
    (``met`` only through a check marked sufficient).

    >>> from mentorstd.checks import Finding
    >>> decide([Finding(code="documented-only", check="document", status="partially-met",
    ...                 message="m")])
    ('partially-met', 'documented')
    """
    findings = list(findings)
    if any(f.check == "attestation" and f.status == "not-applicable" for f in findings):
        return "not-applicable", "attested"
    assessed = [f for f in findings if f.status not in {"not-assessed", "not-applicable"}]
    measured = [
        f.status for f in assessed if f.check not in {"attestation", "document", "crosswalk"}
    ]
    if measured:
        return _aggregate(measured), "measured"
    attested = [f.status for f in assessed if f.check == "attestation"]
    if attested:
        status = _aggregate(attested)
        if status == "met" and any(f.code in _DOCUMENT_RULES for f in assessed):
            status = "partially-met"
        return status, "attested"
    documents = [f.status for f in assessed if f.check == "document"]
    if documents:
        return ("met" if "met" in documents else "partially-met"), "documented"
    return "not-assessed", "none"


def combine(findings: Iterable[Finding]) -> Status:
    """One status from a requirement's findings (see :data:`STATUS_RULES`)."""
    return decide(findings)[0]


def _rollup(statuses: list[Status]) -> Status:
    """A group's status: met only when every applicable item is met (an item without
    evidence keeps the group at partially-met); not-met when every assessed item is not-met."""
    relevant = [s for s in statuses if s != "not-applicable"]
    assessed = [s for s in relevant if s != "not-assessed"]
    if not relevant:
        return "not-applicable" if statuses else "not-assessed"
    if not assessed:
        return "not-assessed"
    if len(assessed) < len(relevant):
        return "not-met" if set(assessed) == {"not-met"} else "partially-met"
    return _aggregate(assessed)


class _Direct:
    """Direct (bundle-only) results of any requirement, computed on demand."""

    def __init__(self, bundle: Bundle, catalog: Catalog, *, cadence: str | None = None) -> None:
        self.catalog = catalog
        self.ctx = CheckContext(bundle, catalog, cadence=cadence)
        self._cache: dict[str, tuple[Status, list[Finding], Basis]] = {}

    def get(self, req: Requirement) -> tuple[Status, list[Finding], Basis]:
        gid = req.global_id
        if gid not in self._cache:
            if req.is_group:
                fw = self.catalog.framework(req.framework)
                items = [self.get(child) for child in fw.children(req.id)]
                # a group rests on no more than its weakest assessed item
                bases = [b for _, _, b in items if b != "none"]
                basis = min(bases, key=_BASIS_STRENGTH.__getitem__) if bases else "none"
                self._cache[gid] = (_rollup([s for s, _, _ in items]), [], basis)
            else:
                findings = sorted(iter_findings(req, self.ctx), key=_relevance)
                status, basis = decide(findings)
                self._cache[gid] = (status, findings, basis)
        return self._cache[gid]


def _relevance(finding: Finding) -> tuple[int, int]:
    order = {"not-met": 0, "partially-met": 1, "met": 2, "not-applicable": 3, "not-assessed": 4}
    kind = (
        0
        if finding.check not in {"attestation", "document"}
        else (1 if finding.check == "attestation" else 2)
    )
    return (kind, order[finding.status])


def _project(
    req: Requirement,
    direct: _Direct,
    catalog: Catalog,
    min_confidence: str = "medium",
    *,
    stronger_than_documents: bool = False,
) -> tuple[Status, Via, Link] | None:
    floor = CONFIDENCE_ORDER[min_confidence]
    candidates: list[tuple[tuple[int, ...], Status, Via, Link]] = []
    for link in catalog.crosswalk.related(req.global_id, inferred=True):
        if not link.transfers_evidence or CONFIDENCE_ORDER[link.confidence] < floor:
            continue
        source = catalog.requirement(link.target)
        source_status, _, source_basis = direct.get(source)
        if stronger_than_documents and source_basis not in {"measured", "attested"}:
            continue
        relation = inverse(link.relation)  # relation of the source to this requirement
        status = PROJECTION.get((source_status, relation))
        if status is None:
            continue
        path = list(reversed(link.path))
        relations = [inverse(r) for r in reversed(link.relations)]
        via = Via(
            from_=source.global_id,
            path=path,
            relations=relations,
            confidence=link.confidence,
            inferred=link.inferred,
            source_status=source_status,
            source_basis=source_basis,
        )
        key = (
            int(not link.inferred),
            CONFIDENCE_ORDER[link.confidence],
            _RELATION_STRENGTH[relation],
            _BASIS_STRENGTH[source_basis],
            -len(link.path),
            -_SEVERITY[status],
        )
        candidates.append((key, status, via, link))
    if not candidates:
        return None
    _, status, via, link = max(candidates, key=lambda c: (c[0], c[2].from_))
    return status, via, link


def _project_joint(
    req: Requirement, direct: _Direct, catalog: Catalog
) -> tuple[Via, Finding] | None:
    """``met`` through a joint mapping when every member is met (or not applicable).

    The via's path lists the members as stated, then this requirement, with one relation.
    """
    for joint in catalog.crosswalk.joint_into(req.global_id):
        results = [direct.get(catalog.requirement(m)) for m in joint.members]
        statuses = [status for status, _, _ in results]
        if "met" not in statuses or not set(statuses) <= {"met", "not-applicable"}:
            continue
        bases = [basis for status, _, basis in results if status == "met"]
        via = Via(
            from_=joint.sources[0],
            path=[*joint.sources, req.global_id],
            relations=[joint.relation],
            confidence=joint.confidence,
            inferred=False,
            source_status="met",
            source_basis=max(bases, key=_BASIS_STRENGTH.__getitem__),
        )
        message = (
            f"No direct evidence; met through the crosswalk: {', '.join(joint.sources)} "
            f"together are {joint.relation} to this requirement, and all "
            f"{len(joint.members)} of their required items are met or not applicable."
        )
        finding = Finding(
            code="via-crosswalk",
            check="crosswalk",
            status="met",
            message=message,
            evidence=list(joint.sources),
        )
        return via, finding
    return None


#: How a relation reads between two requirement ids: "A is a subset of B".
_RELATION_PHRASE = {
    "equal": "is equal to",
    "subset": "is a subset of",
    "superset": "is a superset of",
    "intersects": "intersects",
}


def relation_text(via: Via) -> str:
    """The path in words, from the linked requirement to this one: ``is equal to ima:IV-1,
    which is a subset of`` (the sentence ends with "this requirement")."""
    parts = [_RELATION_PHRASE[via.relations[0]]]
    for node, relation in zip(via.path[1:-1], via.relations[1:], strict=True):
        parts.append(f"{node}, which {_RELATION_PHRASE[relation]}")
    return " ".join(parts)


def _via_finding(status: Status, via: Via, direct_status: Status | None = None) -> Finding:
    fields = {
        "status": status,
        "relation_text": relation_text(via),
        "source": via.from_,
        "source_status": via.source_status,
        "source_basis": via.source_basis,
        "direct_status": direct_status,
    }
    code = "via-crosswalk" if direct_status is None else "crosswalk-over-documents"
    return Finding(
        code=code,
        check="crosswalk",
        status=status,
        message=MESSAGES[code].format(**fields),
        evidence=[via.from_],
    )


def _agrees_finding(status: Status, via: Via) -> Finding:
    return Finding(
        code="crosswalk-agrees",
        check="crosswalk",
        status=status,
        message=MESSAGES["crosswalk-agrees"].format(
            status=status,
            relation_text=relation_text(via),
            source=via.from_,
            source_status=via.source_status,
            source_basis=via.source_basis,
        ),
        evidence=[via.from_],
    )


# -- the entry point -------------------------------------------------------------------------


def iter_results(
    bundle: Bundle,
    framework: str,
    catalog: Catalog,
    *,
    use_crosswalk: bool = True,
    min_confidence: str = "medium",
    _direct: _Direct | None = None,
) -> Iterator[Result]:
    """Yield a :class:`Result` per assessable requirement of ``framework``, in order."""
    _check_confidence(min_confidence)
    fw = catalog.framework(framework)
    direct = _direct or _Direct(bundle, catalog)
    for req in fw.requirements:
        if req.is_group:
            continue
        status, findings, basis = direct.get(req)
        via = None
        if use_crosswalk and status == "not-assessed":
            projected = _project(req, direct, catalog, min_confidence)
            joint = _project_joint(req, direct, catalog)
            if joint is not None and (projected is None or projected[0] != "met"):
                status, (via, finding) = "met", joint
                basis = "crosswalk"
                findings = [finding]
            elif projected is not None:
                status, via, _ = projected
                basis = "crosswalk"
                findings = [_via_finding(status, via)]
        elif use_crosswalk and basis == "documented" and status != "met":
            # weak direct evidence: a projection resting on attested or measured evidence
            # decides, and the findings say so
            projected = _project(req, direct, catalog, min_confidence, stronger_than_documents=True)
            joint = _project_joint(req, direct, catalog)
            if joint is not None:
                status, (via, finding) = "met", joint
                basis = "crosswalk"
                findings = [finding, *findings]
            elif projected is not None and projected[0] != status:
                direct_status = status
                status, via, _ = projected
                basis = "crosswalk"
                findings = [_via_finding(status, via, direct_status), *findings]
            elif projected is not None:  # same status: the direct evidence decides
                findings = [*findings, _agrees_finding(status, projected[1])]
        if status == "not-assessed" and not findings:
            findings = [
                Finding(
                    code="no-evidence",
                    check="none",
                    status="not-assessed",
                    message=MESSAGES["no-evidence"].format(
                        kinds=", ".join(repr(k) for k in req.evidence) or "(none listed)"
                    ),
                )
            ]
        yield Result(
            requirement=req.global_id,
            title=req.title,
            kind=req.kind,
            standard=f"{fw.id}:{fw.top_level(req).id}",
            status=status,
            basis=basis,
            via=via,
            findings=findings,
            provenance=req.provenance,
            id_basis=req.id_basis,
            tags=list(req.tags),
        )


def assess(
    bundle: Bundle,
    framework: str,
    catalog: Catalog | None = None,
    *,
    as_of: dt.date | None = None,
    use_crosswalk: bool = True,
    min_confidence: str = "medium",
    cadence: str | None = None,
) -> Report:
    """Assess ``bundle`` against ``framework``.

    Parameters
    ----------
    bundle : Bundle
        From :func:`mentorstd.load_bundle`.
    framework : str
        Framework id: eepm, ima, uk_school, npss or a user framework.
    catalog : Catalog, optional
        Default: :func:`mentorstd.load_catalog`.
    as_of : date, optional
        The ``assessed_on`` date (default: today). Metrics judge up to the bundle's period end.
    use_crosswalk : bool
        Project results of linked requirements where a requirement has no direct evidence,
        or only documents.
    min_confidence : {"low", "medium", "high"}
        Lowest confidence of a crosswalk link that projection uses (default medium).
    cadence : {"eepm4", "bbbs"}, optional
        Contact schedule for every staff-contact-cadence check and the contact-completion
        indicator (default: each check's own parameters, and eepm4 for the indicator).

    Examples
    --------
    >>> import mentorstd
    >>> bundle = mentorstd.load_bundle("examples/bundles/riverside")  # doctest: +SKIP
    >>> mentorstd.assess(bundle, "uk_school")["uk_school:9.1"].status  # doctest: +SKIP
    'not-met'
    """
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    _check_confidence(min_confidence)
    fw = catalog.framework(framework)
    direct = _Direct(bundle, catalog, cadence=cadence)
    # the metrics the report asks for are worked out first, in two groups side by side
    direct.ctx.metrics.prefetch(_metrics_asked(fw, direct.ctx.metrics))
    results = list(
        iter_results(
            bundle,
            framework,
            catalog,
            use_crosswalk=use_crosswalk,
            min_confidence=min_confidence,
            _direct=direct,
        )
    )
    by_id = {r.requirement: r for r in results}
    summary = dict.fromkeys(STATUSES, 0)
    summary.update(Counter(r.status for r in results))
    standards = []
    for top in fw.children(None):
        items = [by_id[gid] for gid in _descendants(fw.id, top.id, catalog) if gid in by_id]
        if top.global_id in by_id:
            items = [by_id[top.global_id]]
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(Counter(r.status for r in items))
        standards.append(
            StandardSummary(
                requirement=top.global_id,
                title=top.title,
                status=_rollup([r.status for r in items]),
                counts=counts,
                by_basis=_by_basis(items),
            )
        )
    metrics = _metrics_used(direct.ctx.metrics, results)
    manifest = bundle.manifest
    report = Report(
        framework=fw.id,
        framework_title=fw.title,
        bundle=bundle.name,
        program=ProgramInfo(
            name=manifest.program.name,
            model=manifest.program.model,
            period_start=manifest.program.period.start.isoformat(),
            period_end=manifest.program.period.end.isoformat(),
        ),
        assessed_on=(as_of or dt.date.today()).isoformat(),
        generator=f"mentorstd {__version__}",
        results=results,
        summary=summary,
        summary_by_basis=_by_basis(results),
        use_crosswalk=use_crosswalk,
        min_confidence=min_confidence,
        standards=standards,
        metrics=metrics,
        evidence=_evidence(bundle),
        status_rules=list(STATUS_RULES),
        indicators=compute_indicators(direct.ctx.metrics),
    )
    nqms_data = fw.extras.get("nqms")
    if nqms_data is not None:
        from .nqms import nqms_status

        report = report.model_copy(update={"nqms": nqms_status(bundle, nqms_data, as_of)})
    return report.model_copy(update={"fix_first": _fix_first(report, catalog)})


def _check_confidence(level: str) -> None:
    if level not in CONFIDENCE_ORDER:
        raise UsageError(f"min_confidence: {level!r} is not one of low, medium, high")


def _by_basis(results: Iterable[Result]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {b: dict.fromkeys(STATUSES, 0) for b in BASES}
    for r in results:
        table[r.basis][r.status] += 1
    return table


def _fix_first(report: Report, catalog: Catalog) -> list[FixFirst]:
    from .plan import build_plan

    by_id = {r.requirement: r for r in report.results}
    return [
        FixFirst(
            rank=goal.rank,
            requirement=goal.requirement,
            title=goal.title,
            status=by_id[goal.requirement].status,
            basis=by_id[goal.requirement].basis,
            safety=goal.safety,
            leverage=goal.leverage,
            action=goal.actions[0],
        )
        for goal in build_plan(report, catalog).goals[:FIX_FIRST]
    ]


def _descendants(framework: str, top: str, catalog: Catalog) -> list[str]:
    fw = catalog.framework(framework)
    out, stack = [], [top]
    while stack:
        node = stack.pop()
        for child in fw.children(node):
            out.append(child.global_id)
            stack.append(child.id)
    return out


def _metrics_asked(fw: Framework, ctx: MetricContext) -> list[tuple[str, dict[str, Any]]]:
    """The metrics (names and parameters) that an assessment against ``fw`` asks ``ctx`` for
    in any case: its checks', the report's metrics section's and the indicators'. (Crosswalk
    projection may ask for others.)"""
    return [
        *(
            (check.metric, dict(check.params))
            for req in fw.requirements
            if not req.is_group
            for check in req.checks
            if isinstance(check, MetricCheck)
        ),
        *_ALWAYS_LISTED,
        *indicator_metrics(ctx),
    ]


#: Metrics the report's metrics section lists whatever the framework's checks.
_ALWAYS_LISTED: list[tuple[str, dict[str, Any]]] = [
    ("match-length", {}),
    ("closure-reasons", {}),
    ("planned-end-reached-rate", {}),
]


def _metrics_used(ctx: MetricContext, results: list[Result]) -> list[MetricUsed]:
    seen: dict[tuple[str, str], MetricUsed] = {}
    wanted: list[tuple[str, dict[str, Any]]] = []
    for r in results:
        for f in r.findings:
            if f.check in METRIC_SPECS:
                wanted.append((f.check, f.params))
    wanted += _ALWAYS_LISTED
    for name, params in wanted:
        key = (name, repr(sorted(params.items())))
        if key in seen:
            continue
        spec = METRIC_SPECS[name]
        result = ctx.result(name, params)
        seen[key] = MetricUsed(
            metric=name, title=spec.title, definition=spec.definition, result=result.to_dict()
        )
    return list(seen.values())


def _evidence(bundle: Bundle) -> Evidence:
    docs = [
        DocumentUsed(
            id=d.ref.id,
            kind=d.ref.kind,
            path=d.ref.path,
            sha256=d.sha256,
            size=d.size,
            date=d.ref.date.isoformat() if d.ref.date else None,
            title=d.ref.title,
        )
        for d in bundle.documents.values()
    ]
    tables = [
        TableUsed(name=t.name, path=t.file, rows=t.n_rows, sha256=t.sha256)
        for t in bundle.tables.values()
    ]
    return Evidence(
        manifest_sha256=bundle.manifest_sha256,
        documents=docs,
        tables=tables,
        notes=[report_note(note) for note in bundle.warnings],
    )
