"""Builds a backend from its config table: the one place that knows which backends exist.

Each backend is a package of its own with an `open_account(table, context)` that reads its
table (the keys its settings name) and returns an `Account`: the athlete's race and busy
`Source`s there and, when its table names one, the `TrainingCalendar`, sharing one login. A
package is imported only when an athlete uses it, so the optional extras (caldav, google) stay
optional. Its config table is declared in the package's `settings` module (see connectors.settings),
which the service's config reads without the backend's extra. A new calendar service is one
new package, one line in BACKENDS and its contract tests; the service only ever calls
`open_account` and `settings`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.base import Source, SourceError, TrainingCalendar
from connectors.settings import BackendSettings

ROLES = ("races", "busy", "runs")


class Memory(Protocol):
    """Where a backend remembers, across processes, a locator it made (the id of a calendar
    it created, which Google's narrow scope cannot look up again): the service's store."""

    def recall(self, role: str) -> str | None: ...

    def remember(self, role: str, locator: str) -> None: ...

    def claim(self, role: str, locator: str, replacing: str | None = None) -> str:
        """Remember `locator` only while the role holds `replacing` (None: nothing yet), in
        one step against every other process; the locator the role holds after."""
        ...


class Vault(Protocol):
    """Where the service keeps credentials an athlete granted on the web (the Google token of
    /connect/google), sealed in its store: a backend reads them instead of its token file,
    and hands back a token it refreshed so every node starts from the fresh one."""

    def credentials(self, kind: str) -> Mapping[str, Any] | None:
        """The athlete's stored credentials for backend `kind`, None when there are none;
        AuthError when they cannot be opened."""
        ...

    def keep(self, kind: str, info: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class Context:
    """What a backend may need besides its own table, given by the service."""

    athlete_id: str
    timezone: str
    memory: Memory | None = None
    vault: Vault | None = None
    # May a training calendar that is not there be made? A pass may; doctor only looks.
    create: bool = True
    # Overrides the table's retry budget (doctor wants an answer in seconds).
    retry_seconds: float | None = None


class Account(Protocol):
    """One athlete on one backend, opened once and kept across passes."""

    def sources(self, role: str) -> list[Source]:
        """The calendars read for `role` ("races", "busy" or "runs": another app's running
        plan, R6), in config order."""
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
    # Has a `settings` module: its own [athletes.<kind>] table (the .ics backend is built from
    # the athlete's own [athletes.races], [athletes.busy] and [athletes.output]).
    configured: bool = True


# In the order races count: the same race in two backends' calendars is the last one's.
BACKENDS = {
    "ics": Backend("connectors.ics", "iCalendar", configured=False),
    "google": Backend("connectors.google", "Google", extra="google"),
    "caldav": Backend("connectors.caldav", "CalDAV", extra="caldav"),
}


def configured() -> tuple[str, ...]:
    """The backends with a config table of their own, [athletes.<kind>]."""
    return tuple(kind for kind, backend in BACKENDS.items() if backend.configured)


def settings(kind: str) -> BackendSettings:
    """What backend `kind` declares of its config (importable without its extra)."""
    module: BackendSettings = importlib.import_module(f"{BACKENDS[kind].module}.settings")
    return module


def title(kind: str) -> str:
    return BACKENDS[kind].title


def open_account(kind: str, table: Mapping[str, Any], context: Context) -> Account:
    """The athlete's account on backend `kind`, built from its config table."""
    backend = BACKENDS.get(kind)
    if backend is None:
        raise SourceError(f"no calendar backend '{kind}' (known: {', '.join(BACKENDS)})")
    try:
        # The package itself imports without its extra; its account code needs it.
        account: Account = importlib.import_module(backend.module).open_account(table, context)
    except ImportError as exc:
        if backend.extra is None:
            raise
        raise SourceError(
            f"{table.get('where', kind)}: {backend.title} support is not installed "
            f"(pip install 'racecal[{backend.extra}]')"
        ) from exc
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
