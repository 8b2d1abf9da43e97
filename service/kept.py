"""What each of an athlete's calendars held at its last look, kept in memory from one pass to
the next and in the store from one process to the next (service.store.cursors): the change
cursor the connector handed out, the events and problems, and a digest that moves with any
change (the quiet-pass key is made of these digests, service.sync.quiet).

A new process reads the athlete's rows on its first look and hands each connector the cursor
an earlier process left, so a calendar nobody touched costs one incremental request (a stat,
a 304, one REPORT or list) and no listing. What a calendar held is decoded only when a pass
needs it, not on a quiet pass. A look that found something new is stored at the end of the
look; a quiet one writes nothing, but for a cursor that moved (a server's token that turns
over by itself) last stored more than an hour ago. Rows written by other code (an upgrade) are
not used: the calendar is listed whole once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from connectors.base import ChangeSet, Problem, RemoteEvent
from scheduler.model import Interval, LifeEvent
from scheduler.races import RaceRead
from service.store.records import TRAINING, Held, Quiet

if TYPE_CHECKING:
    # The queries are imported where they run: a look without a store (plan show on a
    # SQLite file) must not pay for SQLAlchemy.
    from service.store.database import Store
from service.store.payload import change_digest, held_body, held_from_body, held_version
from service.sync.quiet import code_version

log = logging.getLogger("racecal.calendars")

# A quiet look whose cursor moved is stored at most this often.
CURSOR_REFRESH = timedelta(hours=1)


@dataclass
class Kept:
    """One calendar as the last look left it."""

    cursor: str | None = None
    # Moves with any change of what it holds; "" before the first look.
    digest: str = ""
    # What the store holds of it, decoded on first use (None: decoded, or nothing stored).
    body: str | None = None
    stored_at: datetime | None = None
    # Something the store does not hold yet.
    dirty: bool = False
    # The store keeps the events themselves (races, the training calendar), or only the
    # problems (busy time is read again from the calendar, as occurrences).
    keep_events: bool = True
    # Bumped whenever a look found something new; what was derived from it is kept by it.
    version: int = 0
    races: tuple[object, RaceRead] | None = None
    busy: tuple[object, list[Interval]] | None = None
    # The life events (L13-L16) read with `races` and with `busy`.
    race_life: list[LifeEvent] = field(default_factory=list)
    life: list[LifeEvent] = field(default_factory=list)
    _events: dict[str, RemoteEvent] = field(default_factory=dict)
    _problems: dict[str, Problem] = field(default_factory=dict)

    @property
    def events(self) -> dict[str, RemoteEvent]:
        self._decode()
        return self._events

    @property
    def problems(self) -> dict[str, Problem]:
        self._decode()
        return self._problems

    def _decode(self) -> None:
        if self.body is None:
            return
        read = held_from_body(self.body)
        self.body = None
        if read is None:
            # Stored by this code yet unreadable: nothing is known; the next look lists it.
            log.warning("a stored calendar could not be read back; it is listed again")
            self.cursor, self.digest, self.dirty = None, "", True
            return
        self._events, self._problems = read

    def take(self, changes: ChangeSet, keep_events: bool) -> None:
        """Take in a look's changes (see `keep_events`)."""
        moved = changes.cursor != self.cursor
        if changes.full:
            self.body, self._events, self._problems = None, {}, {}
        elif not changes.quiet:
            self._decode()
        for gone in changes.removed:
            self._events.pop(gone, None)
            self._problems.pop(gone, None)
        self._events.update((e.id, e) for e in changes.events)
        self._problems.update((p.id, p) for p in changes.problems)
        self.cursor = changes.cursor
        if changes.quiet:
            stale = self.stored_at is None or _now() - self.stored_at > CURSOR_REFRESH
            self.dirty = self.dirty or (moved and stale)
            return
        self.version += 1
        self.dirty = True
        self.keep_events = keep_events
        if changes.full:
            _, self.digest = held_body("", changes.events, changes.problems)
        else:
            self.digest = change_digest(
                self.digest, changes.events, changes.problems, changes.removed
            )

    def row(self) -> Held:
        body = self.body
        if body is None:
            events = self._events.values() if self.keep_events else ()
            body = held_body(code_version(), events, self._problems.values())[0]
        return Held(self.cursor, body, self.digest, _now())


