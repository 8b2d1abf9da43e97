"""The store's tables (SQLAlchemy 2). Times are stored in UTC and come back timezone-aware on
SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; a naive datetime is a bug and is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Athlete(Base):
    __tablename__ = "athletes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when the calendar backend rejects the stored credentials; a person must act.
    needs_reauth: Mapped[bool] = mapped_column(default=False)
    # The athlete's [[athletes]] table as JSON (service.athletes validates it with the config's
    # schema); None for a row a pass made before athletes were stored (service.store.athletes).
    settings: Mapped[str | None] = mapped_column(Text, default=None)
    origin: Mapped[str | None] = mapped_column(String(16), default=None)  # config | cli
    # The folder the table's relative paths are read from (the config's, or where it was added).
    base_dir: Mapped[str | None] = mapped_column(Text, default=None)
    # Bumped by every change of the settings (removal included): cheap to compare, and the
    # check of an update made from what was read (WHERE version = ...).
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Set by `racecal athlete remove`: no more passes; what the store holds of it is kept.
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # When the cluster's channel keeper (service.daemon.channels) looks at the athlete's push
    # channels next; None: nothing to do until something changes. Set by every change above,
    # by a training calendar made, and by a look that failed (tried again later).
    channels_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None, index=True)
    # The problem the keeper's last look had (warned of once per change, not every look).
    channels_said: Mapped[str | None] = mapped_column(Text, default=None)


class Calendar(Base):
    """A calendar an athlete's data comes from or goes to, with its change cursor."""

    __tablename__ = "calendars"
    __table_args__ = (UniqueConstraint("athlete_id", "role", "locator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # races | busy | training
    locator: Mapped[str] = mapped_column(Text)  # file path, URL or backend calendar id
    cursor: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class RaceSeen(Base):
    __tablename__ = "races_seen"
    __table_args__ = (UniqueConstraint("athlete_id", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    race_date: Mapped[date] = mapped_column(Date)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class RaceDateChange(Base):
    """Every date a race has had, so a moved race can be explained."""

    __tablename__ = "race_date_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    race_id: Mapped[int] = mapped_column(ForeignKey("races_seen.id", ondelete="CASCADE"))
    race_date: Mapped[date] = mapped_column(Date)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SessionWritten(Base):
    """A managed event: the intent is recorded before the write, the outcome after."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("athlete_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    remote_id: Mapped[str] = mapped_column(String(128))
    etag: Mapped[str | None] = mapped_column(Text, default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UtcDateTime)
    end: Mapped[datetime] = mapped_column(UtcDateTime)
    # pending_create | pending_update | pending_delete | written
    state: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The placed session as JSON: the planner's stability hint and, once started, its history.
    payload: Mapped[str] = mapped_column(Text, default="{}")
    # When racecal first meant to write the event: an older copy of the calendar coming back
    # cannot hold an event made after it was taken, so that event's absence is no deletion.
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SessionVersion(Base):
    """Every version of a session racecal wrote (or set out to write) into the calendar, as the
    fingerprint of what the athlete sees. An event holding one of them is racecal's, whichever
    it is (an older copy of the calendar restored, a write a killed pass left pending); one
    holding anything else was changed by the athlete. Kept after the session itself is gone,
    so an obsolete event coming back with an old copy is still known as racecal's."""

    __tablename__ = "session_versions"
    __table_args__ = (UniqueConstraint("athlete_id", "key", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The last time racecal wrote this version.
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AthleteEdit(Base):
    """L12: a session the athlete changed (pinned: theirs, at their times) or deleted (a
    tombstone); `released` hands it back to racecal at the next pass (`racecal release`)."""

    __tablename__ = "athlete_edits"
    __table_args__ = (UniqueConstraint("athlete_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # pinned | deleted | released
    start: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the calendar shows of the athlete's version: its title, what they changed
    # (comma-separated: time, title, description, location, colour, reminders, status), and
    # its fingerprint, so a further change is noticed and recorded.
    title: Mapped[str | None] = mapped_column(Text, default=None)
    changes: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)


class LastPlan(Base):
    """The plan of the athlete's last good pass, as `plan show --json` prints it plus its weeks
    and races: what the calendar was made to hold, shown when a source cannot be read."""

    __tablename__ = "last_plans"

    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)


class SourceRead(Base):
    """What a race or busy source held at its last pass, for the empty-source guard: a source
    that held events and reads none is held until the athlete accepts it or it has read so
    for a day (service.sync.guard)."""

    __tablename__ = "source_reads"
    __table_args__ = (UniqueConstraint("athlete_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)  # role:locator
    events: Mapped[int] = mapped_column(default=0)
    races: Mapped[int] = mapped_column(default=0)
    empty_since: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    accepted: Mapped[bool] = mapped_column(default=False)


class SyncRun(Base):
    """One row per pass; pruned past [service] pass_history_days (state.prune_runs)."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_athlete_id_started_at", "athlete_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class CalendarState(Base):
    """What a calendar held at an athlete's last look that found something new, so a new
    process goes on from there: the backend's change cursor, what the calendar held (JSON,
    see payload.held_body) and a digest of it that moves whenever anything in it moved.
    `kind` is source (a race or busy calendar, by its locator) or training."""

    __tablename__ = "calendar_states"
    __table_args__ = (UniqueConstraint("athlete_id", "kind", "locator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # source | training
    locator: Mapped[str] = mapped_column(Text)
    cursor: Mapped[str | None] = mapped_column(Text, default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QuietPass(Base):
    """The athlete's last pass that found nothing to write: the key of everything it depended
    on (service.sync.quiet) and what it reported. A pass whose key is the same plans nothing."""

    __tablename__ = "quiet_passes"

    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    # The problems that pass reported, as a JSON list of lines.
    report: Mapped[str] = mapped_column(Text, default="[]")
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PushChannel(Base):
    """A push channel open on one of the athlete's calendars (service.daemon.push), so a
    restarted daemon takes it up again or stops it instead of leaving it open at the server."""

    __tablename__ = "push_channels"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    # The calendar it follows (the connector's watch_key) and the server's id for it.
    calendar_id: Mapped[str] = mapped_column(Text)
    resource_id: Mapped[str] = mapped_column(Text)
    # The secret a notification must carry, and where the server posts them.
    token: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    # Indexed: the keeper's tick reads the channels near their end, not all of them.
    expires: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FeedToken(Base):
    """The secret in the URL of an athlete's training-calendar feed (service.daemon.web)."""

    __tablename__ = "feed_tokens"

    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncRow(Base):
    """An athlete's place in the procrastinate executor's round (service.store.rounds): what was
    asked (change_seq: a change noted, or the athlete due by time), what was dispatched and what
    a finished pass covered (synced_seq), and the version that fences a pass's commit."""

    __tablename__ = "sync_rows"

    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    change_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    dispatched_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    synced_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # The athlete's settings version the last dispatch saw: an edit makes it due at once.
    settings_version: Mapped[int] = mapped_column(default=0, server_default="0")
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    last_pass_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Google quota (service.store.quota): the Calendar API requests of the athlete's last pass
    # (None before any), what its jobs deferred and not yet ended hold of the minute's budget
    # (since held_at), and what it spent in the minute minute_at (the per-user share).
    cost: Mapped[int | None] = mapped_column(default=None)
    held: Mapped[int] = mapped_column(default=0, server_default="0")
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    minute_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    minute_used: Mapped[int] = mapped_column(default=0, server_default="0")
    # Since when the athlete has been due with no pass begun (the oldest due time a job was
    # deferred for; None while none waits): a pass's lag is its start minus this.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class QuotaMinute(Base):
    """The Google Calendar API requests the cluster sent in one minute of the database's clock
    (service.store.quota): what the dispatcher admits against."""

    __tablename__ = "quota_minutes"

    minute: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    requests: Mapped[int] = mapped_column(default=0, server_default="0")


class WorkerPass(Base):
    """Each pass a worker ran, timed by the database's clock (one clock for every machine):
    the record that two passes of one athlete never overlapped, and whether its commit held."""

    __tablename__ = "worker_passes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    worker: Mapped[str] = mapped_column(String(128))
    # Indexed: /metrics reads the passes of the last few minutes (service.store.figures).
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # When the athlete had come due (sync_rows.due_at when the pass began); lag = start - this.
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # True: the sync row took the pass; False: the pass failed or the row had moved meanwhile
    # (a stale pass); None: still running.
    committed: Mapped[bool | None] = mapped_column(default=None)


class Invite(Base):
    """A link an admin handed an athlete to connect their Google account on the web
    (service.store.onboarding): only the SHA-256 of its random token is kept, so the store
    cannot give the link away; it works once, until it expires."""

    __tablename__ = "invites"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class GoogleToken(Base):
    """An athlete's Google OAuth token (the refresh token and client), as JSON sealed with the
    service's newest key (service.store.secrets)."""

    __tablename__ = "google_tokens"

    athlete_id: Mapped[str] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
