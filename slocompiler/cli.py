"""The `slo` command. Heavy modules are imported inside commands: `slo check`
must start fast and needs no Jinja."""

from __future__ import annotations

import os
import re
import sys

import click

from .emit import DEFAULT_TARGETS, TARGETS
from .workflow.reporting import paths_argument

FORMATS = ("text", "json", "github")
# emit's __init__ holds only the dict of backends (they load lazily), so `slo check` stays light.
TARGET_HELP = (
    "Build only these targets (repeatable, or comma-separated). Default: "
    + ", ".join(DEFAULT_TARGETS)
    + "; opt-in: "
    + ", ".join(name for name in TARGETS if name not in DEFAULT_TARGETS)
    + "."
)


def _diagnostic_options(function):
    function = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(function)
    function = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
        help="How diagnostics are printed (github: workflow annotations).",
    )(function)
    return function


# The live commands: name -> (module under slocompiler/live/, attribute). They
# talk to Prometheus (httpx and its dependencies), so their modules load only
# when one of them runs or `slo --help` lists them: `slo check` imports none.
LIVE_COMMANDS = {
    "status": ("commands", "status"),
    "gate": ("commands", "gate"),
    "verify": ("commands", "verify"),
    "backtest": ("backtest.command", "command"),
    "report": ("report.command", "command"),
}


# What a failure that is no answer (an internal error, click's "Aborted!") exits with, by command: 1
# elsewhere, but `slo gate`'s 1 means "blocked", and a pipeline must not read a crash as a decision.
FAILURE_EXIT = {"gate": 3}


class UsageLine(click.ClickException):
    """A usage error as one line, `error: message` on stderr and exit 2: click's usage synopsis and
    "Try --help" lines before it bury the one line that says what is wrong."""

    exit_code = 2

    def show(self, file=None) -> None:
        # click's own messages may span lines (a choice's list of values): one line, the values kept.
        click.echo("error: " + re.sub(r"\s*\n\s*", " ", self.format_message()), err=True)


def _one_line(error: click.UsageError) -> UsageLine:
    """click's usage error (a bad option value, a missing argument, an unknown command) as UsageLine."""
    line = UsageLine(error.format_message())
    line.exit_code = error.exit_code
    return line


