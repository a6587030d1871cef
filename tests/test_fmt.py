"""`slo fmt`: the canonical layout, comments kept, idempotence, meaning and build output unchanged."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from slocompiler.cli import cli
from slocompiler.core.errors import SloError
from slocompiler.fmt import command as fmt_command
from slocompiler.fmt import format as fmt_module
from slocompiler.fmt.command import run_fmt
from slocompiler.fmt.format import format_text, shape
from slocompiler.fmt.layout import canonical_decimal, canonical_duration, comments
from slocompiler.lang.parse import parse

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted((ROOT / "specs").rglob("*.slo")) + sorted((ROOT / "tests").rglob("*.slo"))

MESSY = """\
# header

import "common.slo"   // shared
import "more.slo"
policy p { when burn_rate > 2.50 over 2w { action = "x" notify = [ "a" , "b", ] } }
service s{
owner="x" # who
    description = "d"

  labels { team = "t" }
  alerting {
    page {budget=2.0% long=60m short=300s}
    ticket { burn = 1 long = 3d }
  }
  slo a { objective = 099.90% window = 720h }
  slo b = t(job = "j", objective = 99.90%, w = 90m,)
  slo c = t(
    job = "k", # the job
    objective = 99.5%
  )
}
template t(job, objective = 99.0%, w = 1h) { objective = $objective

  # a comment alone


}
"""

MESSY_FORMATTED = """\
# header

import "common.slo"  // shared
import "more.slo"

policy p {
  when burn_rate > 2.5 over 14d { action = "x" notify = ["a", "b"] }
}

service s {
  owner       = "x"  # who
  description = "d"

  labels { team = "t" }
  alerting {
    page   { budget = 2% long = 1h short = 5m }
    ticket { burn = 1    long = 3d }
  }

  slo a { objective = 99.9% window = 30d }

  slo b = t(job = "j", objective = 99.90%, w = 1h30m)
  slo c = t(
    job = "k",  # the job
    objective = 99.5%,
  )
}

