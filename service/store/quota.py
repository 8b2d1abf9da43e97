"""Google quota pacing across the cluster, in the store (PostgreSQL for the procrastinate
executor): what the Calendar API requests cost in each minute of the database's clock (one
clock for every node), and what each athlete's passes cost.

Every pass counts the requests it sends (connectors.observe.counted) and records them here when
it ends (`spent`): into the minute they end in, and as the athlete's `cost`, the estimate of its
next pass. The dispatcher (service.store.rounds.dispatch) admits a due athlete only while the
minute's requests, plus what the jobs deferred and not yet ended hold, plus its estimate, stay
within the budget ([google] requests_per_minute) and its own minute within the user's share
([google] requests_per_minute_per_user); the rest wait for later ticks, oldest due first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from service.store.database import Store

# What a Google athlete's first pass is taken to cost before any was counted (a first pass
# makes the training calendar and writes its sessions in batches; ~100 requests measured).
FIRST_PASS = 150
# A hold older than this is let go: its job was lost (its row deleted by hand, a queue wiped);
# a pass that is really that slow has spent most of what it held anyway.
HOLD_SECONDS = 900.0


@dataclass(frozen=True)
class Budget:
    """What the dispatcher may admit per minute: the cluster's share of the project's quota and
    each user's ([google] requests_per_minute and requests_per_minute_per_user, whose defaults
    the Google backend's settings own)."""

    per_minute: int
    per_user: int


def _minute(store: Store) -> str:
    """The current minute in SQL: the database's clock on PostgreSQL; SQLite (one process,
    the embedded executor) has only the machine's."""
    if store.engine.dialect.name == "postgresql":
        return "date_trunc('minute', now())"
    return "strftime('%Y-%m-%d %H:%M:00', 'now')"


def used_this_minute(store: Store) -> int:
    """The Google requests recorded in the current minute, by every node (for /metrics)."""
    with store.engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT requests FROM quota_minutes WHERE minute = {_minute(store)}")
        ).scalar()
    return int(found or 0)


def minutes(store: Store, since: datetime) -> dict[datetime, int]:
    """The requests recorded in each minute from `since` on."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT minute, requests FROM quota_minutes WHERE minute >= :since"),
            {"since": since},
        ).all()
    return {_utc(r[0]): int(r[1]) for r in rows}


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def spent(
    store: Store, athlete_id: str | None, requests: int, held: int = 0, passed: bool = True
) -> None:
    """`requests` Google requests were sent now (a pass of the athlete's when `passed`, or
    the channel keeper's when `athlete_id` is None); the athlete's job lets go of what it
    `held` of the budget, and a pass's count becomes the estimate of its next one."""
    if not requests and not held:
        # Nothing sent and nothing held (its job's estimate was 0: its cost is 0 already, or
        # unknown for an athlete without Google, estimated 0 alike): nothing to record.
        return
    minute = _minute(store)
    with store.engine.begin() as connection:
        if requests:
            connection.execute(
                text(
                    f"INSERT INTO quota_minutes (minute, requests) VALUES ({minute}, :n) "
                    "ON CONFLICT (minute) DO UPDATE "
                    "SET requests = quota_minutes.requests + excluded.requests"
                ),
                {"n": requests},
            )
        if athlete_id is None:
            return
        connection.execute(
            text(
                "UPDATE sync_rows SET "
                "held = CASE WHEN held > :held THEN held - :held ELSE 0 END, "
                "cost = CASE WHEN :passed THEN :n ELSE cost END, "
                f"minute_used = CASE WHEN minute_at = {minute} THEN minute_used + :n ELSE :n END, "
                f"minute_at = {minute} "
                "WHERE athlete_id = :id"
            ),
            {"held": held, "passed": passed, "n": requests, "id": athlete_id},
        )
