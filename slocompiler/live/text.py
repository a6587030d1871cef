"""Text from a server, made safe to print: every secret the user gave redacted, then escaped for where it lands.

A server (or a proxy in front of it) decides what its error messages, label
names and label values hold. Printed as they come, they could move the
cursor or colour a terminal (`\\x1b[...`), start a GitHub Actions workflow
command on a line of their own (`\\n::error ...`), add structure to a
Markdown comment, or repeat a credential the server was sent. Everything a
live command prints from a server goes through `Secrets.redact`, then
`printable` (terminal, plain text, GitHub annotations) or `markdown`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

REDACTED = "***"

# Escapes in the style of Prometheus's quoted label values: a value prints on one line, and unambiguously.
ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(value: str) -> str:
    """One line of plain text: backslash, control and other invisible characters escaped (`\\n`, `\\x1b`, `\\u2028`)."""
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(ESCAPES.get(ch) or (ch if ch.isprintable() else _code(ch)) for ch in value)


def _code(ch: str) -> str:
    point = ord(ch)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


# CommonMark lets a backslash escape any ASCII punctuation, and then shows it as itself.
_MARKDOWN_SPECIAL = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def markdown(text: str) -> str:
    """Plain text that a Markdown renderer (GitHub's included) shows as the same text, never as structure.

    Every ASCII punctuation character is escaped: no emphasis, link, code
    span, table cell boundary, HTML tag or `@mention` can start inside it.
    Control characters are escaped as `printable` does; a backslash is not
    doubled first, so text already made `printable` renders as itself.
    """
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ESCAPES.get(ch) or _code(ch) for ch in text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


class Secrets:
    """The credentials of one connection, in every form a server could echo them, and their redaction.

    Whatever its length: a one-letter password is still the password, so
    redaction applies only to text that came from a server or a URL (where
    over-redacting costs a readable message at worst), never to the
    command's own words.
    """

    def __init__(self, values: Iterable[str]) -> None:
        forms = {form for value in values if value for form in (value, quote(value, safe=""))}
        # Longest first, in one pass: a secret inside another is not left half-shown.
        self._pattern = re.compile("|".join(re.escape(s) for s in sorted(forms, key=lambda s: (-len(s), s)))) \
            if forms else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def redact(self, text: str) -> str:
        """The text with every secret replaced by `***`."""
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def shown(self, text: str) -> str:
        """Server text for one line of plain output: redacted, then `printable`."""
        return printable(self.redact(text))


def basic_forms(user: str, password: str) -> list[str]:
    """What HTTP basic auth sends for user and password, and the parts a server may echo."""
    pair = f"{user}:{password}"
    encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return [pair, password, encoded, encoded.rstrip("=")]


def header_forms(value: str) -> list[str]:
    """A header value, its credential without the scheme (`Bearer abc` -> `abc`), and a basic-auth pair inside it."""
    forms = [value]
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if credential:
        forms.append(credential)
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
            except ValueError:  # binascii.Error and UnicodeDecodeError included: not basic auth after all
                pass
            else:
                forms += basic_forms(user, password)
    return forms


def url_forms(url: str) -> list[str]:
    """The user-info of a URL as written and decoded, and the basic auth httpx sends from it.

    With no password the user is the secret (`https://TOKEN@host`).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if not at:
        return []
    user, colon, password = userinfo.partition(":")
    forms = [userinfo, unquote(userinfo)]
    if colon:
        forms += [password, *basic_forms(unquote(user), unquote(password))]
    else:
        forms += [user, unquote(user)]
    return forms
