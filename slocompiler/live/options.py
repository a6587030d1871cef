"""Command-line options and spec loading shared by every live command, and the time syntax they accept."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .limits import MAX_TIME, MAX_TIMEOUT

if TYPE_CHECKING:  # a live command imports this module before it knows it will query; httpx only when it does
    from .client import Prometheus
    from .connection import Connection

ENV_URL = "SLO_PROMETHEUS_URL"
EXIT_SPEC_ERRORS = 1
EXIT_NO_ANSWER = 3


def parse_time(text: str) -> float:
    """RFC 3339 (`2026-11-30T12:00:00Z`, `...+02:00`) or Unix seconds -> Unix seconds; ValueError otherwise."""
    from datetime import datetime

    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError:
            raise ValueError(f"{text!r} is neither RFC 3339 (2026-11-30T12:00:00Z) nor Unix seconds") from None
        if moment.tzinfo is None:
            raise ValueError(f"{text!r} has no time zone; add Z or an offset such as +02:00")
        seconds = moment.timestamp()
    # NaN, infinities and times before 1970 or after 9999 are not instants Prometheus holds data for.
    if not 0 <= seconds < MAX_TIME:
        raise ValueError(f"{text!r} is not a time between 1970 and 9999")
    return seconds


def format_time(seconds: float) -> str:
    """Unix seconds as RFC 3339 in UTC: `2026-11-30T12:00:00Z`."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TimeParam(click.ParamType):
    """A click parameter: RFC 3339 or Unix seconds, as float seconds."""

    name = "TIME"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_time(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


TIME = TimeParam()


def _finite(ctx: Any, param: Any, value: float) -> float:
    # click's FloatRange lets NaN through (every comparison with it is false).
    if value != value:
        raise click.BadParameter("NaN is not a number of seconds", ctx, param)
    return value


def connection_options(function: Callable) -> Callable:
    """`--prometheus`, `--header`, `--bearer-token-file`, `--ca-file`, `--timeout`, `--concurrency`."""
    options = [
        click.option("--prometheus", "prometheus_url", envvar=ENV_URL, required=True, metavar="URL",
                     help=f"The Prometheus (or Thanos, Mimir, Grafana Cloud) API base URL [env {ENV_URL}]."),
        click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'",
                     help="An extra HTTP header, e.g. 'X-Scope-OrgID: tenant' (repeatable)."),
        click.option("--bearer-token-file", type=click.Path(dir_okay=False), default=None,
                     help="Send the token in this file as 'Authorization: Bearer'. Basic auth: set "
                          "SLO_PROMETHEUS_USER and SLO_PROMETHEUS_PASSWORD."),
        click.option("--ca-file", type=click.Path(dir_okay=False), default=None,
                     help="Trust the server certificate signed by this CA bundle."),
        click.option("--timeout", type=click.FloatRange(min=0.1, max=MAX_TIMEOUT), default=30.0, show_default=True,
                     callback=_finite, help="Seconds each request may take in all, connecting to the last byte."),
        click.option("--concurrency", type=click.IntRange(min=1, max=64), default=8, show_default=True,
                     help="Queries in flight at once."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def at_option(function: Callable) -> Callable:
    """`--at T`: the evaluation time, default now."""
    return click.option("--at", "at", type=TIME, default=None,
                        help="Evaluate at this time (RFC 3339 or Unix seconds; default now).")(function)


SOURCES = ("auto", "raw", "recorded")


def source_option(function: Callable) -> Callable:
    """`--source auto|raw|recorded`: where figures come from (docs/LIVE.md)."""
    return click.option("--source", type=click.Choice(SOURCES), default="auto", show_default=True,
                        help="auto: the deployed slo:* series where they exist, else the indicator's own series; "
                             "raw: always the indicator's series; recorded: only deployed series.")(function)


def cluster_option(function: Callable) -> Callable:
    """`--cluster-label NAME`: one row and one decision per cluster behind a global view (docs/LIVE.md, "Global views")."""
    def check(ctx: Any, param: Any, value: str | None) -> str | None:
        from ..lang.project import LABEL_NAME

        if value is not None and not LABEL_NAME.fullmatch(value):
            raise click.BadParameter(f"{value!r} is not a Prometheus label name")
        return value

    return click.option("--cluster-label", "cluster_label", default=None, metavar="NAME", callback=check,
                        help="The label telling clusters apart in recorded series (Thanos, Mimir, VictoriaMetrics "
                             "cluster): figures per value. Default: cluster_label in [tool.slocompiler].")(function)


def cluster_label_of(paths: tuple[str, ...], flag: str | None) -> str | None:
    """`--cluster-label`, else the project's `cluster_label`, else None."""
    from ..workflow.reporting import find_project

    return flag if flag is not None else find_project(tuple(paths)).cluster_label


def format_option(*choices: str, default: str = "text") -> Callable[[Callable], Callable]:
    """`--format` with the choices a command supports."""
    return click.option("--format", "output_format", type=click.Choice(choices), default=default,
                        show_default=True, help="Output format.")


def connection(prometheus_url: str, headers: tuple[str, ...], bearer_token_file: str | None,
               ca_file: str | None, timeout: float, concurrency: int) -> Connection:
    """The Connection the options describe; a malformed header is a usage error."""
    from .connection import Connection, check_url, parse_header

    parsed = []
    for text in headers:
        try:
            parsed.append(parse_header(text))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--header") from None
    try:
        check_url(prometheus_url)
    except ValueError as error:  # the message never quotes the URL: it may hold a password
        raise click.BadParameter(str(error), param_hint="--prometheus") from None
    return Connection(prometheus_url, tuple(parsed), bearer_token_file, ca_file, timeout, concurrency)


@contextmanager
def open_client(options: dict[str, Any]) -> Iterator[Prometheus]:
    """A client from a command's keyword arguments (the connection options above), closed on exit.

    On exit, the warnings of partial answers go to stderr, whatever the
    command printed or failed with (docs/LIVE.md, "Partial answers").
    """
    from .client import Prometheus
    from .partial import stderr_lines

    keys = ("prometheus_url", "headers", "bearer_token_file", "ca_file", "timeout", "concurrency")
    with Prometheus(connection(**{key: options[key] for key in keys})) as client:
        try:
            yield client
        finally:
            for line in stderr_lines(client.where, client.partial, client.infos):
                click.echo(line, err=True)


# `--at` this far past this machine's clock is taken for clock skew against the server, not a mistake.
FUTURE_SLACK = 60


def now_or(at: float | None) -> float:
    """`--at`, or now (to the millisecond: a sample scraped this second is not in the future).

    An `--at` in the future is a usage error: no series has data there yet,
    so every SLO would read "no data", and a gate with `--no-data pass` would pass.
    """
    now = round(time.time(), 3)
    if at is None:
        return now
    if at > now + FUTURE_SLACK:
        from ..core.units import human_duration

        raise click.BadParameter(f"{format_time(at)} is {human_duration(round((at - now) / 60) * 60)} in the future (now is "
                                 f"{format_time(now)}): there is no data to evaluate yet", param_hint="--at")
    return at


def exit_on_live_error(function: Callable[[], int]) -> None:
    """Run a command body; a LiveError is one line on stderr and exit 3."""
    from .connection import LiveError

    try:
        code = function()
    except LiveError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_NO_ANSWER)
    sys.exit(code)


def load_specs(paths: tuple[str, ...] | list[str], diagnostics_format: str = "text", error_exit: int = EXIT_SPEC_ERRORS):
    """The checked specs (compile.Loaded) of a live command; on errors, every diagnostic is printed and it exits `error_exit`.

    No PATH: the project's `specs`, as for every command. Warnings are not
    printed here: `slo check` reports them, `verify` merges them into its own.
    """
    from ..workflow.reporting import load_reported, print_diagnostics

    loaded = load_reported(tuple(paths), diagnostics_format, report=False)
    if loaded is None:
        sys.exit(error_exit)
    if any(d.is_error for d in loaded.diagnostics):
        print_diagnostics(loaded.diagnostics, loaded.sources, diagnostics_format)
        sys.exit(error_exit)
    return loaded
