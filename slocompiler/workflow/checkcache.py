"""A cache of clean `slo check` results, keyed by the bytes of every file the run read.

A pre-commit hook checks the same, mostly unchanged, specs on every commit.
Like ruff's and mypy's caches, this skips the work when nothing it depends on
changed: the inputs found under each path, every file read (imports
included, with the real path behind any link), and the compiler's version. Only runs without errors are stored,
so a missing import or unreadable file is never cached. `SLO_NO_CACHE=1`
turns it off; `SLO_CACHE_DIR` moves it. Any problem with the cache itself
falls back to a full check.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from .. import __version__


@dataclass(frozen=True)
class CachedCheck:
    """What a clean check found: its warnings and how much it checked."""

    warnings: list[dict]
    services: int
    slos: int


def _directory() -> str | None:
    if os.environ.get("SLO_NO_CACHE"):
        return None
    base = os.environ.get("SLO_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "slocompiler"
    )
    return os.path.join(base, "check")


def _entry(paths: list[str], inputs: list[str]) -> str | None:
    directory = _directory()
    if directory is None:
        return None
    key = json.dumps([__version__, os.getcwd(), paths, inputs])
    return os.path.join(directory, hashlib.sha256(key.encode()).hexdigest() + ".json")


def _fingerprint(path: str) -> list[str] | None:
    """The file's bytes and where it really is: a file swapped for a link to the same
    bytes elsewhere can change the answer (an import may not leave the inputs)."""
    from ..lang.sources import read_regular

    try:
        return [hashlib.sha256(read_regular(path)).hexdigest(), os.path.realpath(path)]
    except OSError:  # a FIFO, a device, a missing file: never a hit
        return None


def _unchanged(path: str, seen: object) -> bool:
    now = _fingerprint(path)
    return now is not None and now == seen


def lookup(paths: list[str], inputs: list[str]) -> CachedCheck | None:
    """The stored result if no file it depended on has changed since."""
    entry = _entry(paths, inputs)
    try:
        data = _read_json(entry) if entry else None
        if not data or not all(_unchanged(path, seen) for path, seen in data["files"].items()):
            return None
        warnings = [dict(w, file=str(w["file"]), line=int(w["line"]), column=int(w["column"]),
                         message=str(w["message"]), severity="warning") for w in data["warnings"]]
        return CachedCheck(warnings, int(data["services"]), int(data["slos"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # a damaged entry: check afresh
        return None


def store(paths: list[str], inputs: list[str], files: list[str], warnings: list[dict], services: int, slos: int) -> None:
    """Remember a clean result; silently does nothing if the cache cannot be written."""
    entry = _entry(paths, inputs)
    if entry is None:
        return
    data = {"files": {path: _fingerprint(path) for path in sorted(files)}, "warnings": warnings,
            "services": services, "slos": slos}
    try:
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        temporary = f"{entry}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(temporary, entry)
    except OSError:
        pass


def _read_json(path: str) -> object:
    with open(path, encoding="utf-8") as file:
        return json.load(file)
