"""What `racecal status` reports, read from the store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from service.store.database import Store
from service.store.models import Athlete, AthleteEdit, RaceSeen, SessionWritten, SyncRun


def athlete_status(
    store: Store, athlete_ids: list[str], interval_minutes: float
) -> list[dict[str, object]]:
    """The next pass is due one interval after the last one started (sooner when a watched
    race or busy file changes)."""
    out: list[dict[str, object]] = []
    with store.session() as s:
        for athlete_id in athlete_ids:
            athlete = s.get(Athlete, athlete_id)
            last = s.scalars(
                select(SyncRun)
                .where(SyncRun.athlete_id == athlete_id)
                .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                .limit(1)
            ).first()
            last_error = s.scalars(
                select(SyncRun.error)
                .where(SyncRun.athlete_id == athlete_id, SyncRun.error.is_not(None))
                .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                .limit(1)
            ).first()

            def count(model: type, *where: object) -> int:
                query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
                return int(s.scalar(query) or 0)

            out.append(
                {
                    "athlete": athlete_id,
                    "last_pass": last.started_at.isoformat() if last else None,
                    "next_pass": (last.started_at + timedelta(minutes=interval_minutes)).isoformat()
                    if last
                    else None,
                    "last_result": "never run"
                    if last is None
                    else (
                        "running or killed"
                        if last.finished_at is None
                        else "failed"
                        if last.error
                        else "ok"
                    ),
                    "races_seen": count(
                        RaceSeen, RaceSeen.athlete_id == athlete_id, RaceSeen.removed_at.is_(None)
                    ),
                    "sessions_managed": count(
                        SessionWritten, SessionWritten.athlete_id == athlete_id
                    ),
                    "pinned": count(
                        AthleteEdit,
                        AthleteEdit.athlete_id == athlete_id,
                        AthleteEdit.kind == "pinned",
                    ),
                    "deleted": count(
                        AthleteEdit,
                        AthleteEdit.athlete_id == athlete_id,
                        AthleteEdit.kind == "deleted",
                    ),
                    "needs_reauth": bool(athlete and athlete.needs_reauth),
                    "last_error": last_error,
                }
            )
    return out
