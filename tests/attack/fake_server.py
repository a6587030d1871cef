"""A small HTTP server on 127.0.0.1 that answers as a broken or hostile Prometheus would, and a child `slo` under limits.

`fake_server` (a fixture: import it into a test module) starts one on a
free port per test. Its `reply` is a function from the request to a `Reply`
(or one `Reply` for every request): a status line and headers sent a byte
at a time, a body trickled or gzip-compressed, echoes of the request. Every
loop here is bounded: a trickle ends after its bytes, a client that hangs
up ends the answer.

`run_slo` runs the real `slo` command in a child process whose address
space is capped (RLIMIT_AS) and whose run is timed out, so a regression to
an endless loop or an unbounded answer fails the test instead of eating
the machine.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

SPECS = str(Path(__file__).resolve().parent / "server_specs")
SLO = str(Path(sys.executable).parent / "slo")
AT = "1700000000"


@dataclass
class Request:
    """What the client sent: method, path, headers (name lower-cased) and form fields."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]

    @property
    def query(self) -> str:
        """The PromQL of an API call, or ""."""
        return (self.form.get("query") or [""])[0]


@dataclass
class Reply:
    """One answer; `head_delay`/`body_delay` are seconds between its bytes."""

    body: bytes = b""
    status: int = 200
    reason: str = "OK"
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    head_delay: float = 0.0
    body_delay: float = 0.0
    max_seconds: float = 20.0  # however slow, a trickle stops after this
    hold_after: int = 0  # with `hold`: send this many bytes of the body, call hold(), then the rest
    hold: Callable[[], None] | None = None


class FakeServer:
    """The running server: its URL, the requests it saw, and what it answers."""

    def __init__(self) -> None:
        self.reply: Reply | Callable[[Request], Reply] = Reply(ok({"resultType": "vector", "result": []}))
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                query = self.path.partition("?")[2]
                form = parse_qs(raw or query, keep_blank_values=True)
                request = Request(self.command, self.path.partition("?")[0],
                                  {k.lower(): v for k, v in self.headers.items()}, form)
                with server._lock:
                    server.requests.append(request)
                reply = server.reply(request) if callable(server.reply) else server.reply
                try:
                    _send(self.wfile, reply)
                except OSError:
                    pass  # the client gave up, as it should
                self.close_connection = True

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _send(out, reply: Reply) -> None:
    head = [f"HTTP/1.1 {reply.status} {reply.reason}", f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(reply.body)}", "Connection: close", *(f"{k}: {v}" for k, v in reply.headers)]
    _write(out, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"), reply.head_delay, reply.max_seconds)
    if reply.hold is not None:
        _write(out, reply.body[:reply.hold_after], reply.body_delay, reply.max_seconds)
        reply.hold()
        _write(out, reply.body[reply.hold_after:], reply.body_delay, reply.max_seconds)
    else:
        _write(out, reply.body, reply.body_delay, reply.max_seconds)


def _write(out, data: bytes, delay: float, max_seconds: float) -> None:
    if not delay:
        out.write(data)
        out.flush()
        return
    stop = time.monotonic() + max_seconds
    for byte in data:  # one byte at a time: each read is quick, the whole is not
        if time.monotonic() > stop:
            return
        out.write(bytes([byte]))
        out.flush()
        time.sleep(delay)


@pytest.fixture
def fake_server():
    """A FakeServer for one test."""
    server = FakeServer()
    yield server
    server.stop()


# -- answers ---------------------------------------------------------------
def ok(data) -> bytes:
    """A successful API answer."""
    return json.dumps({"status": "success", "data": data}).encode()


def vector(*samples: tuple[dict[str, str], str], at: float | str = 1700000000) -> bytes:
    """An instant vector of `(labels, value)`."""
    return ok({"resultType": "vector", "result": [{"metric": labels, "value": [at, value]} for labels, value in samples]})


def matrix(*series: tuple[dict[str, str], list]) -> bytes:
    """A range result of `(labels, [[t, "v"], ...])`."""
    return ok({"resultType": "matrix", "result": [{"metric": labels, "values": points} for labels, points in series]})


def error(message: str, kind: str = "bad_data") -> bytes:
    """The API's error answer."""
    return json.dumps({"status": "error", "errorType": kind, "error": message}).encode()


def gzipped(prefix: bytes, filler: bytes, size: int, suffix: bytes) -> bytes:
    """`prefix + filler * n + suffix` of about `size` bytes, gzip-compressed without ever holding it whole."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = filler * max(1, (1 << 20) // len(filler))
    parts = [packer.compress(prefix)]
    written = len(prefix)
    while written < size:
        parts.append(packer.compress(block))
        written += len(block)
    parts += [packer.compress(suffix), packer.flush()]
    return b"".join(parts)


def gzip_reply(body: bytes, **options) -> Reply:
    """An answer sent gzip-compressed (`body` already is)."""
    return Reply(body, headers=[("Content-Encoding", "gzip")], **options)


def inflate(body: bytes) -> bytes:
    """A gzip body back (for tests that check what they send)."""
    return gzip.decompress(body)


def run_in_process(*args: str):
    """`slo ARGS` in this process (click's runner, exceptions propagating): the Result."""
    from click.testing import CliRunner

    from slocompiler.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- the real command, bounded ----------------------------------------------
def run_slo(*args: str, memory_mib: int = 600, seconds: float = 60, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess:
    """The real `slo ARGS` in a child limited to `memory_mib` of address space; a test failure after `seconds`.

    glibc gives each thread an arena of address space; two arenas keep the
    figure about the program's own memory, not the machine's core count.
    """
    limit = memory_mib * 1024 * 1024

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    environment = {**os.environ, "MALLOC_ARENA_MAX": "2", **(env or {})}
    environment.pop("SLO_DEBUG", None)
    try:
        return subprocess.run([SLO, *args], capture_output=True, text=True, timeout=seconds,
                              preexec_fn=limited, env=environment)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"slo {' '.join(args[:1])} did not finish within {seconds}s (an unbounded loop or wait?); "
                    f"stderr: {(expired.stderr or b'')[-500:]!r}")
