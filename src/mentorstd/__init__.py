"""mentorstd: youth-mentoring quality standards as data, crosswalks, and evidence checks.

>>> import mentorstd
>>> cat = mentorstd.load_catalog()
>>> cat.requirement("uk_school:9.1").checks[0].threshold
0.9

Names are imported on first use (PEP 562), so ``import mentorstd`` and the CLI start fast.
"""

from __future__ import annotations

from ._version import __version__

# Not typing.TYPE_CHECKING: importing typing alone would double the fast start-up path
# (mypy treats any name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .assessment import Report, Result, assess
    from .bundle import Bundle, load_bundle
    from .catalog import Catalog, lint, load_catalog
    from .checks import Finding
    from .crosswalk import Coverage, Crosswalk, Link
    from .diff import ReportDiff, diff_reports, load_report
    from .errors import (
        BundleError,
        DataError,
        MentorstdError,
        StandardsError,
        UnknownIdError,
        UsageError,
    )
    from .models import Framework, Requirement
    from .plan import Goal, Plan, build_plan

__all__ = [
    "Bundle",
    "BundleError",
    "Catalog",
    "Coverage",
    "Crosswalk",
    "DataError",
    "Finding",
    "Framework",
    "Goal",
    "Link",
    "MentorstdError",
    "Plan",
    "Report",
    "ReportDiff",
    "Requirement",
    "Result",
    "StandardsError",
    "UnknownIdError",
    "UsageError",
    "__version__",
    "assess",
    "build_plan",
    "diff_reports",
    "lint",
    "load_bundle",
    "load_catalog",
    "load_report",
]

_WHERE = {
    "Report": "assessment",
    "Result": "assessment",
    "assess": "assessment",
    "Bundle": "bundle",
    "load_bundle": "bundle",
    "Catalog": "catalog",
    "lint": "catalog",
    "load_catalog": "catalog",
    "Finding": "checks",
    "Coverage": "crosswalk",
    "Crosswalk": "crosswalk",
    "Link": "crosswalk",
    "ReportDiff": "diff",
    "diff_reports": "diff",
    "load_report": "diff",
    "BundleError": "errors",
    "DataError": "errors",
    "MentorstdError": "errors",
    "StandardsError": "errors",
    "UnknownIdError": "errors",
    "UsageError": "errors",
    "Framework": "models",
    "Requirement": "models",
    "Goal": "plan",
    "Plan": "plan",
    "build_plan": "plan",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mentorstd' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
