"""`python -m slocompiler` is the `slo` command."""

from .cli import main

main()
