"""Builds a backend from its config table: the one place that knows which backends exist.

Each backend is a package of its own with an `open_account(table, context)` that reads its
table (the keys its settings name) and returns an `Account`: the athlete's race and busy
`Source`s there and, when its table names one, the `TrainingCalendar`, sharing one login. A
package is imported only when an athlete uses it, so the optional extras (caldav, google) stay
optional. A new calendar service is one new package, one line in BACKENDS and its contract
tests; the service only ever calls `open_account`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.base import Source, SourceError, TrainingCalendar

ROLES = ("races", "busy")


class Memory(Protocol):
    """Where a backend remembers, across processes, a locator it made (the id of a calendar
    it created, which Google's narrow scope cannot look up again): the service's store."""

    def recall(self, role: str) -> str | None: ...

    def remember(self, role: str, locator: str) -> None: ...


@dataclass(frozen=True)
class Context:
    """What a backend may need besides its own table, given by the service."""

    athlete_id: str
    timezone: str
    memory: Memory | None = None
    # May a training calendar that is not there be made? A pass may; doctor only looks.
    create: bool = True
    # Overrides the table's retry budget (doctor wants an answer in seconds).
    retry_seconds: float | None = None


class Account(Protocol):
    """One athlete on one backend, opened once and kept across passes."""

    def sources(self, role: str) -> list[Source]:
        """The calendars read for `role` ("races" or "busy"), in config order."""
        ...

    def training(self) -> TrainingCalendar | None:
        """The training calendar, when this backend's table names one."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Backend:
    module: str
    # What it is called in messages, and the pip extra that brings its libraries (None: the
    # core dependencies).
    title: str
    extra: str | None = None


BACKENDS = {
    "ics": Backend("connectors.ics", "iCalendar"),
    "caldav": Backend("connectors.caldav", "CalDAV", extra="caldav"),
    "google": Backend("connectors.google", "Google", extra="google"),
}


def open_account(kind: str, table: Mapping[str, Any], context: Context) -> Account:
    """The athlete's account on backend `kind`, built from its config table."""
    backend = BACKENDS.get(kind)
    if backend is None:
        raise SourceError(f"no calendar backend '{kind}' (known: {', '.join(BACKENDS)})")
    try:
        module = importlib.import_module(backend.module)
    except ImportError as exc:
        if backend.extra is None:
            raise
        raise SourceError(
            f"{table.get('where', kind)}: {backend.title} support is not installed "
            f"(pip install 'racecal[{backend.extra}]')"
        ) from exc
    account: Account = module.open_account(table, context)
    return _Checked(account)


class _Checked:
    """An account whose training calendar is held to what the port promises: writable."""

    def __init__(self, account: Account) -> None:
        self._account = account

    def sources(self, role: str) -> list[Source]:
        return self._account.sources(role)

    def training(self) -> TrainingCalendar | None:
        calendar = self._account.training()
        if calendar is not None and not calendar.capabilities.writable:
            raise SourceError(f"{calendar.name} is read-only: it cannot hold the sessions")
        return calendar

    def close(self) -> None:
        self._account.close()
