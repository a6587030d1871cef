"""A small client for the Prometheus HTTP API (also served by Thanos Query, Mimir, Grafana Cloud).

Every failure (unreachable, HTTP error, timeout, PromQL error) becomes one
`LiveError` whose message is a single line without secrets; the CLI prints
it and exits 3.
"""

from __future__ import annotations

import json
import math
import os
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 11_000
# An answer larger than this is refused rather than held in memory: a proxy
# streaming a file, or a query far broader than any SLO needs.
MAX_BODY = 512 * 1024 * 1024
# Prometheus's own error messages are short; a proxy's may be a whole page.
MAX_MESSAGE = 300
ENV_USER = "SLO_PROMETHEUS_USER"
ENV_PASSWORD = "SLO_PROMETHEUS_PASSWORD"

T = TypeVar("T")
R = TypeVar("R")


class LiveError(Exception):
    """Prometheus could not answer: the message is one line, safe to print."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and value (NaN and ±Inf kept as floats)."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: its labels and `(unix seconds, value)` points in time order."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Connection:
    """How to reach the server: URL, extra headers, credentials, TLS and limits."""

    url: str
    headers: tuple[tuple[str, str], ...] = ()
    bearer_token_file: str | None = None
    ca_file: str | None = None
    timeout: float = 30.0
    concurrency: int = 8
    # Basic auth comes from the environment only, so it never sits in shell history.
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)


def safe_url(url: str) -> str:
    """The URL without any user:password part or query, for messages."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # as written: a malformed port or IPv6 address stays readable
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def check_url(url: str) -> None:
    """ValueError (never quoting the URL, which may hold a password) unless it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number 0-65535)
    except ValueError as error:
        raise ValueError(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("not an http:// or https:// URL (http://prometheus:9090)")
    if not parts.hostname:
        raise ValueError("the URL names no host (http://prometheus:9090)")


def header_safe(text: str) -> bool:
    """True when an HTTP header value can carry the text: printable ASCII (and tabs)."""
    return all(" " <= ch <= "~" or ch == "\t" for ch in text)


def parse_header(text: str) -> tuple[str, str]:
    """`'X-Scope-OrgID: tenant'` -> `('X-Scope-OrgID', 'tenant')`; ValueError when malformed.

    The message quotes the name at most: the value is often a credential.
    """
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or not all("!" <= ch <= "~" for ch in name):
        raise ValueError("a header is 'Name: value' (a name of visible ASCII characters, a colon, the value)")
    if not header_safe(value):
        raise ValueError(f"the value of header {name} holds characters an HTTP header cannot carry "
                         "(only printable ASCII)")
    return name, value.strip()


def _value(text: object) -> float:
    # Prometheus sends values as strings: "0.001", "NaN", "+Inf".
    if not isinstance(text, str):
        raise TypeError("a sample value is a string")
    return float(text)


def _labels(labels: object) -> dict[str, str]:
    if not isinstance(labels, dict):
        raise TypeError("labels are an object")
    return {str(name): str(value) for name, value in labels.items()}


def _which(params: dict[str, object] | list[tuple[str, object]]) -> str:
    """` in: <the query>`, shortened, so that a failure among many SLOs' queries points at one."""
    query = dict(params).get("query") if isinstance(params, dict) else None
    if not isinstance(query, str):
        return ""
    text = " ".join(query.split())
    return f" in: {text[:120]}..." if len(text) > 120 else f" in: {text}"


