"""`slo report --format html` (live/report/html.py): self-contained, escaped, deterministic, a chart per SLO and per owner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_sample import AMP, BURNDOWN, DAY, FROM, HOUR, REPORT, SCRIPT, TO

from slocompiler.live.report import charts
from slocompiler.live.report.html import iso, percent, render_html

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
# SVG elements the template closes itself (`<rect .../>`); the HTML parser reports them as start-end tags.
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}


class Page(HTMLParser):
    """The rendered page as a tree walker sees it: elements in order, text per element, nesting checked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.texts.append((tuple(self.stack), data))

    def text(self) -> str:
        return " ".join(data for _, data in self.texts)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert not page.errors, page.errors
    assert page.stack == [], page.stack
    return page


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(REPORT, BURNDOWN)


def test_no_script_and_nothing_fetched(html):
    assert "<script" not in html.lower()
    assert "://" not in html  # no URL at all: nothing external to load, not even an SVG namespace
    page = parse(html)
    tags = {tag for tag, _, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"}, tags
    for tag, attrs, _ in page.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in URL_ATTRIBUTES:
                assert name == "href" and value.startswith("#"), (tag, name, value)
    style = "".join(data for stack, data in page.texts if stack and stack[-1] == "style")
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    assert "@media print" in style
    csp = [a for t, a, _ in page.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]


def test_hostile_strings_are_text(html):
    assert "<script>alert" not in html and "<img src=x" not in html and "<i>night" not in html and "<b>not" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;a&amp;b&#34;" in html
    page = parse(html)
    text = page.text()
    for hostile in (SCRIPT, AMP, "<img src=x onerror=alert(2)>", "<i>night</i>", "<b>not</b>"):
        assert hostile in text, hostile
    # The SLO id is its section's heading, and the link in the summary points at that section.
    headings = [data for stack, data in page.texts if stack[-1:] == ("h2",)]
    assert SCRIPT in headings and "checkout-availability" in headings
    anchors = [a["href"] for t, a, _ in page.elements if t == "a"]
    ids = {a["id"] for _, a, _ in page.elements if "id" in a}
    assert anchors == ["#slo-1", "#slo-2"] and set(anchor[1:] for anchor in anchors) <= ids


def test_summary_row_holds_every_figure(html):
    page = parse(html)
    cells = [data for stack, data in page.texts if "tbody" in stack and "table" in stack and stack[-1] in ("td", "a")]
    first = cells[: cells.index(SCRIPT)]
    assert first == ["checkout-availability", "checkout", AMP, "99.95%", "99.5%", "99.821%", "358%", "no", "yes", "3", "1", "99.5%"]
    second = cells[cells.index(SCRIPT) : cells.index(SCRIPT) + 12]
    assert second == [SCRIPT, "<img src=x onerror=alert(2)>", SCRIPT, "99.9%", "-", "99.995%", "5%", "yes", "-", "0", "0", "-"]


def test_incidents_history_advice(html):
    text = parse(html).text()
    assert "2026-11-04T14:00:00Z" in text and "2026-11-04T16:00:00Z" in text and "120%" in text
    assert "2026-11-18T02:02:00Z" in text and "2026-11-18T05:00:00Z" in text and "238%" in text
    assert "99.961%" in text and "99.99%" in text and "0.9999000000000001" not in html
    assert REPORT["slos"][0]["advice"] in text
    assert "No incidents." in text


def _svgs(page: Page) -> list[list[tuple[str, dict]]]:
    """Each <svg>'s elements."""
    out: list[list[tuple[str, dict]]] = []
    for tag, attrs, stack in page.elements:
        if tag == "svg":
            out.append([])
        elif "svg" in stack:
            out[-1].append((tag, attrs))
    return out


def test_a_burn_down_per_slo_and_bars_per_owner(html):
    page = parse(html)
    svgs = _svgs(page)
    assert len(svgs) == 4  # two SLOs, two owners
    for svg in svgs[:2]:
        assert [t for t, a in svg if t == "polyline"], svg
        assert [a for t, a in svg if t == "line" and a.get("class") == "zero"]
    incidents = [a for t, a in svgs[0] if a.get("class") == "incident"]
    assert len(incidents) == 2 and all(float(a["width"]) >= 1 for a in incidents)
    assert not [a for t, a in svgs[1] if a.get("class") == "incident"]
    # Remaining budget goes to -258%: the axis reaches below it, the line ends below the 0 line.
    zero = float(next(a for t, a in svgs[0] if a.get("class") == "zero")["y1"])
    polyline = next(a for t, a in svgs[0] if t == "polyline")["points"].split()
    assert float(polyline[0].split(",")[1]) < zero < float(polyline[-1].split(",")[1])
    chart_texts = [data for stack, data in page.texts if "svg" in stack]
    assert "-300%" in chart_texts and "0%" in chart_texts and "100%" in chart_texts
    assert "2026-11-02" in chart_texts and "2026-11-30" in chart_texts  # Mondays
    bars = [a for t, a in svgs[2] if a.get("class") == "bar"]
    assert [float(a["height"]) > 0 for a in bars] == [True, False, True, False, False]


def test_deterministic(html):
    assert render_html(REPORT, BURNDOWN) == html
    # A fresh interpreter with another hash seed writes the same bytes.
    code = (
        "import sys; sys.path.insert(0, 'tests'); from report_sample import REPORT, BURNDOWN;"
        "from slocompiler.live.report.html import render_html; sys.stdout.write(render_html(REPORT, BURNDOWN))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parent.parent
    other = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert other.stdout == html


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [
        (0.9995, "99.95%"),
        (0.9999000000000001, "99.99%"),
        (0.1 + 0.2, "30%"),
        (3.58, "358%"),
        (1, "100%"),
        (0, "0%"),
        (0.99999999, "99.9999%"),  # not 100%: the SLO was not perfect
        (1.00000001, "100.0001%"),
        (0.000000001, "0.0001%"),
        (0.123456789, "12.3457%"),
        (None, "-"),
    ],
)
def test_percent(ratio, shown):
    assert percent(ratio) == shown


def test_iso():
    assert iso(FROM) == "2026-11-01T00:00:00Z"
    assert iso(FROM + 17 * DAY + 2 * HOUR + 120) == "2026-11-18T02:02:00Z"


def test_time_ticks_fit_every_period():
    month = charts.time_ticks(FROM, TO)
    assert [label for _, label in month] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
    assert [label for _, label in charts.time_ticks(FROM, FROM + DAY)] == [
        "11-01 00:00", "11-01 06:00", "11-01 12:00", "11-01 18:00", "11-02 00:00",
    ]
    quarter = charts.time_ticks(1790812800, 1798761600)  # 2026-10-01 .. 2027-01-01
    assert [label for _, label in quarter] == ["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]
    year = charts.time_ticks(1767225600, 1798761600)  # 2026
    assert len(year) <= charts.MAX_TICKS and year[0][1] == "2026-01-01"
    spans = ((FROM, TO), (FROM, FROM + DAY), (1767225600, 1798761600), (FROM, FROM + 7 * DAY), (FROM + 4 * DAY, FROM + 54 * DAY),
             (FROM + 600, FROM + 2400), (FROM, FROM + 3 * 365 * DAY))
    for start, end in spans:
        ticks = charts.time_ticks(start, end)
        assert 2 <= len(ticks) <= charts.MAX_TICKS and all(start <= t <= end for t, _ in ticks)


def test_time_ticks_in_the_reports_zone():
    # A month of a Kolkata report (UTC+5:30) starts at 18:30 UTC: its ticks are local Mondays' midnights, not UTC's.
    start, end = FROM - 5 * HOUR - 1800, TO - 5 * HOUR - 1800
    month = charts.time_ticks(start, end, "Asia/Kolkata")
    assert [label for _, label in month] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
    assert all(t % DAY == DAY - 5 * HOUR - 1800 for t, _ in month)
    hours = charts.time_ticks(start, start + DAY, "Asia/Kolkata")
    assert [label for _, label in hours][:2] == ["11-01 00:00", "11-01 06:00"] and hours[0][0] == start
    # New York's quarter: months start at local midnight, 04:00 or 05:00 UTC by daylight saving time.
    quarter = charts.time_ticks(1790827200, 1798779600, "America/New_York")  # 2026-10-01 .. 2027-01-01 local
    assert quarter == [(1790827200, "2026-10-01"), (1793505600, "2026-11-01"), (1796101200, "2026-12-01"),
                       (1798779600, "2027-01-01")]
    # Across the clocks going back (2026-11-01 in New York), day ticks stay on local midnights.
    week = charts.time_ticks(1793505600 - 3 * DAY, 1793505600 + 4 * DAY, "America/New_York")
    assert [label for _, label in week][2:5] == ["2026-10-31", "2026-11-01", "2026-11-02"]
    assert [t for t, _ in week][3:5] == [1793505600, 1793505600 + DAY + HOUR]


def test_a_long_series_is_thinned_to_the_pixels():
    minutes = [(t, 1 - (t - FROM) / (TO - FROM)) for t in range(FROM, TO + 1, 60)]
    chart = charts.burndown(FROM, TO, minutes, [])
    assert len(chart.points.split()) <= 4 * (charts.PLOT_W + 1)
    assert chart.points.split()[0] == f"{charts.LEFT},{charts.TOP}"


def test_level_runs_and_order():
    """A budget that holds still is two points; points given out of order are drawn in time order; NaN and points outside the period are left out."""
    flat = [(t, 1.0) for t in range(FROM, TO + 1, 60)]
    assert charts.burndown(FROM, TO, flat, []).points == f"{charts.LEFT},{charts.TOP} {charts.LEFT + charts.PLOT_W},{charts.TOP}"
    shuffled = [(TO, 0.0), (FROM - DAY, 5.0), (FROM, 1.0), (FROM + DAY, float("nan"))]
    chart = charts.burndown(FROM, TO, shuffled, [])
    assert chart.points == f"{charts.LEFT},{charts.TOP} {charts.LEFT + charts.PLOT_W},{chart.zero}"


def test_no_data_and_empty_report():
    chart = charts.burndown(FROM, TO, [], [])
    assert chart.points == ""
    empty = {"period": {"from": FROM, "to": TO}, "slos": [], "owners": []}
    text = parse(render_html(empty, {})).text()
    assert "No SLO in this report." in text and "No owner in this report." in text
    one = {**REPORT, "slos": [{**REPORT["slos"][1], "sli": None}], "owners": []}
    page = parse(render_html(one, {}))
    assert "no data" in [data for stack, data in page.texts if "svg" in stack]


def test_noisy_pages_listed_with_their_alerts():
    owner = {
        **REPORT["owners"][0],
        "noisy_pages": [{"alert": "<CheckoutAvailabilityPage>", "start": FROM + DAY, "end": FROM + DAY + 300}],
    }
    page = parse(render_html({**REPORT, "owners": [owner]}, BURNDOWN))
    items = [data for stack, data in page.texts if stack[-1:] == ("li",)]
    assert items == ["<CheckoutAvailabilityPage>, start 2026-11-02T00:00:00Z, end 2026-11-02T00:05:00Z"]


def test_the_template_has_no_arithmetic():
    """Layout only: html.py and charts.py compute; the template places what they give."""
    template = Path(charts.__file__).resolve().parent.parent.parent / "templates" / "report" / "report.html.j2"
    for expression in re.findall(r"\{\{(.*?)\}\}", template.read_text(encoding="utf-8")):
        assert not re.search(r"[-+*/%]|\|\s*safe", expression), expression


def test_golden(golden, html):
    """The whole page, byte for byte (`pytest --update-golden` re-records it): a layout change shows in review."""
    golden("report/sample.html", html)


def test_times_in_the_reports_zone_and_weeks_by_name():
    """`--timezone` reaches the HTML: the period, incidents and previous periods in the zone text and Markdown use,
    named; pages per week by ISO week, as the JSON's `weeks` names them."""
    import copy

    report = copy.deepcopy(REPORT)
    report["period"].update({"zone": "Europe/Berlin", "name": "2026-11 (Europe/Berlin)"})
    for owner in report["owners"]:
        owner["weeks"] = [f"2026-W{44 + i}" for i in range(len(owner["pages_per_week"]))]
    out = render_html(report, BURNDOWN)
    assert "SLO report 2026-11 (Europe/Berlin)</h1>" in out
    assert "(Europe/Berlin; the end excluded)" in out and "<th>Start (Europe/Berlin)</th>" in out
    first = report["slos"][0]["incidents"][0]["start"]  # 2026-11-04 14:00 UTC: 15:00 in Berlin (CET)
    assert iso(first) == "2026-11-04T14:00:00Z" and "2026-11-04T15:00:00+01:00" in out
    assert "week W44: " in out and "week 1: " not in out


def test_notes_and_out_of_hours_pages_as_text_and_markdown_list_them():
    """The handout says what the tables do not: why an SLO has no figure, a composite's members, each out-of-hours
    page with its alert (text and Markdown list them)."""
    import copy

    report = copy.deepcopy(REPORT)
    report["slos"][0]["no_data"] = "no traffic in the period (0/0)"
    report["slos"][0]["members"] = [{"slo_id": "pay-<b>", "weight": 2.0, "when_no_data": "skip", "ratio": 0.001,
                                     "contribution": 0.002, "share": 1.0}]
    late = {"alert": "CheckoutAvailabilityErrorBudgetBurn (page 1h)", "slo_id": "checkout-availability",
            "start": FROM + 2 * HOUR, "end": FROM + 3 * HOUR}
    report["owners"][0]["out_of_hours"] = [late]
    page = Page()
    page.feed(render_html(report, BURNDOWN))
    shown = [text for _, text in page.texts]
    assert "no data over the period: no traffic in the period (0/0)" in shown
    assert "member pay-<b> (weight 2): error ratio 0.001, share of the composite's 100.0%" in shown
    assert ("CheckoutAvailabilityErrorBudgetBurn (page 1h), slo_id checkout-availability, start 2026-11-01T02:00:00Z, "
            "end 2026-11-01T03:00:00Z") in shown
