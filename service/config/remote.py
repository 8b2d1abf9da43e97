"""Config of the calendar backends: CalDAV accounts and Google (the [google] table and each
athlete's [athletes.google]). Parsed by service.config.load's reader, so errors read the same."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.config.reader import Reader

CALDAV_KEYS = {
    "url",
    "username",
    "password_env",
    "password_file",
    "races",
    "busy",
    "training",
    "create_training",
    "retry_seconds",
}
GOOGLE_KEYS = {"client_secrets", "api_endpoint", "token_uri", "webhook_url"}
GOOGLE_ATHLETE_KEYS = {
    "races",
    "busy",
    "training",
    "training_id",
    "token_file",
    "service_account_file",
    "subject",
    "transparency",
    "retry_seconds",
}


@dataclass(frozen=True)
class CalDavConfig:
    """An athlete's CalDAV account. The password is not read here but when connecting, from
    an environment variable or a file only its owner can read."""

    url: str
    username: str | None
    password_env: str | None
    password_file: Path | None
    # Calendars by display name, path or URL.
    races: tuple[str, ...]
    busy: tuple[str, ...]
    # The calendar sessions are written to; None keeps writing the .ics output.
    training: str | None
    create_training: bool = True
    # How long one request may keep retrying (connection errors, 429, 5xx) before the pass
    # ends and the next one tries again.
    retry_seconds: float = 60.0
    where: str = "caldav"


@dataclass(frozen=True)
class GoogleConfig:
    """The OAuth client (a "Desktop app" client's JSON from the Google Cloud console)."""

    client_secrets: Path | None
    # Another Calendar API root (a local server in tests, an emulator); None is Google.
    api_endpoint: str | None = None
    # Where access tokens are refreshed; None is Google's own endpoint.
    token_uri: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class GoogleAthleteConfig:
    races: tuple[str, ...]
    busy: tuple[str, ...]
    # The calendar racecal creates for sessions (its id is stored at once), or an existing one.
    training: str
    training_id: str | None
    token_file: Path
    service_account_file: Path | None = None
    subject: str | None = None
    transparency: str = "opaque"
    retry_seconds: float = 60.0
    where: str = "google"
    # From [google]: the API root and token endpoint racecal talks to (None: Google's).
    api_endpoint: str | None = None
    token_uri: str | None = None


def parse_caldav(self: Reader, raw: object, where: str) -> CalDavConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise self.fail(where, "expected a table")
    if "password" in raw:
        raise self.fail(
            f"{where}.password",
            "passwords do not belong in the config: use password_env or password_file",
        )
    self.unknown(raw, CALDAV_KEYS, where)
    url = self.string(raw, "url", where)
    if not url.startswith(("http://", "https://")):
        raise self.fail(f"{where}.url", f"{url!r}: expected an http(s) URL")
    if "@" in url.split("/")[2]:
        raise self.fail(f"{where}.url", "put the username in 'username', not in the URL")
    secrets = [k for k in ("password_env", "password_file") if k in raw]
    if len(secrets) > 1:
        raise self.fail(where, "give password_env or password_file, not both")
    listed = {k: names(self, raw, k, where) for k in ("races", "busy")}
    training = raw.get("training")
    if training is not None and (not isinstance(training, str) or not training):
        raise self.fail(f"{where}.training", "expected a calendar name, path or URL")
    if not listed["races"] and not listed["busy"] and training is None:
        raise self.fail(where, "name at least one of races, busy or training")
    file = raw.get("password_file")
    return CalDavConfig(
        url=url,
        username=self.string(raw, "username", where) if "username" in raw else None,
        password_env=self.string(raw, "password_env", where) if "password_env" in raw else None,
        password_file=self.base / self.string(raw, "password_file", where) if file else None,
        races=listed["races"],
        busy=listed["busy"],
        training=training,
        create_training=self.flag(raw, "create_training", where, default=True),
        retry_seconds=self.number(raw, "retry_seconds", where, 60, 0, 3600),
        where=f"{self.path}: {where}",
    )


def names(self: Reader, raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise self.fail(f"{where}.{key}", 'expected a list of calendar names like ["Races"]')
    return tuple(value)


def parse_google(self: Reader, raw: dict[str, Any]) -> GoogleConfig | None:
    if not raw:
        return None
    self.unknown(raw, GOOGLE_KEYS, "google")
    endpoint, token_uri = raw.get("api_endpoint"), raw.get("token_uri")
    for key, value in (("api_endpoint", endpoint), ("token_uri", token_uri)):
        if value is not None and (
            not isinstance(value, str) or not value.startswith(("http://", "https://"))
        ):
            raise self.fail(f"google.{key}", f"{value!r}: expected an http(s) URL")
    hook = raw.get("webhook_url")
    # Google delivers to https only; plain http is allowed to this machine, for local servers.
    local = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")
    if hook is not None and (
        not isinstance(hook, str) or not hook.startswith(("https://", *local))
    ):
        raise self.fail("google.webhook_url", f"{hook!r}: expected an https:// URL")
    secrets = raw.get("client_secrets")
    if secrets is not None and not isinstance(secrets, str):
        raise self.fail("google.client_secrets", "expected a file path")
    return GoogleConfig(
        client_secrets=self.base / secrets if secrets else None,
        api_endpoint=endpoint,
        token_uri=token_uri,
        webhook_url=hook,
    )


def parse_google_athlete(
    self: Reader, raw: object, where: str, athlete_id: str
) -> GoogleAthleteConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise self.fail(where, "expected a table")
    self.unknown(raw, GOOGLE_ATHLETE_KEYS, where)
    account = raw.get("service_account_file")
    subject = raw.get("subject")
    if (account is None) != (subject is None):
        raise self.fail(where, "service_account_file and subject go together")
    token = raw.get("token_file", f"var/tokens/{athlete_id}-google.json")
    return GoogleAthleteConfig(
        races=names(self, raw, "races", where) if "races" in raw else ("primary",),
        busy=names(self, raw, "busy", where) if "busy" in raw else ("primary",),
        training=self.string(raw, "training", where, "Training"),
        training_id=self.string(raw, "training_id", where) if "training_id" in raw else None,
        token_file=self.state / self.string({"t": token}, "t", f"{where}.token_file"),
        service_account_file=self.base / self.string(raw, "service_account_file", where)
        if account
        else None,
        subject=self.string(raw, "subject", where) if subject else None,
        transparency=self.choice(raw, "transparency", where, ("opaque", "transparent"), "opaque"),
        retry_seconds=self.number(raw, "retry_seconds", where, 60, 0, 3600),
        where=f"{self.path}: {where}",
    )
