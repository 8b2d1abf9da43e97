"""What every long-running racecal process shares around its work: systemd's sd_notify
protocol (a datagram on $NOTIFY_SOCKET), its watchdog period, and the log's format."""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import datetime

from scheduler.plan import zone


def sd_notify(message: str) -> bool:
    """Send one sd_notify message; False (and nothing else) when not run under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True


def watchdog_seconds() -> float | None:
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2_000_000 if usec and usec.isdigit() else None


def configure_logging(fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("racecal")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, zone("UTC")).isoformat(),
                "level": record.levelname.lower(),
                "message": record.getMessage(),
            }
        )