template t(job, objective = 99.0%, w = 1h) {
  objective = $objective

  # a comment alone
}
"""


# --- the layout ---

def test_messy_file_gets_the_canonical_layout():
    assert format_text(MESSY, "messy.slo") == MESSY_FORMATTED


def test_canonical_layout_is_a_fixed_point():
    assert format_text(MESSY_FORMATTED, "messy.slo") == MESSY_FORMATTED


@pytest.mark.parametrize(
    "written, canonical",
    [("90m", "1h30m"), ("60s", "1m"), ("3600s", "1h"), ("720h", "30d"), ("4w", "28d"), ("1d12h", "1d12h"),
     ("1500ms", "1s500ms"), ("0ms", "0s"), ("300ms", "300ms"), ("30m1h", "30m1h")],
)
def test_durations(written, canonical):
    assert canonical_duration(written) == canonical
    assert format_text(f"policy p {{ when burn_rate > 1 over {written} {{ action = \"x\" }} }}\n", "d.slo") == (
        f"policy p {{\n  when burn_rate > 1 over {canonical} {{ action = \"x\" }}\n}}\n"
    )


@pytest.mark.parametrize(
    "written, canonical",
    [("99.90", "99.9"), ("100.0", "100"), ("0", "0"), ("00.50", "0.5"), ("007", "7"), ("99.99999999999999", "99.99999999999999")],
)
def test_decimals(written, canonical):
    assert canonical_decimal(written) == canonical


def test_template_arguments_keep_their_numbers_as_written():
    # `${objective}` is substituted as written: 99.90% must stay 99.90%.
    text = 'service s {\n  slo a = t(objective = 99.90%, burn = 2.50, w = 90m)\n}\n'
    assert format_text(text, "t.slo") == 'service s {\n  slo a = t(objective = 99.90%, burn = 2.50, w = 1h30m)\n}\n'


def test_long_one_line_block_is_expanded_and_short_one_kept():
    action = "a" * 90
    text = f'policy p {{\n  when burn_rate > 1 {{ action = "{action}" }}\n  when burn_rate > 2 {{ action = "b" }}\n}}\n'
    assert format_text(text, "p.slo") == (
        f'policy p {{\n  when burn_rate > 1 {{\n    action = "{action}"\n  }}\n  when burn_rate > 2 {{ action = "b" }}\n}}\n'
    )


def test_block_written_across_lines_stays_so():
    text = "service s {\n  labels {\n    team = \"t\"\n  }\n}\n"
    assert format_text(text, "s.slo") == text


def test_comment_inside_a_one_line_block_expands_it():
    text = 'service s {\n  labels { team = "t" # why\n  }\n}\n'
    assert format_text(text, "s.slo") == 'service s {\n  labels {\n    team = "t"  # why\n  }\n}\n'


def test_empty_blocks_and_files():
    assert format_text("service s { labels { } }\n", "e.slo") == "service s {\n  labels {}\n}\n"
    assert format_text("", "e.slo") == ""
    assert format_text("\n\n# only a comment\n\n", "e.slo") == "# only a comment\n"


def test_multi_line_raw_string_is_kept_verbatim():
    query = "`sum(rate(x[$window]))\n      /\n   sum(rate(y[$window]))`"
    text = f"service s {{\n  slo a {{\n    indicator expr {{ error_ratio = {query} }}\n  }}\n}}\n"
    out = format_text(text, "r.slo")
    assert query in out
    # Written across lines, the block opens up; the query keeps its own line breaks and spaces.
    assert out == f"service s {{\n  slo a {{\n    indicator expr {{\n      error_ratio = {query}\n    }}\n  }}\n}}\n"


def test_trailing_comments_align_on_consecutive_lines():
    text = 'service s {\n  owner = "x" # a\n  description = "longer" # b\n  tier = high\n  runbook = "r" # c\n}\n'
    assert format_text(text, "c.slo") == (
        'service s {\n  owner       = "x"       # a\n  description = "longer"  # b\n  tier        = high\n'
        '  runbook     = "r"  # c\n}\n'
    )


COMPOSITE_AND_MAINTENANCE = """\
service s {
  maintenance a { every = day   at = "02:00"  for = 2h }
  maintenance longer-name { every = sunday at = "12:00" for = 30m timezone = "Europe/Berlin" }
  maintenance once { from = "2026-12-05T02:00:00Z" for = 3h }  # the upgrade
  slo j {
    objective = 99%
    composite {
      # members
      s-a { weight = 1 }  # one
      s-bbbbbbb { weight = 2.50   when_no_data = bad }
      s-c { when_no_data = skip weight = 1 }
      aggregate = worst  # the highest burn
    }
  }
}
"""


def test_maintenance_and_member_runs_are_tables_as_far_as_their_attributes_agree():
    # Like page/ticket runs; a column goes only as far as every row names the same attribute
    # (`from` is not lined up under `every`, so no cell column here; nor `when_no_data` under `weight`).
    assert format_text(COMPOSITE_AND_MAINTENANCE, "m.slo") == """\
