"""A real headless Chromium for the tests: command-line runs (`--dump-dom`, `--screenshot`) and, with JavaScript off, the DOM and a screenshot over the DevTools pipe.

`--dump-dom` reads the page through JavaScript, so with scripts disabled
(`--blink-settings=scriptEnabled=false`) it prints nothing, and
`--screenshot` writes no file; the DevTools protocol's DOM and Page domains
do not need scripts, so `over_pipe` asks them
(`--remote-debugging-pipe`: JSON messages ending in NUL, on fds 3 and 4).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path

TIMEOUT = 120
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions")


def run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """One Chromium run to its end; a profile of its own, so parallel runs never share a lock."""
    result = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


class _Pipe:
    """The DevTools protocol over Chromium's pipe: calls answered by id, events kept until asked for."""

    def __init__(self, write: int, read: int) -> None:
        self.write, self.read = write, read
        self.deadline = time.monotonic() + TIMEOUT
        self.buffer = b""
        self.events: list[dict] = []
        self.last = 0

    def _receive(self) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.read], [], [], max(self.deadline - time.monotonic(), 0))
            if not ready:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self.read, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.last += 1
        message = {"id": self.last, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self.last:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait(self, event: str, session: str) -> None:
        while not any(e.get("method") == event and e.get("sessionId") == session for e in self.events):
            self.events.append(self._receive())


def over_pipe(
    binary: str, profile: Path, urls: list[str], *flags: str, size: tuple[int, int] | None = None, media: str = "", evaluate: str = "",
) -> list[tuple[str, bytes, object]]:
    """Each page once loaded, in one Chromium: its DOM serialized by the browser (DOM.getOuterHTML), a PNG screenshot of
    `size` when asked, and the value of the JavaScript expression `evaluate` (run by DevTools, not by the page); as seen
    through CSS `media` (`print`) when given."""
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()

    def wire() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes its answers
        commands, answers = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
        os.dup2(commands, 3)
        os.dup2(answers, 4)

    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", *flags],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=wire,
    )
    os.close(to_child)
    os.close(from_child)
    try:
        pipe = _Pipe(from_parent, to_parent)
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        pipe.call("Page.enable", session=session)
        if size:
            pipe.call("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}, session)
        if media:
            pipe.call("Emulation.setEmulatedMedia", {"media": media}, session)
        pages = []
        for url in urls:
            pipe.events.clear()
            pipe.call("Page.navigate", {"url": url}, session)
            pipe.wait("Page.loadEventFired", session)
            root = pipe.call("DOM.getDocument", {"depth": -1}, session)["root"]["nodeId"]
            html = pipe.call("DOM.getOuterHTML", {"nodeId": root}, session)["outerHTML"]
            png = base64.b64decode(pipe.call("Page.captureScreenshot", {"format": "png"}, session)["data"]) if size else b""
            value = pipe.call("Runtime.evaluate", {"expression": evaluate, "returnByValue": True}, session)["result"].get("value") if evaluate else None
            pages.append((html, png, value))
        pipe.call("Browser.close")
        process.wait(timeout=TIMEOUT)
        return pages
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(from_parent)
        os.close(to_parent)
