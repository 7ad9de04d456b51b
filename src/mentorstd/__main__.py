"""``python -m mentorstd``."""

from .cli import main

main()
