"""The pipeline, on one screen: read -> parse -> lower -> check, then emit."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core import ir
from ..core.errors import Diagnostic, Diagnostics


@dataclass
class Loaded:
    """What `load` found: the program (None when there are errors), diagnostics, source texts."""

    program: ir.Program | None
    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.program is not None


def load(paths: list[str]) -> Loaded:
    """Parse, lower and check every `.slo` file under `paths` (raises UsageError for bad paths)."""
    from ..lang import sources
    from ..lang.schema_worker import SchemaWorker

    inputs, roots = sources.discover(paths)
    diags = Diagnostics()
    texts: dict[str, str] = {}

    def read(path: str):
        text, problems = sources.read(path)
        diags.items.extend(problems)
        if text is None:
            return None
        texts[path] = text
        tree, problems = parse.parse(text, path)
        diags.items.extend(problems)
        return tree

    with SchemaWorker() as schema_worker:
        # Imported once the worker runs, so that loading the parser overlaps its start-up.
        from ..lang import check, lower, modules, parse

        loaded = modules.load_modules(inputs, roots, read, diags)
        program = lower.lower(loaded, inputs, diags)
        check.check(program, diags, schema_worker.errors)  # on what lowered cleanly, so one run reports everything
    diagnostics = sorted(set(diags.items))
    failed = any(d.is_error for d in diagnostics)
    return Loaded(None if failed else program, diagnostics, texts)


def render(program: ir.Program, targets: tuple[str, ...] | list[str] | None = None) -> dict[str, str]:
    """Run the backends: `{relative output path: text}`, sorted by path."""
    from ..emit import DEFAULT_TARGETS, TARGETS

    outputs: dict[str, str] = {}
    for target in targets or DEFAULT_TARGETS:
        outputs.update(TARGETS[target](program))
    return dict(sorted(outputs.items()))
