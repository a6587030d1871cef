"""A server (or proxy) that echoes the request: no credential the user gave is printed, in any form, whatever its length.

Secrets are redacted from what the server says and from URLs, never from
the command's own words: so the secrets here are spelt to appear nowhere
else in a message, and checked in every form a server could send them back.
"""

from __future__ import annotations

import base64
import json

import pytest

from attack.fake_server import AT, SPECS, Reply, Request, error, fake_server, ok, run_in_process, run_slo, vector  # noqa: F401
from slocompiler.live.text import Secrets, basic_forms, header_forms, url_forms


def _echo(request: Request) -> Reply:
    """An error quoting the credentials it received, as some proxies do."""
    sent = {k: v for k, v in request.headers.items() if k in ("authorization", "x-api-key")}
    return Reply(error("got " + " ".join(f"{k}: {v}" for k, v in sent.items())), status=400, reason="Bad Request")


def _one_line_exit_3(result) -> str:
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == 3, (code, result.stdout[-500:], result.stderr[-500:])
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_an_echoing_server_shows_no_token_header_or_short_secret(fake_server, tmp_path):
    token = tmp_path / "token"
    token.write_text("Zq\n")  # two characters: redacted all the same
    fake_server.reply = _echo
    result = run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT,
                            "--header", "X-Api-Key: Xj", "--bearer-token-file", str(token))
    message = _one_line_exit_3(result)
    assert "x-api-key: *** authorization: ***" in message
    assert "Zq" not in message and "Xj" not in message


def test_basic_auth_is_redacted_with_its_base64_form(fake_server, monkeypatch):
    monkeypatch.setenv("SLO_PROMETHEUS_USER", "ann")
    monkeypatch.setenv("SLO_PROMETHEUS_PASSWORD", "^")  # one character, in no word of the message
    fake_server.reply = _echo
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "authorization: Basic ***" in message
    assert _b64("ann:^") not in message and _b64("ann:^").rstrip("=") not in message and "^" not in message


def test_basic_auth_in_a_header_is_redacted_decoded_too(fake_server):
    def reply(request: Request) -> Reply:
        return Reply(error("user ann, password pw-in-header, pair ann:pw-in-header"), status=400)
    fake_server.reply = reply
    header = "Authorization: Basic " + _b64("ann:pw-in-header")
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT,
                                              "--header", header))
    assert "pw-in-header" not in message and "password ***, pair ***" in message


def test_url_user_info_is_redacted_as_written_and_decoded(fake_server):
    # A password holding / ? # @, percent-encoded as it must be; httpx sends it decoded, as basic auth.
    url = fake_server.url.replace("http://", "http://tok%2Fen:s%3Fc%23r%40t@")
    fake_server.reply = lambda request: Reply(
        error(f"{request.headers.get('authorization')} tok/en:s?c#r@t s%3Fc%23r%40t s?c#r@t"), status=400)
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", url, "--at", AT))
    for form in ("tok/en", "s?c#r@t", "s%3Fc%23r%40t", _b64("tok/en:s?c#r@t")):
        assert form not in message, form
    assert message.count("***") >= 4


def test_a_token_alone_in_the_url_is_a_secret(fake_server):
    url = fake_server.url.replace("http://", "http://glpat-tok3n@")
    fake_server.reply = lambda request: Reply(error("token glpat-tok3n refused"), status=401, reason="Unauthorized")
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", url, "--at", AT))
    assert "glpat-tok3n" not in message and "token *** refused" in message


def test_a_token_echoed_in_a_label_value_is_not_printed(fake_server, tmp_path):
    # verify prints label values from the server: the group of a low-traffic warning.
    token = tmp_path / "token"
    token.write_text("Tk9\n")

    def reply(request: Request) -> Reply:
        if request.path.endswith("/series"):
            return Reply(ok([{"__name__": "http_requests_total", "job": "shop", "region": "eu"}]))
        if request.path.endswith("/metadata"):
            return Reply(ok({}))
        if request.query.startswith("min_over_time("):
            return Reply(vector(({"region": "eu-Tk9"}, "0")))
        return Reply(vector())
    fake_server.reply = reply
    for form in ("text", "json", "github", "markdown"):
        result = run_in_process("verify", SPECS, "--prometheus", fake_server.url, "--at", AT,
                                "--bearer-token-file", str(token), "--format", form)
        assert result.exit_code == 0, result.output
        assert "low traffic" in result.output and "Tk9" not in result.output, (form, result.output)


