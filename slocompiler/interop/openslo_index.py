"""OpenSLO documents of every input file by kind and name: references may cross files."""

from __future__ import annotations

from .yamlsrc import Node, Report

KINDS = ("Service", "SLO", "SLI", "AlertPolicy", "AlertCondition")


class Index:
    """Every document of the inputs by kind and name, for references across files."""

    def __init__(self, documents: list[Node], report: Report):
        self.by_kind: dict[str, dict[str, Node]] = {kind: {} for kind in KINDS}
        self.order: list[Node] = []
        for document in documents:
            kind = document.text("kind")
            version = document.text("apiVersion") or ""
            if kind == "BudgetAdjustment":
                # Nobl9's maintenance windows: its schedule (rrule, first event) is not read.
                report.warn(document.key_span("kind"), "a BudgetAdjustment (Nobl9) is not read: write its window "
                                                       "in the .slo file as maintenance NAME { from for } or "
                                                       "{ every at for }; this document is skipped")
                continue
            if not version.startswith("openslo/"):
                report.warn(document, "this document is not an OpenSLO v1 document and is skipped")
                continue
            if version != "openslo/v1":
                report.warn(document.key_span("apiVersion"), f"apiVersion {version}: only openslo/v1 is read; "
                                                             "this document is skipped")
                continue
            if kind not in KINDS:
                report.warn(document.key_span("kind") if kind else document.span,
                            f"OpenSLO kind {kind} has no counterpart in .slo and is skipped")
                continue
            name = _name_of(document)
            earlier = self.by_kind[kind].get(name) if name is not None else None
            if earlier is not None:
                # References could not tell them apart: which one was meant is for the user to say.
                # A Service repeated in each file that uses it is common, and only a warning.
                say = report.warn if kind == "Service" else report.error
                say(document.get("metadata").get("name"), f"a {kind} named {name} is also at "  # type: ignore[union-attr]
                    f"{earlier.span.file}:{earlier.span.line}; this one is skipped")
                continue
            if name is not None:
                self.by_kind[kind][name] = document
            self.order.append(document)

    def find(self, kind: str, ref: Node, report: Report) -> Node | None:
        name = ref_name(ref)
        if name is None:
            report.error(ref, f"a reference to a {kind} is its name, a plain string")
            return None
        found = self.by_kind[kind].get(name)
        if found is None:
            report.error(ref, f'no {kind} named "{ref.value}" in the inputs')
        return found


def ref_name(ref: Node) -> str | None:
    """The name a reference such as `indicatorRef` gives; None when it is not a plain string. The one
    reading of a reference, so a composite's member and an SLO's SLI are found alike."""
    return str(ref.value) if ref.is_scalar and ref.value is not None else None


def _name_of(document: Node) -> str | None:
    metadata = document.get("metadata")
    return metadata.text("name") if metadata is not None else None
