"""CalDAV servers (Nextcloud, Fastmail, iCloud, Radicale, ...): race and busy sources and the
training calendar, on one login per athlete. Needs the `caldav` extra.

Built by `connectors.registry` from the athlete's [athletes.caldav] table: url, username,
password_env or password_file (the secret is read here, when connecting, never from the config
itself), races and busy (calendar names, paths or URLs), training, create_training and
retry_seconds.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.caldav.account import CalDavAthlete, password
    from connectors.caldav.calendar import CalDavAccount, CalDavCalendar, CalDavSettings
    from connectors.caldav.source import CalDavSource
    from connectors.registry import Context

__all__ = [
    "CalDavAccount",
    "CalDavAthlete",
    "CalDavCalendar",
    "CalDavSettings",
    "CalDavSource",
    "open_account",
    "password",
]

# Imported on first use, so `connectors.caldav.settings` reads a config without the extra.
_WHERE = {
    "CalDavAthlete": "account",
    "password": "account",
    "CalDavAccount": "calendar",
    "CalDavCalendar": "calendar",
    "CalDavSettings": "calendar",
    "CalDavSource": "source",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


def open_account(table: Mapping[str, Any], context: Context) -> CalDavAthlete:
    from connectors.caldav.account import CalDavAthlete  # noqa: PLC0415

    return CalDavAthlete(table, context)
