"""Every service `slo import` writes passes `slo check`: what the front end refuses is dropped, with a warning.

The importers map each field as well as they can, but the peers allow what
`.slo` does not (a page that can never fire at a 90% target, a label the
compiler sets itself, a query the parser refuses), in more combinations than
a mapping can foresee. So the written text goes through the real front end
(`workflow.compile.load`, on the files as `slo check` reads them) and every
error it reports drops the part it is in: a condition, else the SLO, else
the service. Each drop is reported at the input that made the part, quoting
the front end's reason. Then the text is checked again, until it is clean.
"""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Callable

from ..core.errors import Diagnostic, SloError, Span
from . import model
from .yamlsrc import Report

Writer = Callable[[model.Service], str]
CONDITION_BLOCKS = ("page", "ticket")


def fit(services: dict[str, model.Service], write: Writer, report: Report) -> dict[str, str]:
    """{service: `.slo` text that `slo check` accepts}; `services` lose what it refuses, each loss reported."""
    for service in services.values():
        for slo in service.slos:
            slo.alerting = copy.deepcopy(slo.alerting)  # an OpenSLO alert policy is shared between SLOs
    while True:
        texts = {name: text for name, service in list(services.items())
                 if (text := _writable(service, write, report, services)) is not None}
        if not texts:
            return texts
        errors = [d for d in _check(texts) if d.is_error]
        if not errors:
            return texts
        _drop(errors, texts, services, report)


def _writable(service: model.Service, write: Writer, report: Report, services: dict) -> str | None:
    """The service's text; when it does not parse, without the SLOs that make it not parse (or None)."""
    text = _text(service, write)
    if text is not None:
        return text
    # Text that does not parse has no tree to find the culprit in: try the service alone, then each SLO in it.
    bare = copy.copy(service)
    bare.slos = []
    if _text(bare, write) is None:
        return _unwritable(service, services, report)
    kept = []
    for slo in service.slos:
        alone = copy.copy(service)
        alone.slos = [slo]
        if _text(alone, write) is None:
            _skip_slo(service, slo, report, "a value of it cannot be written as .slo text (fix it in the input)")
        else:
            kept.append(slo)
    service.slos = kept
    text = _text(service, write)
    return text if text is not None else _unwritable(service, services, report)


def _unwritable(service: model.Service, services: dict, report: Report) -> None:
    report.error(_service_span(service), f"service {service.name} cannot be written as .slo text: a value of it "
                                         "cannot be written so (fix it in the input); the service is not imported")
    del services[service.name]


def _text(service: model.Service, write: Writer) -> str | None:
    from ..fmt.format import UnsafeFormat

    try:
        return write(service)
    except (SloError, UnsafeFormat):
        return None


def _check(texts: dict[str, str]) -> list[Diagnostic]:
    """What `slo check` says of these texts, written as the files `slo import -o` would write."""
    from ..workflow.compile import load

    with tempfile.TemporaryDirectory(prefix="slo-import-") as folder:
        for name, text in texts.items():
            with open(os.path.join(folder, f"{name}.slo"), "w", encoding="utf-8") as file:
                file.write(text)
        diagnostics = load([folder]).diagnostics
    # Named by service instead of the temporary path, which is gone now.
    by_path = {os.path.join(folder, f"{name}.slo"): name for name in texts}
    return [Diagnostic(Span(by_path.get(d.span.file, ""), d.span.line, d.span.column), d.message, d.severity)
            for d in diagnostics]