def read_token(path: str) -> str:
    """The bearer token in a file, stripped; a LiveError (never quoting it) when a header cannot carry it."""
    try:
        with open(path, "rb") as handle:
            token = handle.read().decode("utf-8").strip()
    except OSError as error:
        raise LiveError(f"cannot read the bearer token file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise LiveError(f"the bearer token file {path} is not UTF-8 text") from None
    if not token or not header_safe(token):
        raise LiveError(f"the bearer token file {path} must hold one token of printable ASCII "
                        "(it is empty, or holds other characters or more than one line)")
    return token


class Prometheus:
    """The HTTP API: instant and range queries, series, label values, metadata, bounded concurrency."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.where = safe_url(connection.url)
        headers = dict(connection.headers)
        # Every credential, so that no message ever shows one (a proxy may echo what it got).
        self._secrets = [value for _, value in connection.headers]
        if connection.bearer_token_file:
            token = read_token(connection.bearer_token_file)
            self._secrets.append(token)
            headers["Authorization"] = f"Bearer {token}"
        user, password = connection.env.get(ENV_USER), connection.env.get(ENV_PASSWORD)
        self._secrets += [password or "", urlsplit(connection.url).password or ""]
        self._secrets = sorted({s for s in self._secrets if len(s) >= 4}, key=len, reverse=True)
        # A bearer token wins over basic auth: both would set Authorization.
        auth = httpx.BasicAuth(user, password or "") if user and not connection.bearer_token_file else None
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
        self._http = httpx.Client(
            base_url=base, headers=headers, auth=auth, verify=verify,
            timeout=connection.timeout, follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, connection.concurrency)),
        )

    def _redact(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Prometheus:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------
    def _get(self, path: str, params: dict[str, object] | list[tuple[str, object]], post: bool = False) -> object:
        """One API call; its `data`, or a LiveError in one line without a secret."""
        try:
            return self._call(path, params, post)
        except LiveError as error:
            raise LiveError(self._redact(str(error))) from None

    def _call(self, path: str, params: dict[str, object] | list[tuple[str, object]], post: bool) -> object:
        # --timeout bounds the whole answer: httpx's timeout is per read, which a
        # server sending a byte at a time never exceeds.
        deadline = time.monotonic() + self.connection.timeout
        try:
            if post:  # long PromQL goes in the body: URLs have length limits in proxies
                form: dict[str, object] = {}
                for key, value in params if isinstance(params, list) else params.items():
                    form.setdefault(key, []).append(value)  # type: ignore[union-attr]
                request = self._http.build_request("POST", path, data=form)  # type: ignore[arg-type]
            else:
                request = self._http.build_request("GET", path, params=params)  # type: ignore[arg-type]
            response = self._http.send(request, stream=True)
            try:
                content = self._read(response, deadline)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise self._too_slow() from None
        except httpx.HTTPError as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise LiveError(f"cannot reach Prometheus at {self.where}: {reason[:MAX_MESSAGE]}") from None
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "")
            where = f" to {safe_url(urljoin(str(request.url), target))}" if target else ""
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} {response.reason_phrase}, a redirect"
                            f"{where}; give the URL it points to as --prometheus")
        try:
            body = json.loads(content)
        except ValueError:  # UnicodeDecodeError included
            body = None
        if isinstance(body, dict) and body.get("status") == "error":
            kind = body.get("errorType") or "error"
            message = " ".join(str(body.get("error") or "no message").split())
            if len(message) > MAX_MESSAGE:
                message = message[:MAX_MESSAGE] + "..."
            raise LiveError(f"Prometheus at {self.where} rejected the query ({kind}): {message}{_which(params)}")
        if status >= 400:
            reason = response.reason_phrase or "error"
            hint = (" (check --header, --bearer-token-file or SLO_PROMETHEUS_USER)" if status in (401, 403)
                    else " (is --prometheus the API's base URL, e.g. http://prometheus:9090?)" if status == 404 else "")
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} {reason}{hint}")
        if not isinstance(body, dict) or body.get("status") != "success" or "data" not in body:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()
            raise LiveError(f"Prometheus at {self.where} answered HTTP {status} with {kind or 'no content type'}, "
                            "not the Prometheus API's JSON (is --prometheus the API's base URL, "
                            "e.g. http://prometheus:9090?)")
        return body["data"]

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        """The whole body, unless it outlasts the deadline or outgrows MAX_BODY."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise self._too_big()
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY:
                raise self._too_big()
            if time.monotonic() > deadline:
                raise self._too_slow()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_slow(self) -> LiveError:
        return LiveError(f"Prometheus at {self.where} did not answer within {self.connection.timeout:g}s (--timeout)")

    def _too_big(self) -> LiveError:
        return LiveError(f"Prometheus at {self.where} answered more than {MAX_BODY // (1024 * 1024)} MiB; "
                         "select fewer SLOs (--service, --slo) or a shorter range")

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
                return [Sample(_labels(item["metric"]), _value(item["value"][1])) for item in result]
            if kind == "scalar":
                return [Sample({}, _value(result[1]))]
        raise LiveError(f"Prometheus at {self.where} returned a {kind}, not an instant vector, for: {expr[:80]}")

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        """A range query, split into chunks of at most MAX_POINTS steps; series merged by labels."""
        if step <= 0 or end < start:
            raise ValueError("query_range needs step > 0 and end >= start")
        chunks = []
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(end, chunk_start + step * (MAX_POINTS - 1))
            chunks.append((chunk_start, chunk_end))
            chunk_start = chunk_end + step
        parts = self.map(lambda span: self._range(expr, span[0], span[1], step), chunks)
        merged: dict[tuple, Series] = {}
        for part in parts:
            for series in part:
                key = tuple(sorted(series.labels.items()))
                if key in merged:
                    merged[key].points.extend(series.points)
                else:
                    merged[key] = Series(series.labels, list(series.points))
        return list(merged.values())

    def _range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params = {"query": expr, "start": _time(start), "end": _time(end), "step": _time(step)}
        data = self._get("api/v1/query_range", params, post=True)
        with self._shape("range query"):
            return [Series(_labels(item["metric"]), [(float(t), _value(v)) for t, v in item["values"]])
                    for item in data.get("result") or []]  # type: ignore[union-attr]

    def series(self, selectors: Iterable[str], start: float, end: float) -> list[dict[str, str]]:
        """The label sets of the series matching any selector between start and end."""
        params: list[tuple[str, object]] = [("match[]", s) for s in selectors]
        params += [("start", _time(start)), ("end", _time(end))]
        data = self._get("api/v1/series", params, post=True)
        return list(data) if isinstance(data, list) else []

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

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`function` over items, at most `concurrency` at a time; results in input order."""
        items = list(items)
        workers = max(1, min(self.connection.concurrency, len(items)))
        if workers == 1:
            return [function(item) for item in items]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            results = list(pool.map(function, items))
        except BaseException:
            # A failed query, Ctrl-C or SIGTERM: end now rather than wait for the
            # queries in flight, each of which may take up to --timeout.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return results


def _time(seconds: float) -> str:
    # Whole seconds print without a fraction; Prometheus accepts either.
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def finite(value: float) -> float | None:
    """The value, or None for NaN and ±Inf (a ratio with no traffic is no data, not a number)."""
    return value if math.isfinite(value) else None
