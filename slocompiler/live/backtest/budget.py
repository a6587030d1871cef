"""How many values a backtest holds at once: capped, so a broad replay fails with one clear line instead of eating memory.

A replay keeps, per SLO and group value, one float per evaluation for each
window it reads, and the 5m rates longer windows are summed from (one per
minute of the range and the longest window before it). Groups come from the
server: a `group_by` label with thousands of values, or a server that
invents them, multiplies all of it. Every list is counted before it is made.
"""

from __future__ import annotations

import threading

from ..client import LiveError
from ..limits import MAX_VALUES

NARROW = "narrow it: a larger --step, a shorter range (--from, --to), or fewer SLOs (--slo, --service)"


class Budget:
    """Values left to hold; `take` before making a list of them, from any thread."""

    def __init__(self, limit: int = MAX_VALUES) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def check(self, count: int) -> None:
        """A LiveError when `count` more values would not fit (nothing is taken)."""
        if self.used + count > self.limit:
            raise LiveError(f"the replay would hold more than {self.limit:,} values (SLOs x groups x windows x "
                            f"evaluations, and the 5m rates of long windows; docs/BACKTEST.md); {NARROW}")

    def take(self, count: int) -> None:
        """Count `count` values about to be held; a LiveError past the limit."""
        with self._lock:
            self.check(count)
            self.used += count


_NEW_GROUP = threading.Lock()  # chunks of one range query arrive on several threads


def group_values(out: dict[tuple[str, ...], list[float | None]], key: tuple[str, ...], count: int,
                 budget: Budget | None) -> list[float | None]:
    """The group's list of `count` values in `out`, made (and counted by `budget`) the first time the group is seen."""
    values = out.get(key)
    if values is None:
        with _NEW_GROUP:
            values = out.get(key)
            if values is None:
                if budget is not None:
                    budget.take(count)
                values = out[key] = [None] * count
    return values
