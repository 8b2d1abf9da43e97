"""Google push notifications: `events.watch` channels on every Google calendar the service
follows, and the webhook that turns a notification into a pass for that athlete.

A notification carries no data; it only says "something changed", so the pass does the usual
incremental pull. It is accepted only with the secret token racecal gave its channel (compared
in constant time); anything else is 403. Channels are renewed a day before they expire and
stopped on shutdown. Polling stays on as the fallback.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from connectors.base import CalendarError

if TYPE_CHECKING:
    from service.google_account import GoogleSide

log = logging.getLogger("racecal.push")

TTL = timedelta(days=7)
RENEW_BEFORE = timedelta(days=1)


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    token: str
    athlete_id: str
    calendar_id: str
    expires: datetime


class Push:
    def __init__(self, webhook_url: str, trigger: Callable[[str], None]) -> None:
        self.webhook_url = webhook_url
        self.trigger = trigger
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self._sides: dict[str, GoogleSide] = {}

    def ensure(self, athlete_id: str, side: GoogleSide, calendar_ids: list[str]) -> None:
        """A live channel on each calendar, and on no other: new ones a day before the old ones
        expire; one on a calendar no longer followed (a training calendar deleted and made
        again has a new id) is stopped."""
        now = datetime.now(UTC)
        self._sides[athlete_id] = side
        with self._lock:
            current = {
                c.calendar_id: c for c in self._channels.values() if c.athlete_id == athlete_id
            }
        for calendar_id, stale in current.items():
            if calendar_id not in calendar_ids:
                self._stop(stale)
        for calendar_id in dict.fromkeys(calendar_ids):
            old = current.get(calendar_id)
            if old is not None and old.expires - now > RENEW_BEFORE:
                continue
            # Known before it is opened: Google's first message ("sync") may arrive before
            # the watch call returns.
            pending = Channel(
                str(uuid.uuid4()), "", secrets.token_urlsafe(32), athlete_id, calendar_id, now
            )
            with self._lock:
                self._channels[pending.id] = pending
            try:
                channel = self._watch(pending, side)
            except CalendarError as exc:
                with self._lock:
                    self._channels.pop(pending.id, None)
                log.warning("athlete %s: no push channel (%s); polling goes on", athlete_id, exc)
                continue
            with self._lock:
                self._channels[channel.id] = channel
            if old is not None:
                self._stop(old)

    def _watch(self, pending: Channel, side: GoogleSide) -> Channel:
        token, channel_id, calendar_id = pending.token, pending.id, pending.calendar_id
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": self.webhook_url,
            "token": token,
            "params": {"ttl": str(int(TTL.total_seconds()))},
        }
        reply = side.account.execute(
            f"push channel for '{calendar_id}'",
            lambda s: s.events().watch(calendarId=calendar_id, body=body),
        )
        expires = datetime.fromtimestamp(int(reply.get("expiration", 0)) / 1000, UTC)
        return Channel(
            channel_id, reply["resourceId"], token, pending.athlete_id, calendar_id, expires
        )

    def notify(self, headers: Mapping[str, str]) -> int:
        """The HTTP status for one notification; a good one triggers the athlete's pass."""
        lowered = {k.lower(): v for k, v in headers.items()}
        channel_id = lowered.get("x-goog-channel-id", "")
        given = lowered.get("x-goog-channel-token", "")
        with self._lock:
            channel = self._channels.get(channel_id)
        expected = channel.token if channel else secrets.token_urlsafe(32)
        # Compared even for an unknown channel, so timing tells nothing about which ids exist.
        if not hmac.compare_digest(given.encode(), expected.encode()) or channel is None:
            return 403
        if lowered.get("x-goog-resource-state") != "sync":
            self.trigger(channel.athlete_id)
        return 200

    def stop_all(self) -> None:
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            self._stop(channel)

    def _stop(self, channel: Channel) -> None:
        side = self._sides.get(channel.athlete_id)
        if side is None:
            return
        body = {"id": channel.id, "resourceId": channel.resource_id}
        try:
            side.account.execute("push channel", lambda s: s.channels().stop(body=body))
        except CalendarError as exc:
            log.info("athlete %s: stopping a push channel failed (%s)", channel.athlete_id, exc)
        with self._lock:
            self._channels.pop(channel.id, None)

    def channels(self) -> list[Channel]:
        with self._lock:
            return list(self._channels.values())
