"""One key of an athlete's table set from the command line (`racecal athlete edit --set
windows.weekdays=06:00-07:30,17:30-21:00`), and a table written back as TOML.

A value comes as text; the schema's field says what it is read as: a list is split at commas
(or given in TOML, `["mon", "thu"]`), a number or a flag is read as one, anything else stays
text. Whether the value is good is then the schema's to say, as for the config file.
"""

from __future__ import annotations

import json
import re
import tomllib
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from connectors import registry
from connectors.settings import Table
from service.config.reader import ConfigError
from service.config.schema import AthleteTable

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _bare(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` as X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _kind(path: list[str]) -> Any:
    """What the schema holds at `path` (a Table class for a table), None when it knows no
    such key (the schema then names the keys it knows)."""
    model: type[Table] = AthleteTable
    for i, part in enumerate(path):
        if model is AthleteTable and part in registry.configured():
            found = registry.settings(part).Athlete
            if found is None:
                return None
            model = found
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        kind = _bare(field.annotation)
        if isinstance(kind, type) and issubclass(kind, Table):
            model = kind
            continue
        return kind if i == len(path) - 1 else None
    return model


def _value(kind: Any, given: str) -> Any:
    if get_origin(kind) is tuple:
        if given.lstrip().startswith("["):
            return _toml(given)
        return [part.strip() for part in given.split(",") if part.strip()]
    if kind in (bool, int, float) or kind is None or get_origin(kind) is dict:
        found = _toml(given)
        return given if found is None else found
    return given


def _toml(given: str) -> Any:
    try:
        return tomllib.loads(f"v = {given}")["v"]
    except tomllib.TOMLDecodeError:
        return None


def set_key(table: dict[str, Any], assignment: str) -> None:
    """KEY=VALUE (KEY dotted, as in the file: windows.weekdays) into `table`; an empty VALUE
    takes the key out (back to its default). A ConfigError naming the key when it cannot be
    set; the value itself is checked with the whole table."""
    key, equals, given = assignment.partition("=")
    key = key.strip()
    path = key.split(".")
    if not equals or not key or not all(path):
        raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. weekly_km=50")
    if path == ["id"]:
        raise ConfigError(
            "--set id: an athlete's id stays; add the athlete under the new id and remove this one"
        )
    kind = _kind(path)
    if isinstance(kind, type) and issubclass(kind, Table):
        raise ConfigError(f"--set {key}: is a table; set one of its keys ({key}.KEY=VALUE)")
    where = table
    for i, part in enumerate(path[:-1]):
        inner = where.setdefault(part, {})
        if not isinstance(inner, dict):
            raise ConfigError(f"--set {key}: {'.'.join(path[: i + 1])} is not a table")
        where = inner
    if given.strip():
        where[path[-1]] = _value(kind, given.strip())
    else:
        where.pop(path[-1], None)


def toml_text(table: Mapping[str, Any], name: str = "athletes", first: bool = True) -> str:
    """The table as one [[athletes]] table of a TOML file: `athlete add --from` reads it."""
    lines = [f"[[{name}]]" if first else f"[{name}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_literal(value)}")
    for key, value in nested:
        lines += ["", toml_text(value, f"{name}.{_key(key)}", False)]
    return "\n".join(lines)


def _key(key: str) -> str:
    """A bare key as it is; any other (a marker such as "#vacation") quoted."""
    return key if _BARE.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    # JSON's string escapes are TOML's basic string's.
    return json.dumps(str(value), ensure_ascii=False)
