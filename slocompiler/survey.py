"""Rendering targets and comparing their files with DIR: what a build or `--check` starts from.

Each target is rendered in memory and each of its files compared with DIR
at once; for a build the changed ones are staged as hidden temporary files
beside their paths, so no more than one target's text is held at a time.
Big builds spread the work over a pool of forked processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

import click

from . import atomic

MANIFEST = ".slocompiler-manifest.json"  # the one name in DIR no backend may use
# Below this many SLOs a build is over before a progress bar could say anything.
PROGRESS_MIN_SLOS = 300
# Forking a pool pays only once rendering takes seconds (docs/BUILD.md has the figures).
PARALLEL_MIN_SLOS = 2000
# Processes for big builds; SLOCOMPILER_WORKERS=1 keeps a build in one process.
_SETTING = os.environ.get("SLOCOMPILER_WORKERS", "")
WORKERS = int(_SETTING) if _SETTING.isdigit() else 2
CHUNKS = 16  # pieces a big build cuts a backend in SPLIT_BY_SERVICE into
# Backends whose files for a set of services are exactly the union of their files for
# each service alone, so a big build may split them by service across the workers.
# tests/test_build_pipeline.py checks this property of each one listed.
SPLIT_BY_SERVICE = frozenset({"prometheus"})


class BuildError(Exception):
    """A problem that stops a build before it changes DIR (exit 1)."""


@dataclass(frozen=True, slots=True)
class Found:
    """One file the specs produce, compared with what DIR holds at its path.

    `disk` is missing, same, differs, not-a-file (a directory or symlink) or
    blocked (a file stands where a parent directory must go: `blocker`).
    """

    path: str
    target: str
    sha256: str
    disk: str
    disk_sha256: str | None = None
    blocker: str | None = None
    temporary: str | None = None  # the new bytes, staged beside the path (builds only)


@dataclass(slots=True)
class Survey:
    """What one target produces, and the directories made to stage it."""

    found: list[Found] = field(default_factory=list)
    made: list[Path] = field(default_factory=list)


def render_target(program, target: str) -> dict[str, str]:
    """One backend's files, through the front end's `render`; a backend fault is a BuildError."""
    from .compile import render

    try:
        return render(program, (target,))
    except Exception as error:  # a bug in a backend: report it, keep DIR as it was
        raise BuildError(
            f"internal error in the {target} backend: {type(error).__name__}: {error}; nothing was written"
        ) from None


def survey_target(program, target: str, out: Path, stage: bool) -> Survey:
    """Render one target and compare each file with DIR, staging the changed ones when `stage`."""
    files = render_target(program, target)
    result = Survey()
    try:
        for path in sorted(files):
            check_relative(path, f"the {target} backend")
            # Pop as we go: only one target's text is ever held, and less of it as files are staged.
            data = files.pop(path).encode("utf-8")
            result.found.append(_compare(out, path, target, data, result.made if stage else None))
    except BaseException as error:
        atomic.discard(found.temporary for found in result.found if found.temporary)
        atomic.remove_directories(result.made)
        # Another worker may still fill a directory made here: the parent tries again at the end.
        error.made_directories = result.made  # type: ignore[attr-defined]
        raise
    return result


def _compare(out: Path, path: str, target: str, data: bytes, made: list[Path] | None) -> Found:
    sha = hashlib.sha256(data).hexdigest()
    blocker = _blocking_ancestor(out, path)
    if blocker:
        return Found(path, target, sha, "blocked", blocker=blocker)
    where = out / path
    if where.is_symlink() or where.is_dir():
        return Found(path, target, sha, "not-a-file")
    current = read_bytes(where)
    if current == data:
        return Found(path, target, sha, "same")
    temporary = None
    if made is not None:
        made.extend(atomic.make_parents(where.parent))
        temporary = atomic.temporary_beside(where, data)
    if current is None:
        return Found(path, target, sha, "missing", temporary=temporary)
    return Found(path, target, sha, "differs", hashlib.sha256(current).hexdigest(), temporary=temporary)


_FORKED_PROGRAM = None  # the program, inherited by forked workers instead of pickled

Unit = tuple[str, int, int]  # (target, chunk, chunks): a target for every chunks-th service from chunk


def _services_chunk(program, chunk: int, chunks: int):
    if chunks == 1:
        return program
    return dataclasses.replace(program, services=program.services[chunk::chunks])


def _survey_in_worker(unit: Unit, out: Path, stage: bool) -> Survey:
    target, chunk, chunks = unit
    return survey_target(_services_chunk(_FORKED_PROGRAM, chunk, chunks), target, out, stage)


def survey(program, targets: tuple[str, ...], out: Path, stage: bool, slo_count: int) -> list[Survey]:
    """Every target's survey, in TARGETS order; on any failure, nothing staged is left behind."""
    parallel = slo_count >= PARALLEL_MIN_SLOS and WORKERS > 1 and _can_fork()
    # Big builds split the heaviest backend by service: both workers stay busy to the
    # end, and the progress bar moves more than once per target.
    chunks = min(CHUNKS, len(program.services)) if parallel or slo_count > PROGRESS_MIN_SLOS else 1
    units: list[Unit] = [
        (target, chunk, chunks if target in SPLIT_BY_SERVICE else 1)
        for target in targets
        for chunk in range(chunks if target in SPLIT_BY_SERVICE else 1)
    ]
    surveys: dict[Unit, Survey] = {}
    try:
        with progress(f"Building {slo_count} SLOs", len(units), slo_count) as bar:
            if parallel:
                _survey_parallel(program, units, out, stage, surveys, bar)
            else:
                for target, chunk, parts in units:
                    surveys[target, chunk, parts] = survey_target(_services_chunk(program, chunk, parts), target, out, stage)
                    bar.update(1)
        ordered = [surveys[unit] for unit in units]  # units are in TARGETS order
        seen: dict[str, str] = {}
        for found in (found for one in ordered for found in one.found):
            if found.path in seen:
                raise BuildError(f"internal error: {found.path} is produced twice ({seen[found.path]}, {found.target})")
            seen[found.path] = found.target
    except BaseException as error:
        # All at once, deepest directory first: workers share the directories they make.
        staged = [found.temporary for one in surveys.values() for found in one.found if found.temporary]
        made = [path for one in surveys.values() for path in one.made] + getattr(error, "made_directories", [])
        atomic.discard(staged)
        atomic.remove_directories(made)
        raise
    return ordered


