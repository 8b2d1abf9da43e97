"""[google] (the OAuth client and the endpoints racecal talks to, shared by every athlete)
and [athletes.google] (calendars by id; the token file defaults to one per athlete)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import model_validator

from connectors.settings import (
    Calendars,
    FilePath,
    InputFile,
    Relative,
    RequestSeconds,
    RetrySeconds,
    Table,
    Text,
    Url,
    WebhookUrl,
    one_of,
    whole,
    wrong,
)

# Athletes need the [google] table: its client (or endpoints) is how any of them gets in.
SHARED_REQUIRED = True


# What `racecal auth google` writes: under the state folder, one per athlete by default.
TokenFile = Annotated[FilePath, Relative("state", "var/tokens/{athlete}-google.json")]


class Shared(Table):
    """An empty table is as good as none."""

    # A "Desktop app" client's JSON from the Google Cloud console (for `racecal auth google`).
    client_secrets: InputFile | None = None
    # Another Calendar API root (a local server in tests, an emulator); None is Google.
    api_endpoint: Url | None = None
    # Where access tokens are refreshed; None is Google's own endpoint.
    token_uri: Url | None = None
    webhook_url: WebhookUrl | None = None
    # Where Google sends the athlete back after consent on the web (/connect/google, with
    # [service] http): the service's public address + the path, registered on a "Web
    # application" client whose JSON is client_secrets.
    redirect_url: Url | None = None
    # The Calendar API requests per minute racecal's passes may send in all, across every
    # node (its share of the Cloud project's quota), and for one user (athlete): the
    # procrastinate dispatcher admits passes within them, the rest wait for later minutes.
    requests_per_minute: Annotated[int, whole(1, 10_000_000)] = 10_000
    requests_per_minute_per_user: Annotated[int, whole(1, 1_000_000)] = 600


class Athlete(Table):
    races: Calendars = ("primary",)
    busy: Calendars = ("primary",)
    # Another app's running plan (R6): strength is placed around its runs.
    runs: Calendars = ()
    # The calendar racecal creates for sessions (its id is stored at once), or an existing one.
    training: Text = "Training"
    training_id: Text | None = None
    token_file: TokenFile | None = None
    service_account_file: InputFile | None = None
    subject: Text | None = None
    transparency: Annotated[str, one_of("opaque", "transparent")] = "opaque"
    retry_seconds: RetrySeconds = 60.0
    request_seconds: RequestSeconds = 60.0

    @model_validator(mode="after")
    def _together(self) -> Self:
        if (self.service_account_file is None) != (self.subject is None):
            raise wrong("service_account_file and subject go together")
        return self


def training(table: Mapping[str, Any]) -> str:
    return f"Google calendar '{table.get('training_id') or table.get('training', 'Training')}'"
