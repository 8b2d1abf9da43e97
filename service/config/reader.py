"""Reading the file, and the one-line errors: every mistake reads `<file>: <key path>: <what is
wrong and what is expected>`, whichever table it is in."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic_core import ErrorDetails

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    """A config that cannot be used; str() is one line: file, key path, what is expected."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def key_path(error: ErrorDetails) -> str:
    """athletes[0].windows.weekdays[1]: where pydantic found it, then the key a table's own
    check names (service.config.fields.wrong)."""
    where = ""
    context = error.get("ctx") or {}
    for part in (*error["loc"], *context.get("key", "").split(".")):
        if isinstance(part, int):
            where += f"[{part}]"
        elif part:
            where += f".{part}" if where else part
    return where


def message(error: ErrorDetails) -> str:
    """Our checks word their own messages; pydantic's own (none is expected: every key has a
    kind of ours) keep its text, without the value, which may be a secret."""
    if error["type"] == "racecal":
        return str((error.get("ctx") or {})["message"])
    return error["msg"][:1].lower() + error["msg"][1:]
