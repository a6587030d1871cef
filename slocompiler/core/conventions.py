"""Every rule, metric, label and alert name the compiler writes, in one place.

Backends, templates and tests import these; no name is spelt twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ir import Service, Slo

# Labels on every generated series and alert.
LABEL_SLO_ID = "slo_id"
LABEL_SERVICE = "slo_service"
LABEL_SLO = "slo_name"
LABEL_SEVERITY = "severity"
# Set when a condition's labels override `severity` (to `critical`, say): it
# still says, machine-readably, whether the alert is a page or a ticket.
LABEL_ALERT_CLASS = "slo_severity"

# Recording rules (OUTPUTS.md). The error-ratio name takes a window suffix.
ERROR_RATIO_PREFIX = "slo:sli_error:ratio_rate"
OBJECTIVE = "slo:objective:ratio"
ERROR_BUDGET = "slo:error_budget:ratio"
TIME_PERIOD_DAYS = "slo:time_period:days"
CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"

# Helper series of our own: the rates of bad and of all events over a short
# window, summed over the SLO window to give a traffic-weighted period ratio.
EVENTS_BAD_PREFIX = "slo:sli_events_bad:rate"
EVENTS_TOTAL_PREFIX = "slo:sli_events_total:rate"

# A threshold SLO's samples, series by series, judged at each evaluation:
# 1 when the sample meets `good`, 0 when not (docs/PROMETHEUS.md, "Indicators").
SAMPLE_GOOD = "slo:sli_sample_good:bool"

# A slice SLO's error ratio over the last slice (1 - its SLI), recorded at every
# evaluation; a slice without data is 1, 0 or NaN as its `no_data` says. Read
# at each slice end by the bad-slice ratios (docs/PROMETHEUS.md, "Time slices").
SLICE_ERROR = "slo:slice_error:ratio"
# Its bad slices (`ratio = true`: the sum of their error ratios) and counted
# slices over the last hour, recorded at every evaluation: windows of a day
# and more add them up hour by hour instead of reading every slice.
SLICES_BAD_HOUR = "slo:slices_bad:sum1h"
SLICES_COUNTED_HOUR = "slo:slices_counted:count1h"

# An `expr` SLO's 5m error ratio with idle intervals (NaN) left out: its
# window ratio averages these.
KNOWN_RATIO_PREFIX = "slo:sli_error_known:ratio_rate"

# Calendar windows (LANGUAGE.md, "Calendar windows"): the current period's
# error ratio, and its start and end as Unix seconds.
PERIOD_RATIO = "slo:sli_error:ratio_period"
PERIOD_START = "slo:period_start:timestamp"
PERIOD_END = "slo:period_end:timestamp"
# Helper series of a calendar SLO: the 5m rates (an `expr` SLO's known 5m
# ratio) with the start of the period they were recorded in as a label, so
# that a plain sum over time adds up the current period's samples alone
# (docs/PROMETHEUS.md, "Calendar periods").
PERIOD_EVENTS_BAD = "slo:period_events_bad:rate5m"
PERIOD_EVENTS_TOTAL = "slo:period_events_total:rate5m"
PERIOD_KNOWN_RATIO = "slo:period_error_known:ratio_rate5m"
PERIOD_SLICES_BAD = "slo:period_slices_bad:sum1h"  # a calendar slice SLO's hourly bad slices, labelled with the period
LABEL_PERIOD = "slo_period"

# An SLO with maintenance windows (LANGUAGE.md, "Maintenance windows"): 1,
# label-less but for the SLO's labels, while any of its windows is in
# progress or ended less than the SLO's current window ago (5m; a slice SLO's
# slice when longer), so that a rate over that window holding an event inside
# maintenance is dropped; absent otherwise (docs/PROMETHEUS.md, "Maintenance
# windows"). Every base series of the SLO is recorded `unless` it.
MAINTENANCE_ACTIVE = "slo:maintenance:active"

# A composite member that counts when it has no data (`when_no_data` good or
# bad), in its composite's SLI group, labelled with the composite's slo_id and
# the member's id: when the member's 5m ratio was first found missing in the
# current unbroken run of evaluations (absent while it has one), and the
# seconds since the previous evaluation once it has been missing for 5m (0
# otherwise). A window's silent share sums the latter (docs/PROMETHEUS.md,
# "Composite SLOs").
MEMBER_MISSING_SINCE = "slo:member_missing_since:timestamp"
MEMBER_NO_DATA_SECONDS = "slo:member_no_data:seconds"
LABEL_MEMBER = "slo_member"

# The window over which the current burn rate is measured.
CURRENT_BURN_WINDOW = 5 * 60

# Windows this long and longer are derived from the recorded 5m rates instead
# of raw series (docs/PROMETHEUS.md, "Long windows from recorded rates"): below
# it the two 5-minute edges of a derived window weigh too much of it.
DERIVED_WINDOW_FROM = 2 * 3600

TIERS = ("critical", "high", "medium", "low")
DEFAULT_TIER = "medium"
# The tiers whose defaults differ (LANGUAGE.md, "On-call defaults").
CRITICAL_TIER = "critical"
LOW_TIER = "low"


def error_ratio_rule(window_seconds: int) -> str:
    """`slo:sli_error:ratio_rate5m` and friends."""
    from .units import prom_window

    return ERROR_RATIO_PREFIX + prom_window(window_seconds)


def window_ratio_rule(slo: Slo) -> str:
    """The SLO window's error ratio: `slo:sli_error:ratio_period` for a calendar period, else `..._rate30d`."""
    return PERIOD_RATIO if slo.calendar is not None else error_ratio_rule(slo.window)


