"""Alertmanager backend (built by default): `alertmanager/inhibit_rules.yml`, so one incident notifies once.

While an SLO's page fires, its tickets (same alert name, `slo_id` and group
labels) are inhibited: a full outage fires both, and the on-call engineer
needs the page only. The file is a YAML list to paste under Alertmanager's
`inhibit_rules` (Alertmanager has no include). docs/PROMETHEUS.md explains.
"""

from __future__ import annotations

from ..core import conventions as c
from ..core.ir import Program, Service, Slo
from ..core.queries import promql_string
from .alerts import alert_labels, severity_groups
from .render import render


def emit(program: Program) -> dict[str, str]:
    """The one inhibit-rules file, covering every service."""
    rules = [rule for service in program.services for slo in service.slos for rule in inhibit_rules(service, slo)]
    return {c.ALERTMANAGER_INHIBIT_PATH: render("alertmanager_inhibit_rules.yml.j2", rules=rules)}


def matcher(name: str, value: str) -> str:
    """`name="value"` in Alertmanager's matcher syntax (double-quoted, backslash escapes)."""
    return f"{name}={promql_string(value)}"


def inhibit_rules(service: Service, slo: Slo) -> list[dict]:
    """One rule when the SLO has both a page and a ticket rule: the page's severity inhibits the ticket's."""
    if not slo.alerting.enabled:
        return []
    labels = {group[0].severity: alert_labels(service, slo, group[0].severity, group[0].labels)
              for group in severity_groups(slo)}
    if "page" not in labels or "ticket" not in labels:
        return []
    # Told apart by `severity`; when labels made both the same (`critical`), by `slo_severity`.
    for name in (c.LABEL_SEVERITY, c.LABEL_ALERT_CLASS):
        page, ticket = labels["page"].get(name), labels["ticket"].get(name)
        if page is not None and ticket is not None and page != ticket:
            break
    else:
        return []
    same = [matcher(c.LABEL_ALERT_NAME, slo.alerting.name), matcher(c.LABEL_SLO_ID, slo.id)]
    return [{
        "slo_id": slo.id,
        "source_matchers": [*same, matcher(name, page)],
        "target_matchers": [*same, matcher(name, ticket)],
        "equal": [c.LABEL_SLO_ID, *slo.group_by],
    }]
