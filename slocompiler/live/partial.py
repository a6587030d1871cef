"""Partial answers: a success answer that carries `warnings` (or VictoriaMetrics' `isPartial`).

Thanos Query answers `warnings` when a store did not answer (partial
response); Mimir and VictoriaMetrics when a limit cut the result; Prometheus
when a remote-read endpoint failed. The figures of such an answer may lack
a cluster's series, so they are not a complete answer: every live command
shows the warnings on stderr, and `slo gate` does not pass on them unless
`--allow-partial` (docs/LIVE.md, "Partial answers"). Prometheus's `infos`
(PromQL annotations) are shown too, but do not make an answer partial.
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
# A repr of an unreadable value is cut to this before the client escapes it: an answer may hold megabytes.
MAX_REPR = 400


def _unreadable(key: str, value: object) -> str:
    text = repr(value)
    return f"unreadable {key}: {text[:MAX_REPR] + '...' if len(text) > MAX_REPR else text}"


def _absent(value: object) -> bool:
    # What a server sends for "none": the key missing, null, false, or an empty list, string or object.
    return value is None or value is False or (isinstance(value, (list, str, dict)) and not value)


def flags_of(answer: dict) -> tuple[list[str], list[str]]:
    """An answer's notes, `(partial, infos)`: never a crash, never a flag dropped.

    Partial: each `warnings` string, VictoriaMetrics' `"isPartial": true`,
    and any `warnings`, `infos` or `isPartial` of another shape (a string
    "true", a list of objects, a bare string...), as `unreadable <key>:
    <repr>`: a flag the client cannot read may be the one that says a
    cluster is missing, so it counts (fails closed). Infos: each `infos`
    string, Prometheus 2.45+'s PromQL annotations ("metric might not be a
    counter"), informational: the answer is complete.
    """
    partial: list[str] = []
    infos: list[str] = []
    flag = answer.get(PARTIAL_FLAG)
    if flag is True:
        partial.append(f"{PARTIAL_FLAG}: true (a VictoriaMetrics cluster answered without some storage nodes)")
    elif not _absent(flag):
        partial.append(_unreadable(PARTIAL_FLAG, flag))
    for key, into in (("warnings", partial), ("infos", infos)):
        value = answer.get(key)
        if _absent(value):
            continue
        if not isinstance(value, list):
            partial.append(_unreadable(key, value))
            continue
        for item in value:
            if isinstance(item, str) and item.strip():
                into.append(item)
            else:
                partial.append(_unreadable(key[:-1], item))
    return partial, infos


def stderr_lines(where: str, notes: Notes, infos: Notes | None = None) -> list[str]:
    """`warning: partial answer from Prometheus at URL: ...`, one line per distinct warning, then `info: ...` lines."""
    lines = [f"warning: partial answer from Prometheus at {where}: {text}" for text in notes.texts()]
    if notes.dropped:
        lines.append(f"warning: {notes.dropped} more distinct warning(s) from Prometheus at {where} not shown")
    if infos is not None:
        lines += [f"info: Prometheus at {where} noted: {text}" for text in infos.texts()]
        if infos.dropped:
            lines.append(f"info: {infos.dropped} more distinct note(s) from Prometheus at {where} not shown")
    return lines
