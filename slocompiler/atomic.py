"""Atomic file writes: bytes go to a temporary file beside their target, then a rename.

A build stages every file first (`temporary_beside`), syncs once, and renames
(`commit`) only when all are on disk, so a full disk, a crash or a backend
fault while staging leaves the previous outputs as they were.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable

_HAS_SYNC = hasattr(os, "sync")
Staged = list[tuple[str, Path]]  # (temporary file, the path it will become)


def sync() -> None:
    """Flush every staged file to disk at once.

    One sync for all the files instead of an fsync each (some 20x faster for
    thousands of files): the renames that follow never expose bytes that are
    not on disk yet. Where there is no sync() (Windows), each file had its fsync.
    """
    if _HAS_SYNC:
        os.sync()


def commit(staged: Staged) -> None:
    """Rename every staged file over its target; on failure the rest are discarded."""
    done = 0
    try:
        for temporary, where in staged:
            os.replace(temporary, where)
            done += 1
    finally:
        discard(temporary for temporary, _ in staged[done:])


def write(where: Path, data: bytes) -> None:
    """Write one file atomically and durably (fsync, then rename)."""
    temporary = temporary_beside(where, data, durable=True)
    commit([(temporary, where)])


def temporary_beside(where: Path, data: bytes, durable: bool = False) -> str:
    """A new file in `where`'s directory holding `data`, with an ordinary file's mode."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable or not _HAS_SYNC:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, file_mode())  # mkstemp makes 0600; outputs are ordinary files
    except BaseException:
        discard([temporary])
        raise
    return temporary


def discard(temporaries: Iterable[str]) -> None:
    """Remove temporary files, ignoring the ones already gone."""
    for temporary in temporaries:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def make_parents(directory: Path) -> list[Path]:
    """mkdir -p, returning the directories it created, outermost first."""
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    created = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:  # another worker made it first; it is not ours to remove
            continue
        created.append(path)
    return created


def remove_directories(made: Iterable[Path]) -> None:
    """Undo make_parents: remove the directories it made that are empty, deepest first."""
    for directory in sorted(made, key=lambda path: len(path.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()


def remove_empty_parents(root: Path, relative: str) -> None:
    """Remove the directories above root/relative that are now empty, up to (not including) root."""
    parent = PurePosixPath(relative).parent
    while parent != PurePosixPath("."):
        try:
            (root / parent).rmdir()  # fails, as wanted, on a directory that still holds anything
        except OSError:
            return
        parent = parent.parent


_MODE: list[int] = []


def file_mode() -> int:
    """0666 less the umask: the mode `open()` would have given a new file."""
    if not _MODE:
        umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        _MODE.append(0o666 & ~umask)
    return _MODE[0]
