"""[athletes.caldav]: the account, the calendars read for races and busy time, and the one
sessions are written to. The password is read when connecting, never from the config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import Field, model_validator

from connectors.base import safe_url
from connectors.settings import (
    Calendar,
    Calendars,
    DavUrl,
    Flag,
    InputFile,
    RequestSeconds,
    RetrySeconds,
    Table,
    Text,
    wrong,
)

SHARED_REQUIRED = False
Shared: type[Table] | None = None


class Athlete(Table):
    refused: ClassVar[dict[str, str]] = {
        "password": "passwords do not belong in the config: use password_env or password_file"
    }

    url: DavUrl = Field(description="the server's http(s) URL")
    username: Text | None = None
    password_env: Text | None = None
    password_file: InputFile | None = None
    # Calendars by display name, path or URL.
    races: Calendars = ()
    busy: Calendars = ()
    # Another app's running plan (R6): strength is placed around its runs.
    runs: Calendars = ()
    # The calendar sessions are written to; None keeps writing the .ics output.
    training: Calendar | None = None
    create_training: Flag = True
    retry_seconds: RetrySeconds = 60.0
    request_seconds: RequestSeconds = 60.0

    @model_validator(mode="after")
    def _together(self) -> Self:
        if self.password_env is not None and self.password_file is not None:
            raise wrong("give password_env or password_file, not both")
        if not self.races and not self.busy and not self.runs and self.training is None:
            raise wrong("name at least one of races, busy, runs or training")
        return self


def training(table: Mapping[str, Any]) -> str | None:
    if table.get("training") is None:
        return None
    return f"CalDAV calendar '{table['training']}' at {safe_url(str(table['url']))}"
