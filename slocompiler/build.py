"""Writing outputs: the manifest of owned files, atomic writes, `--check`.

The manifest (`DIR/.slocompiler-manifest.json`) lists the files earlier
builds wrote, with their sha256: those, and only those, a build may
overwrite or delete. `survey.py` renders and compares; this module decides
(`make_plan`) and then reports (`--check`) or applies the plan. Staged files
are renamed into place only when every target rendered and no foreign file
stands in the way; otherwise they are discarded and DIR stays as it was.
See docs/BUILD.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import click

from . import atomic
from .survey import MANIFEST, BuildError, Survey, check_relative, read_bytes, survey

__all__ = ["MANIFEST", "BuildError", "Plan", "make_plan", "read_manifest", "run_build"]

MANIFEST_VERSION = 1


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
    made: list[Path] = field(default_factory=list)  # every directory made for staging

    def discard(self) -> None:
        """Remove whatever staging left behind."""
        atomic.discard(self.staged)
        atomic.remove_directories(self.made)


def run_build(paths, out_dir, targets, check_only, output_format, strict) -> int:
    """`slo build`: compile specs into out_dir, or with check_only compare; returns the exit code."""
    from . import cli

    selected = resolve_targets(targets)
    program = cli.load_or_report(tuple(paths), output_format, strict)
    if program is None:
        return 1
    out = Path(out_dir)
    slo_count = sum(len(service.slos) for service in program.services)
    try:
        owned = read_manifest(out)
        surveys = survey(program, selected, out, not check_only, slo_count)
    except BuildError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    except OSError as error:
        click.echo(f"error: cannot write {error.filename or out}: {error.strerror or error}; nothing was written", err=True)
        return 1
    try:
        plan = make_plan(out, surveys, owned, selected)
    except BaseException:
        Plan(staged=[f.temporary for one in surveys for f in one.found if f.temporary],
             made=[path for one in surveys for path in one.made]).discard()
        raise
    if check_only:
        return report_check(out, plan, output_format)
    return apply_plan(out, plan)


def resolve_targets(raw: Iterable[str]) -> tuple[str, ...]:
    """`--target a,b --target c` to target names in TARGETS order; unknown ones are a usage error."""
    from .emit import DEFAULT_TARGETS, TARGETS

    wanted = [name.strip() for item in raw for name in item.split(",")]
    if not wanted:
        return tuple(name for name in TARGETS if name in DEFAULT_TARGETS)
    unknown = sorted({name for name in wanted if name not in TARGETS})
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise click.UsageError(f"unknown target {listed}; valid targets: {', '.join(sorted(TARGETS))}")
    # TARGETS order, not the command line's, so the same set always builds the same way.
    return tuple(name for name in TARGETS if name in wanted)


# --- the manifest and the plan -----------------------------------------------


def read_manifest(out: Path) -> dict[str, dict[str, str]]:
    """The files an earlier build wrote: {path: {"sha256", "target"}}; empty when there is none."""
    where = out / MANIFEST
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise BuildError(f"cannot read {where}: {error.strerror}") from None
    try:
        data = json.loads(text)
        files = data["files"]
        if data.get("version") != MANIFEST_VERSION or not isinstance(files, dict):
            raise ValueError
        entries = {path: {"sha256": str(e["sha256"]), "target": str(e["target"])} for path, e in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BuildError(f"{where} is not a slocompiler manifest; restore it from version control or delete it") from None
    for path in entries:
        check_relative(path, str(where))
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


def make_plan(out: Path, surveys: list[Survey], owned: dict[str, dict[str, str]], targets: tuple[str, ...]) -> Plan:
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
            plan.conflicts[found.blocker] = "a file stands where the build needs a directory"
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
        where = out / path
        if where.is_symlink() or not where.is_file():
            continue  # gone already, or replaced by something that is not ours: forget it, touch nothing
        if hashlib.sha256(read_bytes(where) or b"").hexdigest() != entry["sha256"]:
            plan.edited.append(path)
        plan.deletes[path] = "extra: an earlier build wrote it, no spec produces it now"
    plan.manifest_current = read_bytes(out / MANIFEST) == manifest_text(plan.manifest).encode("utf-8")
    plan.edited.sort()
    return plan


# --- --check -------------------------------------------------------------------


def report_check(out: Path, plan: Plan, output_format: str) -> int:
    """Print one line per file that differs; 1 when anything does, 0 when DIR is up to date."""
    lines = [(path, reason) for path, (_, reason) in plan.writes.items()]
    lines += list(plan.deletes.items())
    lines += [(path, f"conflict: {reason}") for path, reason in plan.conflicts.items()]
    if not lines and not plan.manifest_current:
        lines.append((MANIFEST, "stale: the manifest does not list exactly the generated files"))
    if not lines:
        click.echo(f"{_shown(out)}: up to date ({len(plan.manifest)} files)", err=True)
        return 0
    for path, reason in sorted(lines):
        shown = _shown(out / path)
        if output_format == "github":
            click.echo(f"::error file={shown}::{reason}")
        else:
            # json keeps stdout for the diagnostics document
            click.echo(f"{shown}: {reason}", err=output_format == "json")
    click.echo(f"{len(lines)} file(s) out of date in {_shown(out)}; run `slo build` to update", err=True)
    return 1


def _shown(where: Path) -> str:
    """A path as the user gave it, with forward slashes: never absolute unless they asked."""
    return where.as_posix()


# --- writing -------------------------------------------------------------------


def apply_plan(out: Path, plan: Plan) -> int:
    """Put the staged files in place; refuse the whole plan if any file is in the way."""
    if plan.conflicts:
        plan.discard()
        for path, reason in sorted(plan.conflicts.items()):
            click.echo(f"error: {_shown(out / path)}: {reason}; move it away or delete it", err=True)
        click.echo(f"nothing was written to {_shown(out)}", err=True)
        return 1
    staged = [(temporary, out / path) for path, (temporary, _) in sorted(plan.writes.items()) if temporary]
    try:
        if staged:
            atomic.sync()
        atomic.make_parents(out)
        new = [path for path in plan.writes if path not in plan.owned]
        if new:
            # List new files as ours before they exist: a crash mid-build must not leave
            # files the next build would take for foreign ones.
            interim = dict(plan.owned)
            interim.update({path: plan.manifest[path] for path in new})
            atomic.write(out / MANIFEST, manifest_text(interim).encode("utf-8"))
        atomic.commit(staged)
        for path in sorted(plan.deletes):
            (out / path).unlink(missing_ok=True)
            atomic.remove_empty_parents(out, path)
        if plan.writes or plan.deletes or not plan.manifest_current:
            atomic.write(out / MANIFEST, manifest_text(plan.manifest).encode("utf-8"))
    except OSError as error:
        plan.discard()
        click.echo(f"error: cannot write {error.filename or out}: {error.strerror or error}", err=True)
        return 1
    for path in plan.edited:
        action = "removed" if path in plan.deletes else "overwritten"
        click.echo(f"warning: {_shown(out / path)} was edited by hand since slocompiler wrote it; {action}", err=True)
    click.echo(
        f"{_shown(out)}: {len(plan.writes)} written, {len(plan.deletes)} removed, {plan.unchanged} unchanged",
        err=True,
    )
    return 0
