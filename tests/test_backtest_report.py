"""Backtest reports on synthetic replays: the contract's JSON, text, markdown, the comparison, the SVG timeline."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from decimal import Decimal

from slocompiler.live.backtest import compare, report
from slocompiler.live.backtest.fetch import grid
from slocompiler.live.backtest.model import ConditionSpec, RuleSpec
from slocompiler.live.backtest.replay import replay
from slocompiler.live.backtest.svg import timeline

STEP = 60
START = 1_700_000_040  # 2023-11-14 22:14 UTC


def condition(severity: str, burn: str, long: int, short: int, key: str, for_: int = 0) -> ConditionSpec:
    return ConditionSpec("ShopErrorBudgetBurn", severity, key, Decimal(burn), Decimal(burn) / 1000, long, short, for_)


PAGE = condition("page", "14.4", 3600, 300, "1h")
TICKET = condition("ticket", "1", 86400, 7200, "1d")


def make(page_from: int, page_to: int, group: dict | None = None):
    """Twenty evaluations: a burn at 3..6, the page firing from page_from to page_to, the ticket at 10..12."""
    n = 20
    times = [START + i * STEP for i in range(n)]
    burst = [0.5 if 3 <= i <= 6 else 0.0 for i in range(n)]
    page = [0.5 if page_from <= i <= page_to else 0.0 for i in range(n)]
    ticket = [0.5 if 10 <= i <= 12 else 0.0 for i in range(n)]
    windows = {300: burst, 3600: page, 86400: ticket, 7200: ticket}
    # The 5m window is also the page's short window: give it the page's shape where the page fires.
    windows[300] = [max(a, b) for a, b in zip(burst, page)]
    rules = [RuleSpec(k.alert, k.severity, (k,), k.for_) for k in (PAGE, TICKET)]
    return replay("shop-api", group or {}, Decimal("0.999"), 30 * 86400, rules, windows, times, START,
                  times[-1], STEP, 300, 0.75)


def test_json_has_exactly_the_contract_keys():
    out = json.loads(report.to_json([make(4, 7)]))
    assert out == [{
        "slo_id": "shop-api", "from": START, "to": START + 19 * STEP, "step": 60,
        "alerts": [
            {"alert": "ShopErrorBudgetBurn", "severity": "page", "long": "1h", "short": "5m",
             "fired": [[START + 4 * STEP, START + 7 * STEP]], "min_failures": 0, "withheld_by_min_failures": []},
            {"alert": "ShopErrorBudgetBurn", "severity": "ticket", "long": "1d", "short": "2h",
             "fired": [[START + 10 * STEP, START + 12 * STEP]], "min_failures": 0, "withheld_by_min_failures": []},
        ],
        "error_budget_remaining_at_end": 0.75,
    }]


def test_json_adds_the_group_with_group_by():
    out = json.loads(report.to_json([make(4, 7, {"region": "eu"})]))
    assert list(out[0]) == ["slo_id", "group", "from", "to", "step", "alerts", "error_budget_remaining_at_end"]
    assert out[0]["group"] == {"region": "eu"}


def test_text_report():
    text = report.to_text([make(4, 7)])
    assert text.splitlines()[:5] == [
        "shop-api",
        "  2023-11-14 22:14 to 2023-11-14 22:33 UTC, every 1m",
        "  pages 1 (firing 4m, longest 4m); tickets 1 (firing 3m, longest 3m)",
        "  incidents 1 (burn above 14.4x over 5m), missed 0; noise pages 0",
        "  error budget remaining at the end: 75.0%",
    ]
    assert "  2023-11-14 22:17  2023-11-14 22:21  5m      500x       1m        0s" in text


def test_markdown_report_is_tables():
    text = report.to_markdown([make(4, 7)])
    assert "## `shop-api`" in text
    assert "| alert | rule | fired | total | longest |" in text
    assert "| ShopErrorBudgetBurn | page 1h | 1 | 4m | 4m |" in text


def test_comparison_names_what_changed():
    slower, faster = make(6, 9), make(4, 7)
    text = compare.to_text([faster], [slower], "main/specs")
    assert "changed: pages firing 4m → 4m" not in text
    assert "detection of the 2023-11-14 22:17 incident 3m → 1m" in text
    markdown = compare.to_markdown([faster], [slower], "main/specs")
    assert "| detection of the 2023-11-14 22:17 incident | 3m | **1m** |" in markdown


def test_comparison_json_holds_both_lists():
    out = json.loads(compare.to_json_pair([make(4, 7)], [make(6, 9)]))
    assert set(out) == {"current", "against"} and out["current"][0]["slo_id"] == "shop-api"


def test_svg_timeline_is_well_formed_and_draws_each_firing_interval():
    svg = timeline([make(4, 7)], "specs/<shop>.slo")
    root = ElementTree.fromstring(svg.split("\n", 1)[1])
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    # background, one incident, the frame, one page and one ticket interval
    assert len(rects) == 5
    assert "&lt;shop&gt;" in svg


def test_grid_starts_early_enough_for_for():
    where = grid(1000, 2000, 60, 150)
    assert where.start == 1000 - 180 and where.end == 1000 + 960 and where.index(1000) == 3


def test_spans_join_nearby_stretches_and_give_up_when_most_is_needed():
    from slocompiler.live.backtest.fetch import spans_of

    where = grid(0, 999 * 60, 60, 0)
    mask = [False] * 1000
    for i in (10, 11, 50, 400):
        mask[i] = True
    assert spans_of(mask, where) == [(600, 3000), (24000, 24000)]
    assert spans_of([True] * 600 + [False] * 400, where) is None
    assert spans_of([False] * 1000, where) == []


def test_only_windows_read_as_long_alone_are_sparse():
    from pathlib import Path

    from slocompiler.live.backtest.model import window_plan
    from slocompiler.workflow.compile import load

    spec = Path(__file__).parent / "live" / "backtest" / "default" / "checkout.slo"
    slo = load([str(spec)]).program.services[0].slos[0]
    full, sparse = window_plan(slo, 300)
    # Defaults: 1h/5m, 6h/30m, 3d/6h. 6h is the ticket's short window, so it is read everywhere.
    assert full == [300, 1800, 21600]
    assert {window: [k.key for k in ks] for window, ks in sparse.items()} == {3600: ["1h"], 259200: ["3d"]}


def test_withheld_pages_in_json_and_text():
    page = ConditionSpec("ShopErrorBudgetBurn", "page", "1h", Decimal("14.4"), Decimal("0.0144"), 3600, 300, 0, 10)
    times = [START + i * STEP for i in range(4)]
    pair = [0.0, 0.5, 0.5, 0.0]
    found = replay("shop-api", {}, Decimal("0.999"), 30 * 86400, [RuleSpec(page.alert, "page", (page,), 0)],
                   {300: pair, 3600: pair}, times, START, times[-1], STEP, 300, 0.75,
                   {3600: [None, 0.8333333333333334, 1.6666666666666667, None]})
    (alert,) = json.loads(report.to_json([found]))[0]["alerts"]
    assert alert["fired"] == [] and alert["min_failures"] == 10
    assert alert["withheld_by_min_failures"] == [{"start": START + STEP, "end": START + 2 * STEP, "failures": 1.67}]
    text = report.to_text([found])
    assert "min_failures withheld 1 page(s) the burn-rate pairs alone would have sent (at most 1.67 failures each)" in text
    assert "  page 1h 2023-11-14 22:15  2023-11-14 22:16  2m      1.67      10            not sent" in text