def test_a_token_echoed_in_a_backtest_group_is_not_printed(fake_server, tmp_path):
    from attack.test_hostile_server_text import backtest_reply

    token = tmp_path / "token"
    token.write_text("Tk9\n")
    fake_server.reply = backtest_reply("eu-Tk9")
    for form in ("text", "json", "markdown"):
        result = run_in_process("backtest", SPECS, "--prometheus", fake_server.url, "--from", "1699996400",
                                "--to", AT, "--bearer-token-file", str(token), "--format", form)
        assert result.exit_code == 0, result.output
        shown = "eu\\-\\*\\*\\*" if form == "markdown" else "eu-***"
        assert shown in result.output and "Tk9" not in result.output, (form, result.output)


def test_a_redirect_is_not_followed_and_says_where_without_secrets(fake_server, tmp_path):
    token = tmp_path / "token"
    token.write_text("tok-secret-1")
    fake_server.reply = Reply(status=302, reason="Found", headers=[
        ("Location", f"http://user:pw-secret@localhost:1/prometheus/?token=tok-secret-1#frag")])
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT,
                                              "--header", "X-Api-Key: key-secret-2", "--bearer-token-file", str(token)))
    assert "redirect to http://localhost:1/prometheus/" in message and "secret" not in message
    assert len(fake_server.requests) == 1  # the custom header, which may be a credential, went to no other host


@pytest.mark.parametrize("url", ["http://u:Q1w/E2r@127.0.0.1:9090", "http://u:12/E2r@127.0.0.1:9090",
                                 "http://u:Q1w?E2r@127.0.0.1:9090", "http://u:Q1w#E2r@127.0.0.1:9090"])
def test_a_url_password_holding_url_syntax_is_a_usage_error_that_quotes_none_of_it(url):
    result = run_in_process("status", SPECS, "--prometheus", url, "--at", AT)
    assert result.exit_code == 2 and "--prometheus" in result.stderr, result.output
    assert "Q1w" not in result.output and "E2r" not in result.output and "12" not in result.stderr, result.stderr
    assert "percent-encoded" in result.stderr


def test_an_unencoded_at_in_a_password_is_read_and_never_shown():
    # urllib and httpx both take the last @ as the end of the user-info.
    result = run_in_process("status", SPECS, "--prometheus", "http://u:Q1w@E2r@127.0.0.1:1/", "--at", AT)
    message = _one_line_exit_3(result)
    assert "cannot reach Prometheus at http://127.0.0.1:1/" in message and "Q1w" not in message and "E2r" not in message


@pytest.mark.parametrize("url", ["http://u:secret@127.0.0.1:abc/", "http://u:secret@[::1/", "http://u:secret@127.0.0.1:99999/",
                                 "http://u:secret@/", "ftp://u:secret@127.0.0.1/"])
def test_a_bad_url_is_a_usage_error_without_its_password(url):
    result = run_in_process("status", SPECS, "--prometheus", url, "--at", AT)
    assert result.exit_code == 2 and "--prometheus" in result.stderr and "secret" not in result.stderr


@pytest.mark.parametrize("header", ["X-Token: s\u00e9cret", "Authorization Bearer secret", "X-Token: a\x01secret"])
def test_a_bad_header_is_a_usage_error_without_its_value(header):
    result = run_in_process("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--at", AT, "--header", header)
    assert result.exit_code == 2 and "--header" in result.stderr and "secret" not in result.stderr


def test_a_token_a_header_cannot_carry_is_refused_without_showing_it(tmp_path):
    for content in (b"tok-secret\nline2\n", "tok-secret-\u20ac".encode(), b"\xff\xfetok-secret"):
        token = tmp_path / "token"
        token.write_bytes(content)
        result = run_in_process("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--at", AT,
                                "--bearer-token-file", str(token))
        message = _one_line_exit_3(result)
        assert "secret" not in message and "bearer token file" in message


