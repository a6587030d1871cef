"""The transport under the API client: a deadline on each whole request, and answers read within a byte cap.

httpx's timeouts bound each read, which a server sending a byte at a time
(of its status line, its headers or its body) never exceeds, and it inflates
a gzip body as fast as the bytes arrive, so a 300 KB answer can become
gigabytes. Here every network operation of a request waits at most until
the request's deadline, and the body is inflated piecewise, each piece
counted against the caps of one answer and of all answers in flight.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

# Inflated at most this much at a time, so one compressed network read cannot expand unchecked.
PIECE = 256 * 1024
# Only what `Accept-Encoding: gzip` (sent with every request) lets a server use.
INFLATE_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}

_request = threading.local()  # the deadline of the request this thread is making (sync httpx: one thread, one request)


class TooLarge(Exception):
    """An answer outgrew a cap; `in_flight` says whether it was the one across all requests."""

    def __init__(self, limit: int, in_flight: bool) -> None:
        super().__init__(limit)
        self.limit = limit
        self.in_flight = in_flight


class BadEncoding(Exception):
    """A body in a Content-Encoding that was not asked for, or that does not decode."""


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every network operation this thread makes inside waits at most until `seconds` from now, in all."""
    at = time.monotonic() + seconds
    _request.deadline = at
    try:
        yield at
    finally:
        _request.deadline = None


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """The timeout an operation gets: its own, cut to what is left of the request's deadline."""
    at = getattr(_request, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: _Backend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def shut_down(self) -> None:
        """End what a thread reads or writes on this stream now; the descriptor stays this stream's until it closes."""
        sock = self._stream.get_extra_info("socket")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass  # closed already, or never connected

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        # The TLS stream takes the socket over: the backend must be able to shut that one down.
        return self._backend.track(_Stream(self._stream.start_tls(ssl_context, server_hostname,
                                                                  _left(timeout, httpcore.ConnectTimeout)),
                                           self._backend))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend
        self._streams: weakref.WeakSet[_Stream] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._aborted = False

    def track(self, stream: _Stream) -> _Stream:
        with self._lock:
            self._streams.add(stream)
            aborted = self._aborted
        if aborted:  # connected while the client was being aborted: this request ends too
            stream.shut_down()
        return stream

    def abort(self) -> None:
        """Wake every request in flight, now and from now on, without closing a descriptor under another thread.

        Closing a socket that another thread is about to read frees its
        number for the next socket opened, which that thread would then read
        or write: answers crossed between requests. A shut-down socket keeps
        its number until its own thread closes it.
        """
        with self._lock:
            self._aborted = True
            streams = list(self._streams)
        for stream in streams:
            stream.shut_down()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return self.track(_Stream(self._backend.connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                                            local_address, socket_options), self))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return self.track(_Stream(self._backend.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout),
                                                                    socket_options), self))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def client(**options: Any) -> tuple[httpx.Client, Callable[[], None]]:
    """An httpx client (proxies from the environment included) whose requests keep `deadline()`, and its abort.

    httpx has no public way to give its connection pools a network
    backend, so the backend of each pool it made is wrapped here; a
    version of httpx without them fails loudly rather than silently
    losing the deadline (tests/attack/test_hostile_server_time.py).
    The abort ends every request in flight (`_Backend.abort`): call it
    before closing a client whose requests other threads may still make.
    """
    made = httpx.Client(**options)
    transports = [made._transport, *(t for t in made._mounts.values() if t is not None)]
    backends = []
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if not isinstance(getattr(pool, "_network_backend", None), httpcore.NetworkBackend):
            made.close()
            raise RuntimeError(f"httpx {httpx.__version__}: cannot bound requests by a deadline (no network backend)")
        backends.append(_Backend(pool._network_backend))  # type: ignore[union-attr]
        pool._network_backend = backends[-1]  # type: ignore[union-attr]

    def abort() -> None:
        for backend in backends:
            backend.abort()

    return made, abort


class InFlight:
    """Bytes of answers being read or parsed at once, across threads, with a cap on each and on all."""

    def __init__(self, per_answer: int, total: int) -> None:
        self.per_answer = per_answer
        self.total = total
        self._used = 0
        self._lock = threading.Lock()

    @contextmanager
    def answer(self) -> Iterator[_Answer]:
        """A count for one answer, given back when the block ends (after parsing)."""
        held = _Answer(self)
        try:
            yield held
        finally:
            with self._lock:
                self._used -= held.size

    def _add(self, held: _Answer, count: int) -> None:
        if held.size + count > self.per_answer:
            raise TooLarge(self.per_answer, in_flight=False)
        with self._lock:
            if self._used + count > self.total:
                raise TooLarge(self.total, in_flight=True)
            self._used += count
        held.size += count


class _Answer:
    def __init__(self, owner: InFlight) -> None:
        self.owner = owner
        self.size = 0

    def add(self, count: int) -> None:
        self.owner._add(self, count)


def read_body(response: httpx.Response, held: _Answer) -> bytearray:
    """The body, inflated if gzip or deflate, each piece counted by `held` before it is kept."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > held.owner.per_answer:
        raise TooLarge(held.owner.per_answer, in_flight=False)
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    body = bytearray()
    if encoding in ("", "identity"):
        for chunk in response.iter_raw():
            held.add(len(chunk))
            body += chunk
        return body
    if encoding not in INFLATE_WBITS:
        raise BadEncoding(f"Content-Encoding {encoding[:40]!r}, which was not asked for (Accept-Encoding: gzip)")
    inflater = zlib.decompressobj(INFLATE_WBITS[encoding])
    try:
        for chunk in response.iter_raw():
            while chunk and not inflater.eof:
                piece = inflater.decompress(chunk, PIECE)
                held.add(len(piece))
                body += piece
                chunk = inflater.unconsumed_tail
        while not inflater.eof:  # what zlib still holds back after the last byte (a truncated body: less)
            piece = inflater.decompress(b"", PIECE)
            if not piece:
                break
            held.add(len(piece))
            body += piece
    except zlib.error:
        raise BadEncoding(f"a body that does not inflate as its Content-Encoding {encoding} says") from None
    return body
