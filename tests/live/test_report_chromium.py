"""The HTML report opened in a real headless Chromium: the text and charts it shows, with JavaScript on and off, and a screenshot.

Not a Prometheus test: it sits in tests/live with the other tests of real
programs, in its own pytest-xdist group so it runs beside the server's.
"""

from __future__ import annotations

import json
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import chromium as browser
import pytest
from report_sample import AMP, BURNDOWN, REPORT, SCRIPT

from slocompiler.live.report.html import render_html

pytestmark = pytest.mark.xdist_group("chromium")

WIDTH, HEIGHT = 1200, 2000
# Shows `static` when scripts are off, `js-ran` when they run: proof that a run had them off.
CONTROL = "<!DOCTYPE html><p id=x>static</p><script>document.getElementById('x').textContent = 'js-ran'</script>"


class Dom(HTMLParser):
    """Chromium's dumped DOM: its elements and their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]

    def handle_data(self, data):
        if data.strip() and not (self.stack and self.stack[-1] in ("style", "title") and "svg" not in self.stack):
            self.words.append(data.strip())


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(REPORT, BURNDOWN), encoding="utf-8")
    return path


def _parse(html: str) -> Dom:
    dom = Dom()
    dom.feed(html)
    dom.close()
    return dom


@pytest.fixture(scope="module")
def shown(chromium, page, tmp_path_factory) -> Dom:
    """The DOM as `chromium --headless --dump-dom` prints it."""
    return _parse(browser.run(chromium, tmp_path_factory.mktemp("profile"), "--dump-dom", page.as_uri()).stdout)


def test_the_browser_shows_every_slo_and_figure_as_text(shown):
    text = " ".join(shown.words)
    for expected in ("checkout-availability", SCRIPT, AMP, "<img src=x onerror=alert(2)>", "<i>night</i>",
                     "99.95%", "99.821%", "358%", "99.995%", "2026-11-04T14:00:00Z", "2026-11-18T05:00:00Z", "238%",
                     REPORT["slos"][0]["advice"]):
        assert expected in text, expected
    tags = [tag for tag, _ in shown.tags]
    # The hostile strings stayed text: no element came of them.
    assert "script" not in tags and "img" not in tags and "i" not in tags and "b" not in tags


def test_the_browser_builds_the_charts(shown):
    tags = [tag for tag, _ in shown.tags]
    assert tags.count("svg") == 4
    assert tags.count("polyline") == 2
    assert len([a for t, a in shown.tags if t == "rect" and a.get("class") == "incident"]) == 2
    assert len([a for t, a in shown.tags if t == "rect" and a.get("class") == "bar"]) == 10
    assert "2026-11-02" in shown.words and "-300%" in shown.words


def test_the_same_with_javascript_off(chromium, page, shown, tmp_path):
    control = tmp_path / "control.html"
    control.write_text(CONTROL, encoding="utf-8")
    (report, _, _), (scripts, _, _) = browser.over_pipe(
        chromium, tmp_path / "profile", [page.as_uri(), control.as_uri()], "--blink-settings=scriptEnabled=false",
    )
    assert "static" in _parse(scripts).words, scripts  # scripts were off in that browser
    off = _parse(report)
    assert off.words == shown.words
    assert off.tags == shown.tags


def test_the_control_page_tells_scripts_on_from_off(chromium, tmp_path):
    control = tmp_path / "control.html"
    control.write_text(CONTROL, encoding="utf-8")
    ((scripts, _, _),) = browser.over_pipe(chromium, tmp_path / "profile", [control.as_uri()])
    assert "js-ran" in _parse(scripts).words, scripts


# Every colour of text and every background outside the charts, as the browser computes them.
COLOURS = """JSON.stringify(Object.fromEntries(['color', 'backgroundColor'].map(p => [p, [...new Set(
    [...document.querySelectorAll('body, body *')].filter(e => !e.closest('svg')).map(e => getComputedStyle(e)[p]))].sort()])))"""


def test_printed_black_on_white(chromium, page, tmp_path):
    ((_, _, colours),) = browser.over_pipe(chromium, tmp_path / "profile", [page.as_uri()], media="print", evaluate=COLOURS)
    assert json.loads(colours) == {"color": ["rgb(0, 0, 0)"], "backgroundColor": ["rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"]}


def _png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still filtered) scanlines of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, width, height, idat = 8, 0, 0, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    return width, height, zlib.decompress(idat)


def test_a_screenshot_that_is_not_blank_and_the_same_without_javascript(chromium, page, tmp_path):
    shot = tmp_path / "report.png"
    browser.run(chromium, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    width, height, rows = _png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    # A blank white page compresses to a few KB of a handful of byte values; text, tables and charts do not.
    assert shot.stat().st_size > 40_000
    assert len(set(rows)) > 100
    stride = len(rows) // height
    assert len({rows[i * stride : (i + 1) * stride] for i in range(height)}) > height // 4
    ((_, off, _),) = browser.over_pipe(
        chromium, tmp_path / "profile-off", [page.as_uri()], "--blink-settings=scriptEnabled=false", size=(WIDTH, HEIGHT),
    )
    assert _png(off) == (width, height, rows)
