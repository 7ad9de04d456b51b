"""Pydantic models of the standards data: frameworks, requirements, checks, evidence kinds.

Every model is frozen and forbids unknown fields; every field carries a description, which
becomes documentation in the JSON Schemas generated into ``schemas/``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field

from ._registry import METRIC_SPECS

__all__ = [
    "ASSESSABLE_KINDS",
    "GROUP_KINDS",
    "AttestationCheck",
    "Audience",
    "Check",
    "Confidence",
    "CrosswalkFile",
    "DocumentCheck",
    "EvidenceKind",
    "EvidenceKindsFile",
    "Framework",
    "FrameworkFile",
    "IdBasis",
    "JointMapping",
    "Mapping",
    "MetricCheck",
    "NoCounterpart",
    "NoCounterparts",
    "NqmsBadge",
    "NqmsCycle",
    "NqmsFile",
    "NqmsPart",
    "NqmsScale",
    "NqmsStep",
    "Operator",
    "Provenance",
    "Relation",
    "Requirement",
    "RequirementKind",
    "RequirementSpec",
    "Source",
    "StandardFile",
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
KEBAB_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
FRAMEWORK_ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Provenance = Literal["verified", "derived", "provisional"]
#: Where a requirement's local id comes from (see DESIGN.md, "Id basis").
IdBasis = Literal["source", "assigned", "inferred"]
RequirementKind = Literal[
    "standard",
    "section",
    "area",
    "component",
    "group",
    "benchmark",
    "enhancement",
    "indicator",
    "item",
]
#: Kinds that group other requirements; their status is a roll-up, not checked directly.
GROUP_KINDS: frozenset[str] = frozenset({"standard", "section", "area", "component", "group"})
#: Kinds that carry practices a program can meet or miss.
ASSESSABLE_KINDS: frozenset[str] = frozenset({"benchmark", "enhancement", "indicator", "item"})

Audience = Literal[
    "mentor", "mentee", "parent", "program", "staff", "leadership", "teacher", "school", "partner"
]
Operator = Literal[">=", ">", "<=", "<", "=="]
ParamValue = str | int | float | bool | list[str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where a requirement comes from in its source document."""

    section: str = Field(
        description="Section, standard or page of the source document, "
        "e.g. 'Standard III, indicator III-2'."
    )
    document: str | None = Field(
        default=None,
        description="The document, when not the framework's own source (e.g. a toolkit "
        "that restates it).",
    )
    url: str | None = Field(default=None, description="Public address of that document.")


class AttestationCheck(_Model):
    """The program states in its manifest (``practices``) that the practice is in place."""

    type: Literal["attestation"] = Field(description="Check type.")
    description: str | None = Field(default=None, description="What the attestation covers.")


class DocumentCheck(_Model):
    """The bundle holds a document of one (or all) of the given evidence kinds."""

    type: Literal["document"] = Field(description="Check type.")
    kinds: list[str] = Field(min_length=1, description="Evidence-kind ids that satisfy it.")
    match: Literal["any", "all"] = Field(
        default="any", description="Whether any one kind or every kind must be present."
    )
    max_age_days: int | None = Field(
        default=None,
        ge=1,
        description="Documents older than this (at the end of the bundle's period) are stale.",
    )
    sufficient: bool = Field(
        default=False,
        description="True when the requirement is about having this document (a written "
        "code of conduct, policy or published statement): the document alone can make it "
        "met. Otherwise documents give at most partially-met.",
    )
    description: str | None = Field(default=None, description="What the documents show.")


class MetricCheck(_Model):
    """A metric computed from the bundle's tables, compared with a threshold.

    For rate metrics the threshold applies to the program-wide value; for per-person and
    per-match metrics it applies to each person or match (see ``mentorstd metrics``).
    """

    type: Literal["metric"] = Field(description="Check type.")
    metric: str = Field(pattern=KEBAB_PATTERN, description="Registered metric name.")
    operator: Operator = Field(description="How the value compares with the threshold.")
    threshold: float = Field(description="The exact value from the source.")
    params: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Metric parameters, e.g. role, measure, with, first_month_min.",
    )
    description: str | None = Field(default=None, description="The rule in words.")
    interpretation: str | None = Field(
        default=None,
        description="Our reading of a source term that the check depends on (e.g. 'multiple' "
        "read as at least 2); findings repeat it so that nobody mistakes it for the source's "
        "own figure.",
    )

    @computed_field(description="Table columns the metric reads (from the metric registry).")
    def reads(self) -> list[str]:
        """The bundle table columns this check's metric reads (``table.column``)."""
        spec = METRIC_SPECS.get(self.metric)
        return list(spec.reads) if spec else []


