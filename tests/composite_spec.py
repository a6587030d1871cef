"""The composites and maintenance windows fixture (tests/cases/composite/) for the static outputs' tests."""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "tests/cases/composite"


@cache
def program():
    from slocompiler.workflow import compile as compile_

    with contextlib.chdir(ROOT):
        loaded = compile_.load([FOLDER])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return loaded.program
