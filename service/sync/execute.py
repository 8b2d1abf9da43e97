"""The one executor: applies a pass's actions to the training calendar and the store.

Order, for crash safety: the bookkeeping and every write's intent are recorded in one
transaction before anything is sent (a pending row with the deterministic event id, and the
version about to be written among the session's versions, so the next pass knows the event
as racecal's whether or not this one lives to see the reply); then the writes; then, in a
second transaction, the outcome of each write the calendar confirmed. Only writes that really
happened are counted: a batching backend's writes count once its batch is sent (or as far as
its report of a batch cut short goes), not when they are queued.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from connectors.base import CalendarConnector, Conflict, NotFound, RemoteEvent
from service.store.database import Store
from service.store.state import Writer, writer
from service.sync.decide import (
    WRITES,
    Action,
    Create,
    Delete,
    DropEdit,
    Forget,
    KeepPlan,
    RecordEdit,
    RecordRaces,
    RecordSources,
    Settle,
    Update,
    Write,
    action_key,
)
from service.sync.fingerprint import of_held


class PassFailed(Exception):
    """The pass stopped; nothing more was written and the store keeps the last good state."""


class ChangedMeanwhile(PassFailed):
    """An event changed in the calendar between our read and our write (etag mismatch, or an
    event there that the read did not show): read again and decide again."""


@dataclass
class Tally:
    """Calendar writes that really happened, over every attempt of a pass."""

    created: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, action: Write) -> None:
        if isinstance(action, Create):
            self.created += 1
        elif isinstance(action, Update):
            self.updated += 1
        else:
            self.deleted += 1

    def total(self) -> int:
        return self.created + self.updated + self.deleted


def apply(
    store: Store,
    athlete_id: str,
    calendar: CalendarConnector,
    actions: list[Action],
    now: datetime,
    tally: Tally,
    payloads: Mapping[str, str] | None = None,
) -> None:
    """Apply `actions` (as `decide` returned them). `payloads` are the placed sessions' JSON
    kept with each write's row. Raises ChangedMeanwhile when the calendar changed under a
    write (nothing is overwritten), CalendarError when it failed; what was confirmed before is
    recorded and counted either way."""
    payloads = payloads or {}
    writes = [a for a in actions if isinstance(a, WRITES)]
    kept = [a for a in actions if isinstance(a, KeepPlan)]
    notes = [a for a in actions if not isinstance(a, (*WRITES, KeepPlan))]
    if notes or writes:
        with writer(store, athlete_id, now) as w:
            for note in notes:
                _note(w, note, now)
            for write in writes:
                _intent(w, write, payloads)
    if writes:
        done: list[tuple[Write, RemoteEvent | None]] = []
        try:
            _send(calendar, writes, done)
        finally:
            if done:
                with writer(store, athlete_id, now) as w:
                    for write, result in done:
                        w.done(action_key(write), result.etag if result is not None else None)
                for write, _ in done:
                    tally.add(write)
    if kept:
        with writer(store, athlete_id, now) as w:
            for plan in kept:
                w.keep_plan(plan.digest, plan.body)


def _note(w: Writer, action: Action, now: datetime) -> None:
    if isinstance(action, Settle):
        held = action.held
        w.settle(
            action.key,
            held.id,
            action.fingerprint,
            held.etag,
            _moment(held.start, now),
            _moment(held.end, now),
        )
    elif isinstance(action, Forget):
        w.forget(action.key)
    elif isinstance(action, RecordEdit):
        w.put_edit(action.edit)
    elif isinstance(action, DropEdit):
        w.drop_edit(action.key)
    elif isinstance(action, RecordRaces):
        w.races(action.news)
    elif isinstance(action, RecordSources):
        w.sources(action.sources)


def _intent(w: Writer, action: Write, payloads: Mapping[str, str]) -> None:
    if isinstance(action, Delete):
        held = action.held
        w.intent(
            "delete",
            action.key,
            action.remote_id,
            of_held(held),
            _moment(held.start, w.now),
            _moment(held.end, w.now),
        )
        return
    event = action.event
    kind = "create" if isinstance(action, Create) else "update"
    w.intent(
        kind,
        event.session_key,
        event.id,
        action.fingerprint,
        event.start,
        event.end,
        payloads.get(event.session_key),
    )


def _send(
    calendar: CalendarConnector,
    writes: list[Write],
    done: list[tuple[Write, RemoteEvent | None]],
) -> None:
    """Each write in order, inside the backend's batch. A backend that sends writes one by one
    (capabilities.batches False) has done each write when its call returns; a batching one
    only when the batch is sent whole, or as far as the record it yields says."""
    batched = bool(getattr(calendar.capabilities, "batches", False))
    promised: list[tuple[Write, RemoteEvent | None]] = []
    sent: object = None
    try:
        with calendar.batch() as sent:
            for write in writes:
                result = _perform(calendar, write)
                (promised if batched else done).append((write, result))
    except (Conflict, NotFound) as exc:
        done.extend(_confirmed(sent, promised))
        raise ChangedMeanwhile(f"an event changed in the calendar during the pass ({exc})") from exc
    except BaseException:
        done.extend(_confirmed(sent, promised))
        raise
    done.extend(promised)


def _confirmed(
    sent: object, promised: list[tuple[Write, RemoteEvent | None]]
) -> list[tuple[Write, RemoteEvent | None]]:
    """The queued writes a batch cut short did send, by the ids its record names (a backend
    without such a record reports none: they are settled by the next pass's read)."""
    ids = getattr(sent, "written", None)
    if not ids:
        return []
    return [(w, r) for w, r in promised if _event_id(w) in ids]


def _event_id(write: Write) -> str:
    return write.remote_id if isinstance(write, Delete) else write.event.id


def _perform(calendar: CalendarConnector, write: Write) -> RemoteEvent | None:
    """One write; its event as the calendar now holds it (None after a delete). Conflict and
    NotFound propagate: the caller reads again and decides again rather than overwrite."""
    if isinstance(write, Create):
        return calendar.create(write.event)
    if isinstance(write, Update):
        return calendar.update(write.event, write.etag)
    with contextlib.suppress(NotFound):  # already gone is what we wanted
        calendar.delete(write.remote_id, write.etag)
    return None


def _moment(value: datetime | date, now: datetime) -> datetime:
    """A store time from an event's start or end: a floating time or an all-day date is read
    in the zone of `now` (the athlete's)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo)
    return datetime.combine(value, time(0), tzinfo=now.tzinfo)