class Keeper:
    """The athlete's calendars as kept: loaded from the store on first use, stored when a
    look changed something (never when `keep` is False: a dry run writes nothing)."""

    def __init__(self, store: Store | None, athlete_id: str, keep: bool = True) -> None:
        self.store = store
        self.athlete_id = athlete_id
        self.keep = keep
        self._kept: dict[tuple[str, str], Kept] = {}
        self._rows: dict[tuple[str, str], Held] | None = None
        # Rows to delete at the next save (a training calendar made again has a new locator).
        self._gone: set[tuple[str, str]] = set()
        # The last quiet pass's key as read with the rows, until a pass asks for it.
        self._quiet: tuple[Quiet | None] | None = None

    def _load(self) -> dict[tuple[str, str], Held]:
        if self._rows is None:
            assert self.store is not None
            from service.store import cursors  # noqa: PLC0415 (see the top)

            self._rows, quiet = cursors.start(self.store, self.athlete_id)
            self._quiet = (quiet,)
        return self._rows

    @property
    def loaded(self) -> bool:
        return self._rows is not None

    def quiet(self, store: Store, fresh: bool) -> Quiet | None:
        """The athlete's last quiet pass (service.store.cursors.quiet). `fresh`: the rows were
        read by this very pass's look, and the key with them; else it is asked again (a
        release in another process drops it)."""
        stashed, self._quiet = self._quiet, None
        if fresh and stashed is not None and store is self.store:
            return stashed[0]
        from service.store import cursors  # noqa: PLC0415 (see the top)

        return cursors.quiet(store, self.athlete_id)

    def get(self, kind: str, locator: str) -> Kept:
        key = (kind, locator)
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = self._from_store(key)
        return kept

    def _from_store(self, key: tuple[str, str]) -> Kept:
        if self.store is None:
            return Kept()
        row = self._load().get(key)
        if row is None or held_version(row.body) != code_version():
            return Kept(stored_at=row.updated_at if row is not None else None)
        return Kept(row.cursor, row.digest, row.body, row.updated_at)

    def training(self, locator: str) -> Kept:
        """The training calendar's; one kept under another locator (a calendar made again, a
        config that names another) is dropped at the next save."""
        rows = self._load() if self.store is not None else {}
        for key in [*rows, *self._kept]:
            if key[0] == TRAINING and key[1] != locator:
                self._gone.add(key)
                self._kept.pop(key, None)
        return self.get(TRAINING, locator)

    def prune(self, kind: str, wanted: set[str]) -> None:
        """Calendars of `kind` the athlete no longer has (a config that dropped one) are
        forgotten at the next save."""
        rows = self._rows or {}
        for key in [*rows, *self._kept]:
            if key[0] == kind and key[1] not in wanted:
                self._kept.pop(key, None)
                if key in rows:
                    self._gone.add(key)

    def relocate(self, kind: str, old: str, new: str) -> Kept:
        """The calendar now has another locator (made again under a new id): what was kept
        moves with it, and the old row goes."""
        kept = self._kept.pop((kind, old), None) or Kept()
        kept.dirty = True
        self._kept[(kind, new)] = kept
        self._gone.add((kind, old))
        self._gone.discard((kind, new))
        return kept

    def forget(self, kind: str, locator: str) -> None:
        """Nothing is known of this calendar any more: the next look, here or in a new
        process, lists it whole."""
        self._kept[(kind, locator)] = Kept()
        if self._rows is not None and (kind, locator) in self._rows:
            self._gone.add((kind, locator))
        self.save()

    def save(self) -> None:
        if self.store is None or not self.keep:
            return
        changed: dict[tuple[str, str], Held | None] = dict.fromkeys(self._gone)
        for key, kept in self._kept.items():
            if kept.dirty and kept.cursor is not None:
                changed[key] = kept.row()
        if not changed:
            return
        from service.store import cursors  # noqa: PLC0415 (see the top)

        cursors.keep(self.store, self.athlete_id, changed)
        rows = self._rows if self._rows is not None else {}
        for key, value in changed.items():
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
                kept = self._kept[key]
                kept.dirty, kept.stored_at = False, value.updated_at
        self._rows, self._gone = rows, set()


def _now() -> datetime:
    return datetime.now(UTC)
