"""The pass history (`sync_runs`, a row per pass) kept to a window: a pass every 15 minutes is
96 rows a day per athlete, and `racecal status` only needs the last ones. What `status` shows
always stays, however old: each athlete's last row, its last finished one (the last error
shown while a pass is under way) and its last failed one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select

from service.store.database import Store
from service.store.models import SyncRun


def _last(*where: ColumnElement[bool]) -> ColumnElement[int]:
    """The id of the athlete's newest row that matches; -1 (no row) when none does, since a
    comparison with NULL would keep every row."""
    newest = (
        select(SyncRun.id)
        .where(SyncRun.athlete_id == bindparam("athlete"), *where)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(newest, -1)


# Each athlete's rows go in one statement that walks the (athlete_id, started_at) index.
_PRUNE = delete(SyncRun).where(
    and_(
        SyncRun.athlete_id == bindparam("athlete"),
        SyncRun.started_at < bindparam("before"),
        SyncRun.id != _last(),
        SyncRun.id != _last(SyncRun.finished_at.is_not(None)),
        SyncRun.id != _last(SyncRun.error.is_not(None)),
    )
)


def prune_runs(store: Store, athlete_ids: Iterable[str], before: datetime) -> int:
    """Drop the passes begun before `before`, but for the rows `status` shows; the count."""
    gone = 0
    with store.engine.begin() as c:
        for athlete_id in athlete_ids:
            gone += c.execute(_PRUNE, {"athlete": athlete_id, "before": before}).rowcount
    return gone
