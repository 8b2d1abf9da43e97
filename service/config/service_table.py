"""The [service] table, with RACECAL_* environment variables laid over it: they win over the file,
so containers and units can set them without editing it. Parsed by service.config.load's reader, so
errors read the same, naming the variable when the value came from one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.config.reader import Reader

SERVICE_KEYS = {"database_url", "log_format", "interval_minutes", "http"}
# Environment variable -> [service] key; RACECAL_CONFIG (which file) is read by config_path.
SERVICE_ENV = {
    "RACECAL_DATABASE_URL": "database_url",
    "RACECAL_LOG_FORMAT": "log_format",
    "RACECAL_INTERVAL_MINUTES": "interval_minutes",
    "RACECAL_HTTP": "http",
}
# host:port, the host a name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


@dataclass(frozen=True)
class ServiceConfig:
    database_url: str = "sqlite:///var/racecal.db"
    log_format: str = "text"
    interval_minutes: float = 15.0
    # Where the HTTP endpoint listens as (host, port); None keeps it off.
    http: tuple[str, int] | None = None


def parse_service(reader: Reader, raw: dict[str, Any], env: Mapping[str, str]) -> ServiceConfig:
    reader.unknown(raw, SERVICE_KEYS, "service")
    raw, labels = _with_environment(raw, env)
    return ServiceConfig(
        database_url=reader.string(
            raw, "database_url", "service", ServiceConfig.database_url, labels.get("database_url")
        ),
        log_format=reader.choice(
            raw, "log_format", "service", ("text", "json"), "text", labels.get("log_format")
        ),
        interval_minutes=reader.number(
            raw, "interval_minutes", "service", 15, 0.1, 1440, labels.get("interval_minutes")
        ),
        http=_address(reader, raw, labels.get("http")),
    )


def _with_environment(
    raw: dict[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The table with RACECAL_* values laid over it, and for each key taken from the
    environment the label its errors name (the variable, then the key it stands for)."""
    merged, labels = dict(raw), {}
    for name, key in SERVICE_ENV.items():
        value = env.get(name)
        if value is None or value == "":
            continue
        if key == "interval_minutes":
            try:
                merged[key] = float(value)
            except ValueError:
                merged[key] = value  # the number check names it
        else:
            merged[key] = value
        labels[key] = f"{name} (service.{key})"
    return merged, labels


def _address(reader: Reader, raw: dict[str, Any], label: str | None) -> tuple[str, int] | None:
    """host:port to listen on; port 0 takes a free port (the log names it)."""
    if "http" not in raw:
        return None
    value = raw["http"]
    match = _ADDRESS.match(value) if isinstance(value, str) else None
    if not match or int(match[2]) > 65535:
        raise reader.fail(
            label or "service.http",
            f"{value!r} is not an address to listen on; expected host:port with a port "
            'from 0 to 65535, e.g. "127.0.0.1:8765"',
        )
    return match[1].strip("[]"), int(match[2])
