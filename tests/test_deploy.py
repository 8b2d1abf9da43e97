"""The systemd units verify with systemd-analyze and ask for what the daemon delivers; the
daemon sends WATCHDOG=1 pings when systemd asks for them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import example_workspace

ROOT = Path(__file__).resolve().parent.parent
RACECAL = Path(sys.executable).parent / "racecal"


def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is required in CI (Debian package systemd)")
        pytest.skip("systemd-analyze not installed")
    return found


@pytest.mark.parametrize(
    ("unit", "binary"),
    [
        ("racecal.service", "/opt/racecal/bin/racecal"),
        ("racecal-user.service", "%h/.local/bin/racecal"),
    ],
)
def test_units_verify_cleanly(unit: str, binary: str, tmp_path: Path) -> None:
    text = (ROOT / "deploy" / unit).read_text(encoding="utf-8")
    assert binary in text
    # Verify checks that ExecStart exists: point it at this checkout's racecal.
    (tmp_path / unit).write_text(text.replace(binary, str(RACECAL)), encoding="utf-8")
    result = subprocess.run(
        [analyze(), "verify", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""


def test_system_unit_is_notify_watchdogged_and_hardened() -> None:
    text = (ROOT / "deploy" / "racecal.service").read_text(encoding="utf-8")
    lines = {line.strip() for line in text.splitlines()}
    for needed in (
        "Type=notify",
        "Restart=on-failure",
        "DynamicUser=yes",
        "StateDirectory=racecal",
        "ConfigurationDirectory=racecal",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    ):
        assert needed in lines, needed
    assert any(line.startswith("WatchdogSec=") for line in lines)


def test_run_sends_watchdog_pings(tmp_path: Path) -> None:
    cwd = example_workspace(tmp_path / "work").parent
    address = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(address))
    listener.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "400000"}
    process = subprocess.Popen(
        [str(RACECAL), "run", "--config", "config.toml"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert listener.recv(64) == b"READY=1"
        assert listener.recv(64) == b"WATCHDOG=1"
        assert listener.recv(64) == b"WATCHDOG=1"
        process.send_signal(signal.SIGTERM)
        messages = []
        while (message := listener.recv(64)) != b"STOPPING=1":
            messages.append(message)
        assert set(messages) <= {b"WATCHDOG=1"}
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()
