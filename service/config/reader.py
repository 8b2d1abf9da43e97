"""The config reader: each check fails with one line naming the file, the key path and what was
expected. Every table's parser (athletes, backends, [service]) reads through it, so errors
read the same everywhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    """A config that cannot be used; str() is one line: file, key path, what is expected."""


class Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        self.state = Path(state) if state else self.base

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {message}")

    def unknown(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            key = f"{where}.{extra[0]}" if where else extra[0]
            raise self.fail(key, f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def table(self, raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where, "expected a table")
        return value

    def string(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        default: str | None = None,
        label: str | None = None,
    ) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(label or f"{where}.{key}", f"expected a text value, got {value!r}")
        return value

    def choice(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        options: tuple[str, ...],
        default: str,
        label: str | None = None,
    ) -> str:
        value = raw.get(key, default)
        if value not in options:
            raise self.fail(
                label or f"{where}.{key}", f"{value!r} is not one of {', '.join(options)}"
            )
        return str(value)

    def number(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        default: float,
        lo: float,
        hi: float,
        label: str | None = None,
    ) -> float:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise self.fail(
                label or f"{where}.{key}", f"expected a number from {lo:g} to {hi:g}, got {value!r}"
            )
        return float(value)

    def flag(self, raw: dict[str, Any], key: str, where: str, default: bool = False) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected true or false, got {value!r}")
        return value

    def weekday(self, value: object, where: str) -> int:
        if not isinstance(value, str) or value.lower() not in WEEKDAYS:
            raise self.fail(
                where, f"{value!r} is not a weekday; expected one of {', '.join(WEEKDAYS)}"
            )
        return WEEKDAYS.index(value.lower())

    def sources(
        self, raw: dict[str, Any], key: str, where: str
    ) -> tuple[tuple[Path, ...], tuple[str, ...]]:
        """Local files (relative to the config) and http(s) URLs, in the order given."""
        value = raw.get("ics", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}.{key}.ics", "expected a list of file paths or URLs")
        urls = tuple(v for v in value if v.startswith(("http://", "https://")))
        return tuple(self.base / v for v in value if v not in urls), urls
