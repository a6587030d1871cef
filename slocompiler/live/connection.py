"""How to reach a Prometheus server: the URL, headers and credentials a user gave, checked and never shown.

No httpx here: the options are checked (a usage error, exit 2) before any
HTTP machinery loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from .text import Secrets, basic_forms, header_forms, url_forms

ENV_USER = "SLO_PROMETHEUS_USER"
ENV_PASSWORD = "SLO_PROMETHEUS_PASSWORD"


class LiveError(Exception):
    """Prometheus could not answer: the message is one line, safe to print."""


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
    except ValueError:
        # urllib's message quotes the port, which is part of the password when one holds `/`, `?` or `#`.
        raise ValueError("not a valid URL (a password holding / ? # @ must be percent-encoded: %2F %3F %23 %40)") \
            from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("not an http:// or https:// URL (http://prometheus:9090)")
    if not parts.hostname:
        raise ValueError("the URL names no host (http://prometheus:9090)")
    if "@" in parts.path + parts.query + parts.fragment:
        # `http://user:12/34@host`: the password's `/` ended the host early, and the rest would show in messages.
        raise ValueError("an @ after the host: a user or password holding / ? # @ must be percent-encoded "
                         "(%2F %3F %23 %40)")


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


def secrets_of(connection: Connection, token: str | None) -> Secrets:
    """Every credential the user gave, in every form a server could echo: header values, token, basic auth, URL user-info."""
    forms = [form for _, value in connection.headers for form in header_forms(value)]
    if token:
        forms += header_forms(f"Bearer {token}")
    user, password = connection.env.get(ENV_USER), connection.env.get(ENV_PASSWORD)
    if user or password:
        forms += basic_forms(user or "", password or "")
    return Secrets(forms + url_forms(connection.url))