def test_the_real_command_redacts_too(fake_server, tmp_path):
    # The same echo through the installed `slo`, environment and all.
    fake_server.reply = _echo
    result = run_slo("status", SPECS, "--prometheus", fake_server.url, "--at", AT,
                     env={"SLO_PROMETHEUS_USER": "ann", "SLO_PROMETHEUS_PASSWORD": "p@ss-7"})
    message = _one_line_exit_3(result)
    assert "p@ss-7" not in message and _b64("ann:p@ss-7") not in message and "Basic ***" in message


def test_every_form_of_a_secret_is_redacted_and_nothing_else():
    secrets = Secrets([*header_forms("Bearer abc"), *basic_forms("ann", "p/w"), *url_forms("http://t%40k@host/")])
    text = "Bearer abc; abc; ann:p/w; p%2Fw; " + _b64("ann:p/w") + "; t@k; t%40k; Bearer; ann; host"
    assert secrets.redact(text) == "***; ***; ***; ***; ***; ***; ***; Bearer; ann; host"
    assert not Secrets([""]) and Secrets([""]).redact("text") == "text"
    # Longest first: a secret holding another is never half-shown.
    assert Secrets(["ab", "abcd"]).redact("abcd ab") == "*** ***"


def test_a_json_echo_of_the_secret_is_redacted_too(fake_server, monkeypatch):
    monkeypatch.setenv("SLO_PROMETHEUS_USER", "ann")
    monkeypatch.setenv("SLO_PROMETHEUS_PASSWORD", 'q"uo\\te')
    fake_server.reply = lambda request: Reply(json.dumps({"status": "error", "errorType": "bad_data",
                                                          "error": 'pw q"uo\\te'}).encode(), status=400)
    message = _one_line_exit_3(run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT))
    assert "pw ***" in message and "uo" not in message


def test_a_token_echoed_in_a_group_of_status_or_gate_is_not_printed(fake_server, tmp_path):
    # status and gate print each group's label values from the server.
    token = tmp_path / "token"
    token.write_text("Tk9\n")

    def reply(request: Request) -> Reply:
        if "__name__=~" in request.query:  # no recorded series: the indicator's own
            return Reply(vector())
        return Reply(vector(({"region": "eu-Tk9"}, "0.001")))
    fake_server.reply = reply
    for command, forms in (("status", ("text", "json", "markdown")), ("gate", ("text", "json", "github", "markdown"))):
        for form in forms:
            result = run_in_process(command, SPECS, "--prometheus", fake_server.url, "--at", AT,
                                    "--bearer-token-file", str(token), "--format", form)
            assert result.exit_code in (0, 1, 3), (command, form, result.output)
            assert "eu-" in result.output and "Tk9" not in result.output, (command, form, result.output)


def test_partial_answer_warnings_are_redacted_escaped_and_bounded(fake_server, tmp_path):
    # A proxy's warnings are server text like any other: a credential echoed there is never printed,
    # a terminal escape is shown escaped, and a server inventing a new warning per query prints 20 and a count.
    token = tmp_path / "token"
    token.write_text("sekret-token\n")
    count = iter(range(10_000))

    def reply(request: Request) -> Reply:
        body = json.loads(vector())
        body["warnings"] = [f"store down, token sekret-token \x1b[31m#{next(count)}" for _ in range(15)]
        return Reply(json.dumps(body).encode())

    fake_server.reply = reply
    result = run_in_process("status", SPECS, "--prometheus", fake_server.url, "--at", AT, "--source", "raw",
                            "--bearer-token-file", str(token))
    lines = result.stderr.splitlines()
    partial = [line for line in lines if line.startswith("warning: partial answer")]
    assert len(partial) == 20 and all("sekret-token" not in line and "\x1b" not in line for line in lines)
    assert "***" in partial[0] and "\\x1b" in partial[0]  # shown escaped, as live/text.py's printable does
    assert lines[-1].endswith("more distinct warning(s) from Prometheus at " + fake_server.url + " not shown")
