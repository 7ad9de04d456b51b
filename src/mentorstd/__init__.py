"""mentorstd: youth-mentoring quality standards as data, crosswalks, and evidence checks.

>>> import mentorstd
>>> cat = mentorstd.load_catalog()
>>> cat.requirement("uk_school:9.1").checks[0].threshold
0.9
"""

from ._version import __version__
from .catalog import Catalog, lint, load_catalog
from .errors import (
    BundleError,
    DataError,
    MentorstdError,
    StandardsError,
    UnknownIdError,
    UsageError,
)
from .models import Framework, Requirement

__all__ = [
    "BundleError",
    "Catalog",
    "DataError",
    "Framework",
    "MentorstdError",
    "Requirement",
    "StandardsError",
    "UnknownIdError",
    "UsageError",
    "__version__",
    "lint",
    "load_catalog",
]
