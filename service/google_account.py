"""An athlete's Google account for the service: credentials from the stored token (or a
Workspace service account), the training calendar's id remembered in the store, and the race
and busy calendars followed by sync token. Imported only for athletes with [athletes.google]
(the `google` extra)."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connectors.base import AuthError, NotFound
from connectors.google import (
    SCOPES,
    GoogleAccount,
    GoogleCalendar,
    GoogleCollection,
    GoogleSettings,
)
from connectors.icsfile import busy_in, races_in
from connectors.retry import RetryPolicy
from service.calendars import RemoteRead
from service.config.remote import GoogleAthleteConfig
from service.store.database import Store
from service.store.models import Athlete, Calendar

log = logging.getLogger("racecal.google")
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def credentials(config: GoogleAthleteConfig, athlete_id: str) -> Any:
    if config.service_account_file is not None:
        from google.oauth2 import service_account  # noqa: PLC0415

        account = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            str(config.service_account_file), scopes=list(SCOPES)
        )
        return account.with_subject(config.subject)
    from google.oauth2.credentials import Credentials  # noqa: PLC0415

    path = config.token_file
    if not path.exists():
        raise AuthError(
            f"{config.where}: not authorized yet; run 'racecal auth google --athlete {athlete_id}'"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"{config.where}.token_file: {path} is readable by others; chmod 600 it")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        refresh_token, client_id = info["refresh_token"], info["client_id"]
    except (ValueError, KeyError, TypeError):
        raise AuthError(
            f"{config.where}.token_file: {path} is not a racecal token; "
            f"run 'racecal auth google --athlete {athlete_id}'"
        ) from None
    # Built by hand: from_authorized_user_file always refreshes at Google's endpoint.
    return Credentials(  # type: ignore[no-untyped-call]
        token=info.get("token"),
        refresh_token=refresh_token,
        token_uri=config.token_uri or GOOGLE_TOKEN_URI,
        client_id=client_id,
        client_secret=info.get("client_secret"),
        scopes=list(SCOPES),
    )


def save_token(path: Path, token_json: str) -> None:
    """Written 0600 from the first byte: the refresh token is a password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token_json)
    os.replace(tmp, path)


class GoogleSide:
    """What one athlete's passes hold of Google between passes."""

    def __init__(
        self, config: GoogleAthleteConfig, athlete_id: str, timezone: str, store: Store | None
    ) -> None:
        self.config = config
        self.athlete_id = athlete_id
        self.timezone = timezone
        self.store = store
        self.account = GoogleAccount(
            GoogleSettings(
                credentials(config, athlete_id),
                root=config.api_endpoint,
                retry=RetryPolicy().scaled(config.retry_seconds),
                transparency=config.transparency,
            )
        )
        self._derived: tuple[object, RemoteRead] | None = None
        # One stream per calendar id, even when it is both the race and the busy calendar.
        self.collections = {
            cid: GoogleCollection(self.account, cid) for cid in (*config.races, *config.busy)
        }

    # -- the training calendar ------------------------------------------------------------
    def training(self) -> GoogleCalendar:
        calendar_id = self.config.training_id or self._remembered()
        if calendar_id is None:
            calendar_id = self._create()
        recreate = None if self.config.training_id else self._create
        return GoogleCalendar(self.account, calendar_id, recreate=recreate)

    def _create(self) -> str:
        calendar_id = self.account.create_calendar(self.config.training, self.timezone)
        # The calendar.app.created scope cannot list calendars: remember the id at once.
        self._remember(calendar_id)
        log.info(
            "athlete %s: created the Google calendar '%s'", self.athlete_id, self.config.training
        )
        return calendar_id

    def _remembered(self) -> str | None:
        if self.store is None:
            return None
        with self.store.session() as s:
            row = s.scalars(
                select(Calendar).where(
                    Calendar.athlete_id == self.athlete_id, Calendar.role == "training"
                )
            ).first()
            return row.locator if row else None

    def _remember(self, calendar_id: str) -> None:
        if self.store is None:
            return
        with self.store.session() as s, s.begin():
            if s.get(Athlete, self.athlete_id) is None:
                s.add(Athlete(id=self.athlete_id, created_at=datetime.now(UTC)))
                s.flush()
            row = s.scalars(
                select(Calendar).where(
                    Calendar.athlete_id == self.athlete_id, Calendar.role == "training"
                )
            ).first()
            row = row or Calendar(athlete_id=self.athlete_id, role="training")
            row.locator, row.updated_at = calendar_id, datetime.now(UTC)
            s.add(row)

    # -- races and busy time --------------------------------------------------------------
    def read(self, tz: ZoneInfo, start: datetime, end: datetime) -> RemoteRead:
        for collection in self.collections.values():
            try:
                collection.sync()
            except NotFound:
                raise NotFound(
                    f"{self.config.where}: the calendar '{collection.calendar_id}' is gone "
                    "or not shared with this account"
                ) from None
        key = (tz.key, start, end, tuple(c.version for c in self.collections.values()))
        if self._derived is not None and self._derived[0] == key:
            return self._derived[1]  # nothing changed: the same races and busy time
        out = RemoteRead()
        for cid in dict.fromkeys(self.config.races):
            read = races_in(self.collections[cid].calendar(), f"Google calendar '{cid}'", tz)
            out.races.extend(read.races)
            out.problems.extend(read.problems)
            out.broken.extend(read.broken_races)
        for cid in dict.fromkeys(self.config.busy):
            calendar = self.collections[cid].calendar()
            out.busy.extend(busy_in(calendar, f"Google calendar '{cid}'", tz, start, end))
        self._derived = (key, out)
        return out
