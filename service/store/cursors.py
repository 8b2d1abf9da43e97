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

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from service.store.database import Store
from service.store.models import Athlete, CalendarState, PushChannel, QuietPass
from service.store.records import Held, Quiet, Report

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


def channels(store: Store) -> list[Channel]:
    with store.session() as s:
        return [
            Channel(r.id, r.athlete_id, r.calendar_id, r.resource_id, r.token, r.address, r.expires)
            for r in s.scalars(select(PushChannel).order_by(PushChannel.expires))
        ]


def channel(store: Store, channel_id: str) -> Channel | None:
    """The stored channel of this id (any process may have opened it), or None."""
    with store.session() as s:
        r = s.get(PushChannel, channel_id)
        if r is None:
            return None
        return Channel(
            r.id, r.athlete_id, r.calendar_id, r.resource_id, r.token, r.address, r.expires
        )


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
