"""`slo gate` on a partial answer (live/partial.py): no pass unless `--allow-partial`."""

from __future__ import annotations

import json

from .gate import NO_ANSWER, PASS
from .status import json_text
from .text import printable


def gate_result(code: int, text: str, notes: list[str], allow: bool, action: str, output_format: str) -> tuple[int, str]:
    """The gate's exit code and stdout once partial answers are counted.

    A pass on a partial answer is no pass: the missing part may hold the SLO
    that has spent its budget. It becomes exit 3 (no complete answer) unless
    `--allow-partial`. A block stays a block: the figures at hand already block.
    """
    if not notes:
        return code, text
    if output_format == "json":
        document = json.loads(text)
        document["warnings"] = notes
        if code == PASS and not allow:
            document["result"] = "partial"
        text = json_text(document)
    if code != PASS or allow:
        return code, text
    shown = printable(action)
    message = (f"{shown}: no complete answer: the server's answer was partial ({len(notes)} warning(s) on stderr); "
               "the gate fails (--allow-partial passes it)")
    if output_format == "text":
        text = "".join(text.splitlines(keepends=True)[:-1]) + message + "\n"
    elif output_format == "github":
        text = "".join(text.splitlines(keepends=True)[:-1]) + f"::error title=slo gate::{message}\n"
    elif output_format == "markdown":
        text = text.replace(": pass", ": **no complete answer** (partial)", 1) + "\n" + message + "\n"
    return NO_ANSWER, text
