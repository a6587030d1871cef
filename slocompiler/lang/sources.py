"""Finding and reading `.slo` files: every way bad bytes can arrive becomes a diagnostic."""

from __future__ import annotations

import os
import re
import stat

from ..core.errors import Diagnostic, InputError, UsageError

MAX_BYTES = 4 * 1024 * 1024  # specs are small; a bigger file is a mistake, not a spec
_LONE_CR = re.compile(r"\r(?!\n)")


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
    def refuse(error: OSError) -> None:
        # A folder that cannot be listed would silently drop its services (and a
        # build would then delete their outputs): stop instead.
        raise InputError(f"cannot read the folder {error.filename}: {error.strerror or error}")

    for folder, folders, names in os.walk(root, onerror=refuse):  # symlinked folders are not entered
        for name in names:
            # Every .slo name, whatever it is: read() refuses a FIFO or a device by name
            # rather than this walk skipping it.
            if name.endswith(".slo") and not os.path.isdir(os.path.join(folder, name)):
                yield os.path.join(folder, name)


class NotARegularFile(OSError):
    """A FIFO, a device or a socket where a spec file should be."""


class TooLarge(OSError):
    """A file above MAX_BYTES."""


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def read_regular(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; raises OSError (NotARegularFile, TooLarge) otherwise.

    Opened non-blocking and checked with fstat before any read: a FIFO never
    hangs the reader, /dev/zero never fills memory.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise NotARegularFile(0, f"it is {kind}, not a regular file", path)
        if info.st_size > MAX_BYTES:
            raise TooLarge(0, f"file is too large ({info.st_size / 1_048_576:.1f} MiB); a .slo file may be at most 4 MiB", path)
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # grew since fstat
        raise TooLarge(0, "file is too large; a .slo file may be at most 4 MiB", path)
    return data


def read(path: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of a spec, or a located reason it cannot be read."""
    from ..core.errors import Span

    start = Span(path, 1, 1)
    try:
        data = read_regular(path)
    except TooLarge as error:
        return None, [Diagnostic(start, error.strerror)]
    except NotARegularFile as error:
        return None, [Diagnostic(start, f"cannot read this file: {error.strerror}")]
    except OSError as error:
        return None, [Diagnostic(start, f"cannot read this file: {error.strerror or error}")]
    nul = data.find(b"\0")
    if nul >= 0:
        return None, [Diagnostic(_span_at(path, data, nul), "file contains a NUL byte; .slo files are UTF-8 text")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [Diagnostic(_span_at(path, data, error.start), "file is not valid UTF-8")]
    # A lone CR ends a line as LF and CRLF do (old Mac files): without this a `#`
    # comment would run to the end of the file. CRLF stays for `slo fmt` to keep.
    return _LONE_CR.sub("\n", text.removeprefix("\ufeff")), []


def _span_at(path: str, data: bytes, offset: int):
    from ..core.errors import Span

    # Lines end as read() ends them: LF, CRLF or a lone CR.
    before = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    return Span(path, line, column)
