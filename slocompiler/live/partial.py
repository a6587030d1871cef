"""Partial answers: a success answer that carries `warnings` (or Prometheus's `infos`).

Thanos Query answers `warnings` when a store did not answer (partial
response); Mimir and VictoriaMetrics when a limit cut the result; Prometheus
when a remote-read endpoint failed. The figures of such an answer may lack
a cluster's series, so they are not a complete answer: every live command
shows the warnings on stderr, and `slo gate` does not pass on them unless
`--allow-partial` (docs/LIVE.md, "Partial answers").
"""

from __future__ import annotations

import threading

# A server may attach a warning to every query: the distinct ones kept, at most this many.
MAX_NOTES = 20


class Notes:
    """The distinct warnings a client's answers carried, in the order first seen (thread-safe: queries run in a pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, None] = {}
        self.dropped = 0

    def add(self, text: str) -> None:
        with self._lock:
            if text in self._seen:
                return
            if len(self._seen) < MAX_NOTES:
                self._seen[text] = None
            else:
                self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self._seen)

    def texts(self) -> list[str]:
        with self._lock:
            return list(self._seen)


# A VictoriaMetrics cluster's vmselect says so with a flag, not a warning, when a storage node did not answer.
PARTIAL_FLAG = "isPartial"


def notes_of(answer: dict) -> list[str]:
    """The strings of an answer's `warnings` and `infos` lists, and VictoriaMetrics' `isPartial` (others ignored, never a crash)."""
    found = []
    if answer.get(PARTIAL_FLAG) is True:
        found.append(f"{PARTIAL_FLAG}: true (a VictoriaMetrics cluster answered without some storage nodes)")
    for key in ("warnings", "infos"):
        value = answer.get(key)
        if isinstance(value, list):
            found += [f"{key[:-1]}: {item}" if key == "infos" else str(item) for item in value if isinstance(item, str)]
    return found


def stderr_lines(where: str, notes: Notes) -> list[str]:
    """`warning: partial answer from Prometheus at URL: ...`, one line per distinct warning."""
    lines = [f"warning: partial answer from Prometheus at {where}: {text}" for text in notes.texts()]
    if notes.dropped:
        lines.append(f"warning: {notes.dropped} more distinct warning(s) from Prometheus at {where} not shown")
    return lines
