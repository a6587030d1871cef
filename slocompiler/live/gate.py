"""`slo gate`: the release gate of the error-budget policy (0 pass, 1 blocked, 2 spec or usage errors, 3 no answer or no data)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import Diagnostic, render_github
from ..core.ir import Program, Service, Slo
from ..core.units import decimal_text, percent_text, prom_window
from .composite import composites_of
from .options import format_time
from .periods import slo_window, window_name
from .state import GroupState, PolicyState, SloState
from .status import group_text, json_text, md_cell
from .text import printable

PASS, BLOCKED, SPEC_ERRORS, NO_ANSWER = 0, 1, 2, 3
TITLE = "slo gate"


class Decision(SystemExit):
    """The gate's exit with its decision: the only way `slo gate` exits 1 (`cli.main` turns any other 1 into 3)."""


DEFAULT_ACTION = "release"


def unknown_action(selected: list, action: str) -> str | None:
    """A usage error when `--action` is a near miss of an action the selected SLOs' policies block, or None.

    A misspelt action (`relase`) would pass every time, unnoticed. An action
    no rule blocks and that resembles none may be deliberate (a team without
    such rules yet): `action_warning` says so on stderr instead.
    """
    from ..core.errors import suggest

    known = _known_actions(selected)
    if action in known or action == DEFAULT_ACTION:
        return None
    best = suggest(action, known)
    shown = printable(action)
    return f'no policy rule of the selected SLOs blocks "{shown}"; did you mean "{printable(best)}"?' if best else None


def action_warning(selected: list, action: str) -> str | None:
    """`warning: ...` when no rule of the selected SLOs' policies blocks `--action` at all, or None."""
    if action in _known_actions(selected):
        return None
    return f'warning: no policy rule of the selected SLOs blocks "{printable(action)}": the gate passes whatever the figures'


def _known_actions(selected: list) -> set[str]:
    return {name for service, _ in selected if service.policy for rule in service.policy.rules for name in rule.blocks}


def figure_text(policy: PolicyState, state: SloState | None = None) -> str:
    """`budget remaining -28.8% (threshold 0%)` or `burn rate over 7d 3.10 (threshold 2)`.

    A calendar SLO's figure over its period says which one: `budget remaining
    12.0% of the calendar month (UTC) so far, since 2026-12-01 00:00 UTC`.
    """
    rule = policy.rule
    assert policy.figure is not None
    period = state.period if state is not None and policy.window == slo_window(state.slo) else None
    of = f" of the {period.since()}" if period is not None else ""
    if rule.metric == "budget_remaining":
        return f"budget remaining {policy.figure * 100:.1f}%{of} (threshold {rule.op} {percent_text(rule.value)})"
    over = period.name if period is not None else prom_window(policy.window)
    return f"burn rate over {over} {policy.figure:.2f}{of} (threshold {rule.op} {decimal_text(rule.value)})"


def blocking(states: list[SloState], action: str) -> list[tuple[SloState, GroupState, PolicyState]]:
    """Every (SLO, group, rule) where a rule blocking `action` applies."""
    return [(s, g, p) for s in states for g in s.groups for p in g.policy if p.applies and action in p.rule.blocks]


@dataclass(frozen=True)
class Gap:
    """A window the gate needs for one SLO group and has no figure for: why, and the rules blocking `--action` that read it."""

    state: SloState
    group: GroupState
    window: int
    reason: str
    rules: tuple[PolicyState, ...]


def missing(states: list[SloState], action: str) -> list[Gap]:
    """Every window without data that the gate needs: each group's SLO window, and every window a rule blocking `action` reads.

    A rule whose figure is unknown neither applies nor passes: its window is no data (docs/LIVE.md).
    """
    gaps = []
    for state in states:
        for group in state.groups:
            readers: dict[int, list[PolicyState]] = {slo_window(state.slo): []}
            for policy in group.policy:
                if action in policy.rule.blocks:
                    readers.setdefault(policy.window, []).append(policy)
            gaps += [Gap(state, group, window, group.missing[window], tuple(rules))
                     for window, rules in sorted(readers.items()) if window in group.missing]
    return gaps


def with_composites(program: Program, selected: list[tuple[Service, Slo]]) -> list[tuple[Service, Slo]]:
    """The selected SLOs and every composite any of them belongs to, directly or not: a journey's policy gates its parts too."""
    chosen = {slo.id for _, slo in selected}
    for _, slo in list(selected):
        for pair in composites_of(program, slo.id):
            if pair[1].id not in chosen:
                chosen.add(pair[1].id)
                selected = [*selected, pair]
    return selected


def _parents(program: Program | None, states: list[SloState]) -> dict[str, list[str]]:
    """{member id: the gated composites it belongs to}, for every gated SLO that belongs to one."""
    if program is None:
        return {}
    gated = {s.slo.id for s in states}
    found = {}
    for state in states:
        parents = [slo.id for _, slo in composites_of(program, state.slo.id) if slo.id in gated]
        if parents:
            found[state.slo.id] = parents
    return found