Check = Annotated[AttestationCheck | DocumentCheck | MetricCheck, Field(discriminator="type")]


class RequirementSpec(_Model):
    """One requirement as written in a standards file."""

    id: str = Field(pattern=ID_PATTERN, description="Local id, as numbered in the source.")
    kind: RequirementKind = Field(description="Structural kind.")
    title: str = Field(min_length=1, description="Short title (our words).")
    statement: str = Field(
        min_length=1, description="What the requirement asks, paraphrased in our own words."
    )
    parent: str | None = Field(default=None, description="Local id of the enclosing requirement.")
    applies_to: list[Audience] = Field(
        default_factory=list, description="Whom the practice targets."
    )
    evidence: list[str] = Field(
        default_factory=list, description="Evidence-kind ids that can show it is in place."
    )
    criteria: list[str] = Field(
        default_factory=list, description="Sub-points the source lists, paraphrased."
    )
    checks: list[Check] = Field(default_factory=list, description="Machine checks.")
    tags: list[str] = Field(
        default_factory=list, description="Free labels, e.g. 'safety' (ranked first in plans)."
    )
    source: Source = Field(description="Where it comes from.")
    id_basis: IdBasis = Field(
        description="source: the id is printed in the framework's own source (or its "
        "pre-publication draft); assigned: the source has no ids, so we numbered or named the "
        "items in source order; inferred: the source has ids, but ours were reconstructed "
        "from a restatement that gives none, so they may differ from the source's."
    )
    provenance: Provenance = Field(
        description="How certain the content is (not the id): verified: the content was seen "
        "in the framework's own text; derived: the content comes from a restatement, summary "
        "or draft of it; provisional: background knowledge not seen in any reachable source."
    )
    notes: str | None = Field(default=None, description="Caveats, e.g. about provenance.")


class Requirement(RequirementSpec):
    """A requirement inside a loaded framework (knows its framework)."""

    framework: str = Field(description="Framework id.")

    @property
    def global_id(self) -> str:
        """``<framework>:<local id>``: the id that catalogs, reports and crosswalks look up
        (``id`` is the local id, as numbered in the source)."""
        return f"{self.framework}:{self.id}"

    def __repr__(self) -> str:
        return f"<Requirement {self.global_id} ({self.kind}): {self.title}>"

    @property
    def is_group(self) -> bool:
        """True for standards, sections and areas, whose status rolls up from their items."""
        return self.kind in GROUP_KINDS


class StandardFile(_Model):
    """One YAML file of a framework: a top-level standard or section and its items."""

    requirements: list[RequirementSpec] = Field(
        min_length=1, description="Requirements in source order."
    )


class FrameworkFile(_Model):
    """``framework.yaml``: what a framework is and which files hold its requirements."""

    id: str = Field(pattern=FRAMEWORK_ID_PATTERN, description="Framework id (folder name).")
    title: str = Field(description="Full title.")
    short_title: str | None = Field(default=None, description="Short name for tables.")
    edition: str | None = Field(default=None, description="Edition or version.")
    publisher: str = Field(description="Who publishes it.")
    year: int = Field(ge=1900, le=2100, description="Year of the edition encoded.")
    source: str = Field(description="Citation of the source document.")
    url: str | None = Field(default=None, description="Where the source is published.")
    usage: str = Field(
        description="Usage note: how the text is used here (paraphrase, citation, rights)."
    )
    notes: list[str] = Field(
        default_factory=list, description="Caveats about coverage and provenance."
    )
    parts: list[str] = Field(
        min_length=1, description="Standards files, in order, relative to the folder."
    )
    expected_counts: dict[str, int] = Field(
        default_factory=dict,
        description="Counts the source states (e.g. benchmark: 48); lint reports shortfalls.",
    )
    extras: dict[str, str] = Field(
        default_factory=dict,
        description="Further data files by name, e.g. nqms: nqms.yaml.",
    )


