"""``python -m mentorstd``.

``python -m`` puts the current folder first on ``sys.path``; the current folder may be a
bundle, and nothing from a bundle may ever be imported. It is dropped before anything else is
imported (only this package's ``__init__``, which imports nothing, has run).
"""

import os
import sys

_cwd = os.path.realpath(os.getcwd())
sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != _cwd]

from ._entry import main  # noqa: E402  (after the path is made safe)

main()
