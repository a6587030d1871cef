"""What `slo import` reads and writes on disk: input files within the run's bounds, `<service>.slo` files.

Nothing here may hang or fill memory: inputs are read as `.slo` files are
(lang/sources.py: a FIFO or a device is refused before any read), and an
output path is looked at without following it into a FIFO or a directory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..core.errors import Diagnostic, SloError, Span
from . import yamlsrc
from .yamlsrc import Budget

KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
         (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str | None:
    """"a directory", "a FIFO"...; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def read_input(path: str, budget: Budget) -> str:
    """The text of one input file; SloError (located at 1:1, or at a bad byte) when it cannot be read or passes the bounds."""
    from ..lang.sources import MAX_BYTES, NotARegularFile, TooLarge, read_regular

    start = Span(path, 1, 1)

    def refuse(message: str) -> SloError:
        return SloError([Diagnostic(start, message)])

    try:
        kind = kind_of(os.stat(path).st_mode)
        if kind is not None:
            raise refuse(f"cannot read this file: it is {kind}, not a regular file")
        data = read_regular(path)  # checks again on the open file, which may have been swapped meanwhile
    except TooLarge:
        raise refuse(f"file is too large: slo import reads files of at most {MAX_BYTES // 1_048_576} MiB") from None
    except NotARegularFile as error:
        raise refuse(f"cannot read this file: {error.strerror}") from None
    except OSError as error:
        raise refuse(f"cannot read this file: {error.strerror or error}") from None
    budget.bytes -= len(data)
    if budget.bytes < 0:
        raise refuse(f"the inputs together pass {yamlsrc.MAX_INPUT_BYTES // 1_048_576} MiB, the most slo import "
                     "reads in one run; import the files in smaller batches")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8", "replace")
        where = Span(path, before.count("\n") + 1, len(before) - before.rfind("\n"))
        raise SloError([Diagnostic(where, "file is not valid UTF-8")]) from None


def write_outputs(texts: dict[str, str], out_dir: str) -> tuple[list[str], list[str], list[str]]:
    """One `<service>.slo` per service in out_dir: (paths written, paths already holding their text, problems).

    Everything in the way is found before anything is written, and then
    nothing is: a file that exists with other text (a hand-written spec of
    that name would be lost), a directory or a FIFO where a file would go,
    an out_dir that is no directory. A file that already holds the text is
    left as it is.
    """
    from ..fmt.command import write_atomically

    if not texts:
        return [], [], []
    keep = "; nothing was written (move it, or pick another -o)"
    try:
        kind = kind_of(os.stat(out_dir).st_mode) or "a regular file"
    except FileNotFoundError:
        kind = "a directory"  # to be
    except OSError as error:
        return [], [], [f"cannot use {out_dir}: {error.strerror or error}; nothing was written"]
    if kind != "a directory":
        return [], [], [f"{out_dir} is {kind}, not a directory{keep}"]
    paths = {name: os.path.join(out_dir, f"{name}.slo") for name in texts}
    changed, same, problems = [], [], []
    for name, path in paths.items():
        problem = _in_the_way(path, texts[name].encode("utf-8"))
        if problem == "same":
            same.append(path)
        elif problem:
            problems.append(f"{path} {problem}{keep}")
        else:
            changed.append(name)
    if problems:
        return [], [], problems
    written = []
    try:
        os.makedirs(out_dir, exist_ok=True)
        for name in changed:
            write_atomically(Path(paths[name]), texts[name].encode("utf-8"))
            written.append(paths[name])
    except OSError as error:
        done = f"; wrote only {', '.join(written)}" if written else "; nothing was written"
        return written, same, [f"cannot write {error.filename or out_dir}: {error.strerror or error}{done}"]
    return written, same, []


def _in_the_way(path: str, data: bytes) -> str | None:
    """Why `path` cannot take `data` ("same" when it holds it already), or None when it is free."""
    from ..lang.sources import read_regular

    try:
        kind = kind_of(os.stat(path).st_mode)
    except FileNotFoundError:
        return None  # also a dangling link, which the new file replaces
    except OSError as error:
        return f"cannot be written: {error.strerror or error}"
    if kind is not None:
        return f"is {kind}, not a file"
    try:
        existing = read_regular(path)
    except OSError:
        existing = None  # too large, or swapped for a FIFO meanwhile: not our text
    return "same" if existing == data else "exists with other text"

