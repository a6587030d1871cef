"""A small client for the Prometheus HTTP API (also served by Thanos Query, Mimir, Grafana Cloud).

Every failure (unreachable, HTTP error, timeout, PromQL error, an answer
past a cap) becomes one `LiveError` whose message is a single line without
secrets: what the server said is redacted and escaped (`text.py`). The CLI
prints it and exits 3. The bounds it keeps are in `limits.py`; the deadline
and the byte caps in `http.py`; parsing in `answers.py`.
"""

from __future__ import annotations

import math
import os
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urljoin

import httpx

from . import http
from .partial import Notes, flags_of

# Re-exported: the commands and tests reach the whole client through this module.
from .answers import BadTime, Sample, Series, finite, labels_of, parse, time_of, value_of  # noqa: F401
from .connection import (  # noqa: F401
    ENV_PASSWORD,
    ENV_USER,
    Connection,
    LiveError,
    check_url,
    header_safe,
    parse_header,
    read_token,
    safe_url,
    secrets_of,
)
from .limits import MAX_ANSWER, MAX_IN_FLIGHT, MAX_MESSAGE, MAX_POINTS, MAX_RANGE_STEPS, MIB
from .text import printable

T = TypeVar("T")
R = TypeVar("R")

# Seconds `close` waits for aborted requests to let go of their sockets; a shut-down socket wakes its reader at once.
ABORT_GRACE = 2.0


def _which(params: dict[str, object] | list[tuple[str, object]]) -> str:
    """` in: <the query>`, shortened, so that a failure among many SLOs' queries points at one."""
    query = dict(params).get("query") if isinstance(params, dict) else None
    if not isinstance(query, str):
        return ""
    text = " ".join(query.split())
    return f" in: {text[:120]}..." if len(text) > 120 else f" in: {text}"


