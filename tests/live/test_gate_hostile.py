"""`status` and `gate` against a server that answers numbers that are not figures, or labels that are not text.

A local listener answers every query with the same sample.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import SPECS, run, strict_json

AT = "1700000000"


@pytest.fixture
def answer():
    """A listener; set `behaviour` to what it answers: status, body, content type, headers, trickle."""
    behaviour: dict = {"status": 200, "body": b"", "type": "application/json", "headers": (), "trickle": 0}
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            seen.append({"path": self.path, **dict(self.headers)})
            body = behaviour["body"]
            try:
                self.send_response(behaviour["status"])
                self.send_header("Content-Type", behaviour["type"])
                self.send_header("Content-Length", str(len(body)))
                for name, value in behaviour["headers"]:
                    self.send_header(name, value.replace("{port}", str(self.server.server_address[1])))
                self.end_headers()
                if behaviour["trickle"]:
                    for byte in body:  # one byte at a time: each read is quick, the whole is not
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(behaviour["trickle"])
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", behaviour, seen
    httpd.shutdown()
    httpd.server_close()


def _ok(data) -> bytes:
    return json.dumps({"status": "success", "data": data}).encode()
# A group value trying to be structure in every format: a terminal escape (7-bit and C1), a GitHub
# annotation on a line of its own, a Markdown image and link, HTML, and a line separator.
EVIL = "eu\x1b[31m\x9b2J\n::error file=x.slo,line=1::forged\r\n![x](https://evil.example/p.png)<b>[y](http://e)\u2028z"


def _sample(value: str, labels: dict | None = None) -> bytes:
    return _ok({"resultType": "vector", "result": [{"metric": labels or {}, "value": [1, value]}]})


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf"])
def test_a_number_that_is_no_figure_never_passes_the_gate(answer, value):
    # Every query answers this one value: no window has a figure, so there is no decision: exit 3.
    url, behaviour, _ = answer
    behaviour["body"] = _sample(value)
    slo = ("--slo", "quiet-availability")
    result = run("gate", SPECS, "--prometheus", url, "--at", AT, *slo, "--format", "json")
    assert result.exit_code == 3, result.output
    document = strict_json(result.stdout)
    assert document["result"] == "no_data" and document["no_data"][0]["windows"]["7d"]
    status = run("status", SPECS, "--prometheus", url, "--at", AT, *slo, "--format", "json")
    (item,) = strict_json(status.stdout)
    assert item["data"] == "no_data" and item["sli"] is None and set(item["burn_rate"].values()) == {None}
    assert set(item["no_data_windows"]) == set(item["burn_rate"]) and all(item["no_data_windows"].values())


@pytest.mark.parametrize("value", ["1e308", "-1e308"])
def test_a_ratio_too_large_is_null_with_a_reason(answer, value):
    # A ratio of 1e308 over a 0.1% budget: a burn rate of infinity, which JSON cannot hold.
    url, behaviour, _ = answer
    behaviour["body"] = _sample(value)
    slo = ("--slo", "quiet-availability")
    (item,) = strict_json(run("status", SPECS, "--prometheus", url, "--at", AT, *slo, "--format", "json").stdout)
    assert item["burn_rate"]["1d"] is None and item["no_data_windows"]["1d"].startswith("a ratio too large")
    result = run("gate", SPECS, "--prometheus", url, "--at", AT, *slo, "--format", "json")
    document = strict_json(result.stdout)
    # The SLO window is the ratio of two sums the server answers alike (1e308 / 1e308: 100% errors): that blocks.
    assert result.exit_code == 1 and {n["slo_id"] for n in document["no_data"]} == {"quiet-availability"}
    text = run("status", SPECS, "--prometheus", url, "--at", AT, *slo).stdout
    assert "inf" not in text.lower() and "1d:no data" in text


@pytest.fixture
def evil(answer):
    url, behaviour, _ = answer
    # A ratio of 1: the budget is spent, so the gate blocks and names the group.
    behaviour["body"] = _sample("1", {"region": EVIL})
    return url


def _run(url: str, command: str, output_format: str):
    return run(command, SPECS, "--prometheus", url, "--at", AT, "--slo", "checkout-availability", "--format", output_format)


@pytest.mark.parametrize("command, output_format", [("status", "text"), ("status", "markdown"), ("status", "json"),
                                                    ("gate", "text"), ("gate", "markdown"), ("gate", "github"),
                                                    ("gate", "json")])
def test_server_text_is_never_structure(evil, command, output_format):
    result = _run(evil, command, output_format)
    assert result.exit_code == (1 if command == "gate" else 0), result.output
    out = result.stdout
    for character in ("\x1b", "\x9b", "\r", "\u2028"):
        assert character not in out, (character, out)
    lines = out.splitlines()
    # Every annotation is ours, at the spec: none starts where the value's newline would have put it.
    assert all(line.startswith(f"::error file={SPECS}/shop.slo,") for line in lines if line.startswith("::"))
    if output_format == "json":
        document = strict_json(out)
        groups = [item["group"] for item in document] if command == "status" else [b["group"] for b in document["blocked_by"]]
        assert groups and all(group == {"region": EVIL} for group in groups)  # the same text, as data
    elif output_format == "markdown":
        rows = [line for line in lines if line.startswith("| checkout-availability")]
        # Backslash-escaped: no image, no link, no tag.
        assert "![" not in out and "](http" not in out and out.count("<b>") == out.count("\\<b>") == len(rows)
        assert rows and all(row.count(" | ") == (7 if command == "status" else 3) for row in rows)
    else:
        # One line per finding: the group's newline is `\n` on the line.
        assert "\\n::error file=x.slo" in out
