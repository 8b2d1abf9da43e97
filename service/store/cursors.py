"""The queries of what lets a new process go on where the last one stopped: each calendar's
change cursor and what it held (calendar_states), the last quiet pass of each athlete
(quiet_passes) and the push channels open (push_channels). Beside state.py, which holds every
other query; nothing else in the service builds a query of these tables.

Writes happen only when something changed (a look that found news, a pass that settled on a
new key, a channel opened or stopped): a quiet pass reads one or two rows and writes none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from service.store import athletes
from service.store.database import Store
from service.store.models import Athlete, CalendarState, PushChannel, QuietPass
from service.store.records import Held, Quiet, Report, Stored

# Every pass of a new process asks these two, a quiet one little else: Core statements made
# once, not the ORM.
_t = CalendarState
_HELD = select(_t.kind, _t.locator, _t.cursor, _t.body, _t.digest, _t.updated_at).where(
    _t.athlete_id == bindparam("athlete")
)
_QUIET = select(QuietPass.key, QuietPass.report).where(QuietPass.athlete_id == bindparam("athlete"))


def held(store: Store, athlete_id: str) -> dict[tuple[str, str], Held]:
    """Every calendar of the athlete the store knows, by (kind, locator)."""
    with store.engine.connect() as c:
        rows = c.execute(_HELD, {"athlete": athlete_id})
        return {(r.kind, r.locator): Held(r.cursor, r.body, r.digest, r.updated_at) for r in rows}


def keep(store: Store, athlete_id: str, changed: Mapping[tuple[str, str], Held | None]) -> None:
    """Store what these calendars hold now (None: forget the calendar), in one transaction."""
    if not changed:
        return
    with store.session() as s, s.begin():
        _athlete(s, athlete_id, next(iter(changed.values()), None))
        rows = {
            (r.kind, r.locator): r
            for r in s.scalars(select(CalendarState).where(CalendarState.athlete_id == athlete_id))
        }
        for (kind, locator), value in changed.items():
            row = rows.get((kind, locator))
            if value is None:
                if row is not None:
                    s.delete(row)
                continue
            if row is None:
                row = CalendarState(athlete_id=athlete_id, kind=kind, locator=locator)
                s.add(row)
            row.cursor, row.body, row.digest = value.cursor, value.body, value.digest
            row.updated_at = value.updated_at


def quiet(store: Store, athlete_id: str) -> Quiet | None:
    """The key of the athlete's last quiet pass and what it reported; None when there is none
    (or a pass wrote since)."""
    with store.engine.connect() as c:
        return _quiet(c, athlete_id)


def start(store: Store, athlete_id: str) -> tuple[dict[tuple[str, str], Held], Quiet | None]:
    """`held` and `quiet` at once, as a new process's first look asks them."""
    with store.engine.connect() as c:
        rows = c.execute(_HELD, {"athlete": athlete_id})
        found = {(r.kind, r.locator): Held(r.cursor, r.body, r.digest, r.updated_at) for r in rows}
        return found, _quiet(c, athlete_id)


def _quiet(c: Connection, athlete_id: str) -> Quiet | None:
    row = c.execute(_QUIET, {"athlete": athlete_id}).first()
    if row is None:
        return None
    return row.key, tuple(_reported(item) for item in json.loads(row.report or "[]"))


def _reported(item: object) -> tuple[str, str]:
    # A report kept by an older version holds lines only: no plain form ("").
    if isinstance(item, list) and len(item) == 2:
        return str(item[0]), str(item[1])
    return str(item), ""


def settle(store: Store, athlete_id: str, key: str, report: Report, now: datetime) -> None:
    with store.session() as s, s.begin():
        _athlete(s, athlete_id, None, now)
        row = s.get(QuietPass, athlete_id)
        if row is None:
            row = QuietPass(athlete_id=athlete_id)
            s.add(row)
        row.key, row.report, row.settled_at = key, json.dumps([list(p) for p in report]), now


def unsettle(store: Store, athlete_id: str) -> None:
    """The next pass reads and plans whatever its key (a pass wrote, or a person changed what
    the store remembers: a release, an accepted empty source)."""
    with store.session() as s, s.begin():
        unsettle_in(s, athlete_id)


def unsettle_in(s: Session, athlete_id: str) -> None:
    s.execute(delete(QuietPass).where(QuietPass.athlete_id == athlete_id))


def _athlete(s: Session, athlete_id: str, value: Held | None, now: datetime | None = None) -> None:
    if s.get(Athlete, athlete_id) is None:
        made = now or (value.updated_at if value is not None else None)
        assert made is not None
        s.add(Athlete(id=athlete_id, created_at=made))
        s.flush()


# -- push channels ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """A push channel open at a calendar server (service.daemon.push)."""

    id: str
    athlete_id: str
    calendar_id: str
    resource_id: str
    token: str
    address: str
    expires: datetime


