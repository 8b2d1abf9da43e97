"""Push notifications: a change channel on every calendar the service follows whose server
pushes (capabilities.push: Google's `events.watch` today), and the webhook that turns a
notification into a pass for that athlete.

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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from connectors.base import CalendarError, Watchable

log = logging.getLogger("racecal.push")

TTL = timedelta(days=7)
RENEW_BEFORE = timedelta(days=1)


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    token: str
    athlete_id: str
    # The calendar it follows (the connector's watch_key).
    calendar_id: str
    expires: datetime


class Push:
    def __init__(self, webhook_url: str, trigger: Callable[[str], None]) -> None:
        self.webhook_url = webhook_url
        self.trigger = trigger
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        # The calendar each channel was opened on, which stops it.
        self._opened: dict[str, Watchable] = {}

    def ensure(self, athlete_id: str, calendars: list[Watchable]) -> None:
        """A live channel on each calendar, and on no other: new ones a day before the old ones
        expire; one on a calendar no longer followed (a training calendar deleted and made
        again has a new id) is stopped."""
        now = datetime.now(UTC)
        wanted = {c.watch_key: c for c in calendars}
        with self._lock:
            current = {
                c.calendar_id: c for c in self._channels.values() if c.athlete_id == athlete_id
            }
        for calendar_id, stale in current.items():
            if calendar_id not in wanted:
                self._stop(stale)
        for calendar_id, calendar in wanted.items():
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
                channel = self._watch(pending, calendar)
            except CalendarError as exc:
                with self._lock:
                    self._channels.pop(pending.id, None)
                log.warning("athlete %s: no push channel (%s); polling goes on", athlete_id, exc)
                continue
            with self._lock:
                self._channels[channel.id] = channel
            if old is not None:
                self._stop(old)

    def _watch(self, pending: Channel, calendar: Watchable) -> Channel:
        ttl = int(TTL.total_seconds())
        opened = calendar.watch(pending.id, self.webhook_url, pending.token, ttl)
        with self._lock:
            self._opened[pending.id] = calendar
        return replace(pending, resource_id=opened.resource_id, expires=opened.expires)

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
        with self._lock:
            calendar = self._opened.pop(channel.id, None)
        if calendar is not None:
            try:
                calendar.unwatch(channel.id, channel.resource_id)
            except CalendarError as exc:
                log.info("athlete %s: stopping a push channel failed (%s)", channel.athlete_id, exc)
        with self._lock:
            self._channels.pop(channel.id, None)

    def channels(self) -> list[Channel]:
        with self._lock:
            return list(self._channels.values())