def _survey_parallel(program, units: list[Unit], out: Path, stage: bool, surveys: dict[Unit, Survey], bar) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _FORKED_PROGRAM
    _FORKED_PROGRAM = program
    failure: BaseException | None = None
    leftovers: list[Path] = []
    # Keep the collector in the workers off the inherited objects: walking them would
    # copy every page of the program into each worker.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
            # Whole targets first, the many small chunks after: they fill in around the
            # long ones, so both workers finish at about the same time.
            ordered = sorted(units, key=lambda unit: unit[2] > 1)
            futures = {pool.submit(_survey_in_worker, unit, out, stage): unit for unit in ordered}
            for future in as_completed(futures):
                try:
                    surveys[futures[future]] = future.result()
                except BaseException as error:  # wait for the others, so their staged files can go too
                    failure = failure or error
                    leftovers.extend(getattr(error, "made_directories", []))
                bar.update(1)
    finally:
        gc.unfreeze()
        _FORKED_PROGRAM = None
    if failure:
        failure.made_directories = leftovers  # type: ignore[attr-defined]
        raise failure


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def progress(label: str, length: int, slo_count: int) -> Iterator:
    """click's progress bar on a terminal for big builds; a silent stand-in otherwise."""
    if slo_count > PROGRESS_MIN_SLOS and stderr_is_terminal():
        with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield _NoBar()


class _NoBar:
    def update(self, steps: int) -> None:
        pass


def stderr_is_terminal() -> bool:
    """Whether a person is watching stderr (tests patch this)."""
    return sys.stderr.isatty()


def check_relative(path: str, origin: str) -> None:
    """Refuse a path that could land outside DIR or on the manifest."""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or path == MANIFEST
    ):
        raise BuildError(f"{origin} names the path {path!r}, which is not a plain relative path inside DIR")


def _blocking_ancestor(out: Path, path: str) -> str | None:
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        ancestor = "/".join(parts[:depth])
        where = out / ancestor
        if where.exists() and not where.is_dir():
            return ancestor
    return None


def read_bytes(where: Path) -> bytes | None:
    """A file's bytes, or None when there is no file there."""
    try:
        return where.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        return None
