"""A small client for the Prometheus HTTP API (also served by Thanos Query, Mimir, Grafana Cloud).

Every failure (unreachable, HTTP error, timeout, PromQL error) becomes one
`LiveError` whose message is a single line without secrets; the CLI prints
it and exits 3.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 11_000
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
    """The URL without any user:password part, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def parse_header(text: str) -> tuple[str, str]:
    """`'X-Scope-OrgID: tenant'` -> `('X-Scope-OrgID', 'tenant')`; ValueError when malformed."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(ch.isspace() for ch in name.strip()):
        raise ValueError(f"a header is 'Name: value', not {text!r}")
    return name.strip(), value.strip()


def _value(text: str) -> float:
    # Prometheus sends values as strings: "0.001", "NaN", "+Inf".
    return float(text)


class Prometheus:
    """The HTTP API: instant and range queries, series, label values, metadata, bounded concurrency."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.where = safe_url(connection.url)
        headers = dict(connection.headers)
        if connection.bearer_token_file:
            try:
                with open(connection.bearer_token_file, encoding="utf-8") as handle:
                    token = handle.read().strip()
            except OSError as error:
                raise LiveError(f"cannot read the bearer token file {connection.bearer_token_file}: "
                                f"{error.strerror}") from None
            headers["Authorization"] = f"Bearer {token}"
        user, password = connection.env.get(ENV_USER), connection.env.get(ENV_PASSWORD)
        # A bearer token wins over basic auth: both would set Authorization.
        auth = httpx.BasicAuth(user, password or "") if user and not connection.bearer_token_file else None
        verify: bool | str = True
        if connection.ca_file:
            if not os.path.isfile(connection.ca_file):
                raise LiveError(f"the CA file {connection.ca_file} does not exist")
            verify = connection.ca_file
        base = connection.url.rstrip("/") + "/"
        self._http = httpx.Client(
            base_url=base, headers=headers, auth=auth, verify=verify,
            timeout=connection.timeout, follow_redirects=True,
            limits=httpx.Limits(max_connections=max(1, connection.concurrency)),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Prometheus:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------
    def _get(self, path: str, params: dict[str, object] | list[tuple[str, object]], post: bool = False) -> object:
        """One API call; its `data`, or a LiveError in one line."""
        try:
            if post:  # long PromQL goes in the body: URLs have length limits in proxies
                form: dict[str, object] = {}
                for key, value in params if isinstance(params, list) else params.items():
                    form.setdefault(key, []).append(value)  # type: ignore[union-attr]
                response = self._http.post(path, data=form)  # type: ignore[arg-type]
            else:
                response = self._http.get(path, params=params)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            raise LiveError(f"Prometheus at {self.where} did not answer within "
                            f"{self.connection.timeout:g}s (--timeout)") from None
        except httpx.HTTPError as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise LiveError(f"cannot reach Prometheus at {self.where}: {reason}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "error":
            kind = body.get("errorType", "error")
            message = " ".join(str(body.get("error", "")).split())
            raise LiveError(f"Prometheus at {self.where} rejected the query ({kind}): {message}")
        if response.status_code >= 400 or not isinstance(body, dict):
            reason = response.reason_phrase or "error"
            hint = " (check --header, --bearer-token-file or SLO_PROMETHEUS_USER)" if response.status_code in (401, 403) else ""
            raise LiveError(f"Prometheus at {self.where} answered HTTP {response.status_code} {reason}{hint}")
        return body.get("data")

    # -- queries -----------------------------------------------------------
    def query(self, expr: str, at: float) -> list[Sample]:
        """An instant query at `at` (Unix seconds); a scalar result comes back as one unlabelled sample."""
        data = self._get("api/v1/query", {"query": expr, "time": _time(at)}, post=True)
        assert isinstance(data, dict)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            return [Sample(item["metric"], _value(item["value"][1])) for item in result]
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
        assert isinstance(data, dict)
        return [Series(item["metric"], [(float(t), _value(v)) for t, v in item["values"]])
                for item in data.get("result", [])]

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
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(function, items))


def _time(seconds: float) -> str:
    # Whole seconds print without a fraction; Prometheus accepts either.
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def finite(value: float) -> float | None:
    """The value, or None for NaN and ±Inf (a ratio with no traffic is no data, not a number)."""
    return value if math.isfinite(value) else None
