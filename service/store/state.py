"""The queries of the sync state: what a pass reads (`load`), what its executor writes
(`Writer`), what the views and the CLI read and change (`last_plan`, `release`,
`accept_empty`); what `status` reads is in service.store.status, the calendars' cursors and
the quiet key in service.store.cursors. No query of the sync state lives outside this package.

A pass reads one `SyncState` snapshot (frozen values, no open session), decides on it, and
only the executor writes, in short transactions: intents before the calendar writes,
outcomes after. Nothing else in the service builds a query of these tables.

The tables (see models.py): sessions (one row per managed event, with the state of its last
write), session_versions (the fingerprint of every version racecal wrote of a session),
athlete_edits (sessions the athlete changed or deleted, and releases), races_seen with
race_date_changes (race history), last_plans (the last good plan), source_reads (what each
source held, for the empty-source guard), calendars (locators a backend made, such as the
Google training calendar's id: `recall_locator`, `remember_locator`), sync_runs (one row per
pass), athletes. The queries of calendar_states, quiet_passes and push_channels (what a new
process goes on from) are in cursors.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from service.store.cursors import unsettle_in
from service.store.database import Store
from service.store.models import (
    Athlete,
    AthleteEdit,
    Calendar,
    LastPlan,
    RaceDateChange,
    RaceSeen,
    SessionVersion,
    SessionWritten,
    SourceRead,
    SyncRun,
)
from service.store.records import (
    TRAINING,
    Edit,
    Managed,
    RaceNews,
    RaceRecord,
    SourceMemory,
    SyncState,
)

PENDING = {"create": "pending_create", "update": "pending_update", "delete": "pending_delete"}


def load(store: Store, athlete_id: str) -> SyncState:
    with store.session() as s:
        managed = {
            r.key: Managed(
                r.key,
                r.remote_id,
                r.etag,
                r.content_hash,
                r.start,
                r.end,
                r.state,
                r.payload,
                r.created_at,
            )
            for r in s.scalars(
                select(SessionWritten).where(SessionWritten.athlete_id == athlete_id)
            )
        }
        versions: dict[str, dict[str, datetime]] = {}
        for v in s.scalars(select(SessionVersion).where(SessionVersion.athlete_id == athlete_id)):
            versions.setdefault(v.key, {})[v.fingerprint] = v.written_at
        edits = {r.key: _edit(r) for r in _edit_rows(s, athlete_id)}
        races = {
            r.uid: RaceRecord(r.uid, r.title, r.race_date, r.first_seen, r.removed_at)
            for r in s.scalars(select(RaceSeen).where(RaceSeen.athlete_id == athlete_id))
        }
        plan = s.get(LastPlan, athlete_id)
        sources = {r.key: _source(r) for r in _source_rows(s, athlete_id)}
        return SyncState(
            athlete_id,
            managed,
            versions,
            edits,
            races,
            plan.digest if plan is not None else None,
            sources,
        )


def _source_rows(s: Session, athlete_id: str) -> list[SourceRead]:
    return list(s.scalars(select(SourceRead).where(SourceRead.athlete_id == athlete_id)))


def _source(r: SourceRead) -> SourceMemory:
    return SourceMemory(r.events, r.races, r.empty_since, r.accepted)


def _edit_rows(s: Session, athlete_id: str) -> list[AthleteEdit]:
    return list(s.scalars(select(AthleteEdit).where(AthleteEdit.athlete_id == athlete_id)))


def _edit(r: AthleteEdit) -> Edit:
    changes = tuple(c for c in (r.changes or "").split(",") if c)
    return Edit(r.key, r.kind, r.seen_at, r.start, r.end, r.title, changes, r.fingerprint)


class Writer:
    """The executor's writes for one athlete, inside one transaction."""

    def __init__(self, session: Session, athlete_id: str, now: datetime) -> None:
        self.s = session
        self.athlete_id = athlete_id
        self.now = now
        self._rows: dict[str, SessionWritten] | None = None
        self._versions: dict[tuple[str, str], SessionVersion] | None = None

    def rows(self) -> dict[str, SessionWritten]:
        if self._rows is None:
            query = select(SessionWritten).where(SessionWritten.athlete_id == self.athlete_id)
            self._rows = {r.key: r for r in self.s.scalars(query)}
        return self._rows

    def _version(self, key: str, fingerprint: str, written: bool) -> None:
        """Add a version; `written` (racecal writes it now) also moves its time, which an older
        copy of the calendar coming back is dated by."""
        if self._versions is None:
            query = select(SessionVersion).where(SessionVersion.athlete_id == self.athlete_id)
            self._versions = {(v.key, v.fingerprint): v for v in self.s.scalars(query)}
        row = self._versions.get((key, fingerprint))
        if row is None:
            row = SessionVersion(
                athlete_id=self.athlete_id, key=key, fingerprint=fingerprint, written_at=self.now
            )
            self.s.add(row)
            self._versions[(key, fingerprint)] = row
        elif written:
            row.written_at = self.now

    def intent(
        self,
        kind: str,
        key: str,
        remote_id: str,
        fingerprint: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        payload: str | None = None,
    ) -> None:
        """Before a write: the row says what is about to be written (kind create, update or
        delete), and the version joins the session's versions, so the calendar holding it
        later, whether or not this pass lives to see the reply, is known as racecal's."""
        rows = self.rows()
        row = rows.get(key)
        if row is None:
            assert start is not None
            assert end is not None
            assert fingerprint is not None
            row = SessionWritten(
                athlete_id=self.athlete_id,
                key=key,
                remote_id=remote_id,
                created_at=self.now,
                content_hash=fingerprint,
                start=start,
                end=end,
                state=PENDING[kind],
                updated_at=self.now,
            )
            self.s.add(row)
            rows[key] = row
        row.state = PENDING[kind]
        row.remote_id = remote_id
        if kind != "delete":
            assert fingerprint is not None
            assert start is not None
            assert end is not None
            row.content_hash, row.start, row.end = fingerprint, start, end
            if payload is not None:
                row.payload = payload
            self._version(key, fingerprint, written=True)
        row.updated_at = self.now

    def done(self, key: str, etag: str | None) -> None:
        """After a write the calendar confirmed; a delete drops the row."""
        row = self.rows().get(key)
        if row is None:
            return
        if row.state == "pending_delete":
            self.s.delete(row)
            del self.rows()[key]
            return
        row.state, row.etag, row.updated_at = "written", etag, self.now

    def settle(
        self,
        key: str,
        remote_id: str,
        fingerprint: str,
        etag: str | None,
        start: datetime,
        end: datetime,
        payload: str | None = None,
    ) -> None:
        """The calendar holds a version racecal wrote (or, for a released session, the
        athlete's version racecal now takes over): the row says so."""
        rows = self.rows()
        row = rows.get(key)
        if row is None:
            row = SessionWritten(
                athlete_id=self.athlete_id,
                key=key,
                remote_id=remote_id,
                created_at=self.now,
                content_hash=fingerprint,
                start=start,
                end=end,
                state="written",
                updated_at=self.now,
            )
            self.s.add(row)
            rows[key] = row
        row.remote_id, row.etag, row.content_hash = remote_id, etag, fingerprint
        row.start, row.end, row.state, row.updated_at = start, end, "written", self.now
        if payload is not None:
            row.payload = payload
        self._version(key, fingerprint, written=False)

    def forget(self, key: str) -> None:
        row = self.rows().pop(key, None)
        if row is not None:
            self.s.delete(row)

    def put_edit(self, edit: Edit) -> None:
        row = self.s.scalars(
            select(AthleteEdit).where(
                AthleteEdit.athlete_id == self.athlete_id, AthleteEdit.key == edit.key
            )
        ).first()
        if row is None:
            row = AthleteEdit(athlete_id=self.athlete_id, key=edit.key, seen_at=edit.seen_at)
            self.s.add(row)
        row.kind, row.start, row.end, row.seen_at = edit.kind, edit.start, edit.end, edit.seen_at
        row.title, row.fingerprint = edit.title, edit.fingerprint
        row.changes = ",".join(edit.changes)

    def drop_edit(self, key: str) -> None:
        self.s.execute(
            delete(AthleteEdit).where(
                AthleteEdit.athlete_id == self.athlete_id, AthleteEdit.key == key
            )
        )

    def races(self, news: RaceNews) -> None:
        known = {
            r.uid: r
            for r in self.s.scalars(select(RaceSeen).where(RaceSeen.athlete_id == self.athlete_id))
        }
        for uid, title, day in news.new:
            row = known.get(uid)
            if row is None:
                row = RaceSeen(
                    athlete_id=self.athlete_id,
                    uid=uid,
                    title=title,
                    race_date=day,
                    first_seen=self.now,
                    last_seen=self.now,
                )
                self.s.add(row)
                self.s.flush()
                self.s.add(RaceDateChange(race_id=row.id, race_date=day, seen_at=self.now))
        for uid, title, day in news.changed:
            row = known.get(uid)
            if row is None:
                continue
            if row.race_date != day:
                self.s.add(RaceDateChange(race_id=row.id, race_date=day, seen_at=self.now))
            row.title, row.race_date, row.last_seen, row.removed_at = title, day, self.now, None
        for uid in news.removed:
            row = known.get(uid)
            if row is not None and row.removed_at is None:
                row.removed_at = self.now

    def sources(self, remembered: Mapping[str, SourceMemory]) -> None:
        """What every source read in this pass held; sources no longer read are forgotten."""
        rows = {r.key: r for r in _source_rows(self.s, self.athlete_id)}
        for key, row in rows.items():
            if key not in remembered:
                self.s.delete(row)
        for key, value in remembered.items():
            row = rows.get(key) or SourceRead(athlete_id=self.athlete_id, key=key)
            self.s.add(row)
            row.events, row.races = value.events, value.races
            row.empty_since, row.accepted = value.empty_since, value.accepted

    def keep_plan(self, digest: str, body: str) -> None:
        row = self.s.get(LastPlan, self.athlete_id)
        if row is None:
            row = LastPlan(athlete_id=self.athlete_id, made_at=self.now, digest=digest, body=body)
            self.s.add(row)
        row.made_at, row.digest, row.body = self.now, digest, body


