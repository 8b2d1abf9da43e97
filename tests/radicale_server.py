"""A real Radicale server for the CalDAV tests: started once per test session on a free port
with a temporary storage folder, stopped and restarted on demand (the outage scenarios)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Radicale:
    def __init__(self, folder: Path, htpasswd: Path | None = None) -> None:
        self.folder = folder
        self.htpasswd = htpasswd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = folder / "radicale.log"
        self.process: subprocess.Popen[bytes] | None = None
        # Radicale fsyncs every write (~40 ms on disk); in memory (tmpfs) that is free, and the
        # suite's server need not survive a power cut. Kept across stop() and start().
        shm = Path("/dev/shm")
        self.storage = (
            Path(tempfile.mkdtemp(prefix="radicale-", dir=shm))
            if shm.is_dir() and os.access(shm, os.W_OK)
            else folder / "collections"
        )

    @property
    def requests(self) -> int:
        """Requests the server has answered, from its own log: counted at the wire."""
        if not self.log.exists():
            return 0
        return sum(" request for " in line for line in self.log.read_text().splitlines())

    def start(self) -> None:
        executable = shutil.which("radicale") or str(Path(sys.executable).parent / "radicale")
        if not Path(executable).exists():
            if os.environ.get("CI") == "true":
                pytest.fail("radicale is not installed (it comes with the test extras)")
            pytest.skip("radicale is not installed")
        auth = (
            ["--auth-type", "htpasswd", "--auth-htpasswd-filename", str(self.htpasswd),
             "--auth-htpasswd-encryption", "plain"]
            if self.htpasswd
            else ["--auth-type", "none"]
        )  # fmt: skip
        command = [
            executable,
            "--config", "",
            "--server-hosts", f"127.0.0.1:{self.port}",
            "--storage-filesystem-folder", str(self.storage),
            "--auth-delay", "0",
            "--server-delay-on-error", "0",
            "--logging-level", "info",
            *auth,
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"radicale exited: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.05)
        raise RuntimeError("radicale did not start within 15 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def remove(self) -> None:
        self.stop()
        if self.storage.is_relative_to("/dev/shm"):
            shutil.rmtree(self.storage, ignore_errors=True)


def start_guarded(folder: Path, user: str, password: str) -> Radicale:
    """A started server that checks credentials (htpasswd, plain) for one user."""
    users = folder / "users"
    users.write_text(f"{user}:{password}\n")
    server = Radicale(folder, htpasswd=users)
    server.start()
    return server