def _channel(r: PushChannel) -> Channel:
    return Channel(r.id, r.athlete_id, r.calendar_id, r.resource_id, r.token, r.address, r.expires)


def channels(store: Store) -> list[Channel]:
    with store.session() as s:
        return [_channel(r) for r in s.scalars(select(PushChannel).order_by(PushChannel.expires))]


def channel(store: Store, channel_id: str) -> Channel | None:
    """The stored channel of this id (any process may have opened it), or None."""
    with store.session() as s:
        r = s.get(PushChannel, channel_id)
        return None if r is None else _channel(r)


def open_channel(store: Store, channel: Channel, now: datetime) -> None:
    with store.session() as s, s.begin():
        _athlete(s, channel.athlete_id, None, now)
        row = s.get(PushChannel, channel.id) or PushChannel(id=channel.id)
        s.add(row)
        row.athlete_id, row.calendar_id = channel.athlete_id, channel.calendar_id
        row.resource_id, row.token = channel.resource_id, channel.token
        row.address, row.expires = channel.address, channel.expires


def close_channel(store: Store, channel_id: str) -> None:
    with store.session() as s, s.begin():
        s.execute(delete(PushChannel).where(PushChannel.id == channel_id))


# -- what the cluster's channel keeper looks at (service.daemon.channels) ----------------------


@dataclass(frozen=True)
class Look:
    """An athlete the channel keeper looks at, as the store holds it now."""

    id: str
    athlete: Stored | None  # its settings; None for a row no settings were ever stored in
    removed: bool
    due: datetime | None  # as read: what the look's outcome is stored over
    said: str | None  # the problem the last look had
    channels: tuple[Channel, ...]  # the one that lasts longest first


def looks(store: Store, now: datetime, soon: datetime, limit: int) -> list[Look]:
    """The athletes with something for the keeper to do, `limit` at most: those due (changed,
    a training calendar made, a failed look to try again) and those with a channel ending
    before `soon` (not while a failed look waits). Four indexed queries, however many
    athletes there are."""
    due = (
        select(Athlete.id)
        .where(Athlete.channels_due_at <= now)
        .order_by(Athlete.channels_due_at)
        .limit(limit)
    )
    waiting = and_(Athlete.channels_due_at.is_not(None), Athlete.channels_due_at > now)
    ending = (
        select(PushChannel.athlete_id)
        .join(Athlete, Athlete.id == PushChannel.athlete_id)
        .where(PushChannel.expires <= soon, ~waiting)
        .distinct()
        .limit(limit)
    )
    with store.session() as s:
        ids = list(dict.fromkeys([*s.scalars(due), *s.scalars(ending)]))[:limit]
        if not ids:
            return []
        kept: dict[str, list[Channel]] = {}
        query = select(PushChannel).where(PushChannel.athlete_id.in_(ids))
        for r in s.scalars(query.order_by(PushChannel.expires.desc(), PushChannel.id)):
            kept.setdefault(r.athlete_id, []).append(_channel(r))
        return [
            Look(
                row.id,
                athletes.of_row(row) if row.settings is not None else None,
                row.removed_at is not None,
                row.channels_due_at,
                row.channels_said,
                tuple(kept.get(row.id, ())),
            )
            for row in s.scalars(select(Athlete).where(Athlete.id.in_(ids)).order_by(Athlete.id))
        ]


def looked(store: Store, look: Look, due: datetime | None, said: str | None) -> None:
    """The keeper's look at the athlete is over: look again at `due` (None: when something
    changes), with `said` its problem. Nothing is stored over a change made meanwhile (the
    athlete changed, its training calendar made): it stays due."""
    if (due, said) == (look.due, look.said):
        return
    with store.session() as s, s.begin():
        s.execute(
            update(Athlete)
            .where(Athlete.id == look.id, Athlete.channels_due_at.is_not_distinct_from(look.due))
            .values(channels_due_at=due, channels_said=said)
        )


def recheck(store: Store, address: str | None, now: datetime) -> int:
    """Due now (unless due already): athletes with a channel posting to another address than
    `address`, and, with an address, athletes on Google that have no channel posting there.
    What a keeper starting with a config other than the last one's finds to do; one query of
    every athlete, run once per process. How many were made due."""
    elsewhere = select(PushChannel.athlete_id)
    if address is not None:
        elsewhere = elsewhere.where(PushChannel.address != address)
    which: ColumnElement[bool] = Athlete.id.in_(elsewhere)
    if address is not None:
        there = exists().where(PushChannel.athlete_id == Athlete.id, PushChannel.address == address)
        # The settings' JSON naming a google table (a false match costs one look, no request).
        which = or_(
            which,
            and_(
                Athlete.settings.like('%"google"%'),
                Athlete.removed_at.is_(None),
                ~there,
            ),
        )
    with store.session() as s, s.begin():
        done = s.execute(
            update(Athlete)
            .where(Athlete.channels_due_at.is_(None), which)
            .values(channels_due_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]