@contextmanager
def writer(store: Store, athlete_id: str, now: datetime) -> Iterator[Writer]:
    """One transaction of the executor's writes; the athlete's row is made on first use."""
    with store.session() as s, s.begin():
        if s.get(Athlete, athlete_id) is None:
            s.add(Athlete(id=athlete_id, created_at=now))
            s.flush()
        yield Writer(s, athlete_id, now)


# -- runs -----------------------------------------------------------------------------------


# Every pass runs these, a quiet one little else: Core statements made once, not the ORM.
_ATHLETE = select(Athlete.id).where(Athlete.id == bindparam("athlete"))
_NEW_ATHLETE = insert(Athlete).values(
    id=bindparam("athlete"), created_at=bindparam("now"), needs_reauth=False
)
_RUN = (
    insert(SyncRun)
    .values(
        athlete_id=bindparam("athlete"),
        started_at=bindparam("started"),
        finished_at=bindparam("finished"),
        error=bindparam("error"),
        created=0,
        updated=0,
        deleted=0,
    )
    .returning(SyncRun.id)
)
_FINISH = (
    update(SyncRun)
    .where(SyncRun.id == bindparam("run"))
    .values(
        finished_at=bindparam("finished"),
        created=bindparam("created"),
        updated=bindparam("updated"),
        deleted=bindparam("deleted"),
        error=bindparam("error"),
    )
)
_REAUTH = (
    update(Athlete)
    .where(Athlete.id == bindparam("athlete"), Athlete.needs_reauth != bindparam("flag"))
    .values(needs_reauth=bindparam("flag"))
)
# PostgreSQL runs an UPDATE inside a WITH (SQLite does not).
_RUN_AND_REAUTH = _RUN.add_cte(_REAUTH.cte("reauth"))


