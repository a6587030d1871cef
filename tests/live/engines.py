"""Comparing two engines' answers: figures within a relative tolerance, times within a few evaluations (docs/ENGINES.md)."""

from __future__ import annotations

import math

# docs/ENGINES.md, "Tolerance": ratios, burn rates and SLIs agree within 1%; budget remaining within
# 1% of the budget; an alert's firing intervals within two evaluation intervals at each edge.
RELATIVE = 0.01
BUDGET_ABSOLUTE = 0.01
EDGE = 120

# Largest relative difference seen per key, for the report (tests print it with -s).
seen: dict[str, float] = {}


def _relative(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def differences(a: object, b: object, path: str = "") -> list[str]:
    """Where two JSON answers differ beyond the tolerance (numbers), or at all (anything else)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} != {list(b)}"]
        return [d for key in a for d in differences(a[key], b[key], f"{path}.{key}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}: {a} != {b}"]
        return [found for i, (x, y) in enumerate(zip(a, b)) for found in differences(x, y, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        key = path.rsplit(".", 1)[-1].split("[")[0]
        if "budget_remaining" in path:
            gap = abs(a - b)
            seen[key] = max(seen.get(key, 0.0), gap)
            return [] if gap <= BUDGET_ABSOLUTE else [f"{path}: {a} != {b} (budget, {gap:.4g} apart)"]
        rel = _relative(float(a), float(b))
        seen[key] = max(seen.get(key, 0.0), rel)
        return [] if rel <= RELATIVE or (math.isfinite(a) and abs(a - b) < 1e-12) else \
            [f"{path}: {a} != {b} ({rel:.3%} apart)"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def intervals_agree(a: list[list[int]], b: list[list[int]], edge: int = EDGE) -> bool:
    """Two lists of [start, end] firing intervals: the same count, each edge within `edge` seconds."""
    gaps = [abs(p - q) for x, y in zip(a, b) for p, q in zip(x, y)]
    seen["alert edge (s)"] = max([seen.get("alert edge (s)", 0), *gaps])
    return len(a) == len(b) and all(gap <= edge for gap in gaps)
