"""A headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for the plan
page's browser tests: set the viewport, load a page, evaluate DOM expressions, take full-page
screenshots, collect what the page said on its console.

The protocol runs over `--remote-debugging-pipe` (the browser reads commands from fd 3 and
writes answers to fd 4, each a JSON message ended by a NUL byte): no port, no websocket
library. With CI=true a missing chromium fails the test (`make browser` installs it as root);
elsewhere it skips.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts"

# The child puts the two pipe ends on fd 3 and 4, as --remote-debugging-pipe expects, and
# becomes chromium. Both ends arrive on fds of 10 and up, so neither move clobbers the other.
_TRAMPOLINE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "chromium is required in CI (Debian package chromium; make browser installs it)"
            )
        pytest.skip("chromium not installed")
    return found


class DevToolsError(Exception):
    """The browser answered a command with an error, or did not answer in time."""


@dataclass
class Console:
    """What the page said: console.error and console.assert calls, uncaught exceptions and the
    browser's own error entries (a blocked resource, a CSP violation, a failed load)."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Browser:
    def __init__(self, profile: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()
        child_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10)
        child_w = fcntl.fcntl(answers_w, fcntl.F_DUPFD, 10)
        for fd in (commands_r, answers_w):
            os.close(fd)
        # To a file, not a pipe: nobody reads a pipe while the tests run, and a full one
        # would stall the browser.
        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium.log"
        log = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TRAMPOLINE,
                str(child_r),
                str(child_w),
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(child_r, child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        os.close(child_r)
        os.close(child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # -- the wire -------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data) :]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise DevToolsError("the browser did not answer in time")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise DevToolsError(f"the browser went away: {self._stderr()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        loaded = json.loads(message)
        assert isinstance(loaded, dict)
        return loaded

    def _stderr(self) -> str:
        return self.log.read_bytes().decode(errors="replace")[-2000:]

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events that come first are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            got = self._receive(deadline)
            if got.get("id") == self._next_id:
                if "error" in got:
                    raise DevToolsError(f"{method}: {got['error']}")
                result = got.get("result", {})
                assert isinstance(result, dict)
                return result
            if "method" in got:
                self._events.append(got)

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, got in enumerate(self._events):
                if got["method"] == event and got.get("sessionId") == session:
                    del self._events[i]
                    return got
            self._events.append(self._receive(deadline))

    def events(self, session: str) -> list[dict[str, Any]]:
        """Every event of `session` so far (taken out of the queue)."""
        mine = [e for e in self._events if e.get("sessionId") == session]
        self._events = [e for e in self._events if e.get("sessionId") != session]
        return mine

    def tab(self, width: int, height: int, mobile: bool = False) -> Tab:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session)
        tab = Tab(self, session, width, height, mobile)
        tab.viewport(height)
        return tab

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.call("Browser.close")
        except DevToolsError:
            pass
        finally:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            for fd in (self._commands, self._answers):
                os.close(fd)


@dataclass
class Tab:
    browser: Browser
    session: str
    width: int
    height: int
    mobile: bool
    console: Console = field(default_factory=Console)

    def viewport(self, height: int) -> None:
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            self.session,
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=self.mobile,
        )

    def open(self, url: str) -> None:
        """Load `url` and wait for its load event."""
        self.browser.call("Page.navigate", self.session, url=url)
        self.browser.wait_for("Page.loadEventFired", self.session)
        self._collect()

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able values only)."""
        answer = self.browser.call(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression}: {answer['exceptionDetails']}")
        self._collect()
        return answer["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page, as tall as its content, at the tab's width."""
        full = int(self.evaluate("document.documentElement.scrollHeight"))
        self.viewport(max(full, self.height))
        try:
            shot = self.browser.call(
                "Page.captureScreenshot", self.session, format="png", captureBeyondViewport=True
            )
        finally:
            self.viewport(self.height)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def _collect(self) -> None:
        for event in self.browser.events(self.session):
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                self.console.errors.append(f"uncaught: {text}")
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                if params["type"] in ("error", "assert"):
                    self.console.errors.append(f"console.{params['type']}: {text}")
                elif params["type"] == "warning":
                    self.console.warnings.append(f"console.warn: {text}")
            elif method == "Log.entryAdded":
                entry = params["entry"]
                line = f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}"
                if entry.get("level") == "error":
                    self.console.errors.append(line.strip())
                elif entry.get("level") == "warning":
                    self.console.warnings.append(line.strip())


@contextmanager
def browser(profile: Path) -> Iterator[Browser]:
    """A headless chromium for the length of the block (skips, or fails under CI=true, when
    there is none)."""
    started = Browser(profile)
    try:
        yield started
    finally:
        started.close()
