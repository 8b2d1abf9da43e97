"""The [service] table's value, and the RACECAL_* environment laid over the table: a variable
wins over the file, so containers and units can set it without editing the file. Each key of
service.config.schema.ServiceTable has one, RACECAL_<KEY>; errors name the variable when the
value came from it."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from service.config.schema import ServiceTable


@dataclass(frozen=True)
class ServiceConfig:
    database_url: str = "sqlite:///var/racecal.db"
    log_format: str = "text"
    interval_minutes: float = 15.0
    # Where the HTTP endpoint listens as (host, port); None keeps it off.
    http: tuple[str, int] | None = None
    # What the athlete's apps reach the endpoint at; workout links in the events when set.
    public_url: str | None = None
    # Days of pass history kept in the store (each athlete's last and last failed pass stay).
    pass_history_days: float = 30.0
    # embedded (APScheduler in `racecal run`) | procrastinate (`racecal worker` processes).
    executor: str = "embedded"
    # The keys that seal secrets in the store: a 0600 file (absolute), or a variable's name.
    secret_key_file: Path | None = None
    secret_key_env: str | None = None
    # The endpoint's admin login: a 0600 file (absolute) or a variable's name; None: no login.
    admin_token_file: Path | None = None
    admin_token_env: str | None = None


def variable(key: str) -> str:
    """The environment variable for a [service] key (RACECAL_CONFIG, which file, is not one:
    config_path reads it)."""
    return f"RACECAL_{key.upper()}"


def with_environment(table: object, env: Mapping[str, str]) -> object:
    """The table with the variables that are set (an empty one is as good as unset) laid over
    it; a number is read as one, and when it is not one the number check names it."""
    if not isinstance(table, dict):
        return table  # the schema says what is wrong
    merged = dict(table)
    for key, field in ServiceTable.model_fields.items():
        value: object = env.get(variable(key))
        if not value:
            continue
        if field.annotation is float:
            with suppress(ValueError):
                value = float(str(value))
        merged[key] = value
    return merged


def label(where: str, env: Mapping[str, str]) -> str:
    """service.log_format reads `RACECAL_LOG_FORMAT (service.log_format)` when the value
    came from the variable."""
    table, _, key = where.partition(".")
    if table == "service" and key in ServiceTable.model_fields and env.get(variable(key)):
        return f"{variable(key)} ({where})"
    return where


def service_config(table: ServiceTable, base: Path = Path()) -> ServiceConfig:
    """`base` is the config's folder, which relative file paths are taken from."""
    values = dict(table)
    for key in ("secret_key_file", "admin_token_file"):
        if values[key] is not None:
            values[key] = base / Path(values[key]).expanduser()
    return ServiceConfig(**values)
