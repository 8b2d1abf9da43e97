"""The key of a quiet pass: one digest of everything a pass depends on, made only of values the
store keeps, so a new process can tell that nothing changed without reading or planning.

A pass that found nothing to write stores its key (service.store.cursors.settle); the next
pass, in this process or a new one, plans nothing when its key is the same. The key covers the
day (in the athlete's zone), the digest of what each race and busy calendar and the training
calendar held (it moves with any change the athlete makes there, their edits to sessions
included), the athlete's config entry and the code that reads and plans (`code_version`: an
upgrade plans again). What the store itself remembers that a person may change (a release, an
accepted empty source) drops the stored key where it is changed.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath

from service.config.load import AthleteConfig

ROOT = Path(__file__).resolve().parent.parent.parent
# The code whose change may change a plan or what a calendar read means.
CODE = ("scheduler", "connectors", "service/sync", "service/calendars.py", "service/planning.py")
CODE_FILES = ("service/store/payload.py",)


@functools.cache
def code_version() -> str:
    """A digest of the planner's and the readers' code: the sources' text, and the name and
    size of anything else there (the compiled planner's modules)."""
    digest = hashlib.sha256()
    paths: list[Path] = []
    for name in (*CODE, *CODE_FILES):
        found = ROOT / name
        if found.is_dir():
            paths.extend(
                p for p in found.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
        elif found.is_file():
            paths.append(found)
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        if path.suffix == ".py":
            digest.update(path.read_bytes())
        else:
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:16]


def config_digest(entry: AthleteConfig) -> str:
    """A digest of the athlete's config entry, the same in every process for the same entry
    (worked out once per entry object: a config's entries live as long as it)."""
    known = _DIGESTS.get(id(entry))
    if known is not None and known[0] is entry:
        return known[1]
    text = json.dumps(_plain(entry), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()
    if len(_DIGESTS) > 10_000:
        _DIGESTS.clear()
    _DIGESTS[id(entry)] = (entry, digest)
    return digest


_DIGESTS: dict[int, tuple[AthleteConfig, str]] = {}


def key(day: date, entry: AthleteConfig, inputs: Sequence[tuple[str, str]]) -> str:
    """The key of a pass on `day` whose calendars hold `inputs` ((locator, digest) of each)."""
    text = json.dumps(
        [day.isoformat(), code_version(), config_digest(entry), [list(i) for i in inputs]],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    """A value as JSON that does not depend on the process (no set order, no addresses)."""
    # Leaves first: they are most of a config (and a new process digests every athlete's).
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    if isinstance(value, Mapping):
        return sorted([str(k), _plain(v)] for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, PurePath):
        return str(value)
    return f"{type(value).__name__}:{value}"
