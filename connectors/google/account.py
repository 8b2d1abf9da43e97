"""An athlete's Google account: credentials from the token `racecal auth google` saved (or a
Workspace service account acting for its user), the training calendar's id remembered through
the service's store (the calendar.app.created scope cannot list calendars) and made at most
once, and one source per calendar id followed by its sync token, whatever roles it has."""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import AuthError, Source, TrainingCalendar
from connectors.deadline import REQUEST_SECONDS
from connectors.google.api import SCOPES, GoogleApi, GoogleSettings
from connectors.google.calendar import GoogleCalendar
from connectors.google.collection import GoogleCollection, GoogleSource
from connectors.retry import RetryPolicy

if TYPE_CHECKING:
    from connectors.registry import Context, Vault

log = logging.getLogger("racecal.google")
TRAINING = "training"
# What the store holds for the training calendar while one is being made: this, then the mark.
PENDING = "pending:"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def credentials(table: Mapping[str, Any], athlete_id: str, vault: Vault | None = None) -> Any:
    """From [athletes.google]: service_account_file and subject; else the token the athlete
    granted on the web, kept sealed in the service's store (`vault`); else token_file (and
    the [google] token_uri). AuthError says what a person must do."""
    where = table.get("where", "google")
    if table.get("service_account_file"):
        from google.oauth2 import service_account  # noqa: PLC0415

        account = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            str(table["service_account_file"]), scopes=list(SCOPES)
        )
        return account.with_subject(table.get("subject"))
    stored = vault.credentials("google") if vault is not None else None
    if stored is not None:
        if "refresh_token" not in stored or "client_id" not in stored:
            raise AuthError(
                f"{where}: the Google token in the store is incomplete; "
                f"send a new invite ('racecal athlete invite {athlete_id}')"
            )
        return _built(stored, table, lambda info: _keep(vault, athlete_id, info))
    path = Path(table["token_file"])
    if not path.exists():
        raise AuthError(
            f"{where}: not authorized yet; run 'racecal auth google --athlete {athlete_id}'"
            " (or send an invite: 'racecal athlete invite')"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"{where}.token_file: {path} is readable by others; chmod 600 it")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        info = None
    if not isinstance(info, dict) or "refresh_token" not in info or "client_id" not in info:
        raise AuthError(
            f"{where}.token_file: {path} is not a racecal token; "
            f"run 'racecal auth google --athlete {athlete_id}'"
        )
    return _built(info, table, None)


def _built(
    info: Mapping[str, Any],
    table: Mapping[str, Any],
    kept_by: Callable[[dict[str, Any]], None] | None,
) -> Any:
    """Built by hand: from_authorized_user_info always refreshes at Google's endpoint. The
    [google] token_uri wins over the token's own (a local server in tests, an emulator)."""
    from google.oauth2.credentials import Credentials  # noqa: PLC0415

    class Kept(Credentials):
        """Credentials that hand a token they refreshed to `kept_by`."""

        def refresh(self, request: Any) -> None:
            super().refresh(request)  # type: ignore[no-untyped-call]
            if kept_by is not None:
                kept_by(json.loads(self.to_json()))  # type: ignore[no-untyped-call]

    return Kept(  # type: ignore[no-untyped-call]
        token=info.get("token"),
        refresh_token=info["refresh_token"],
        token_uri=table.get("token_uri") or info.get("token_uri") or GOOGLE_TOKEN_URI,
        client_id=info["client_id"],
        client_secret=info.get("client_secret"),
        scopes=list(SCOPES),
        expiry=_expiry(info.get("expiry")),
    )


def _expiry(value: object) -> datetime | None:
    """google-auth's expiry: naive UTC (what its own clock compares with); None when the
    token has none, so a token without one is refreshed before its first use."""
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _keep(vault: Vault | None, athlete_id: str, info: dict[str, Any]) -> None:
    """A refreshed token goes back to the store, so the next process (on any node) starts
    from it instead of refreshing again. When the store cannot take it, the pass goes on with
    the fresh token: the stored one still refreshes."""
    if vault is None:
        return
    try:
        vault.keep("google", info)
    except Exception as exc:
        # A failed save must not fail a pass that has a working token.
        log.warning(
            "athlete %s: the refreshed Google token was not stored (%s)",
            athlete_id,
            type(exc).__name__,
        )