def known_ratio_rule(window_seconds: int) -> str:
    """`slo:sli_error_known:ratio_rate5m`."""
    from .units import prom_window

    return KNOWN_RATIO_PREFIX + prom_window(window_seconds)


def alert_name_default(service: str, slo: str) -> str:
    """`<Service><Slo>ErrorBudgetBurn` in CamelCase: checkout, cart-api -> CheckoutCartApi..."""
    return camel(service) + camel(slo) + "ErrorBudgetBurn"


def camel(name: str) -> str:
    """`cart-api` and `cart_api` -> `CartApi`."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


# Prometheus's own series of active alerts, and its labels, which the Grafana
# dashboards read to show which of an SLO's alerts are pending or firing.
ALERTS_SERIES = "ALERTS"
LABEL_ALERT_NAME = "alertname"
LABEL_ALERT_STATE = "alertstate"
ALERT_STATE_FIRING = "firing"

# Grafana: dashboard uids are at most 40 characters.
GRAFANA_UID_PREFIX = "slo-"
GRAFANA_UID_MAX = 40
# An underscore cannot follow `slo` in a service uid, so this never collides.
GRAFANA_OVERVIEW_UID = "slo_overview"
GRAFANA_OVERVIEW_PATH = "grafana/slo-overview.json"
GRAFANA_DATASOURCE_VAR = "datasource"

# Prometheus rule groups, two per service (per SLOS_PER_GROUP of its SLOs),
# in this order (prometheus backend). The alerts share the group of the
# ratios they read, so they run right after them: separate groups run
# unsynchronised, one interval apart at worst. Every group evaluation costs
# a fixed amount whatever it reads, so an SLO has no groups of its own.
GROUP_SLI = "slo:{service}:sli"
GROUP_PERIOD = "slo:{service}:period"
# A group runs its rules one after the other, and a Thanos or Mimir ruler
# sends each to the querier in turn: 10 SLOs (at most ~150 rules) fit a 15s
# interval even there (docs/PROMETHEUS.md, "Layout at scale").
SLOS_PER_GROUP = 10
# The period group sums 28-30 days of recorded samples, the costliest read of
# all; the budget barely moves in 2 minutes, and with one evaluation missed the
# newest sample is still inside the 5m lookback (docs/PROMETHEUS.md).
GROUP_PERIOD_INTERVAL = "2m"


def group_name(template: str, service: str, part: int) -> str:
    """A rule group's name: `slo:checkout:sli` for a service's first SLOS_PER_GROUP SLOs, then `slo:checkout:sli:2`..."""
    name = template.format(service=service)
    return name if part == 1 else f"{name}:{part}"


ALERT_NO_DATA_SUFFIX = "NoData"
ANNOTATION_SUMMARY = "summary"
ANNOTATION_DESCRIPTION = "description"
ANNOTATION_RUNBOOK = "runbook_url"
ANNOTATION_DASHBOARD = "dashboard"
ANNOTATION_ONCALL = "oncall"
# The window pairs that can fire a burn-rate alert: `1h/5m above 14.4x, 6h/30m above 6x`.
ANNOTATION_WINDOWS = "windows"

# Kubernetes PrometheusRule resources (kubernetes backend).
K8S_API_VERSION = "monitoring.coreos.com/v1"
K8S_KIND = "PrometheusRule"
K8S_NAME_PREFIX = "slo-"
K8S_MANAGED_BY = ("app.kubernetes.io/managed-by", "slocompiler")


# OpenSLO export (openslo target): what OpenSLO v1 has no field for travels in
# metadata annotations under this prefix, so `slo import openslo` of the
# export gives back specs that build to the same Prometheus rules.
OPENSLO_API_VERSION = "openslo/v1"
OPENSLO_ANNOTATION_PREFIX = "slocompiler.dev/"


def openslo_path(service: str) -> str:
    """`openslo/<service>.yaml`."""
    return f"openslo/{service}.yaml"


def prometheus_rules_path(service: str) -> str:
    """`prometheus/<service>.rules.yml`."""
    return f"prometheus/{service}.rules.yml"


def prometheus_tests_path(service: str) -> str:
    """`prometheus/<service>.test.yml`."""
    return f"prometheus/{service}.test.yml"


# Alertmanager inhibit rules (alertmanager backend): one file for every service.
ALERTMANAGER_INHIBIT_PATH = "alertmanager/inhibit_rules.yml"
DOCS_INDEX_PATH = "docs/README.md"


def grafana_path(service: str) -> str:
    """`grafana/<service>.json`."""
    return f"grafana/{service}.json"


def kubernetes_path(service: str) -> str:
    """`kubernetes/<service>.yaml`."""
    return f"kubernetes/{service}.yaml"


def policy_path(service: str) -> str:
    """`policies/<service>.yaml`."""
    return f"policies/{service}.yaml"


def docs_page_path(service: str) -> str:
    """`docs/<service>.md`."""
    return f"docs/{service}.md"


def docs_chart_path(service: str, slo: str) -> str:
    """`docs/<service>/<slo>.svg`."""
    return f"docs/{service}/{slo}.svg"


# Every file a build may write, whatever the targets: lang/filenames.py
# checks that each name a spec gives fits in these, and that no two collide.
FIXED_PATHS = (GRAFANA_OVERVIEW_PATH, DOCS_INDEX_PATH, ALERTMANAGER_INHIBIT_PATH)


def service_paths(service: str) -> tuple[str, ...]:
    """The files the targets write for one service (its SLOs' own: slo_paths)."""
    return (prometheus_rules_path(service), prometheus_tests_path(service), grafana_path(service),
            kubernetes_path(service), policy_path(service), docs_page_path(service), openslo_path(service))


def slo_paths(service: str, slo: str) -> tuple[str, ...]:
    """The files the targets write for one SLO."""
    return (docs_chart_path(service, slo),)


# A file name holds at most 255 bytes (ext4, XFS, Btrfs, APFS, NTFS). A build
# writes each file under a hidden temporary name beside it first, then renames
# it into place (workflow/outdir.py): that longer name must fit too.
FILE_NAME_MAX = 255
STAGING_TOKEN_LENGTH = 16  # hex digits of the random part


def staged_name(name: str, token: str) -> str:
    """The temporary name a file `name` is written under before its rename: `.<name>.slocompiler-<token>.tmp`."""
    return f".{name}.slocompiler-{token}.tmp"


def slo_labels(slo: Slo, service: Service) -> dict[str, str]:
    """The labels on every rule of an SLO: ours first, then the service's and SLO's own."""
    labels = {LABEL_SLO_ID: slo.id, LABEL_SERVICE: service.name, LABEL_SLO: slo.name}
    for name, value in sorted(slo.labels):
        labels.setdefault(name, value)
    return labels