def _drop(errors: list[Diagnostic], texts: dict[str, str], services: dict[str, model.Service], report: Report) -> None:
    """Drop the part each error is in; a service whose errors lie outside its SLOs is not imported."""
    from ..lang.parse import parse

    doomed: dict[str, str] = {}
    conditions: dict[int, tuple[model.Slo, dict[int, str]]] = {}
    slos: dict[int, tuple[model.Service, model.Slo, str, str]] = {}
    trees: dict[str, object] = {}
    for error in errors:
        service = services.get(error.span.file)
        if service is None:  # not in any file written here: nothing to drop it with, so nothing is written
            for name in list(services):
                doomed.setdefault(name, error.message)
            continue
        if service.name not in trees:
            trees[service.name] = parse(texts[service.name], service.name)[0]
        slo_index, item, condition_index = _locate(trees[service.name], error.span)
        if slo_index is None or slo_index >= len(service.slos):
            doomed.setdefault(service.name, error.message)
        elif condition_index is not None and condition_index < len(service.slos[slo_index].alerting.conditions):
            slo = service.slos[slo_index]
            conditions.setdefault(id(slo), (slo, {}))[1].setdefault(condition_index, error.message)
        else:
            slo = service.slos[slo_index]
            slos.setdefault(id(slo), (service, slo, item or "", error.message))
    for name, message in doomed.items():
        report.error(_service_span(services[name]), f"service {name} is not imported: slo check would refuse "
                                                    f"what it becomes: {message}")
        del services[name]
    for service, slo, item, message in slos.values():
        if service.name in services:
            where = f"its {item}" if item else "it"
            _skip_slo(service, slo, report, f"slo check would refuse {where}: {message}", slo.fields.get(item))
    for slo, reasons in conditions.values():
        if id(slo) not in slos:
            _drop_conditions(slo, reasons, report)


def _drop_conditions(slo: model.Slo, reasons: dict[int, str], report: Report) -> None:
    """Drop the conditions numbered in `reasons`, each with its reason from the front end."""
    alerting = slo.alerting
    for number, message in sorted(reasons.items()):
        condition = alerting.conditions[number]
        spelled = f"{'budget' if condition.is_budget else 'burn'} {condition.amount} over {condition.long}" + \
                  (f"/{condition.short}" if condition.short else "")
        report.warn(condition.span or slo.fields.get("alerting") or slo.span or Span("<input>", 1, 1),
                    f"the {condition.severity} condition {spelled} of slo {slo.name} is dropped: slo check would "
                    f"refuse it: {message}")
    alerting.conditions = [c for number, c in enumerate(alerting.conditions) if number not in reasons]
    if not alerting.conditions and alerting.enabled:
        # With none left, .slo's default conditions would apply: alerts the input never asked for.
        alerting.enabled = False
        report.warn(slo.fields.get("alerting") or slo.span or Span("<input>", 1, 1),
                    f"slo {slo.name} has no alert condition left; its alerting is written off (enabled = false)")


def _skip_slo(service: model.Service, slo: model.Slo, report: Report, why: str, at: Span | None = None) -> None:
    report.warn(at or slo.span or _service_span(service), f"slo {slo.name} is not imported: {why}")
    service.slos = [s for s in service.slos if s is not slo]
    service.comments.append(f"slo {slo.name} was not imported: see the warnings of slo import")


def _service_span(service: model.Service) -> Span:
    return service.span or Span(service.sources[0] if service.sources else "<input>", 1, 1)


def _locate(tree, span: Span) -> tuple[int | None, str | None, int | None]:
    """(the SLO's number in the service, the SLO item's name, the condition's number) of a place in the text.

    The importers write each service's attributes before its SLOs, and an
    alerting block's conditions after everything else in it, so the part a
    place is in is the last one that starts at or before it.
    """
    if tree is None:
        return None, None, None
    where = (span.line, span.column)
    service = next((item for item in tree.items if getattr(item, "kind", None) == "service"), None)
    if service is None:
        return None, None, None
    slos = [item for item in service.items if getattr(item, "kind", None) == "slo"]
    slo = _last_before(slos, where)
    if slo is None or _last_before(service.items, where) is not slo:
        return None, None, None
    item = _last_before(slo.items, where)
    # A block's kind names it (`indicator`), but a stray block's own name does (`composite`).
    name = None if item is None else (item.name if getattr(item, "kind", None) == "stray" else
                                      item.kind if hasattr(item, "kind") else item.name)
    if item is None or getattr(item, "kind", None) != "alerting":
        return slos.index(slo), name, None
    conditions = [part for part in item.items if getattr(part, "kind", None) in CONDITION_BLOCKS]
    inner = _last_before(item.items, where)
    if inner is None or inner not in conditions:
        return slos.index(slo), name, None
    return slos.index(slo), name, conditions.index(inner)


def _last_before(items, where: tuple[int, int]):
    before = [item for item in items if (item.span.line, item.span.column) <= where]
    return before[-1] if before else None
