"""Compute, then act: what a sync pass must write, as pure functions over values.

`detect_edits` reads what the athlete did to racecal's events since the last pass (moves become
pins, deletions become tombstones, L9). `decide` compares the plan with what was last written
and returns the fewest actions that make the calendar match: an unchanged session costs nothing,
a moved session is updated in place (same id), history and the athlete's edits are never
touched. The executor applies the actions; a dry run prints them.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from connectors.base import CalendarConnector, Conflict, NotFound, RemoteEvent, SessionEvent


@dataclass(frozen=True)
class Written:
    """What the store remembers of a managed event after its last successful write."""

    key: str
    remote_id: str
    etag: str | None
    content_hash: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Edits:
    pinned: Mapping[str, tuple[datetime, datetime]]
    deleted: frozenset[str]


@dataclass(frozen=True)
class Create:
    event: SessionEvent


@dataclass(frozen=True)
class Update:
    event: SessionEvent
    etag: str | None


@dataclass(frozen=True)
class Delete:
    key: str
    remote_id: str
    etag: str | None


Action = Create | Update | Delete


def content_hash(event: SessionEvent) -> str:
    """Everything the athlete sees of a session; equal hashes mean nothing to write."""
    return _hash(event.session_key, event.title, event.description, event.start, event.end)


def remote_hash(event: RemoteEvent) -> str:
    start, end = event.start, event.end
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return ""
    return _hash(event.session_key or "", event.title, event.description, start, end)


def _hash(key: str, title: str, description: str, start: datetime, end: datetime) -> str:
    text = "\x1f".join((key, title, description, start.isoformat(), end.isoformat()))
    return hashlib.sha256(text.encode()).hexdigest()


def detect_edits(
    written: Mapping[str, Written],
    remote: Mapping[str, RemoteEvent],
    previous: Edits,
) -> Edits:
    """L9: a managed event whose times differ from what racecal wrote was moved by the athlete
    (pinned at the new times); one that is gone was deleted (a tombstone, never re-created).
    Earlier edits stay, a pin follows the athlete's latest move."""
    pinned = dict(previous.pinned)
    deleted = set(previous.deleted)
    for key, row in written.items():
        event = remote.get(row.remote_id)
        if event is None:
            deleted.add(key)
            pinned.pop(key, None)
            continue
        if not isinstance(event.start, datetime) or not isinstance(event.end, datetime):
            continue  # made all-day by the athlete: a pin cannot hold it; leave it be
        if (event.start, event.end) != (row.start, row.end):
            pinned[key] = (event.start, event.end)
    return Edits(pinned=pinned, deleted=frozenset(deleted))


def decide(
    desired: Mapping[str, SessionEvent],
    written: Mapping[str, Written],
    remote: Mapping[str, RemoteEvent],
    edits: Edits,
    now: datetime,
) -> list[Action]:
    """The fewest writes that make the calendar show `desired`. A session is compared with what
    the calendar holds now and updated with the calendar's current etag. Events the athlete moved
    or deleted are never written again; sessions that already started are history and are
    never changed."""
    actions: list[Action] = []
    for key in sorted(desired):
        event = desired[key]
        row = written.get(key)
        if key in edits.deleted:
            continue  # L9: the athlete deleted it; it stays deleted
        if key in edits.pinned:
            if row is None:
                # Lost with its calendar (deleted and re-created): back where the athlete put it.
                actions.append(Create(event))
            continue  # L9: the athlete owns this event now, as they left it
        if row is None:
            actions.append(Create(event))
            continue
        if row.start < now:
            continue  # history
        held = remote.get(row.remote_id)
        current = remote_hash(held) if held is not None else row.content_hash
        if content_hash(event) != current:
            actions.append(Update(event, held.etag if held is not None else row.etag))
    for key in sorted(set(written) - set(desired)):
        row = written[key]
        if key in edits.deleted or row.start < now or key in edits.pinned:
            continue
        held = remote.get(row.remote_id)
        actions.append(Delete(key, row.remote_id, held.etag if held is not None else row.etag))
    return actions


def action_key(action: Action) -> str:
    return action.key if isinstance(action, Delete) else action.event.session_key


def perform(calendar: CalendarConnector, action: Action) -> str | None:
    """Apply one action; the event's new etag (None after a delete). Conflict on an update or
    delete propagates: the caller re-reads and re-diffs rather than overwrite."""
    if isinstance(action, Create):
        try:
            return calendar.create(action.event).etag
        except Conflict:
            # Written by a pass killed before it could record that: adopt it.
            return calendar.update(action.event, None).etag
    if isinstance(action, Update):
        return calendar.update(action.event, action.etag).etag
    with contextlib.suppress(NotFound):  # already gone is what we wanted
        calendar.delete(action.remote_id, action.etag)
    return None


def execute(
    actions: list[Action], calendar: CalendarConnector, written: Mapping[str, Written]
) -> dict[str, Written]:
    """Apply `actions` in order and return what is written afterwards."""
    state = dict(written)
    for action in actions:
        etag = perform(calendar, action)
        if isinstance(action, Delete):
            state.pop(action.key, None)
        else:
            state[action.event.session_key] = _written(action.event, etag)
    return state


def _written(event: SessionEvent, etag: str | None) -> Written:
    return Written(event.session_key, event.id, etag, content_hash(event), event.start, event.end)