def begin_run(store: Store, athlete_id: str, now: datetime) -> int:
    with store.engine.begin() as c:
        _ensure_athlete(c, athlete_id, now)
        values = {"athlete": athlete_id, "started": now, "finished": None, "error": None}
        return int(c.execute(_RUN, values).scalar_one())


def finish_run(
    store: Store,
    run_id: int,
    finished_at: datetime,
    counts: tuple[int, int, int],
    error: str | None,
    needs_reauth: bool,
) -> None:
    with store.engine.begin() as c:
        created, updated, deleted = counts
        c.execute(
            _FINISH,
            {
                "run": run_id,
                "finished": finished_at,
                "created": created,
                "updated": updated,
                "deleted": deleted,
                "error": error,
            },
        )
        if error is None or needs_reauth:
            athlete = c.execute(select(SyncRun.athlete_id).where(SyncRun.id == run_id))
            c.execute(_REAUTH, {"athlete": athlete.scalar_one(), "flag": needs_reauth})


def record_run(
    store: Store,
    athlete_id: str,
    started_at: datetime,
    finished_at: datetime,
    error: str | None,
    needs_reauth: bool,
    quiet: bool = False,
) -> None:
    """A pass that wrote nothing, begun and finished (a quiet one, or one that failed before
    it decided), in one transaction. A quiet one follows a good pass, so the athlete's row is
    there; it may follow a pass whose credentials were refused since (the quiet key outlives
    that pass), so it clears the re-auth flag too (an update that matches no row otherwise)."""
    with store.engine.begin() as c:
        if not quiet:
            _ensure_athlete(c, athlete_id, started_at)
        values = {"athlete": athlete_id, "started": started_at, "finished": finished_at}
        flag = {"athlete": athlete_id, "flag": needs_reauth}
        if not (error is None or needs_reauth):
            c.execute(_RUN, {**values, "error": error})
        elif c.dialect.name == "postgresql":
            # One statement a quiet pass, not two: the flag's update (a no-op unless it
            # changes) rides along with the run's insert.
            c.execute(_RUN_AND_REAUTH, {**values, **flag, "error": error})
        else:
            c.execute(_RUN, {**values, "error": error})
            c.execute(_REAUTH, flag)


