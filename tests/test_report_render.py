"""`slo report`'s text, Markdown and HTML renderings of a spec's text: the same one line in each, never structure."""

from __future__ import annotations

import html
import re

import pytest

from slocompiler.live.report import render
from slocompiler.live.report.html import render_html
from slocompiler.live.report.period import ReportPeriod

FROM, TO = 1793491200, 1796083200  # 2026-11
# A newline, a tab, a backslash, an escape, a table cell boundary, HTML, a code span and a template.
OWNER = "team\na\tb\\c\x1b[31m | <script>x</script> `{{ owner }}`"
SHOWN = "team\\na\\tb\\\\c\\x1b[31m | <script>x</script> `{{ owner }}`"  # what every format shows
ONCALL = "rota\r\n2"
ONCALL_SHOWN = "rota\\r\\n2"


def _report() -> dict:
    page = {"alert": "ApiAvailabilityPage (page 1h)", "slo_id": "api-availability", "start": FROM + 3600,
            "end": FROM + 3600}
    return {
        "period": {"from": FROM, "to": TO},
        "slos": [{
            "slo_id": "api-availability", "service": "api", "owner": OWNER, "oncall": ONCALL, "objective": 0.999,
            "sla": None, "sli": 0.9995, "budget_spent": 0.5, "met": True, "sla_met": None,
            "incidents": [{"start": page["start"], "end": page["end"], "budget_spent": 0.1}], "pages": 1,
            "tickets": 0, "history": [], "suggested_objective": None,
        }],
        "owners": [{
            "owner": OWNER, "oncall": ONCALL, "pages": 1, "tickets": 0, "pages_out_of_hours": 1,
            "noisy_pages": [page], "pages_per_week": [1, 0, 0, 0, 0], "weeks": ["2026-W44", "2026-W45", "2026-W46",
                                                                                "2026-W47", "2026-W48"],
            "out_of_hours": [page],
        }],
    }


PERIOD = ReportPeriod(FROM, TO, "UTC", "month")


def test_text_shows_a_spec_text_on_one_line():
    out = render.to_text(_report(), PERIOD)
    assert "\x1b" not in out and "\t" not in out and "\r" not in out
    assert SHOWN in out and ONCALL_SHOWN in out
    assert len([line for line in out.splitlines() if "team" in line]) == 4  # SLO row, owner row, two listed pages


def test_markdown_shows_the_same_text_and_keeps_its_tables():
    from markdown_it import MarkdownIt

    out = render.to_markdown(_report(), PERIOD)
    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(out)
    assert not [t for t in tokens if t.type.startswith("html")]
    inline = [child for t in tokens if t.children for child in t.children]
    assert not [t for t in inline if t.type in ("html_inline", "link_open")]
    assert {t.content for t in inline if t.type == "code_inline"} == {"api-availability"}  # only the SLO's id
    cells = [t.children[0].content if t.children else "" for t in tokens if t.type == "inline"]
    assert SHOWN in cells and ONCALL_SHOWN in cells  # rendered as the text format shows it, in one table cell
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert [len(re.split(r"(?<!\\)\|", row)) for row in rows] == [13, 13, 5, 5, 9, 9]  # no cell added or lost


def test_html_shows_the_same_text():
    out = render_html(_report(), {})
    assert "\x1b" not in out and "<script>" not in out
    assert html.escape(SHOWN, quote=False) in out or html.escape(SHOWN) in out
    assert ONCALL_SHOWN in out


@pytest.mark.parametrize("raw", ["a\nb", "a\tb", "a\rb"])
def test_markdown_escapes_controls_as_text_does(raw):
    from slocompiler.live.text import markdown, printable

    assert markdown(raw) == markdown(printable(raw))