def composite_note(program: Program | None, states: list[SloState]) -> list[str]:
    """`payments-availability belongs to composite(s) journey-checkout`: why the gate read SLOs not named by --slo."""
    return [f"{member} belongs to composite(s) {', '.join(parents)}: their policies gate it too"
            for member, parents in _parents(program, states).items()]


def nothing_selected(selected: list) -> str | None:
    """A usage error when no SLO is selected: a gate over nothing would pass every release."""
    if selected:
        return None
    return "no SLO to gate: the specs define none, or --service and --slo together select none"


def _name(state: SloState, group: GroupState) -> str:
    text = group_text(group.group)
    return state.slo.id if text == "-" else f"{state.slo.id}{{{text}}}"


def _gap_text(gap: Gap) -> str:
    """`checkout{region=us} over 1h (no series), read by burn_rate > 2 over 1h`."""
    read = f", read by {', '.join(p.when for p in gap.rules)}" if gap.rules else ""
    return f"{_name(gap.state, gap.group)} over {window_name(gap.state.slo, gap.window)} ({printable(gap.reason)}){read}"


def run_gate(states: list[SloState], at: float, action: str, no_data_pass: bool, output_format: str,
             program: Program | None = None) -> tuple[int, str]:
    """The exit code and what to print to stdout (`program`: to name the composites a selected SLO belongs to)."""
    blocks = blocking(states, action)
    gaps = missing(states, action)
    code = BLOCKED if blocks else NO_ANSWER if gaps and not no_data_pass else PASS
    if output_format == "json":
        per_group: dict[int, dict] = {}
        for gap in gaps:
            entry = per_group.setdefault(id(gap.group), {"slo_id": gap.state.slo.id, "group": gap.group.group, "windows": {}})
            entry["windows"][window_name(gap.state.slo, gap.window)] = gap.reason
        document = {
            "action": action, "at": at, "result": ("blocked", "no_data", "pass")[[BLOCKED, NO_ANSWER, PASS].index(code)],
            "blocked_by": [_blocked_json(s, g, p) for s, g, p in blocks],
            "no_data": list(per_group.values()),
        }
        parents = _parents(program, states)
        if parents:  # the composites whose policies gated a member too (docs/LIVE.md, "Composite SLOs")
            document["composites"] = parents
        return code, json_text(document)
    shown = printable(action)
    verb = "passes" if no_data_pass else "fails"
    lines = []
    if output_format == "markdown":
        lines += [f"**slo gate --action {md_cell(shown)}** at {format_time(at)}: "
                  + ("**blocked**" if code == BLOCKED else "no data" if code == NO_ANSWER else "pass"), ""]
        if blocks:
            lines += ["| SLO | rule | figure | action |", "|---|---|---|---|"]
            # A code span shows `&lt;` as typed: inside one only `|` needs its backslash (GFM tables).
            lines += [f"| {md_cell(_name(s, g))} | `{p.when.replace('|', chr(92) + '|')}` | {md_cell(figure_text(p, s))} "
                      f"| {md_cell(printable(p.rule.action))} |" for s, g, p in blocks]
        if gaps:
            lines += ["", f"No data (the gate {verb}, --no-data): " + ", ".join(md_cell(_gap_text(gap)) for gap in gaps)]
    for state, group, policy in blocks:
        message = (f"{shown} blocked by {_name(state, group)}: when {policy.when}: {figure_text(policy, state)}; "
                   f"policy says: {printable(policy.rule.action)}")
        span = policy.rule.span
        if output_format == "github":
            lines.append(render_github(Diagnostic(span, message, "error"), TITLE))
        elif output_format == "text":
            lines.append(f"{span}: {message}")
    for gap in gaps:
        message = f"no data for {_gap_text(gap)}: the gate {verb} (--no-data)"
        span = gap.rules[0].rule.span if gap.rules else gap.state.slo.span
        if output_format == "github":
            lines.append(render_github(Diagnostic(span, message, "warning" if no_data_pass else "error"), TITLE))
        elif output_format == "text":
            lines.append(message)
    if output_format == "text":
        lines += composite_note(program, states)
    elif output_format == "markdown" and composite_note(program, states):
        lines += ["", *("- " + md_cell(note) for note in composite_note(program, states))]
    if output_format in ("text", "github") and code == PASS:
        lines.append(f"{shown}: pass ({len(states)} SLO(s) at {format_time(at)})")
    elif output_format == "text" and code == BLOCKED:
        lines.append(f"{shown}: blocked by {len(blocks)} policy rule(s) at {format_time(at)}")
    return code, "\n".join(lines) + ("\n" if lines else "")


def _blocked_json(state: SloState, group: GroupState, policy: PolicyState) -> dict:
    """One entry of `blocked_by`; a calendar SLO's adds the period its figures cover (docs/LIVE.md)."""
    entry = {"slo_id": state.slo.id, "group": group.group, "when": policy.when, "action": policy.rule.action,
             "blocks": list(policy.rule.blocks), "figure": policy.figure, "rule": str(policy.rule.span)}
    if state.period is not None:
        entry["period"] = state.period.json()
    return entry
