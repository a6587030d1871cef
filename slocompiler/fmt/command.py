"""`slo fmt`: find the specs, format each (format.py), and write them atomically, or show what would change."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

from ..core.errors import InputError, SloError, UsageError, render_text
from ..lang.sources import discover
from ..lang.sources import read as read_spec
from .format import UnsafeFormat, format_text


def find_specs(paths: tuple[str, ...] | list[str]) -> tuple[list[Path], list[str]]:
    """The files `slo check` would read for these paths, plus the paths that do not exist.

    Raises InputError, as `check` does, for a directory without .slo files or one that cannot be read.
    """
    from ..lang.project import find

    found: dict[str, None] = {}
    missing = []
    for name in paths or find(()).default_specs():
        if not os.path.exists(name):
            missing.append(name)
            continue
        files, _ = discover([name])
        found.update(dict.fromkeys(files))
    return [Path(name) for name in found], missing


def write_atomically(path: Path, data: bytes) -> None:
    """A temporary file in the same directory, then a rename: readers see the old or the new file.

    The file keeps its mode; a new one gets the mode any new file gets
    (0644 under the usual umask), not the temporary file's private 0600.
    """
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # reading it means setting it: put it back at once
    os.umask(mask)
    return mask


def run_fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> int:
    """The `slo fmt` command: 0 done (or nothing to change), 1 a file would change or does not parse, 2 bad paths."""
    try:
        files, missing = find_specs(paths)
    except (InputError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1 if isinstance(error, InputError) else 2
    for name in missing:
        print(f"error: no such file or directory: {name}", file=sys.stderr)
    if missing:
        return 2
    changed: list[Path] = []
    failed = 0
    for path in files:
        original, problems = read_spec(str(path))  # the checker's reader: same BOM, NUL, size rules
        if original is None:
            for diagnostic in problems:
                print(render_text(diagnostic, {}), file=sys.stderr)
            failed += 1
            continue
        try:
            formatted = format_text(original, str(path))
        except SloError as error:
            for diagnostic in error.diagnostics:
                print(render_text(diagnostic, {str(path): original}), file=sys.stderr)
            print(f"error: cannot format {path}: it does not parse", file=sys.stderr)
            failed += 1
            continue
        except UnsafeFormat as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
            continue
        if formatted == original:
            continue
        changed.append(path)
        if show_diff:
            sys.stdout.write(_diff(original, formatted, path))
        if check_only:
            print(f"would reformat {path}", file=sys.stderr)
        elif not show_diff:
            try:
                # A linked spec: format the file behind the link and keep the link.
                write_atomically(Path(os.path.realpath(path)), formatted.encode("utf-8"))
            except OSError as error:
                print(f"error: cannot write {path}: {error}", file=sys.stderr)
                changed.pop()
                failed += 1
                continue
            print(f"reformatted {path}", file=sys.stderr)
    _summary(len(files), len(changed), failed, check_only or show_diff)
    return 1 if failed or (check_only and changed) else 0


def _diff(original: str, formatted: str, path: Path) -> str:
    lines = difflib.unified_diff(
        original.splitlines(keepends=True), formatted.splitlines(keepends=True), f"{path}", f"{path} (formatted)"
    )
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return text


def _summary(total: int, changed: int, failed: int, dry: bool) -> None:
    verb = "would be reformatted" if dry else "reformatted"
    parts = [f"{changed} file(s) {verb}", f"{total - changed - failed} file(s) already formatted"]
    if failed:
        parts.append(f"{failed} file(s) could not be formatted")
    print(", ".join(parts), file=sys.stderr)
