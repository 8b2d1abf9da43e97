"""How a backend declares its config table: `Table`, the kinds of value its keys hold, and
where a file path is relative to.

Each backend package with settings has a `settings` module, importable without the backend's
extra, that holds:

    Athlete          the Table of [athletes.<kind>]
    Shared           the Table of [<kind>], whose keys every athlete's table inherits, or None
    SHARED_REQUIRED  whether athletes of this backend need a non-empty [<kind>] table
    training(table)  where the athlete's sessions are written, for messages, when the (resolved)
                     table holds the training calendar; None when it only holds sources

The service validates each table against them (`Table` raises one message per mistake,
`wrong(...)`; pydantic adds where it sits) and hands the backend its table with file paths
made absolute (`resolved`). Values are echoed with repr so a stray space shows; keys that hold
secrets are refused without echoing them (Table.refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator, model_validator
from pydantic_core import PydanticCustomError


def wrong(message: str, key: str | None = None) -> PydanticCustomError:
    """A config mistake. `key` is given by a check that belongs to a whole table (one key
    against another): the error then names that key below the table."""
    context = {"message": message} if key is None else {"message": message, "key": key}
    return PydanticCustomError("racecal", "{message}", context)


class Table(BaseModel):
    """A TOML table: its fields are its keys. Another key is refused, naming the allowed ones;
    a required key that is missing says what it should hold (its field's description)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Keys refused with a message of their own before anything else is read.
    refused: ClassVar[dict[str, str]] = {}

    @classmethod
    def nested(cls) -> tuple[str, ...]:
        """Keys of tables that are not fields: validated by `take_nested` (the backends')."""
        return ()

    @classmethod
    def take_nested(cls, raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, raw: object) -> object:
        if not isinstance(raw, dict):
            raise wrong("expected a table")
        for key, why in cls.refused.items():
            if key in raw:
                raise wrong(why, key)
        known = {*cls.model_fields, *cls.nested()} - set(cls.hidden())
        allowed = ", ".join(sorted(known))
        for key in sorted(raw):
            if key not in known:
                raise wrong(f"unknown key; expected one of {allowed}", key)
        for name, field in cls.model_fields.items():
            if field.is_required() and name not in raw:
                raise wrong(f"missing; expected {field.description}", name)
        return cls.take_nested(raw)

    @classmethod
    def hidden(cls) -> tuple[str, ...]:
        """Fields filled by `take_nested`, never written in the file."""
        return ()


@dataclass(frozen=True)
class Relative:
    """A file path relative to the config's folder ("config": what the athlete gives) or to
    the state folder ("state": what racecal writes); `default` may name {athlete}."""

    to: str
    default: str | None = None


def listed(message: str) -> BeforeValidator:
    """A TOML list (each item is then checked, its errors naming the item)."""

    def check(value: object) -> object:
        if not isinstance(value, list):
            raise wrong(message)
        return value

    return BeforeValidator(check)


def string(what: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if not isinstance(value, str) or not value:
            raise wrong(f"expected {what}, got {value!r}")
        return value

    return check


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise wrong(f"expected true or false, got {value!r}")
    return value


text = string("a text value")
Text = Annotated[str, PlainValidator(text)]
Flag = Annotated[bool, PlainValidator(_flag)]
FilePath = Annotated[str, PlainValidator(string("a file path"))]
# A file the athlete gives, relative to the config's folder.
InputFile = Annotated[FilePath, Relative("config")]
Calendar = Annotated[str, PlainValidator(string("a calendar name, path or URL"))]


def between(lo: float, hi: float) -> PlainValidator:
    """A number from lo to hi (true and false are not numbers, though Python says so)."""

    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise wrong(f"expected a number from {lo:g} to {hi:g}, got {value!r}")
        return float(value)

    return PlainValidator(check)


def whole(lo: int, hi: int) -> PlainValidator:
    def check(value: object) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value != int(value)
            or not lo <= value <= hi
        ):
            raise wrong(f"expected a whole number from {lo} to {hi}, got {value!r}")
        return int(value)

    return PlainValidator(check)


def one_of(*options: str) -> PlainValidator:
    def check(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise wrong(f"{value!r} is not one of {', '.join(options)}")
        return value

    return PlainValidator(check)


def strings(message: str, empty_ok: bool) -> Callable[[object], tuple[str, ...]]:
    """One string or a list of them."""

    def check(value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(
            isinstance(v, str) and (v or empty_ok) for v in items
        ):
            raise wrong(message)
        return tuple(items)

    return check


# Calendars by display name, path or URL (CalDAV) or by id (Google).
Calendars = Annotated[
    tuple[str, ...],
    PlainValidator(strings('expected a list of calendar names like ["Races"]', False)),
]
# How long one request may keep retrying (connection errors, 429, 5xx) before the pass ends.
RetrySeconds = Annotated[float, between(0, 3600)]
# The most one request may take in all, however slowly the server sends its answer.
RequestSeconds = Annotated[float, between(1, 3600)]


def _url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise wrong(f"{value!r}: expected an http(s) URL")
    return value


def _dav_url(value: object) -> str:
    checked = text(value)
    # Checked first, so a password in the URL is never echoed.
    if "@" in checked.split("://", 1)[-1].split("/", 1)[0]:
        raise wrong("put the username in 'username', not in the URL")
    return _url(checked)


# Google delivers to https only; plain http is allowed to this machine, for local servers.
_LOCAL = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")


def _webhook(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", *_LOCAL)):
        raise wrong(f"{value!r}: expected an https:// URL")
    return value


Url = Annotated[str, PlainValidator(_url)]
DavUrl = Annotated[str, PlainValidator(_dav_url)]
WebhookUrl = Annotated[str, PlainValidator(_webhook)]


class BackendSettings(Protocol):
    """What a backend's `settings` module holds (see the module docstring)."""

    Athlete: type[Table]
    Shared: type[Table] | None
    SHARED_REQUIRED: bool

    def training(self, table: Mapping[str, Any]) -> str | None: ...


def _relative(parts: tuple[object, ...]) -> Relative | None:
    """The Relative in a field's metadata or anywhere in its annotation (`InputFile | None`
    keeps it inside the union)."""
    for part in parts:
        if isinstance(part, Relative):
            return part
        found = _relative((*getattr(part, "__metadata__", ()), *get_args(part)))
        if found is not None:
            return found
    return None


def resolved(table: Table, paths: tuple[Path, Path], athlete: str | None) -> dict[str, Any]:
    """The table as its backend reads it: file paths made absolute, from `paths` (the config's
    folder, the state folder); a state file left out takes its default."""
    config_dir, state_dir = paths
    values = dict(table)
    for name, field in type(table).model_fields.items():
        where = _relative((*field.metadata, field.annotation))
        if where is None:
            continue
        given = values.get(name) or (
            where.default.format(athlete=athlete) if where.default and athlete else None
        )
        base = config_dir if where.to == "config" else state_dir
        values[name] = base / given if given else None
    return values
