"""The procrastinate executor's round, in racecal's own tables (PostgreSQL only): which athletes
are due, what each pass covered, and the fenced commit that ends a pass.

`change_seq` counts what asked for a pass (a change noted, or the athlete due by time);
`dispatched_seq` is the newest one a job was deferred for; `synced_seq` the newest a finished
pass covered. A change noted while a pass runs makes one follow-up job; a job whose change a
pass has covered since does nothing. `version` fences the commit: a pass moves it when it
starts and commits only when the row is still at that version, so a stale worker (paused past
its job being run elsewhere, where a pass started since) commits nothing there. A pass that
failed or was fenced out leaves its athlete due again RETRY_SECONDS later. The database's
clock times everything, so passes on several machines compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from service.store import quota
from service.store.database import Store

# An athlete's sync row asks for a pass (with `a` its athletes row): a change noted and not
# dispatched, never dispatched, due by time, or its settings edited since the last dispatch.
DUE = (
    "(s.change_seq > s.dispatched_seq OR s.next_due_at IS NULL "
    "OR s.next_due_at <= now() OR s.settings_version <> a.version)"
)
ENSURE = text(
    "INSERT INTO sync_rows (athlete_id) SELECT id FROM athletes "
    "WHERE settings IS NOT NULL AND removed_at IS NULL ON CONFLICT DO NOTHING"
)
# One statement: the rows are locked (SKIP LOCKED: a second dispatcher passes them by), marked
# dispatched and given their next due time; due_at keeps the oldest due time no pass has begun
# on since (where a pass's lag starts). In SET, s.* are the values before the update.
# Google quota (service.store.quota): each due athlete's pass is estimated by its last one's
# requests (a Google athlete never passed: FIRST_PASS), capped at the budgets so that any pass
# fits an empty minute. In due order, athletes are admitted while the running sum of their
# estimates fits what the minute has left (its requests recorded, and what the jobs deferred
# and not yet ended hold); an athlete over its own user's share waits without holding up the
# others, and the first one over the cluster's budget holds up those behind it, so none is
# passed by for good. Costless athletes (no Google) are always admitted.
DISPATCH = text(
    f"""
    WITH minute AS (
        SELECT date_trunc('minute', now()) AS at,
               now() - make_interval(secs => :hold_seconds) AS held_since
    ),
    spent AS (
        SELECT COALESCE((SELECT q.requests FROM quota_minutes q, minute
                         WHERE q.minute = minute.at), 0)
             + COALESCE((SELECT sum(h.held) FROM sync_rows h, minute
                         WHERE h.held > 0 AND h.held_at > minute.held_since), 0) AS used
    ),
    due AS (
        SELECT s.athlete_id, a.version AS settings_version, s.next_due_at,
               LEAST(COALESCE(s.cost, CASE WHEN jsonb_exists(CAST(a.settings AS jsonb), 'google')
                                          THEN :first_pass ELSE 0 END),
                     :per_user, :per_minute) AS estimate,
               CASE WHEN s.minute_at = minute.at THEN s.minute_used ELSE 0 END
               + CASE WHEN s.held_at > minute.held_since THEN s.held ELSE 0 END AS user_used
        FROM sync_rows s JOIN athletes a ON a.id = s.athlete_id, minute
        WHERE a.settings IS NOT NULL AND a.removed_at IS NULL AND {DUE}
        ORDER BY s.next_due_at NULLS FIRST, s.athlete_id
        LIMIT :limit
        FOR UPDATE OF s SKIP LOCKED
    ),
    fits AS (
        SELECT due.*, sum(due.estimate) OVER (
                   ORDER BY due.next_due_at NULLS FIRST, due.athlete_id) AS running
        FROM due
        WHERE due.estimate = 0 OR due.user_used + due.estimate <= :per_user
    )
    UPDATE sync_rows s SET
        change_seq = CASE WHEN s.change_seq > s.dispatched_seq
                          THEN s.change_seq ELSE s.change_seq + 1 END,
        dispatched_seq = CASE WHEN s.change_seq > s.dispatched_seq
                              THEN s.change_seq ELSE s.change_seq + 1 END,
        settings_version = fits.settings_version,
        next_due_at = now() + make_interval(secs => :seconds),
        held = fits.estimate + CASE WHEN s.held_at > minute.held_since THEN s.held ELSE 0 END,
        held_at = now(),
        due_at = COALESCE(s.due_at, LEAST(COALESCE(s.next_due_at, now()), now()))
    FROM fits, spent, minute
    WHERE s.athlete_id = fits.athlete_id
      AND (fits.estimate = 0 OR fits.running <= :per_minute - spent.used)
    RETURNING s.athlete_id, s.change_seq, fits.estimate
    """
)
# Dispatchers take turns (a slow tick overlapping the next): each admits against what the
# other has held.
TURN = text("SELECT pg_advisory_xact_lock(7411, 1)")

# A pass that failed or was fenced out leaves changes unsynced that no job is deferred for any
# more: the athlete comes due again this soon (not at once: a failing calendar is not hammered).
RETRY_SECONDS = 15.0
AGAIN = text(
    "UPDATE sync_rows "
    "SET next_due_at = LEAST(next_due_at, now() + make_interval(secs => :seconds)) "
    "WHERE athlete_id = :id AND synced_seq < change_seq"
)


# One statement: the row's version moves and its due_at is read (the self-join: RETURNING
# gives only new values) and cleared, and the pass is recorded; unless a pass since covered the
# change `seq` the job is for (then only the row's synced_seq comes back, and nothing moved).
BEGIN = text(
    """
    WITH took AS (
        UPDATE sync_rows s SET version = s.version + 1, due_at = NULL
        FROM sync_rows o
        WHERE s.athlete_id = :id AND o.athlete_id = s.athlete_id
          AND (CAST(:seq AS bigint) IS NULL OR o.synced_seq < CAST(:seq AS bigint))
        RETURNING s.version, s.change_seq, s.synced_seq, o.due_at
    ),
    pass AS (
        INSERT INTO worker_passes (athlete_id, worker, started_at, due_at)
        SELECT :id, :worker, clock_timestamp(), took.due_at FROM took
        RETURNING id
    )
    SELECT pass.id, took.version, took.change_seq, took.synced_seq FROM pass, took
    UNION ALL
    SELECT NULL, NULL, NULL, o.synced_seq FROM sync_rows o
    WHERE o.athlete_id = :id AND o.synced_seq >= CAST(:seq AS bigint)
    """
)


@dataclass(frozen=True)
class Begun:
    """A pass under way: what it read of the athlete's sync row when it started."""

    pass_id: int
    athlete_id: str
    version: int
    change_seq: int
    synced_seq: int


