"""``python -m mentorstd``."""

from ._entry import main

main()
