"""The burn-rate alerts a history fires, as promtool's `exp_alerts` lists them: labels and expanded annotations.

Shared by the generated tests' cases (promtest.py) and the on-call ones
(promtest_oncall.py); history.py predicts the rules and their template
queries, alert_text.py prints what the templates print.
"""

from __future__ import annotations

from decimal import Decimal

from ..core.ir import Condition, Service, Slo
from . import alert_text, alerts, history_slices
from .history import Phases, Readings, Tie, events_per_step, rule_fires, samples_per_step


def present(labels: dict[str, str]) -> dict[str, str]:
    """Labels as Prometheus keeps them: one with an empty value is no label at all."""
    return {name: value for name, value in labels.items() if value != ""}


RuleTexts = list[tuple[tuple[Condition, ...], dict[str, str], dict[str, str]]]


def rule_texts(service: Service, slo: Slo) -> RuleTexts:
    """Per burn-rate rule: its conditions, labels and annotations (ours empty: see `alerts.burn_annotations`)."""
    if not slo.alerting.enabled:
        return []
    return [
        (group, alerts.alert_labels(service, slo, group[0].severity, group[0].labels),
         alerts.burn_annotations(service, slo, group))
        for group in alerts.severity_groups(slo)
    ]


class TextTie(Tie):
    """Which alerts fire is known, but not every figure their templates print."""


def expected_alerts(slo: Slo, texts: RuleTexts, phases: Phases, at: int, step: int, groups: dict[str, str],
                    sampled: int | None = None, events: Decimal | None = None, annotated: bool = True,
                    slices: bool = False) -> list[dict]:
    """The firing burn-rate alerts at `at`, labels and annotations as Prometheus expands them.

    Tie when which alerts fire is unpredictable, TextTie when only a printed
    figure is (then `annotated=False` gives the labels alone). `step`: the
    evaluation interval; `sampled`: the sampling one (default the same),
    with `events` per sample (default `events_per_step`). `slices`: a slice
    SLO's history (history_slices.py), phases of `(error ratio or None, seconds)`.
    """
    sampled = sampled or step
    if not slices and events is None:
        events = Decimal(samples_per_step(slo) or events_per_step(phases))
    found = []
    for conditions, labels, notes in texts:
        if slices:
            fires = history_slices.rule_fires(slo, conditions, phases, at, step) is not None
        else:
            fires = rule_fires(slo, conditions, phases, at, sampled, events, step)
        if not fires:
            continue
        notes = dict(notes)
        if not annotated:
            found.append({"exp_labels": present({**groups, **labels}), "exp_annotations": notes})
            continue
        readings = history_slices.SliceReadings(slo, conditions, phases, at, step, Decimal(0)) if slices else \
            Readings(slo, conditions, phases, at, sampled, events, step)
        for name, parts in alerts.ours(slo, conditions).items():
            try:
                notes[name] = alert_text.expand(parts, readings, groups)
            except (alert_text.Unprintable, Tie):
                raise TextTie() from None
        found.append({"exp_labels": present({**groups, **labels}), "exp_annotations": notes})
    return found
