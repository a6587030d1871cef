"""Every change a build makes to DIR, made so that it cannot land outside DIR.

Each operation opens DIR and then each directory below it with
`O_NOFOLLOW` through the previous one's descriptor (`dir_fd`), and names the
final file relative to its parent's descriptor. A symbolic link anywhere
below DIR, or one swapped in while the build runs, makes the operation fail
(ELOOP) instead of being followed: there is no moment between a check and a
write for a link to slip in, as there would be with resolve-and-compare.
DIR itself may be a link (the user named it); nothing below it may.
See docs/BUILD.md, "Symbolic links".

Writes are atomic: bytes go to a hidden temporary file beside their path,
then `os.replace` renames it over the path. Temporary files carry a name no
user file has (`.<name>.slocompiler-<random>.tmp`), so the files an
interrupted build left behind can be found and removed (`leftovers`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import PurePosixPath
from typing import Iterable, Iterator

from ..core import conventions

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_TEMPORARY = re.compile(r"\..+\.slocompiler-[0-9a-f]{%d}\.tmp" % conventions.STAGING_TOKEN_LENGTH)


class LinkInTheWay(OSError):
    """A symbolic link (or a file) stands where DIR must have a directory or a file of ours."""

    def __init__(self, relative: str, what: str) -> None:
        super().__init__(errno.ELOOP, what, relative)
        self.relative = relative


def temporary_name(name: str) -> str:
    """The hidden name a file is staged under before it is renamed into place."""
    return conventions.staged_name(name, secrets.token_hex(conventions.STAGING_TOKEN_LENGTH // 2))


def is_temporary(name: str) -> bool:
    """Whether a file name is one `temporary_name` gives."""
    return bool(_TEMPORARY.fullmatch(name))


def sync() -> None:
    """Flush every staged file to disk at once (some 20x faster than an fsync each)."""
    os.sync()


class OutDir:
    """DIR, and the operations a build makes in it, all on paths relative to it ("a/b.yml")."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = os.fspath(root)

    # --- descriptors ----------------------------------------------------------

    def _open_root(self) -> int:
        return os.open(self.root, _DIRECTORY)

    def _open_below(self, parent: int, name: str, relative: str) -> int:
        try:
            return os.open(name, _DIRECTORY | _NOFOLLOW, dir_fd=parent)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                kind = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
                what = "a symbolic link" if stat.S_ISLNK(kind) else "not a directory"
                raise LinkInTheWay(relative, what) from None
            raise

    @contextlib.contextmanager
    def directory(self, relative: str, made: list[str] | None = None) -> Iterator[int]:
        """A descriptor of DIR/relative (DIR itself for ""), reached without following a link.

        With `made`, missing directories are created and appended to it.
        """
        fd = self._open_root()
        try:
            walked = []
            for name in PurePosixPath(relative).parts:
                walked.append(name)
                here = "/".join(walked)
                try:
                    inner = self._open_below(fd, name, here)
                except FileNotFoundError:
                    if made is None:
                        raise
                    try:
                        os.mkdir(name, 0o777, dir_fd=fd)
                        made.append(here)
                    except FileExistsError:  # another worker made it first; not ours to remove
                        pass
                    inner = self._open_below(fd, name, here)
                os.close(fd)
                fd = inner
            yield fd
        finally:
            os.close(fd)

    def _parent(self, relative: str, made: list[str] | None = None):
        path = PurePosixPath(relative)
        parent = "" if str(path.parent) == "." else str(path.parent)
        return self.directory(parent, made), path.name

    # --- looking --------------------------------------------------------------

    def kind(self, relative: str) -> str:
        """missing, file, directory, link or other, for the entry itself (a link is not followed).

        A missing or blocked parent makes it `missing`; `blocker` names that case.
        """
        opened, name = self._parent(relative)
        try:
            with opened as fd:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        except (FileNotFoundError, NotADirectoryError, LinkInTheWay):
            return "missing"
        if stat.S_ISLNK(mode):
            return "link"
        if stat.S_ISDIR(mode):
            return "directory"
        return "file" if stat.S_ISREG(mode) else "other"

    def blocker(self, relative: str) -> tuple[str, str] | None:
        """The first directory on the way to `relative` that is a link or a file: (its path, what it is)."""
        parts = PurePosixPath(relative).parts[:-1]
        for depth in range(1, len(parts) + 1):
            ancestor = "/".join(parts[:depth])
            found = self.kind(ancestor)
            if found == "missing":
                return None
            if found == "link":
                return ancestor, "a symbolic link"
            if found != "directory":
                return ancestor, "a file"
        return None

    def read(self, relative: str) -> bytes | None:
        """The bytes of a regular file, or None when there is none there (a link is not followed)."""
        opened, name = self._parent(relative)
        try:
            with opened as parent:
                fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC | _NOFOLLOW | _NONBLOCK, dir_fd=parent)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, LinkInTheWay):
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                return None
            raise
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return file.read()

    # --- writing --------------------------------------------------------------

    def stage(self, relative: str, data: bytes, made: list[str] | None = None, durable: bool = False) -> str:
        """Write `data` to a new hidden file beside `relative`; returns its relative path."""
        opened, name = self._parent(relative, made)
        with opened as parent:
            temporary = temporary_name(name)
            # O_EXCL|O_NOFOLLOW: a new file, never one reached through a link; mode 0666 less the umask.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | _NOFOLLOW, 0o666, dir_fd=parent)
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    if durable:
                        file.flush()
                        os.fsync(file.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=parent)
                raise
        return str(PurePosixPath(relative).parent / temporary)

    def replace(self, temporary: str, relative: str) -> None:
        """Rename a staged file over its path (both in the same directory)."""
        opened, name = self._parent(relative)
        with opened as parent:
            os.replace(PurePosixPath(temporary).name, name, src_dir_fd=parent, dst_dir_fd=parent)

    def commit(self, staged: list[tuple[str, str]]) -> None:
        """Rename every staged file over its path; on failure the rest are discarded."""
        done = 0
        try:
            for temporary, relative in staged:
                self.replace(temporary, relative)
                done += 1
        finally:
            self.discard(temporary for temporary, _ in staged[done:])

    def write(self, relative: str, data: bytes) -> None:
        """Write one file atomically and durably (fsync, then rename)."""
        self.commit([(self.stage(relative, data, durable=True), relative)])

    def unlink(self, relative: str) -> None:
        """Remove a file (or a link itself); a missing one is fine."""
        opened, name = self._parent(relative)
        try:
            with opened as parent:
                os.unlink(name, dir_fd=parent)
        except FileNotFoundError:
            pass

    def discard(self, temporaries: Iterable[str]) -> None:
        """Remove staged files, ignoring the ones already gone."""
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                self.unlink(temporary)

    def remove_directories(self, made: Iterable[str]) -> None:
        """Remove the directories staging made that are empty, deepest first."""
        for relative in sorted(made, key=lambda path: path.count("/"), reverse=True):
            self._rmdir(relative)

    def remove_empty_parents(self, relative: str) -> None:
        """Remove the directories above `relative` that are now empty, up to (not including) DIR."""
        parent = PurePosixPath(relative).parent
        while parent != PurePosixPath(".") and self._rmdir(str(parent)):
            parent = parent.parent

    def _rmdir(self, relative: str) -> bool:
        opened, name = self._parent(relative)
        try:
            with opened as parent:
                os.rmdir(name, dir_fd=parent)  # fails, as wanted, on a directory that still holds anything
        except OSError:
            return False
        return True

    # --- what interrupted builds left -------------------------------------------

    def leftovers(self) -> list[str]:
        """Temporary files of builds that were killed, sorted; links are neither followed nor listed."""
        found = []
        for folder, folders, names in os.walk(self.root):  # followlinks=False: linked folders are not entered
            folders.sort()
            base = os.path.relpath(folder, self.root)
            for name in names:
                if is_temporary(name) and not os.path.islink(os.path.join(folder, name)):
                    found.append(name if base == "." else f"{PurePosixPath(*base.split(os.sep))}/{name}")
        return sorted(found)


@contextlib.contextmanager
def locked(root: str | os.PathLike, shared: bool, waiting) -> Iterator[None]:
    """Hold DIR's lock for a build (exclusive) or a `--check` (shared); DIR must exist.

    `flock` on DIR's own descriptor: no lock file to commit, ignore or leave
    behind, and the kernel drops the lock when the holder dies, so a killed
    build never blocks the next one. `waiting()` is called once if another
    build holds it, before waiting for it.
    """
    import fcntl

    fd = os.open(root, _DIRECTORY)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
