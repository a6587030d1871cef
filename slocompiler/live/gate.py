"""`slo gate`: the release gate of the error-budget policy (exit 0 pass, 1 blocked, 2 spec or usage errors, 3 no data)."""

from __future__ import annotations

import json

from ..core.errors import Diagnostic, render_github
from ..core.units import decimal_text, percent_text, prom_window
from .options import format_time
from .state import GroupState, PolicyState, SloState
from .status import group_text, md_cell

PASS, BLOCKED, SPEC_ERRORS, NO_ANSWER = 0, 1, 2, 3
TITLE = "slo gate"


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
    return f'no policy rule of the selected SLOs blocks "{action}"; did you mean "{best}"?' if best else None


def action_warning(selected: list, action: str) -> str | None:
    """`warning: ...` when no rule of the selected SLOs' policies blocks `--action` at all, or None."""
    if action in _known_actions(selected):
        return None
    return f'warning: no policy rule of the selected SLOs blocks "{action}": the gate passes whatever the figures'


def _known_actions(selected: list) -> set[str]:
    return {name for service, _ in selected if service.policy for rule in service.policy.rules for name in rule.blocks}


def figure_text(policy: PolicyState) -> str:
    """`budget remaining -28.8% (threshold 0%)` or `burn rate over 7d 3.10 (threshold 2)`."""
    rule = policy.rule
    assert policy.figure is not None
    if rule.metric == "budget_remaining":
        return f"budget remaining {policy.figure * 100:.1f}% (threshold {rule.op} {percent_text(rule.value)})"
    return f"burn rate over {prom_window(policy.window)} {policy.figure:.2f} (threshold {rule.op} {decimal_text(rule.value)})"


def blocking(states: list[SloState], action: str) -> list[tuple[SloState, GroupState, PolicyState]]:
    """Every (SLO, group, rule) where a rule blocking `action` applies."""
    return [(s, g, p) for s in states for g in s.groups for p in g.policy if p.applies and action in p.rule.blocks]


def missing(states: list[SloState]) -> list[tuple[SloState, GroupState]]:
    """Every SLO and group without data over its window."""
    return [(s, g) for s in states for g in s.groups if not g.has_data]


def _name(state: SloState, group: GroupState) -> str:
    text = group_text(group.group)
    return state.slo.id if text == "-" else f"{state.slo.id}{{{text}}}"


def run_gate(states: list[SloState], at: float, action: str, no_data_pass: bool, output_format: str) -> tuple[int, str]:
    """The exit code and what to print to stdout."""
    blocks = blocking(states, action)
    gaps = missing(states)
    code = BLOCKED if blocks else NO_ANSWER if gaps and not no_data_pass else PASS
    if output_format == "json":
        return code, json.dumps({
            "action": action, "at": at, "result": ("blocked", "no_data", "pass")[[BLOCKED, NO_ANSWER, PASS].index(code)],
            "blocked_by": [
                {"slo_id": s.slo.id, "group": g.group, "when": p.when, "action": p.rule.action,
                 "blocks": list(p.rule.blocks), "figure": p.figure, "rule": str(p.rule.span)}
                for s, g, p in blocks
            ],
            "no_data": [{"slo_id": s.slo.id, "group": g.group} for s, g in gaps],
        }, indent=2, ensure_ascii=False) + "\n"
    lines = []
    if output_format == "markdown":
        lines += [f"**slo gate --action {md_cell(action)}** at {format_time(at)}: "
                  + ("**blocked**" if code == BLOCKED else "no data" if code == NO_ANSWER else "pass"), ""]
        if blocks:
            lines += ["| SLO | rule | figure | action |", "|---|---|---|---|"]
            # A code span shows `&lt;` as typed: inside one only `|` needs its backslash (GFM tables).
            lines += [f"| {md_cell(_name(s, g))} | `{p.when.replace('|', chr(92) + '|')}` | {md_cell(figure_text(p))} "
                      f"| {md_cell(p.rule.action)} |" for s, g, p in blocks]
        if gaps:
            verb = "passes" if no_data_pass else "fails"
            lines += ["", f"No data over the SLO window (the gate {verb}, --no-data): "
                      + ", ".join(md_cell(_name(s, g)) for s, g in gaps)]
    for state, group, policy in blocks:
        message = (f"{action} blocked by {_name(state, group)}: when {policy.when}: {figure_text(policy)}; "
                   f"policy says: {policy.rule.action}")
        span = policy.rule.span
        if output_format == "github":
            lines.append(render_github(Diagnostic(span, message, "error"), TITLE))
        elif output_format == "text":
            lines.append(f"{span}: {message}")
    for state, group in gaps:
        verb = "passes" if no_data_pass else "fails"
        message = f"no data for {_name(state, group)} over {prom_window(state.slo.window)}: the gate {verb} (--no-data)"
        if output_format == "github":
            lines.append(render_github(Diagnostic(state.slo.span, message, "warning" if no_data_pass else "error"), TITLE))
        elif output_format == "text":
            lines.append(message)
    if output_format in ("text", "github") and code == PASS:
        lines.append(f"{action}: pass ({len(states)} SLO(s) at {format_time(at)})")
    elif output_format == "text" and code == BLOCKED:
        lines.append(f"{action}: blocked by {len(blocks)} policy rule(s) at {format_time(at)}")
    return code, "\n".join(lines) + ("\n" if lines else "")