class Commands(click.Group):
    """click's group, with the live commands imported on first use; `running` names the command being run.
    Every usage error, the group's or a command's, is shown as one line (UsageLine)."""

    running: str | None = None

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            raise _one_line(error) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error) from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        # Named before the command loads: loading it can fail too (a broken install), and that is no answer either.
        Commands.running = args[0] if args else None
        name, command, rest = super().resolve_command(ctx, args)
        Commands.running = name
        return name, command, rest

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LIVE_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LIVE_COMMANDS:
            from importlib import import_module

            module, attribute = LIVE_COMMANDS[cmd_name]
            return getattr(import_module(f"{__package__}.live.{module}"), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slocompiler", prog_name="slo")
def cli() -> None:
    """SLO-as-code: check .slo specs and compile them to rules, alerts, dashboards, policies and docs."""


@cli.command()
@paths_argument
@_diagnostic_options
def check(paths: tuple[str, ...], output_format: str, strict: bool) -> None:
    """Parse and validate specs (PATH defaults to specs/)."""
    from .workflow.commands import run_check

    sys.exit(run_check(paths, output_format, strict))


@cli.command()
@paths_argument
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Output directory (default: the project's `output`, else generated/).")
@click.option("--target", "targets", multiple=True, help=TARGET_HELP)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; list stale, missing or extra files.")
@_diagnostic_options
def build(paths, out_dir, targets, check_only, output_format, strict) -> None:
    """Compile specs into DIR (PATH defaults to the project's specs, else specs/; see docs/BUILD.md)."""
    from .workflow.commands import run_build

    sys.exit(run_build(paths, out_dir, targets, check_only, output_format, strict))


@cli.command()
@paths_argument
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Print what would change as a unified diff; write nothing.")
def fmt(paths, check_only, show_diff) -> None:
    """Rewrite specs in canonical layout, keeping comments (PATH defaults to specs/; see docs/FORMAT.md)."""
    from .fmt.command import run_fmt

    sys.exit(run_fmt(paths, check_only, show_diff))


@cli.command()
@click.argument("objective")
@click.option("--window", default="30d", show_default=True,
              help="The SLO window, e.g. 28d, or a calendar period: 'calendar month' (day, week, month, quarter, year).")
@click.option("--timezone", default=None, help="The zone a calendar period starts in, e.g. Europe/Berlin (default UTC).")
@click.option("--slices", default=None, help="Count the budget in bad time slices of this length, e.g. 1m.")
def budget(objective: str, window: str, timezone: str | None, slices: str | None) -> None:
    """Print the error budget as time, the default alert table for OBJECTIVE (e.g. 99.9%), and what each tier gets.

    Per tier: its default page and ticket conditions with their min_failures, and its NoData alert
    (severity, `for`, what it watches).
    """
    from .workflow.budget import run_budget

    sys.exit(run_budget(objective, window, timezone, slices))


@cli.command(name="import")
@click.argument("tool", type=click.Choice(("sloth", "pyrra", "openslo")))
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write one <service>.slo per service here instead of printing to stdout.")
@click.option("--window", default="30d", show_default=True, type=click.Choice(("30d", "28d")),
              help="sloth: the SLO window Sloth was run with (its --default-slo-period).")
@click.option("--keep-defaults", is_flag=True, help="sloth: write no alert conditions; use slocompiler's defaults.")
@click.option("--add-no-data", is_flag=True, help="sloth: keep slocompiler's NoData alert (Sloth has none).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How warnings are printed.")
def import_(tool, files, out_dir, window, keep_defaults, add_no_data, output_format) -> None:
    """Convert Sloth, Pyrra or OpenSLO specs to formatted .slo text (see docs/MIGRATING.md)."""
    from .interop.run import run_import

    options = {"window": window, "keep_defaults": keep_defaults, "add_no_data": add_no_data}
    sys.exit(run_import(tool, list(files), out_dir, options, output_format))


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: unwinds like KeyboardInterrupt, so every cleanup runs, but click
    does not turn it into "Aborted!" and exit 1."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.exit_code = 128 + signal_number


def _interrupt(signal_number: int, frame) -> None:
    raise Interrupted(signal_number)


def main() -> None:
    """Entry point: never shows a traceback to a user."""
    import signal

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    Commands.running = None
    try:
        cli.main(prog_name="slo", standalone_mode=True)
    except Interrupted as interruption:
        click.echo("interrupted", err=True)
        sys.stderr.flush()
        os._exit(interruption.exit_code)
    except SystemExit as done:
        # Every file is written and closed by now; skipping the interpreter's
        # teardown of a few hundred modules saves a tenth of a short run.
        if isinstance(done.code, str):
            try:
                click.echo(done.code, err=True)
            except (OSError, ValueError):
                pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: the exit code is all that is left to say
                pass
        os._exit(_exit_code(done))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("SLO_DEBUG"):
            import traceback

            traceback.print_exc()
        message = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(error))
        try:
            click.echo(f"slo: internal error: {type(error).__name__}: {message} (SLO_DEBUG=1 shows the traceback; "
                       "please report it)", err=True)
        except (OSError, ValueError):  # no stderr left to say it on: the exit code still must
            pass
        sys.exit(FAILURE_EXIT.get(Commands.running or "", 1))


def _exit_code(done: SystemExit) -> int:
    """The process's exit code; from `slo gate`, 1 only with its decision (live.gate.Decision), else 3."""
    code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    if code == 1 and Commands.running in FAILURE_EXIT:
        from .live.gate import Decision

        if not isinstance(done, Decision):
            return FAILURE_EXIT[Commands.running]
    return code
