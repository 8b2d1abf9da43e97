"""Config of the calendar backends: CalDAV accounts and Google (the [google] table and each
athlete's [athletes.google]), built from their tables in service.config.schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.config.schema import CalDavTable, GoogleAthleteTable, GoogleTable


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


# The tables' keys are these values' fields; what differs is given by name.


def caldav_config(table: CalDavTable, base: Path, where: str) -> CalDavConfig:
    secret = table.password_file
    return CalDavConfig(
        **{**dict(table), "password_file": base / secret if secret else None, "where": where}
    )


def google_config(table: GoogleTable | None, base: Path) -> GoogleConfig | None:
    if table is None or not table.model_fields_set:
        return None  # an empty [google] table is as good as none
    secrets = table.client_secrets
    return GoogleConfig(**{**dict(table), "client_secrets": base / secrets if secrets else None})


def google_athlete_config(
    table: GoogleAthleteTable,
    google: GoogleConfig,
    athlete_id: str,
    paths: tuple[Path, Path],
    where: str,
) -> GoogleAthleteConfig:
    """`paths`: the config's folder (inputs) and the state folder (the token racecal writes)."""
    base, state = paths
    account = table.service_account_file
    return GoogleAthleteConfig(
        **{
            **dict(table),
            "token_file": state / (table.token_file or f"var/tokens/{athlete_id}-google.json"),
            "service_account_file": base / account if account else None,
            "where": where,
            "api_endpoint": google.api_endpoint,
            "token_uri": google.token_uri,
        }
    )