def dispatch(
    store: Store, interval_seconds: float, limit: int, budget: quota.Budget
) -> list[tuple[str, int, int]]:
    """The athletes due now (at most `limit`) that the minute's Google budget admits, each with
    the change_seq its job is for and the requests it holds of the budget until it ends
    (service.store.quota.spent), marked dispatched and due again after `interval_seconds`."""
    with store.engine.begin() as connection:
        connection.execute(TURN)
        connection.execute(ENSURE)
        rows = connection.execute(
            DISPATCH,
            {
                "limit": limit,
                "seconds": interval_seconds,
                "hold_seconds": quota.HOLD_SECONDS,
                "first_pass": quota.FIRST_PASS,
                "per_user": budget.per_user,
                "per_minute": budget.per_minute,
            },
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]


def note_change(store: Store, athlete_id: str) -> int:
    """Something the athlete's pass reads changed (a push notification, a saved file): the
    next dispatch tick defers a pass. The new change_seq."""
    with store.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sync_rows (athlete_id) VALUES (:id) ON CONFLICT DO NOTHING"),
            {"id": athlete_id},
        )
        found = connection.execute(
            text(
                # Due now: under a backlog, oldest due first takes it before the later polls.
                "UPDATE sync_rows SET change_seq = change_seq + 1, "
                "next_due_at = LEAST(COALESCE(next_due_at, now()), now()) "
                "WHERE athlete_id = :id RETURNING change_seq"
            ),
            {"id": athlete_id},
        )
        return int(found.scalar_one())


def begin(store: Store, athlete_id: str, worker: str) -> Begun:
    """Record a pass's start (database clock) and read the row it will commit against."""
    begun = _begin(store, athlete_id, worker, None)
    assert begun is not None  # no change to be covered: always begins
    return begun


def begin_for(store: Store, athlete_id: str, worker: str, seq: int) -> Begun | None:
    """begin(), for a job deferred for the change `seq`; None (and nothing begun) when a
    pass since covered it (synced_seq >= seq), read in the same statement."""
    return _begin(store, athlete_id, worker, seq)


