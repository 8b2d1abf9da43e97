"""Google Calendar: race and busy sources, the training calendar racecal creates, push
channels, and the athlete's OAuth credentials. Needs the `google` extra.

Built by `connectors.registry` from the athlete's [athletes.google] table (races, busy,
training, training_id, token_file or service_account_file and subject, transparency,
retry_seconds) with the [google] table's api_endpoint and token_uri.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connectors.google.account import GoogleAthlete, credentials, save_token
from connectors.google.api import SCOPES, GoogleApi, GoogleSettings
from connectors.google.calendar import GoogleCalendar
from connectors.google.collection import GoogleCollection, GoogleSource

if TYPE_CHECKING:
    from connectors.registry import Context

__all__ = [
    "SCOPES",
    "GoogleApi",
    "GoogleAthlete",
    "GoogleCalendar",
    "GoogleCollection",
    "GoogleSettings",
    "GoogleSource",
    "credentials",
    "save_token",
]


def open_account(table: Mapping[str, Any], context: Context) -> GoogleAthlete:
    return GoogleAthlete(table, context)