class Framework(_Model):
    """A loaded framework with its requirements in source order."""

    id: str = Field(description="Framework id.")
    meta: FrameworkFile = Field(description="The framework.yaml content.")
    requirements: tuple[Requirement, ...] = Field(description="Requirements in source order.")
    extras: dict[str, Any] = Field(default_factory=dict, description="Loaded extra data.")
    _index: dict[str, Requirement] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._index.update((r.id, r) for r in self.requirements)

    @property
    def title(self) -> str:
        """The framework's full title."""
        return self.meta.title

    def requirement(self, requirement_id: str) -> Requirement:
        """The requirement with this local id (``"B.3.1"``) or global id (``"eepm:B.3.1"``);
        ``KeyError``, naming the closest ids, if absent."""
        try:
            return self._index[self._local(requirement_id)]
        except KeyError:
            import difflib

            local = self._local(requirement_id)
            close = [i for i in self._index if i.casefold() == local.casefold()]
            close += difflib.get_close_matches(local, list(self._index), 3, 0.75)
            hint = ", ".join(repr(i) for i in dict.fromkeys(close))
            raise KeyError(
                f"no requirement {requirement_id!r} in {self.id}"
                + (f"; did you mean {hint}?" if hint else "")
            ) from None

    def _local(self, requirement_id: str) -> str:
        prefix = f"{self.id}:"
        return (
            requirement_id[len(prefix) :] if requirement_id.startswith(prefix) else requirement_id
        )

    def __contains__(self, requirement_id: object) -> bool:
        """A local id, or a global id of this framework."""
        return isinstance(requirement_id, str) and self._local(requirement_id) in self._index

    def __repr__(self) -> str:
        return f"<Framework {self.id}: {self.title}, {len(self.requirements)} requirements>"

    def children(self, local_id: str | None) -> list[Requirement]:
        """Requirements whose parent is ``local_id`` (``None``: the top level)."""
        return [r for r in self.requirements if r.parent == local_id]

    def top_level(self, requirement: Requirement) -> Requirement:
        """The outermost ancestor of ``requirement`` (itself when top level)."""
        node = requirement
        while node.parent is not None and node.parent in self._index:
            node = self._index[node.parent]
        return node


class EvidenceKind(_Model):
    """One kind of evidence (a document or record) that can show a practice is in place."""

    id: str = Field(pattern=KEBAB_PATTERN, description="Kebab-case id.")
    title: str = Field(description="Short name.")
    description: str = Field(min_length=1, description="What counts as this kind.")
    examples: list[str] = Field(default_factory=list, description="Typical documents of this kind.")
    table: str | None = Field(
        default=None,
        description="A bundle data table that is itself evidence of this kind "
        "(matches, contacts, training, screening, surveys, outcomes).",
    )


class EvidenceKindsFile(_Model):
    """``standards/evidence-kinds.yaml``: the shared evidence vocabulary."""

    kinds: list[EvidenceKind] = Field(min_length=1, description="The vocabulary.")


# -- crosswalks ------------------------------------------------------------------------------

Relation = Literal["equal", "subset", "superset", "intersects"]
Confidence = Literal["high", "medium", "low"]


class Mapping(_Model):
    """One stored link between a requirement of the source and one of the target framework.

    ``relation`` reads "source <relation> target": ``subset`` means the source asks for less
    than (a part of) the target; ``superset`` that it asks for more and covers the target.
    """

    source: str = Field(pattern=ID_PATTERN, description="Local id in the source framework.")
    target: str = Field(pattern=ID_PATTERN, description="Local id in the target framework.")
    relation: Relation = Field(description="Set relation of source to target.")
    confidence: Confidence = Field(description="How sure the mapping is.")
    rationale: str = Field(min_length=1, description="One line, in our own words.")
    transfers_evidence: bool = Field(
        default=True,
        description="False for a topical link: the two requirements are about the same "
        "subject, but meeting one is no evidence about the other (e.g. a practice and an "
        "outcome target), so assessments do not project statuses along it.",
    )
    author: str | None = Field(default=None, description="Overrides the file's author.")
    date: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Overrides the file's date."
    )


class JointMapping(_Model):
    """A set of source requirements that together answer one target requirement.

    ``relation`` reads "(all sources together) <relation> target". Only ``equal`` and
    ``superset`` are allowed: the point of a joint mapping is that satisfying every member
    satisfies the target, which no single member does. A member that is a group (a standard or
    section) counts as satisfied when every required item under it is (enhancements, which the
    source makes optional, are not required).
    """

    sources: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        min_length=2, description="Local ids in the source framework, all of which are needed."
    )
    target: str = Field(pattern=ID_PATTERN, description="Local id in the target framework.")
    relation: Literal["equal", "superset"] = Field(
        description="Set relation of the members taken together to the target."
    )
    confidence: Confidence = Field(description="How sure the mapping is.")
    rationale: str = Field(
        min_length=1, description="One line: why the members together answer the target."
    )


