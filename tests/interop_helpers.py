"""What the `slo import` tests share: converting inputs, and checking and lowering the `.slo` text they give."""

from __future__ import annotations

from pathlib import Path

from slocompiler.interop.run import convert
from slocompiler.workflow.compile import load

OPTIONS = {"window": "30d", "keep_defaults": False, "add_no_data": False}


def convert_files(tool: str, paths: list[str], **options):
    """(texts by service, diagnostics) of importing readable inputs."""
    texts, diagnostics, _, readable = convert(tool, paths, {**OPTIONS, **options})
    assert readable, diagnostics
    return texts, diagnostics


def compile_texts(directory: Path, texts: dict[str, str]):
    """The Program of the imported `.slo` texts, written to `directory`; they must check without errors."""
    directory.mkdir()
    for name, text in texts.items():
        (directory / f"{name}.slo").write_text(text)
    loaded = load([str(directory)])
    assert not [d for d in loaded.diagnostics if d.is_error], loaded.diagnostics
    return loaded.program