class Prometheus:
    """The HTTP API: instant and range queries, series, label values, metadata, bounded concurrency."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.where = safe_url(connection.url)
        headers = {"Accept-Encoding": "gzip", **dict(connection.headers)}  # http.read_body inflates gzip only
        token = read_token(connection.bearer_token_file) if connection.bearer_token_file else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Every credential, so that no message ever shows one (a proxy may echo what it got).
        self.secrets = secrets_of(connection, token)
        user, password = connection.env.get(ENV_USER), connection.env.get(ENV_PASSWORD)
        # A bearer token wins over basic auth: both would set Authorization.
        auth = httpx.BasicAuth(user, password or "") if user and not token else None
        verify: bool | ssl.SSLContext = True
        if connection.ca_file:
            if not os.path.isfile(connection.ca_file):
                raise LiveError(f"the CA file {connection.ca_file} does not exist")
            try:
                verify = ssl.create_default_context(cafile=connection.ca_file)
            except (ssl.SSLError, OSError, ValueError) as error:
                raise LiveError(f"cannot use the CA file {connection.ca_file}: "
                                f"{getattr(error, 'reason', None) or error}") from None
        base = connection.url.rstrip("/") + "/"
        # Redirects are not followed: a 302 turns the POSTed query into an empty GET,
        # and httpx would send --header values (credentials, often) to another host.
        self._http, self._abort = http.client(
            base_url=base, headers=headers, auth=auth, verify=verify,
            timeout=connection.timeout, follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, connection.concurrency)),
        )
        self._in_flight = http.InFlight(MAX_ANSWER, MAX_IN_FLIGHT)
        self._requests = threading.Condition()  # guards `_making`, the requests being made now
        self._making = 0
        # Warnings of success answers (a partial response): the commands show them, the gate fails on them.
        self.partial = Notes()
        # PromQL annotations (`infos`): shown, but the answer is complete, so the gate does not fail on them.
        self.infos = Notes()

    def shown(self, text: str, limit: int = MAX_MESSAGE) -> str:
        """Text from the server for one line of a message: secrets redacted, runs of white space one space, escaped, cut."""
        text = printable(" ".join(self.secrets.redact(text).split()))
        return text if len(text) <= limit else text[:limit] + "..."

    def close(self) -> None:
        """End the requests still in flight (threads `map` left behind after a failure), then close the pool.

        A socket closed while another thread reads it frees its number for
        the next one opened, which that thread could then read or write:
        so they are shut down first, and the pool closed once their threads
        have let go of them (or after ABORT_GRACE: a request can only be
        left connecting, which holds no pooled socket).
        """
        self._abort()
        with self._requests:
            self._requests.wait_for(lambda: not self._making, timeout=ABORT_GRACE)
        self._http.close()

    def __enter__(self) -> Prometheus:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------
    def _get(self, path: str, params: dict[str, object] | list[tuple[str, object]], post: bool = False) -> object:
        """One API call; its `data` (samples and series built), or a LiveError in one line without a secret.

        --timeout bounds the whole request, connecting to the last byte
        (`http.deadline`); the answer counts against the caps on one answer
        and on all in flight until it is parsed.
        """
        if post:  # long PromQL goes in the body: URLs have length limits in proxies
            form: dict[str, list[object]] = {}
            for key, value in params if isinstance(params, list) else params.items():
                form.setdefault(key, []).append(value)
            request = self._http.build_request("POST", path, data=form)  # type: ignore[arg-type]
        else:
            request = self._http.build_request("GET", path, params=params)  # type: ignore[arg-type]
        with self._requests:
            self._making += 1
        try:
            with http.deadline(self.connection.timeout), self._in_flight.answer() as held:
                response = self._http.send(request, stream=True)
                try:
                    body = http.read_body(response, held)
                finally:
                    response.close()
                return self._data(request, response, body, params)
        except httpx.TimeoutException:
            raise LiveError(f"Prometheus at {self.where} did not answer within {self.connection.timeout:g}s "
                            "(--timeout)") from None
        except http.TooLarge as error:
            raise self._too_large(error, params) from None
        except http.BadEncoding as error:
            raise LiveError(f"Prometheus at {self.where} answered with {self.shown(str(error))}") from None
        except httpx.HTTPError as error:
            reason = self.shown(str(error)) or type(error).__name__
            raise LiveError(f"cannot reach Prometheus at {self.where}: {reason}") from None
        finally:
            with self._requests:
                self._making -= 1
                self._requests.notify_all()

    def _data(self, request: httpx.Request, response: httpx.Response, body: bytearray,
              params: dict[str, object] | list[tuple[str, object]]) -> object:
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "")
            where = f" to {self.shown(safe_url(urljoin(str(request.url), target)))}" if target else ""
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} {self.shown(response.reason_phrase, 60)}, "
                            f"a redirect{where}; give the URL it points to as --prometheus")
        try:
            text = body.decode("utf-8")
            body.clear()  # the text alone is held while it is parsed
            answer = parse(text)
        except BadTime as error:
            raise LiveError(f"Prometheus at {self.where} answered a sample at time {self.shown(error.text, 40)}, "
                            "not a time between 1970 and 9999 (not the Prometheus API's JSON)") from None
        except ValueError:  # not JSON, or not UTF-8
            answer = None
        if isinstance(answer, dict) and answer.get("status") == "error":
            kind = self.shown(str(answer.get("errorType") or "error"), 40)
            message = self.shown(str(answer.get("error") or "no message"))
            raise LiveError(f"Prometheus at {self.where} rejected the query ({kind}): {message}{_which(params)}")
        if status >= 400:
            reason = self.shown(response.reason_phrase, 60) or "error"
            hint = (" (check --header, --bearer-token-file or SLO_PROMETHEUS_USER)" if status in (401, 403)
                    else " (is --prometheus the API's base URL, e.g. http://prometheus:9090?)" if status == 404 else "")
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} {reason}{hint}")
        if not isinstance(answer, dict) or answer.get("status") != "success" or "data" not in answer:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip()
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} with "
                            f"{self.shown(kind, 60) or 'no content type'}, not the Prometheus API's JSON "
                            "(is --prometheus the API's base URL, e.g. http://prometheus:9090?)")
        partial, infos = flags_of(answer)
        for note in partial:
            self.partial.add(self.shown(note))
        for note in infos:
            self.infos.add(self.shown(note))
        return answer["data"]

    def _too_large(self, error: http.TooLarge, params: dict[str, object] | list[tuple[str, object]]) -> LiveError:
        if error.in_flight:
            return LiveError(f"Prometheus's answers in flight at once passed {_size(error.limit)} (the cap on "
                             "all answers being read, after decompression); lower --concurrency or select fewer "
                             "SLOs (--service, --slo)")
        return LiveError(f"Prometheus at {self.where} answered more than {_size(error.limit)} (the cap on one "
                         f"answer, after decompression){_which(params)}; select fewer SLOs (--service, --slo) "
                         "or a shorter range")

    @contextmanager
    def _shape(self, what: str) -> Iterator[None]:
        """Turn a result of the wrong shape into a LiveError instead of a crash."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise LiveError(f"Prometheus at {self.where} answered a malformed {what} result "
                            "(not the Prometheus API's JSON)") from None

    # -- queries -----------------------------------------------------------
    def query(self, expr: str, at: float) -> list[Sample]:
        """An instant query at `at` (Unix seconds); a scalar result comes back as one unlabelled sample."""
        data = self._get("api/v1/query", {"query": expr, "time": _time(at)}, post=True)
        with self._shape("query"):
            kind, result = data.get("resultType"), data.get("result")  # type: ignore[union-attr]
            if kind == "vector":
                if not isinstance(result, list) or not all(isinstance(item, Sample) for item in result):
                    raise TypeError("not a list of samples")
                return result
            if kind == "scalar":
                return [_scalar(result)]
        raise LiveError(f"Prometheus at {self.where} returned a {self.shown(str(kind), 40)}, not an instant vector, "
                        f"for: {expr[:80]}")

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """A range query, split into chunks of at most MAX_POINTS steps; series merged by labels, points in time order."""
        parts = self.map(lambda span: self._range(expr, span[0], span[1], step), range_chunks(start, end, step))
        merged: dict[tuple, Series] = {}
        for part in parts:
            for series in part:
                key = tuple(sorted(series.labels.items()))
                if key in merged:
                    merged[key].points.extend(series.points)
                else:
                    merged[key] = Series(series.labels, list(series.points))
        return list(merged.values())

    def query_range_each(self, expr: str, start: float, end: float, step: float,
                         consume: Callable[[list[Series]], None]) -> None:
        """The range query's chunks handed to `consume` as each arrives (in any order, from several threads).

        A long range then never sits in memory as series and points: each
        chunk is read into the caller's own structure and dropped.
        """
        self.map(lambda span: consume(self._range(expr, span[0], span[1], step)), range_chunks(start, end, step))

    def _range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params = {"query": expr, "start": _time(start), "end": _time(end), "step": _time(step)}
        data = self._get("api/v1/query_range", params, post=True)
        with self._shape("range query"):
            result = data.get("result") or []  # type: ignore[union-attr]
            if not isinstance(result, list) or not all(isinstance(item, Series) for item in result):
                raise TypeError("not a list of series")
            return result

    def series(self, selectors: Iterable[str], start: float, end: float) -> list[dict[str, str]]:
        """The label sets of the series matching any selector between start and end."""
        params: list[tuple[str, object]] = [("match[]", s) for s in selectors]
        params += [("start", _time(start)), ("end", _time(end))]
        data = self._get("api/v1/series", params, post=True)
        with self._shape("series"):
            found = list(data) if isinstance(data, list) else []
            for labels in found:
                labels_of(labels)
            return found

    def label_values(self, label: str, start: float | None = None, end: float | None = None) -> list[str]:
        """Every value of a label (`__name__` gives the metric names)."""
        params: dict[str, object] = {}
        if start is not None and end is not None:
            params = {"start": _time(start), "end": _time(end)}
        data = self._get(f"api/v1/label/{label}/values", params)
        return [str(value) for value in data] if isinstance(data, list) else []

    def metadata(self) -> dict[str, str]:
        """Metric name -> type (`counter`, `gauge`, `histogram`...), from the scrape targets' metadata."""
        data = self._get("api/v1/metadata", {})
        types: dict[str, str] = {}
        with self._shape("metadata"):
            if isinstance(data, dict):
                for name, entries in data.items():
                    if entries:
                        types[name] = str(entries[0].get("type", "unknown"))
        return types

    def map(self, function: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
        """`function` over items, at most `concurrency` (or `workers`) at a time; results in input order.

        The first failure ends it at once, whichever item failed: not after
        the items before it, each of which may take up to --timeout.
        """
        items = list(items)
        workers = max(1, min(workers or self.connection.concurrency, len(items)))
        if workers == 1:
            return [function(item) for item in items]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            futures = [pool.submit(function, item) for item in items]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [future for future in futures if future in done and future.exception() is not None]
            if failed:
                raise failed[0].exception()  # type: ignore[misc]
            results = [future.result() for future in futures]
        except BaseException:
            # A failed query, Ctrl-C or SIGTERM: end now rather than wait for the
            # queries in flight, each of which may take up to --timeout.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return results


def range_chunks(start: float, end: float, step: float) -> list[tuple[float, float]]:
    """`[start, end]` at `step` as spans of at most MAX_POINTS steps; ValueError unless finite, ordered and not too long.

    Counted in whole steps, not by adding `step` until past `end`: a time
    near the float limit plus a step is the same time, and that loop never ends.
    """
    if not all(map(math.isfinite, (start, end, step))) or step <= 0 or end < start:
        raise ValueError("a range query needs finite times, step > 0 and end >= start")
    steps = int((end - start) // step)
    if steps > MAX_RANGE_STEPS:
        raise ValueError(f"a range query of {steps:,} steps is more than {MAX_RANGE_STEPS:,}")
    return [(start + first * step, start + min(first + MAX_POINTS - 1, steps) * step)
            for first in range(0, steps + 1, MAX_POINTS)]


def _size(count: int) -> str:
    return f"{count // MIB} MiB" if count % MIB == 0 else f"{count:,} bytes"


def _scalar(result: object) -> Sample:
    if not isinstance(result, list) or len(result) != 2:
        raise TypeError("a scalar is [time, value]")
    time_of(result[0])
    return Sample({}, value_of(result[1]))


def _time(seconds: float) -> str:
    # Whole seconds print without a fraction; Prometheus accepts either.
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))