class NoCounterpart(_Model):
    """A requirement with no counterpart in the other framework, and why."""

    id: str = Field(pattern=ID_PATTERN, description="Local id.")
    reason: str = Field(min_length=1, description="Why nothing in the other framework matches.")


class NoCounterparts(_Model):
    """Requirements of either side known to have no counterpart on the other side."""

    source: list[NoCounterpart] = Field(
        default_factory=list, description="Source requirements with nothing in the target."
    )
    target: list[NoCounterpart] = Field(
        default_factory=list, description="Target requirements with nothing in the source."
    )


class CrosswalkFile(_Model):
    """``standards/crosswalks/<a>--<b>.yaml``: mappings between two frameworks."""

    source: str = Field(pattern=FRAMEWORK_ID_PATTERN, description="Source framework id.")
    target: str = Field(pattern=FRAMEWORK_ID_PATTERN, description="Target framework id.")
    author: str = Field(description="Who made the mappings.")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="When (ISO date).")
    method: Literal["human", "automation", "hybrid"] = Field(
        default="human", description="How the mappings were made (as in OSCAL mapping)."
    )
    description: str | None = Field(default=None, description="Scope and approach.")
    mappings: list[Mapping] = Field(default_factory=list, description="The stored links.")
    joint_mappings: list[JointMapping] = Field(
        default_factory=list,
        description="Sets of source requirements that together answer one target requirement.",
    )
    no_counterpart: NoCounterparts = Field(
        default_factory=NoCounterparts, description="Requirements deliberately left unmapped."
    )


# -- NQMS ------------------------------------------------------------------------------------


class NqmsPart(_Model):
    """One of the self-assessment's parts and the EEPM requirements its items restate."""

    id: str = Field(pattern=KEBAB_PATTERN, description="Part id.")
    title: str = Field(description="Part title.")
    description: str = Field(description="What its items ask about (our words).")
    covers: list[str] = Field(description="Global requirement ids the part's items restate.")
    provenance: Provenance = Field(description="How sure the coverage list is.")


class NqmsStep(_Model):
    """A step of the NQMS process."""

    id: str = Field(pattern=KEBAB_PATTERN, description="Step id.")
    title: str = Field(description="Step title.")
    description: str = Field(description="What happens (our words).")
    record: str | None = Field(
        default=None,
        description="The bundle's nqms field that records the step is done "
        "(self_assessment_completed, review_meeting or plan_goals).",
    )


class NqmsBadge(_Model):
    """A badge and the rule that awards it."""

    id: str = Field(pattern=KEBAB_PATTERN, description="Badge id.")
    title: str = Field(description="Badge name as the source gives it.")
    requires_steps: list[str] = Field(default_factory=list, description="Steps that must be done.")
    requires_badge: str | None = Field(default=None, description="Badge that must be held.")
    goals_done_min: int | None = Field(
        default=None, ge=0, description="Plan goals with status done needed."
    )
    interpretation: str | None = Field(
        default=None,
        description="Our reading of the source's rule where it is not exact (e.g. a range "
        "read as a minimum).",
    )
    description: str = Field(description="The rule in words.")


class NqmsScale(_Model):
    """How each self-assessment item is rated."""

    in_place: list[str] = Field(description="First answer: is the practice in place.")
    implementation_min: int = Field(description="Lowest implementation rating.")
    implementation_max: int = Field(description="Highest implementation rating.")
    description: str = Field(description="The scale in words.")


class NqmsCycle(_Model):
    """How long a cycle lasts and when badges expire."""

    years: int = Field(ge=1, description="Length of a cycle in years.")
    expires_after_years: int = Field(ge=1, description="Badges expire this long after...")
    expires_from: Literal["review_meeting", "self_assessment_completed"] = Field(
        description="...this date, unless a new cycle starts."
    )
    description: str = Field(description="The rule in words.")


class NqmsFile(_Model):
    """The NQMS self-assessment structure (stored with EEPM)."""

    title: str = Field(description="Name of the system.")
    source: str = Field(description="Citation.")
    items_total: int = Field(ge=1, description="Number of self-assessment items.")
    parts: list[NqmsPart] = Field(min_length=1, description="The self-assessment's parts.")
    scale: NqmsScale = Field(description="Rating scale.")
    steps: list[NqmsStep] = Field(min_length=1, description="Process steps in order.")
    badges: list[NqmsBadge] = Field(min_length=1, description="Badges, lowest first.")
    cycle: NqmsCycle = Field(description="Cycle and expiry.")
    notes: list[str] = Field(default_factory=list, description="Caveats.")
