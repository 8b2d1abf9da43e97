"""One athlete's CalDAV login: the password read when connecting, its race and busy sources
and its training calendar."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Source, SourceError, TrainingCalendar
from connectors.caldav.calendar import CalDavAccount, CalDavCalendar, CalDavSettings
from connectors.caldav.collection import DavCollection
from connectors.caldav.source import CalDavSource
from connectors.deadline import REQUEST_SECONDS
from connectors.retry import RetryPolicy

if TYPE_CHECKING:
    from connectors.registry import Context


def password(table: Mapping[str, Any]) -> str | None:
    """From the named environment variable or a file no one else can read; never logged."""
    where = table.get("where", "caldav")
    variable, file = table.get("password_env"), table.get("password_file")
    if variable:
        value = os.environ.get(variable)
        if not value:
            raise SourceError(f"{where}.password_env: environment variable {variable} is not set")
        return value
    if file:
        path = Path(file)
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SourceError(
                f"{where}.password_file: cannot read {path} ({exc.strerror})"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SourceError(f"{where}.password_file: {path} is readable by others; chmod 600 it")
        return text
    return None


class CalDavAthlete:
    """One athlete's CalDAV login, its source calendars and its training calendar."""

    def __init__(self, table: Mapping[str, Any], context: Context) -> None:
        self.table = table
        self.context = context
        where = str(table.get("where", "caldav"))
        self._login: CalDavAccount | None = None
        self._sources = {
            role: [CalDavSource(self, name, role, where) for name in table.get(role, ())]
            for role in ("races", "busy", "runs")
        }
        self._training: CalDavCalendar | None = None

    def login(self) -> CalDavAccount:
        """Connects on first use: building the sources costs no request."""
        if self._login is None:
            budget = self.context.retry_seconds
            if budget is None:
                budget = float(self.table.get("retry_seconds", 60.0))
            self._login = CalDavAccount(
                CalDavSettings(
                    str(self.table["url"]),
                    self.table.get("username"),
                    password(self.table),
                    retry=RetryPolicy().scaled(budget),
                    deadline=float(self.table.get("request_seconds", REQUEST_SECONDS)),
                ),
                memory=self.context.memory,
            )
        return self._login

    def collection(self, name: str, fresh: bool = False) -> DavCollection:
        return self.login().collection(name, fresh)

    def sources(self, role: str) -> list[Source]:
        return list(self._sources.get(role, ()))

    def training(self) -> TrainingCalendar | None:
        name = self.table.get("training")
        if name is None:
            return None
        if self._training is None:
            create = bool(self.table.get("create_training", True)) and self.context.create
            self._training = self.login().training(str(name), create)
        return self._training

    def close(self) -> None:
        if self._login is not None:
            self._login.close()
