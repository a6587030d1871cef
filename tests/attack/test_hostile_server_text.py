"""Server text (errors, reasons, headers, label names and values) is printed as text in every format, never as structure.

HOSTILE holds what a server could use against the terminal or the CI log
reading the output: ANSI escapes (7-bit and the 8-bit CSI), a newline
followed by a GitHub Actions workflow command, Markdown links, emphasis,
an @mention, a table cell boundary and HTML.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest

from attack.fake_server import (  # noqa: F401
    AT,
    SPECS,
    Reply,
    Request,
    error,
    fake_server,
    matrix,
    ok,
    run_in_process,
    run_slo,
    vector,
)

HOSTILE = "eu\x1b[2J\x9b31m\n::error file=x,line=1::pwned [l](http://e.example) @team **b** |c<script>"
INJECTED = "::error file=x"


def assert_inert(output: str) -> None:
    """No escape reaches the terminal, and no line of the output is a workflow command the server wrote."""
    assert "\x1b" not in output and "\x9b" not in output, output
    assert not any(line.lstrip().startswith(INJECTED) for line in output.splitlines()), output


def _one_line_exit_3(result) -> str:
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == 3, (code, result.stdout[-500:], result.stderr[-500:])
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert_inert(result.stderr)
    return result.stderr


def _status(url: str, *extra: str):
    return run_in_process("status", SPECS, "--prometheus", url, "--at", AT, *extra)


# -- the client's errors ---------------------------------------------------------
def test_an_error_message_and_type_are_escaped(fake_server):
    fake_server.reply = Reply(error(HOSTILE, kind="exec\x1b[31mution"), status=422)
    message = _one_line_exit_3(_status(fake_server.url))
    assert "rejected the query (exec\\x1b[31mution): eu\\x1b[2J\\x9b31m ::error file=x,line=1::pwned" in message


def test_the_real_command_prints_one_inert_line(fake_server):
    fake_server.reply = Reply(error(HOSTILE), status=400)
    result = run_slo("status", SPECS, "--prometheus", fake_server.url, "--at", AT)
    assert "\\x1b[2J" in _one_line_exit_3(result)


def test_a_reason_phrase_is_inert(fake_server):
    # h11 takes bytes 0x80-0xff in a reason phrase (obs-text): \x9b is the 8-bit CSI.
    fake_server.reply = Reply(b"", status=503, reason="Busy\x9b2J\x9b31m")
    message = _one_line_exit_3(_status(fake_server.url))
    assert "answered HTTP 503 Busy" in message


def test_a_content_type_is_escaped(fake_server):
    fake_server.reply = Reply(b"<html/>", content_type="text/html\x9b2J")
    message = _one_line_exit_3(_status(fake_server.url))
    assert "with text/html\\x9b2J, not the Prometheus API's JSON" in message


def test_a_redirect_target_is_escaped(fake_server):
    fake_server.reply = Reply(status=307, reason="Temporary Redirect", headers=[("Location", "/pro\x9bmetheus/")])
    message = _one_line_exit_3(_status(fake_server.url))
    assert "/pro\\x9bmetheus/" in message


def test_a_status_line_no_parser_accepts_is_one_inert_line(fake_server):
    fake_server.reply = Reply(b"", status=200, reason="OK\x1b[2J\r\n::error file=x::pwned\r\nX-A: b")
    message = _one_line_exit_3(_status(fake_server.url))
    assert "cannot reach Prometheus" in message or "not the Prometheus API" in message


# -- verify: label names and values in every format ---------------------------------
def _verify_reply(request: Request) -> Reply:
    if request.path.endswith("/series"):
        # The total's series lack the group_by label `region`: verify lists the labels they have.
        return Reply(ok([{"__name__": "http_requests_total", "job": "shop", HOSTILE: "1"}]))
    if request.path.endswith("/metadata"):
        return Reply(ok({}))
    if request.query.startswith("min_over_time("):
        return Reply(vector(({"region": HOSTILE}, "0")))
    return Reply(vector())


@pytest.mark.parametrize("form", ["text", "json", "github", "markdown"])
def test_verify_prints_label_names_and_values_as_text(fake_server, form):
    fake_server.reply = _verify_reply
    result = run_in_process("verify", SPECS, "--prometheus", fake_server.url, "--at", AT, "--format", form)
    assert result.exit_code == 1, result.output  # the group_by error
    assert_inert(result.output)
    if form == "json":
        found = json.loads(result.stdout)
        text = " ".join(d["message"] + " " + d.get("hint", "") for d in found)
        assert "eu\\x1b[2J\\x9b31m\\n::error" in text  # escaped in the message itself, so in any reader too
    elif form == "markdown":
        assert "[l](" not in result.stdout and " @team" not in result.stdout and "**b**" not in result.stdout
        assert "<script>" not in result.stdout and " |c" not in result.stdout
        # Rendered, the escapes show what the plain text shows: `eu\x1b[2J...`.
        assert "region\\=eu\\\\x1b\\[2J" in result.stdout
        assert "\\[l\\]\\(http\\:\\/\\/e\\.example\\) \\@team \\*\\*b\\*\\* \\|c\\<script\\>" in result.stdout
    elif form == "github":
        # Every line is one of verify's two annotations, the server's text inside it.
        lines = result.stdout.splitlines()
        assert len(lines) == 2 and all(line.startswith(("::error file=", "::warning file=")) for line in lines)
        assert all("shop.slo," in line.split("::")[1] for line in lines), lines
    else:
        assert "low traffic for region=eu\\x1b[2J\\x9b31m\\n::error" in result.output


# -- backtest: group values in every format -------------------------------------------
def backtest_reply(region: str):
    """A server with one group, `region`, whose error ratio is 0 at every step of every range asked."""
    def reply(request: Request) -> Reply:
        if request.path.endswith("query_range"):
            start, end, step = (float(request.form[k][0]) for k in ("start", "end", "step"))
            steps = int((end - start) // step)
            points = [[start + i * step, "0"] for i in range(steps + 1)]
            return Reply(matrix(({"region": region}, points)))
        return Reply(vector(({"region": region}, "0")))
    return reply


@pytest.mark.parametrize("form", ["text", "json", "markdown"])
def test_backtest_prints_group_values_as_text(fake_server, form, tmp_path):
    fake_server.reply = backtest_reply(HOSTILE)
    svg = tmp_path / "timeline.svg"
    result = run_in_process("backtest", SPECS, "--prometheus", fake_server.url, "--from", "1699996400", "--to", AT,
                            "--format", form, "--svg", str(svg))
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    if form == "json":
        assert json.loads(result.stdout)[0]["group"] == {"region": HOSTILE}  # JSON carries the value, escaped by JSON
    elif form == "markdown":
        assert '## `shop-checkout` \\{region\\=\\"eu\\\\x1b\\[2J' in result.stdout and "[l](" not in result.stdout
    else:
        assert 'shop-checkout {region="eu\\x1b[2J\\x9b31m\\n::error file=x,line=1::pwned' in result.stdout
    drawing = svg.read_text(encoding="utf-8")
    assert_inert(drawing)
    titles = [node.text for node in ElementTree.fromstring(drawing).iter("{http://www.w3.org/2000/svg}text")]
    assert any(t and "\\x1b[2J" in t and "<script>" in t for t in titles), titles  # XML-escaped, read back as text


def test_backtest_against_prints_group_values_as_text(fake_server):
    fake_server.reply = backtest_reply(HOSTILE)
    for form in ("text", "markdown"):
        result = run_in_process("backtest", SPECS, "--prometheus", fake_server.url, "--from", "1699996400",
                                "--to", AT, "--format", form, "--against", SPECS)
        assert result.exit_code == 0, result.output
        assert_inert(result.output)
        assert "\\x1b" in result.output