def _ensure_athlete(c: Connection, athlete_id: str, now: datetime) -> None:
    if c.execute(_ATHLETE, {"athlete": athlete_id}).first() is None:
        c.execute(_NEW_ATHLETE, {"athlete": athlete_id, "now": now})


def recall_locator(store: Store, athlete_id: str, role: str) -> str | None:
    """A calendar a backend made for the athlete (the Google training calendar's id)."""
    with store.session() as s:
        row = s.scalars(
            select(Calendar).where(Calendar.athlete_id == athlete_id, Calendar.role == role)
        ).first()
        return row.locator if row else None


def recall_locators(store: Store, role: str) -> dict[str, str]:
    """recall_locator() of every athlete at once, by athlete id."""
    with store.session() as s:
        rows = s.execute(
            select(Calendar.athlete_id, Calendar.locator)
            .where(Calendar.role == role)
            .order_by(Calendar.id.desc())
        )
        # Lowest id last, so it wins as .first() does in recall_locator.
        return {str(a): str(locator) for a, locator in rows}


def remember_locator(store: Store, athlete_id: str, role: str, locator: str) -> None:
    with store.session() as s, s.begin():
        athlete = s.get(Athlete, athlete_id)
        if athlete is None:
            athlete = Athlete(id=athlete_id, created_at=datetime.now(UTC))
            s.add(athlete)
            s.flush()
        row = s.scalars(
            select(Calendar).where(Calendar.athlete_id == athlete_id, Calendar.role == role)
        ).first()
        row = row or Calendar(athlete_id=athlete_id, role=role)
        row.locator, row.updated_at = locator, datetime.now(UTC)
        s.add(row)
        if role == TRAINING:  # a calendar to watch: the channel keeper looks at the athlete
            athlete.channels_due_at = row.updated_at


def athletes_needing_reauth(store: Store) -> int:
    with store.session() as s:
        query = select(func.count()).select_from(Athlete).where(Athlete.needs_reauth)
        return int(s.scalar(query) or 0)


# -- what the views and the CLI read and change -----------------------------------------------


def edits(store: Store, athlete_id: str) -> dict[str, Edit]:
    with store.session() as s:
        return {r.key: _edit(r) for r in _edit_rows(s, athlete_id)}


def last_plan(store: Store, athlete_id: str) -> tuple[datetime, str] | None:
    """When the last good plan was made, and its JSON; None before the first good pass."""
    with store.session() as s:
        row = s.get(LastPlan, athlete_id)
        return (row.made_at, row.body) if row is not None else None


def release(store: Store, athlete_id: str, key: str, now: datetime) -> Edit | None:
    """Hand a session the athlete changed or deleted back to racecal: at the next pass racecal
    takes the event as it stands (or makes it again) and plans it like any other. The edit as
    it was; None when the session was not the athlete's."""
    with store.session() as s, s.begin():
        row = s.scalars(
            select(AthleteEdit).where(AthleteEdit.athlete_id == athlete_id, AthleteEdit.key == key)
        ).first()
        if row is None or row.kind == "released":
            return None
        before = _edit(row)
        row.kind, row.seen_at = "released", now
        # The last quiet pass knew the session as the athlete's: the next one must look.
        unsettle_in(s, athlete_id)
        return before


def accept_empty(store: Store, athlete_id: str) -> list[str]:
    """The athlete confirms that the sources now held as empty really are: the next pass takes
    them. Returns the sources accepted (role:locator)."""
    with store.session() as s, s.begin():
        rows = [r for r in _source_rows(s, athlete_id) if r.empty_since is not None]
        for row in rows:
            row.accepted = True
        if rows:
            unsettle_in(s, athlete_id)
        return sorted(r.key for r in rows)
