"""The procrastinate executor's queue figures for /metrics, read from the store (PostgreSQL), so
every node answers the same: the jobs waiting and running on racecal's queue, the athletes due
now (those service.store.rounds.dispatch would pick, quota aside), the lag of the passes begun
lately (their start minus the due time they began for, by the database's clock) and the Google
requests of this minute. A few queries on one connection; the caller caches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from service.store import quota
from service.store.database import Store
from service.store.rounds import DUE

# The passes whose lag /metrics summarizes: those begun in the last five minutes.
LAG_WINDOW_SECONDS = 300.0
JOB_STATES = ("todo", "doing")

JOBS = text(
    "SELECT status, count(*) FROM procrastinate_jobs "
    "WHERE queue_name = :queue AND status IN ('todo', 'doing') GROUP BY status"
)
# Athletes without a sync row yet are due too: the next dispatch makes their row and picks them.
DUE_NOW = text(
    "SELECT count(*) FROM athletes a LEFT JOIN sync_rows s ON s.athlete_id = a.id "
    f"WHERE a.settings IS NOT NULL AND a.removed_at IS NULL AND (s.athlete_id IS NULL OR {DUE})"
)
LAG = text(
    """
    SELECT count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY w.lag),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY w.lag)
    FROM (SELECT GREATEST(extract(epoch FROM started_at - due_at), 0) AS lag
          FROM worker_passes
          WHERE started_at > now() - make_interval(secs => :window) AND due_at IS NOT NULL) w
    """
)


@dataclass(frozen=True)
class Figures:
    """What /metrics shows of the round. `jobs` is None where there is no queue (the embedded
    executor); `lag` maps a quantile (0.5, 0.95) to seconds, empty when no pass began within
    the window."""

    due: int
    lag: dict[float, float] = field(default_factory=dict)
    lag_passes: int = 0
    google_this_minute: int = 0
    jobs: dict[str, int] | None = None


def read(store: Store, queue: str) -> Figures:
    """The figures of the procrastinate executor whose jobs go to `queue`."""
    with store.engine.connect() as connection:
        jobs = _jobs(connection, queue)
        due = int(connection.execute(DUE_NOW).scalar_one())
        count, p50, p95 = connection.execute(LAG, {"window": LAG_WINDOW_SECONDS}).one()
    lag = {0.5: float(p50), 0.95: float(p95)} if count else {}
    return Figures(due, lag, int(count), quota.used_this_minute(store), jobs)


def _jobs(connection: Connection, queue: str) -> dict[str, int]:
    found = {str(r[0]): int(r[1]) for r in connection.execute(JOBS, {"queue": queue})}
    return {state: found.get(state, 0) for state in JOB_STATES}