def _begin(store: Store, athlete_id: str, worker: str, seq: int | None) -> Begun | None:
    values = {"id": athlete_id, "worker": worker[:128], "seq": seq}
    with store.engine.begin() as connection:
        # Beginning takes the row's lease (the version moves): a pass begun earlier, whose
        # worker was paused while its job was retried here, commits nothing when it wakes.
        # The pass is recorded with the due time it began for (its lag, for /metrics), which
        # the row lets go of: the next job waits from its own due time.
        row = connection.execute(BEGIN, values).first()
        if row is None:  # no sync row yet (a pass not deferred by the dispatcher)
            connection.execute(
                text("INSERT INTO sync_rows (athlete_id) VALUES (:id) ON CONFLICT DO NOTHING"),
                values,
            )
            row = connection.execute(BEGIN, values).one()
    if row[0] is None:  # covered by a pass since
        return None
    return Begun(int(row[0]), athlete_id, int(row[1]), int(row[2]), int(row[3]))


# One statement: the fenced update of the row, and the pass's end recorded with whether it held.
COMMIT = text(
    """
    WITH done AS (
        UPDATE sync_rows SET synced_seq = GREATEST(synced_seq, :seen),
            version = version + 1, last_pass_at = clock_timestamp()
        WHERE athlete_id = :id AND version = :version
        RETURNING athlete_id
    )
    UPDATE worker_passes SET ended_at = clock_timestamp(),
        committed = EXISTS (SELECT 1 FROM done)
    WHERE id = :pass
    RETURNING committed
    """
)


def commit(store: Store, begun: Begun) -> bool:
    """End the pass: the row takes what it covered only while it is at the version the pass
    read (`UPDATE ... WHERE athlete_id = ? AND version = ?`). False: it moved meanwhile and
    nothing was committed there; the pass's end is recorded either way."""
    with store.engine.begin() as connection:
        held = bool(
            connection.execute(
                COMMIT,
                {
                    "seen": begun.change_seq,
                    "id": begun.athlete_id,
                    "version": begun.version,
                    "pass": begun.pass_id,
                },
            ).scalar()  # None: the athlete was removed meanwhile (its rows with it)
        )
        if not held:
            connection.execute(AGAIN, {"id": begun.athlete_id, "seconds": RETRY_SECONDS})
    return held


def retry_soon(store: Store, athlete_id: str) -> None:
    """A job that failed before its pass began (the store refusing a connection): the
    athlete, due again only at its next poll since its dispatch, comes due RETRY_SECONDS
    from now while a change is left unsynced."""
    with store.engine.begin() as connection:
        connection.execute(AGAIN, {"id": athlete_id, "seconds": RETRY_SECONDS})


def end(store: Store, begun: Begun) -> bool:
    """A failed pass's end: recorded, and nothing committed (the athlete is due again at its
    retry, RETRY_SECONDS from now, or its change). Always False."""
    with store.engine.begin() as connection:
        connection.execute(AGAIN, {"id": begun.athlete_id, "seconds": RETRY_SECONDS})
        connection.execute(
            text(
                "UPDATE worker_passes SET ended_at = clock_timestamp(), committed = false "
                "WHERE id = :pass"
            ),
            {"pass": begun.pass_id},
        )
    return False


# procrastinate's table, analyzed by hand: autovacuum's analyze waits for its naptime (a minute)
# and a share of the table changed, so after a large dispatch the planner of the workers'
# fetch and lock queries would go on reading a nearly empty table's statistics.
ANALYZED_LATELY = text(
    "SELECT COALESCE(last_analyze > now() - make_interval(secs => :seconds), false) "
    "FROM pg_stat_user_tables WHERE relid = to_regclass('procrastinate_jobs')"
)


def analyze_jobs(store: Store, every_seconds: float) -> bool:
    """`ANALYZE procrastinate_jobs`, unless a node did within `every_seconds` (by the
    database's own record, so the whole cluster runs it at most that often). True: it ran."""
    with store.engine.connect() as connection:
        lately = connection.execute(ANALYZED_LATELY, {"seconds": every_seconds}).scalar()
        if lately is None or lately:  # no such table yet, or analyzed lately
            return False
        connection.execute(text("ANALYZE procrastinate_jobs"))
        connection.commit()
    return True


def synced(store: Store, athlete_id: str) -> int:
    """The newest change a finished pass of the athlete covered (0 before any)."""
    with store.engine.connect() as connection:
        found = connection.execute(
            text("SELECT synced_seq FROM sync_rows WHERE athlete_id = :id"), {"id": athlete_id}
        ).scalar()
        return int(found or 0)
