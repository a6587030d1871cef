"""Writing outputs: the manifest of owned files, atomic writes, `--check`.

The manifest (`DIR/.slocompiler-manifest.json`) lists the files earlier
builds wrote, with their sha256: those, and only those, a build may
overwrite or delete. `survey.py` renders and compares; this module decides
(`make_plan`) and then reports (`--check`) or applies the plan. Staged files
are renamed into place only when every target rendered and no foreign file
stands in the way; otherwise they are discarded and DIR stays as it was.
Every change to DIR goes through `outdir.OutDir`, which follows no link.

The build takes a loaded program and returns what it did (`Outcome`) or
raises BuildError; the CLI prints. See docs/BUILD.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..core.errors import UsageError
from . import outdir
from .outdir import OutDir
from .survey import MANIFEST, BuildError, Progress, Survey, check_relative, survey

__all__ = ["MANIFEST", "BuildError", "Conflicts", "Outcome", "Plan", "make_plan", "read_manifest", "run_build"]

MANIFEST_VERSION = 1
LEFTOVER = "leftover: a temporary file of an interrupted build; `slo build` removes it"


class Conflicts(BuildError):
    """Files stand in the way; nothing was written. `conflicts` is [(path in DIR, reason)]."""

    def __init__(self, conflicts: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(conflicts)} file(s) in the way")
        self.conflicts = conflicts


@dataclass(slots=True)
class Outcome:
    """What a build did, or what `--check` found; paths are relative to DIR."""

    written: int = 0
    removed: int = 0
    unchanged: int = 0
    swept: int = 0  # temporary files of an interrupted build, removed
    edited: list[tuple[str, str]] = field(default_factory=list)  # (path, "overwritten" or "removed")
    differences: list[tuple[str, str]] = field(default_factory=list)  # --check: (path, reason), sorted
    files: int = 0  # files the manifest lists after the build

    @property
    def exit_code(self) -> int:
        return 1 if self.differences else 0


@dataclass(slots=True)
class Plan:
    """What a build would do to DIR; `--check` prints it, a build applies it."""

    writes: dict[str, tuple[str | None, str]] = field(default_factory=dict)  # path -> (staged file, reason)
    deletes: dict[str, str] = field(default_factory=dict)  # path -> reason
    conflicts: dict[str, str] = field(default_factory=dict)  # path -> reason
    edited: list[str] = field(default_factory=list)  # owned files changed by hand
    unchanged: int = 0
    owned: dict[str, dict[str, str]] = field(default_factory=dict)  # the manifest before the build
    manifest: dict[str, dict[str, str]] = field(default_factory=dict)  # the manifest after the build
    manifest_current: bool = True  # the manifest on disk already says exactly this
    staged: list[str] = field(default_factory=list)  # every temporary file, used or not
    made: list[str] = field(default_factory=list)  # every directory made for staging

    def discard(self, out: OutDir) -> None:
        """Remove whatever staging left behind."""
        out.discard(self.staged)
        out.remove_directories(self.made)


def run_build(
    program,
    out_dir: str,
    targets: tuple[str, ...],
    check_only: bool,
    progress: Progress | None = None,
    waiting: Callable[[], None] = lambda: None,
) -> Outcome:
    """Compile a loaded program into out_dir, or with check_only compare; raises BuildError.

    One build at a time per DIR: `waiting()` is called if another holds DIR's lock.
    """
    out = OutDir(out_dir)
    slo_count = sum(len(service.slos) for service in program.services)
    if check_only:
        try:
            if not os.path.isdir(out_dir):
                return _check(out, program, targets, slo_count, progress)
            with outdir.locked(out_dir, shared=True, waiting=waiting):
                return _check(out, program, targets, slo_count, progress)
        except OSError as error:
            raise BuildError(f"cannot read {_where(out, error)}: {error.strerror or error}") from None
    made_root = _make_root(Path(out_dir))
    try:
        try:
            with outdir.locked(out_dir, shared=False, waiting=waiting):
                return _build(out, program, targets, slo_count, progress)
        except OSError as error:  # what the steps below did not already explain
            raise BuildError(f"cannot write {_where(out, error)}: {error.strerror or error}") from None
    except BaseException:
        for directory in reversed(made_root):  # a failed build of a new DIR leaves no trace
            try:
                directory.rmdir()
            except OSError:
                break
        raise


def _make_root(out: Path) -> list[Path]:
    """mkdir -p DIR, returning the directories it made, outermost first."""
    missing = []
    while not os.path.isdir(out):
        missing.append(out)
        out = out.parent
    made = []
    try:
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            made.append(directory)
    except OSError as error:
        raise BuildError(f"cannot write {error.filename or out}: {error.strerror or error}; nothing was written") from None
    return made


def _check(out: OutDir, program, targets, slo_count: int, progress) -> Outcome:
    owned = read_manifest(out)
    surveys = _survey(out, program, targets, False, slo_count, progress)
    plan = make_plan(out, surveys, owned, targets)
    lines = [(path, reason) for path, (_, reason) in plan.writes.items()]
    lines += list(plan.deletes.items())
    lines += [(path, f"conflict: {reason}") for path, reason in plan.conflicts.items()]
    lines += [(path, LEFTOVER) for path in out.leftovers()]
    if not lines and not plan.manifest_current:
        lines.append((MANIFEST, "stale: the manifest does not list exactly the generated files"))
    return Outcome(differences=sorted(lines), files=len(plan.manifest))


def _build(out: OutDir, program, targets, slo_count: int, progress) -> Outcome:
    # Under the lock, any temporary file in DIR is from a build that was killed.
    swept = out.leftovers()
    out.discard(swept)
    owned = read_manifest(out)
    surveys = _survey(out, program, targets, True, slo_count, progress)
    try:
        plan = make_plan(out, surveys, owned, targets)
        outcome = apply_plan(out, plan)
    except BaseException:
        # Ctrl-C may land anywhere after the survey: whatever is still staged goes.
        Plan(staged=[f.temporary for one in surveys for f in one.found if f.temporary],
             made=[path for one in surveys for path in one.made]).discard(out)
        raise
    outcome.swept = len(swept)
    return outcome


def _survey(out: OutDir, program, targets, stage: bool, slo_count: int, progress) -> list[Survey]:
    try:
        return survey(program, targets, out, stage, slo_count, progress)
    except OSError as error:
        raise BuildError(f"cannot write {_where(out, error)}: {error.strerror or error}; nothing was written") from None


def _where(out: OutDir, error: OSError) -> str:
    name = getattr(error, "relative", None)
    return shown(out.root, name) if name else shown(out.root)


def resolve_targets(raw: Iterable[str]) -> tuple[str, ...]:
    """`--target a,b --target c` to target names in TARGETS order; unknown ones are a UsageError."""
    from ..emit import DEFAULT_TARGETS, TARGETS

    wanted = [name.strip() for item in raw for name in item.split(",")]
    if not wanted:
        return tuple(name for name in TARGETS if name in DEFAULT_TARGETS)
    unknown = sorted({name for name in wanted if name not in TARGETS})
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise UsageError(f"unknown target {listed}; valid targets: {', '.join(sorted(TARGETS))}")
    # TARGETS order, not the command line's, so the same set always builds the same way.
    return tuple(name for name in TARGETS if name in wanted)


def shown(root: str, relative: str | None = None) -> str:
    """DIR/relative as the user gave DIR, with forward slashes: never absolute unless they asked."""
    where = Path(root) / relative if relative else Path(root)
    return where.as_posix()


# --- the manifest and the plan -----------------------------------------------


def read_manifest(out: OutDir) -> dict[str, dict[str, str]]:
    """The files an earlier build wrote: {path: {"sha256", "target"}}; empty when there is none."""
    where = shown(out.root, MANIFEST)
    kind = out.kind(MANIFEST)
    if kind == "missing":
        return {}
    if kind != "file":
        raise BuildError(f"{where} is not a regular file (a {kind}); a build reads no manifest through a link")
    try:
        data = out.read(MANIFEST)
    except OSError as error:
        raise BuildError(f"cannot read {where}: {error.strerror}") from None
    try:
        document = json.loads((data or b"").decode("utf-8"))
        files = document["files"]
        if document.get("version") != MANIFEST_VERSION or not isinstance(files, dict):
            raise ValueError
        entries = {path: {"sha256": str(e["sha256"]), "target": str(e["target"])} for path, e in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError):  # UnicodeDecodeError is a ValueError
        raise BuildError(f"{where} is not a slocompiler manifest; restore it from version control or delete it") from None
    for path in entries:
        check_relative(path, where)
    return entries


def manifest_text(entries: dict[str, dict[str, str]]) -> str:
    """The manifest file: sorted keys, no timestamps, so it is as deterministic as the outputs."""
    document = {
        "generator": "slocompiler",
        "comment": "files written by `slo build`; a build only overwrites or deletes the files listed here",
        "version": MANIFEST_VERSION,
        "files": {path: entries[path] for path in sorted(entries)},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_LINK_IN_THE_WAY = "a symbolic link stands where the build needs a directory; a build writes nothing through a link"


def make_plan(out: OutDir, surveys: list[Survey], owned: dict[str, dict[str, str]], targets: tuple[str, ...]) -> Plan:
    """Decide every write and delete from the surveys and the manifest; conflicts are refused later."""
    plan = Plan(owned=owned)
    found_all = [found for one in surveys for found in one.found]
    produced = {found.path for found in found_all}
    plan.made = [directory for one in surveys for directory in one.made]
    plan.staged = [found.temporary for found in found_all if found.temporary]
    # Files of targets this build does not cover stay as they are, and stay owned.
    plan.manifest = {p: e for p, e in owned.items() if e["target"] not in targets and p not in produced}
    for found in found_all:
        path = found.path
        plan.manifest[path] = {"sha256": found.sha256, "target": found.target}
        if found.disk == "blocked":
            link = found.blocked_by == "a symbolic link"
            plan.conflicts[found.blocker] = _LINK_IN_THE_WAY if link else "a file stands where the build needs a directory"
        elif found.disk == "not-a-file":
            plan.conflicts[path] = "not a regular file written by slocompiler; a build will not replace it"
        elif found.disk == "same":
            plan.unchanged += 1  # also adopts an identical file the manifest lost: nothing is overwritten
        elif found.disk == "missing":
            plan.writes[path] = (found.temporary, "missing: the specs produce it")
        elif path in owned:
            edited = found.disk_sha256 != owned[path]["sha256"]
            if edited:
                plan.edited.append(path)
            reason = "edited by hand since slocompiler wrote it" if edited else "differs from what the specs produce"
            plan.writes[path] = (found.temporary, f"stale: {reason}")
        else:
            plan.conflicts[path] = "exists and was not written by slocompiler (not in the manifest)"
    for path, entry in owned.items():
        if entry["target"] not in targets or path in produced:
            continue
        blocked = out.blocker(path)
        if blocked and blocked[1] == "a symbolic link":
            # What the manifest names behind a link is not ours, whatever the manifest says.
            plan.conflicts[blocked[0]] = _LINK_IN_THE_WAY
            continue
        if blocked or out.kind(path) != "file":
            continue  # gone already, or replaced by something that is not ours: forget it, touch nothing
        if hashlib.sha256(out.read(path) or b"").hexdigest() != entry["sha256"]:
            plan.edited.append(path)
        plan.deletes[path] = "extra: an earlier build wrote it, no spec produces it now"
    plan.manifest_current = out.read(MANIFEST) == manifest_text(plan.manifest).encode("utf-8")
    plan.edited.sort()
    return plan


# --- writing -------------------------------------------------------------------


def apply_plan(out: OutDir, plan: Plan) -> Outcome:
    """Put the staged files in place; refuse the whole plan if any file is in the way."""
    if plan.conflicts:
        plan.discard(out)
        raise Conflicts(sorted(plan.conflicts.items()))
    staged = [(temporary, path) for path, (temporary, _) in sorted(plan.writes.items()) if temporary]
    try:
        if staged:
            outdir.sync()
        new = [path for path in plan.writes if path not in plan.owned]
        if new:
            # List new files as ours before they exist: a crash mid-build must not leave
            # files the next build would take for foreign ones.
            interim = dict(plan.owned)
            interim.update({path: plan.manifest[path] for path in new})
            out.write(MANIFEST, manifest_text(interim).encode("utf-8"))
        out.commit(staged)
        for path in sorted(plan.deletes):
            out.unlink(path)
            out.remove_empty_parents(path)
        if plan.writes or plan.deletes or not plan.manifest_current:
            out.write(MANIFEST, manifest_text(plan.manifest).encode("utf-8"))
    except BaseException as error:  # an OSError, or Ctrl-C during the sync or the renames
        plan.discard(out)
        if isinstance(error, OSError):
            raise BuildError(f"cannot write {_where(out, error)}: {error.strerror or error}") from None
        raise
    edited = [(path, "removed" if path in plan.deletes else "overwritten") for path in plan.edited]
    return Outcome(len(plan.writes), len(plan.deletes), plan.unchanged, edited=edited, files=len(plan.manifest))
