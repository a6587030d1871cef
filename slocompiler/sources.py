"""Finding and reading `.slo` files: every way bad bytes can arrive becomes a diagnostic."""

from __future__ import annotations

import os

from .errors import Diagnostic, InputError, UsageError

MAX_BYTES = 4 * 1024 * 1024  # specs are small; a bigger file is a mistake, not a spec


def discover(paths: list[str]) -> tuple[list[str], list[str]]:
    """(input files in a stable order, root directories imports may not leave)."""
    files: list[str] = []
    roots: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(_slo_files(path))
            if not found:
                raise InputError(f"no .slo files under {path}")
            files.extend(os.path.normpath(f) for f in found)
            roots.append(path)
        elif os.path.exists(path):
            files.append(os.path.normpath(path))
            roots.append(os.path.dirname(path) or ".")
        else:
            raise UsageError(f"no such file or directory: {path}")
    return list(dict.fromkeys(files)), roots


def _slo_files(root: str):
    for folder, _, names in os.walk(root):  # symlinked folders are not entered
        for name in names:
            if name.endswith(".slo") and os.path.isfile(os.path.join(folder, name)):
                yield os.path.join(folder, name)


def read(path: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of a spec, or a located reason it cannot be read."""
    from .ir import Span

    start = Span(path, 1, 1)
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            return None, [Diagnostic(start, f"file is too large ({size / 1_048_576:.1f} MiB); a .slo file may be at most 4 MiB")]
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return None, [Diagnostic(start, f"cannot read this file: {error.strerror or error}")]
    nul = data.find(b"\0")
    if nul >= 0:
        return None, [Diagnostic(_span_at(path, data, nul), "file contains a NUL byte; .slo files are UTF-8 text")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [Diagnostic(_span_at(path, data, error.start), "file is not valid UTF-8")]
    return text.removeprefix("\ufeff"), []


def _span_at(path: str, data: bytes, offset: int):
    from .ir import Span

    before = data[:offset]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return Span(path, line, column)
