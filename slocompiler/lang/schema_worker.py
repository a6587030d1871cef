"""Schema validation in a child process, so that importing jsonschema overlaps parsing.

Importing jsonschema is the largest single cost of a cold `slo check` (about a
third of it). `SchemaWorker` forks before the parser loads: the child imports
jsonschema and builds the validator while the parent parses and lowers, then
validates the IR document the parent sends it and replies with the errors.
Only the first load in a process that has not imported jsonschema has
anything to hide. Every other load (a second one, any in a test run)
validates in-process, as does a process that cannot fork safely (no
`os.fork`, other threads running) or whose child fails. The diagnostics are
the same either way.
"""

from __future__ import annotations

import marshal  # plain data between two copies of one interpreter; unlike pickle, costs no import
import os
import sys

from . import schema

_forked = False


class SchemaWorker:
    """Use as a context manager; `errors` may be called once."""

    def __init__(self) -> None:
        self._pid: int | None = None
        if not _should_fork():
            return
        request_in, self._request = os.pipe()
        self._reply, reply_out = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(self._request)
            os.close(self._reply)
            _serve(request_in, reply_out)
        os.close(request_in)
        os.close(reply_out)
        self._pid = pid

    def errors(self, data: object) -> list[schema.RawError]:
        """The schema errors of an IR document (`schema.to_json`)."""
        if self._pid is None:
            return schema.raw_errors(data)
        try:
            _write_all(self._request, marshal.dumps(data))
        except OSError:  # the child is gone; its exit status says so below
            pass
        self._close_request()
        reply = _read_all(self._reply)
        if self._finish() != 0 or not reply:
            return schema.raw_errors(data)
        return marshal.loads(reply)

    def __enter__(self) -> SchemaWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pid is not None:
            self._close_request()  # an empty request tells the child to exit
            self._finish()

    def _close_request(self) -> None:
        if self._request is not None:
            os.close(self._request)
            self._request = None

    def _finish(self) -> int:
        os.close(self._reply)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return os.waitstatus_to_exitcode(status)


def _should_fork() -> bool:
    global _forked
    threading = sys.modules.get("threading")
    # fork() copies only the calling thread; with others running it could deadlock.
    single_thread = threading is None or threading.active_count() == 1
    if _forked or "jsonschema" in sys.modules or not hasattr(os, "fork") or not single_thread:
        return False
    _forked = True
    return True


def _serve(request_in: int, reply_out: int) -> None:
    """The child: build the validator, answer one request, exit without running the parent's cleanup."""
    code = 1
    try:
        schema.prepare()  # before the request comes: this is the work that overlaps parsing
        request = _read_all(request_in)
        if request:
            _write_all(reply_out, marshal.dumps(schema.raw_errors(marshal.loads(request))))
        code = 0
    except BaseException:  # any failure: the parent validates in-process
        pass
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
