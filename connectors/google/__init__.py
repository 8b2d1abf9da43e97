"""Google Calendar: race and busy sources, the training calendar racecal creates, push
channels, and the athlete's OAuth credentials. Needs the `google` extra.

Built by `connectors.registry` from the athlete's [athletes.google] table (races, busy,
training, training_id, token_file or service_account_file and subject, transparency,
retry_seconds) with the [google] table's api_endpoint and token_uri.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.google.account import GoogleAthlete, credentials, save_token
    from connectors.google.api import SCOPES, GoogleApi, GoogleSettings
    from connectors.google.calendar import GoogleCalendar
    from connectors.google.collection import GoogleCollection, GoogleSource
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
    "open_account",
    "save_token",
]

# Imported on first use, so `connectors.google.settings` reads a config without the extra.
_WHERE = {
    "GoogleAthlete": "account",
    "credentials": "account",
    "save_token": "account",
    "SCOPES": "api",
    "GoogleApi": "api",
    "GoogleSettings": "api",
    "GoogleCalendar": "calendar",
    "GoogleCollection": "collection",
    "GoogleSource": "collection",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


def open_account(table: Mapping[str, Any], context: Context) -> GoogleAthlete:
    from connectors.google.account import GoogleAthlete  # noqa: PLC0415

    return GoogleAthlete(table, context)
