"""Answers shared by the SLOs of one report run: the same query asked once, the others waiting for its answer."""

from __future__ import annotations

import threading

# Answers by client and query, within a run: SLOs of one indicator (objectives for several tiers) ask for the
# same sums, hourly maxima and burn-downs; the first asks, the others wait for its answer.
MEMO: dict[int, dict] = {}
_LOCK = threading.Lock()


def shared(client, key: tuple, compute):
    """`compute()` once per `key` within a report run (`command` clears MEMO); concurrent askers wait for it."""
    memo = MEMO.get(id(client))
    if memo is None:
        return compute()
    with _LOCK:
        entry = memo.setdefault(key, [threading.Lock(), None, False])
    with entry[0]:
        if not entry[2]:
            entry[1], entry[2] = compute(), True
    return entry[1]