service s {
  maintenance a           { every = day at = "02:00" for = 2h }
  maintenance longer-name { every = sunday at = "12:00" for = 30m timezone = "Europe/Berlin" }
  maintenance once        { from = "2026-12-05T02:00:00Z" for = 3h }  # the upgrade

  slo j {
    objective = 99%
    composite {
      # members
      s-a       { weight = 1 }  # one
      s-bbbbbbb { weight = 2.5 when_no_data = bad }
      s-c       { when_no_data = skip weight = 1 }
      aggregate = worst  # the highest burn
    }
  }
}
"""


def test_recurring_maintenance_windows_line_up_their_cells():
    text = 'service s {\n  maintenance a { every = day at = "02:00" for = 2h }\n' \
           '  maintenance bb { every = sunday at = "12:00" for = 30m }\n}\n'
    assert format_text(text, "m.slo") == ('service s {\n  maintenance a  { every = day    at = "02:00" for = 2h }\n'
                                          '  maintenance bb { every = sunday at = "12:00" for = 30m }\n}\n')


def test_composite_and_maintenance_layout_is_a_fixed_point_keeping_every_comment():
    once = format_text(COMPOSITE_AND_MAINTENANCE, "m.slo")
    assert format_text(once, "m.slo") == once
    assert comments(once) == comments(COMPOSITE_AND_MAINTENANCE)


def test_a_member_block_with_a_comment_inside_opens_up_and_leaves_the_table():
    text = "service s {\n  slo j {\n    objective = 99%\n    composite {\n      s-a { weight = 1 }\n" \
           "      s-b { weight = 2 # why\n      }\n    }\n  }\n}\n"
    assert format_text(text, "m.slo") == (
        "service s {\n  slo j {\n    objective = 99%\n    composite {\n      s-a { weight = 1 }\n"
        "      s-b {\n        weight = 2  # why\n      }\n    }\n  }\n}\n")


def test_crlf_files_stay_crlf():
    text = 'service s {\r\n  owner="x"\r\n}\r\n'
    assert format_text(text, "w.slo") == 'service s {\r\n  owner = "x"\r\n}\r\n'


def test_syntax_error_raises_located_diagnostic():
    with pytest.raises(SloError) as caught:
        format_text("service s {\n  owner = = 1\n}\n", "bad.slo")
    assert str(caught.value.diagnostics[0].span) == "bad.slo:2:11"


def test_layout_that_changed_meaning_is_refused(monkeypatch):
    monkeypatch.setattr(fmt_module, "layout", lambda text: text.replace("99.9%", "99.5%"))
    with pytest.raises(fmt_module.UnsafeFormat, match="would change the meaning"):
        format_text("service s {\n  slo a { objective = 99.9% }\n}\n", "m.slo")


# --- every spec in the repository ---

@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_files_format_safely(path):
    text = path.read_text(encoding="utf-8")
    tree, _ = parse(text, "x.slo")
    if tree is None:  # a syntax-error fixture: fmt refuses it
        with pytest.raises(SloError):
            format_text(text, "x.slo")
        return
    once = format_text(text, "x.slo")
    assert format_text(once, "x.slo") == once
    assert shape(parse(once, "x.slo")[0]) == shape(tree)
    # Two trailing comments that end up on one line are joined there.
    assert "  ".join(comments(once)) == "  ".join(comments(text))


def _load_and_render(paths: list[str]):
    from slocompiler.workflow.compile import load, render

    loaded = load(paths)
    # Messages quote values as written (`not 90s` becomes `not 1m30s`) and
    # name lines, which formatting moves: compare them with numbers masked.
    messages = sorted((d.severity, re.sub(r"\b\d[\w.%]*", "<n>", d.message), d.span.file) for d in loaded.diagnostics)
    return (render(loaded.program) if loaded.program is not None else None), messages


def test_formatting_never_changes_the_build(tmp_path, monkeypatch):
    """Format a copy of specs/ and of every spec under tests/, then build both: same outputs, same diagnostics."""
    for name in ("before", "after"):
        shutil.copytree(ROOT / "specs", tmp_path / name / "specs")
        if (ROOT / "tests").exists():
            for spec in sorted((ROOT / "tests").rglob("*.slo")):
                target = tmp_path / name / "tests" / spec.relative_to(ROOT / "tests")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(spec, target)
    monkeypatch.chdir(tmp_path / "after")
    run_fmt(("specs", "tests") if Path("tests").exists() else ("specs",), False, False)
    results = {}
    for name in ("before", "after"):
        monkeypatch.chdir(tmp_path / name)
        runs = [_load_and_render(["specs"])]
        runs += [_load_and_render([str(spec)]) for spec in sorted(Path("tests").rglob("*.slo"))] if Path("tests").exists() else []
        results[name] = runs
    assert results["before"][0][0], "specs/ should build"
    assert results["after"] == results["before"]


# --- the command ---

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_fmt_rewrites_files_under_specs_by_default(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"specs/a.slo": MESSY, "specs/sub/b.slo": MESSY_FORMATTED, "specs/notes.txt": "x = 1"})
    monkeypatch.chdir(tmp_path)
    os.chmod("specs/a.slo", 0o640)
    assert run_fmt((), False, False) == 0
    assert Path("specs/a.slo").read_text() == MESSY_FORMATTED
    assert stat.S_IMODE(os.stat("specs/a.slo").st_mode) == 0o640
    assert Path("specs/notes.txt").read_text() == "x = 1"
    assert sorted(p.name for p in Path("specs").iterdir()) == ["a.slo", "notes.txt", "sub"]  # no temp files left
    err = capsys.readouterr().err
    assert "reformatted specs/a.slo" in err and "sub/b.slo" not in err.split("\n")[0]


def test_check_names_files_and_changes_nothing(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"specs/a.slo": MESSY, "specs/b.slo": MESSY_FORMATTED})
    monkeypatch.chdir(tmp_path)
    assert run_fmt(("specs",), True, False) == 1
    err = capsys.readouterr().err
    assert "would reformat specs/a.slo" in err
    assert "specs/b.slo" not in err
    assert Path("specs/a.slo").read_text() == MESSY
    assert run_fmt(("specs/b.slo",), True, False) == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"a.slo": 'service s {\nowner="x"\n}\n'})
    monkeypatch.chdir(tmp_path)
    assert run_fmt(("a.slo",), False, True) == 0
    out = capsys.readouterr().out
    assert out == '--- a.slo\n+++ a.slo (formatted)\n@@ -1,3 +1,3 @@\n service s {\n-owner="x"\n+  owner = "x"\n }\n'
    assert Path("a.slo").read_text() == 'service s {\nowner="x"\n}\n'


def test_syntax_error_is_reported_and_file_untouched(tmp_path, monkeypatch, capsys):
    broken = "service s {\n  owner = = 1\n}\n"
    _tree(tmp_path, {"specs/bad.slo": broken, "specs/ok.slo": MESSY})
    monkeypatch.chdir(tmp_path)
    assert run_fmt(("specs",), False, False) == 1
    err = capsys.readouterr().err
    assert "specs/bad.slo:2:11: error:" in err
    assert "  owner = = 1\n" in err and "^" in err
    assert "cannot format specs/bad.slo" in err
    assert Path("specs/bad.slo").read_text() == broken
    assert Path("specs/ok.slo").read_text() == MESSY_FORMATTED  # the other files are still formatted


def test_missing_path_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_fmt(("nope",), False, False) == 2
    assert "no such file or directory: nope" in capsys.readouterr().err


def test_failed_write_leaves_the_file_intact(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"a.slo": MESSY})
    monkeypatch.chdir(tmp_path)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(fmt_command.os, "replace", fail)
    assert run_fmt(("a.slo",), False, False) == 1
    assert "error: cannot write a.slo: disk full" in capsys.readouterr().err
    assert Path("a.slo").read_text() == MESSY
    assert [p.name for p in tmp_path.iterdir()] == ["a.slo"]


def test_cli_fmt_check(tmp_path, monkeypatch):
    _tree(tmp_path, {"specs/a.slo": MESSY})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["fmt", "--check"])
    assert result.exit_code == 1
    assert "would reformat specs/a.slo" in result.output
    assert runner.invoke(cli, ["fmt"]).exit_code == 0
    assert runner.invoke(cli, ["fmt", "--check", "specs"]).exit_code == 0


# --- property: idempotent on generated inputs ---

NAMES = hs.sampled_from(["owner", "description", "tier", "objective", "window", "burn", "long", "a", "bb-c", "timezone",
                         "length", "target", "no_data", "ratio", "good", "metric", "weight", "when_no_data", "every",
                         "at", "for", "from", "aggregate"])
SPACE = hs.sampled_from([" ", "  ", "\n", "\n\n", "\n\n\n", " # note\n", "\n// x\n  ", "\t"])
VALUES = hs.one_of(
    hs.sampled_from(['"text"', '"a # not a comment"', "`up{job=\"x\"}`", "`a\n  b`", "true", "critical", "$p",
                     "calendar month", "calendar \t week", "calendar 90m", "calendar", '"Europe/Berlin"', '">= 1"', "skip"]),
    hs.builds(lambda n, f, p: f"{n}{f}{p}", hs.sampled_from(["0", "7", "99", "007"]),
              hs.sampled_from(["", ".5", ".90", ".000"]), hs.sampled_from(["", "%"])),
    hs.builds(lambda parts: "".join(parts), hs.lists(hs.sampled_from(["90m", "1h", "30d", "60s", "500ms", "2w"]), min_size=1, max_size=2)),
)


@hs.composite
def spec_texts(draw) -> str:
    sp = lambda: draw(SPACE)  # noqa: E731
    def attribute() -> str:
        value = draw(VALUES)
        if draw(hs.booleans()) and draw(hs.booleans()):
            value = "[" + sp() + value + sp() + "," + sp() + draw(VALUES) + sp() + "]"
        return draw(NAMES) + sp() + "=" + sp() + value
    def block(word: str) -> str:
        items = [attribute() for _ in range(draw(hs.integers(0, 3)))]
        inner = {"slo": ["labels", "alerting", "indicator ratio", "indicator threshold", "slices", "composite",
                         "maintenance w"], "alerting": ["page", "ticket", "labels"],
                 "page": ["labels"], "ticket": ["annotations"], "composite": ["x-a", "x-bb", "y-c"]}.get(word.split()[0], [])
        if inner:
            items += [block(draw(hs.sampled_from(inner))) for _ in range(draw(hs.integers(0, 2)))]
        draw(hs.randoms()).shuffle(items)
        return word + sp() + "{" + sp() + sp().join(items) + sp() + "}"
    def service() -> str:
        items = [attribute() for _ in range(draw(hs.integers(0, 3)))]
        items += [block(f"slo s{i}") for i in range(draw(hs.integers(0, 2)))]
        items += [block(f"maintenance m{i}") for i in range(draw(hs.integers(0, 2)))]
        if draw(hs.booleans()):
            items.append("slo c" + sp() + "=" + sp() + "t(" + sp() + "a = 1.50," + sp() + "b = 90m" + sp() + ")")
        return "service" + sp() + "x" + sp() + "{" + sp() + sp().join(items) + sp() + "}"
    items = [draw(hs.sampled_from(['import "a.slo"', "policy p { when burn_rate > 2.0 over 60m { action = \"a\" } }",
                                   "template t(a, b = 1.0) { objective = $a }"])) for _ in range(draw(hs.integers(0, 2)))]
    items += [service() for _ in range(draw(hs.integers(1, 2)))]
    return sp() + sp().join(items) + sp() + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_texts())
def test_formatting_is_idempotent_and_keeps_meaning(text):
    tree, _ = parse(text, "g.slo")
    assert tree is not None, text
    once = format_text(text, "g.slo")  # checks the meaning itself
    assert format_text(once, "g.slo") == once
    # A comment written inside a construct that goes on one line moves to the
    # end of that line or above it, and two can be joined: compare the words.
    assert sorted(" ".join(comments(once)).split()) == sorted(" ".join(comments(text)).split())


def _token_ends(text: str) -> list[int]:
    from slocompiler.fmt.layout import _lossless_parser

    parser, found = _lossless_parser()
    tree = parser.parse(text)
    found.clear()
    return sorted({token.end_pos for token in tree.scan_values(lambda v: hasattr(v, "end_pos"))})


SEEDS = [MESSY, MESSY_FORMATTED, COMPOSITE_AND_MAINTENANCE] + [path.read_text(encoding="utf-8") for path in sorted((ROOT / "specs").glob("*.slo"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.sampled_from(SEEDS), hs.data())
def test_comments_anywhere_survive(seed, data):
    """A comment after any token: kept, formatting idempotent and meaning unchanged.

    Not between `calendar` and its period, which must share a line (docs/LANGUAGE.md).
    """
    ends = [end for end in _token_ends(seed) if not seed[:end].endswith("calendar")]
    chosen = sorted(data.draw(hs.sets(hs.sampled_from(ends), min_size=1, max_size=6)), reverse=True)
    text = seed
    for number, end in enumerate(chosen):
        comment = data.draw(hs.sampled_from([f" # c{number}\n", f"\n// c{number}\n", f"\n\n# c{number}\n\n"]))
        text = text[:end] + comment + text[end:]
    once = format_text(text, "c.slo")
    assert format_text(once, "c.slo") == once
    assert sorted(" ".join(comments(once)).split()) == sorted(" ".join(comments(text)).split())


def test_the_example_specs_are_formatted():
    """specs/ is what users copy from, and the pre-commit hook runs `slo fmt --check` on it."""
    from slocompiler.fmt.format import format_text

    for path in sorted((ROOT / "specs").rglob("*.slo")):
        text = path.read_text(encoding="utf-8")
        assert format_text(text, str(path)) == text, f"{path.name}: run slo fmt specs"
