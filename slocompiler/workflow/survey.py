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
from pathlib import PurePosixPath
from typing import Callable, ContextManager

from .outdir import OutDir, is_temporary

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
    blocked (a file or a symbolic link stands where a parent directory must
    go: `blocker`, and what it is: `blocked_by`).
    """

    path: str
    target: str
    sha256: str
    disk: str
    disk_sha256: str | None = None
    blocker: str | None = None
    blocked_by: str | None = None
    temporary: str | None = None  # the new bytes, staged beside the path (builds only)


@dataclass(slots=True)
class Survey:
    """What one target produces, and the directories made to stage it."""

    found: list[Found] = field(default_factory=list)
    made: list[str] = field(default_factory=list)  # relative to DIR


def render_target(program, target: str) -> dict[str, str]:
    """One backend's files, through the front end's `render`; a backend fault is a BuildError."""
    from .compile import render

    try:
        return render(program, (target,))
    except Exception as error:  # a bug in a backend: report it, keep DIR as it was
        raise BuildError(
            f"internal error in the {target} backend: {type(error).__name__}: {error}; nothing was written"
        ) from None


def survey_target(program, target: str, out: OutDir, stage: bool) -> Survey:
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
        out.discard(found.temporary for found in result.found if found.temporary)
        out.remove_directories(result.made)
        # Another worker may still fill a directory made here: the parent tries again at the end.
        error.made_directories = result.made  # type: ignore[attr-defined]
        raise
    return result


def _compare(out: OutDir, path: str, target: str, data: bytes, made: list[str] | None) -> Found:
    sha = hashlib.sha256(data).hexdigest()
    blocked = out.blocker(path)
    if blocked:
        return Found(path, target, sha, "blocked", blocker=blocked[0], blocked_by=blocked[1])
    if out.kind(path) not in ("missing", "file"):
        return Found(path, target, sha, "not-a-file")
    current = out.read(path)
    if current == data:
        return Found(path, target, sha, "same")
    temporary = None
    if made is not None:
        temporary = out.stage(path, data, made)
    if current is None:
        return Found(path, target, sha, "missing", temporary=temporary)
    return Found(path, target, sha, "differs", hashlib.sha256(current).hexdigest(), temporary=temporary)


_FORKED_PROGRAM = None  # the program, inherited by forked workers instead of pickled

Unit = tuple[str, int, int]  # (target, chunk, chunks): a target for every chunks-th service from chunk


def _services_chunk(program, chunk: int, chunks: int):
    if chunks == 1:
        return program
    return dataclasses.replace(program, services=program.services[chunk::chunks])


def _survey_in_worker(unit: Unit, out: OutDir, stage: bool) -> Survey:
    target, chunk, chunks = unit
    return survey_target(_services_chunk(_FORKED_PROGRAM, chunk, chunks), target, out, stage)


Progress = Callable[[str, int], ContextManager]  # (label, steps) -> a bar with update(steps)


def survey(program, targets: tuple[str, ...], out: OutDir, stage: bool, slo_count: int, progress: Progress | None = None) -> list[Survey]:
    """Every target's survey, in TARGETS order; on any failure, nothing staged is left behind.

    `progress` draws a bar for builds of more than PROGRESS_MIN_SLOS SLOs (the CLI's; none by default).
    """
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
        bar_for = progress if progress and slo_count > PROGRESS_MIN_SLOS else _no_bar
        with bar_for(f"Building {slo_count} SLOs", len(units)) as bar:
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
        out.discard(staged)
        out.remove_directories(made)
        if parallel and stage:  # a worker killed mid-target leaves files no record names
            out.discard(found for found in out.leftovers())
        raise
    return ordered


def _survey_parallel(program, units: list[Unit], out: OutDir, stage: bool, surveys: dict[Unit, Survey], bar) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _FORKED_PROGRAM
    _FORKED_PROGRAM = program
    failure: BaseException | None = None
    leftovers: list[str] = []
    # Keep the collector in the workers off the inherited objects: walking them would
    # copy every page of the program into each worker.
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_die_with_parent, initargs=(os.getpid(),))
        try:
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
        except BaseException:
            # Interrupted here (Ctrl-C, SIGTERM): stop the workers now rather than let them
            # finish their targets; survey() then removes what they staged.
            _kill_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        gc.unfreeze()
        _FORKED_PROGRAM = None
    if failure:
        failure.made_directories = leftovers  # type: ignore[attr-defined]
        raise failure


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a worker must not outlive the build that forked it.

    Linux: PR_SET_PDEATHSIG has the kernel SIGKILL the worker the moment its
    parent dies, however it dies (kill -9 included), with no polling. Elsewhere
    there is no such call; a worker there finishes its unit and then finds its
    queue gone. Workers ignore SIGINT: Ctrl-C reaches the whole process group,
    and the parent alone decides what to clean up.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler, inherited through fork
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _kill_workers(pool) -> None:
    # The pool has no public way to stop a running task: its process table is the one handle.
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def _no_bar(label: str, length: int):
    yield _NoBar()


class _NoBar:
    def update(self, steps: int) -> None:
        pass


def check_relative(path: str, origin: str) -> None:
    """Refuse a path that could land outside DIR or on the manifest."""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or path == MANIFEST
        or is_temporary(pure.name)
    ):
        raise BuildError(f"{origin} names the path {path!r}, which is not a plain relative path inside DIR")