def save_token(path: Path, token_json: str) -> None:
    """Written 0600 from the first byte: the refresh token is a password. Always into a new
    temp file (mkstemp makes it 0600 whatever the umask), then renamed over the token: a
    leftover temp file of a wider mode is never reused."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token_json)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


class GoogleAthlete:
    """What one athlete's passes hold of Google between passes."""

    def __init__(self, table: Mapping[str, Any], context: Context) -> None:
        self.table = table
        self.context = context
        self.where = str(table.get("where", "google"))
        budget = context.retry_seconds
        if budget is None:
            budget = float(table.get("retry_seconds", 60.0))
        self.api = GoogleApi(
            GoogleSettings(
                credentials(table, context.athlete_id, context.vault),
                root=table.get("api_endpoint"),
                retry=RetryPolicy().scaled(budget),
                transparency=str(table.get("transparency", "opaque")),
                deadline=float(table.get("request_seconds", REQUEST_SECONDS)),
            )
        )
        # One source per calendar id, even when it is both the race and the busy calendar.
        ids = dict.fromkeys(
            (*table.get("races", ()), *table.get("busy", ()), *table.get("runs", ()))
        )
        self._sources = {
            cid: GoogleSource(GoogleCollection(self.api, cid), self.where) for cid in ids
        }
        self._training: GoogleCalendar | None = None

    def sources(self, role: str) -> list[Source]:
        return [self._sources[cid] for cid in dict.fromkeys(self.table.get(role, ()))]

    def training(self) -> TrainingCalendar | None:
        if self._training is None:
            given = self.table.get("training_id")
            calendar_id = given or self._remembered()
            if calendar_id is None or calendar_id.startswith(PENDING):
                if not self.context.create:
                    return None
                calendar_id = self._create(calendar_id)
            recreate = None if given else self._recreate
            self._training = GoogleCalendar(self.api, calendar_id, recreate=recreate)
        return self._training

    def close(self) -> None:
        self.api.close()

    def _recreate(self) -> str:
        assert self._training is not None
        return self._create(self._training.calendar_id)

    def _create(self, held: str | None) -> str:
        """Make the training calendar, at most once however a pass is cut off around it.

        The intent is remembered first (PENDING and a mark the calendar's description
        carries): a pass killed between the insert and remembering its id leaves the intent,
        and the next pass looks for the calendar of that mark before it makes one (see
        GoogleApi.create_calendar). The id is then claimed only over the intent: when another
        pass claimed one meanwhile (a worker paused past its job being run elsewhere), that
        one stands and the calendar made here, empty still, is deleted."""
        title = str(self.table.get("training", "Training"))
        memory = self.context.memory
        interrupted = held is not None and held.startswith(PENDING)
        mark = held.removeprefix(PENDING) if held and interrupted else secrets.token_hex(8)
        intent = PENDING + mark
        if memory is not None and not interrupted:
            standing = memory.claim(TRAINING, intent, replacing=held)
            if standing != intent:
                if not standing.startswith(PENDING):
                    return standing  # another pass made it (again) meanwhile
                intent, mark, interrupted = standing, standing.removeprefix(PENDING), True
        calendar_id = self.api.create_calendar(title, self.context.timezone, mark, look=interrupted)
        if memory is None:
            return calendar_id
        standing = memory.claim(TRAINING, calendar_id, replacing=intent)
        if standing != calendar_id and not standing.startswith(PENDING):
            log.warning(
                "athlete %s: another pass made the training calendar meanwhile; "
                "deleting the one made here",
                self.context.athlete_id,
            )
            self.api.delete_calendar(calendar_id)
            return standing
        log.info("athlete %s: created the Google calendar '%s'", self.context.athlete_id, title)
        return calendar_id

    def _remembered(self) -> str | None:
        memory = self.context.memory
        return memory.recall(TRAINING) if memory is not None else None
