"""What racecal keeps grows no further than it needs (issue 13, point 12): the pass history in
the store is indexed and pruned to [service] pass_history_days, keeping what `status` shows;
the .ics training calendar keeps etag snapshots for its last few cursors only."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, inspect, select

from connectors.ics import IcsFileCalendar
from connectors.ics.calendar import SNAPSHOTS
from service.store import state
from service.store.database import Store
from service.store.history import prune_runs
from service.store.models import SyncRun
from tests.connector_contract import session
from tests.support import example_workspace, second_athlete

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2027-01-11T05:00:00+01:00")


def history(store: Store, athlete: str, days: int, failed_on: int | None = None) -> None:
    """A pass every six hours for `days` days before NOW; the one `failed_on` days ago
    failed."""
    for n in range(days * 4, 0, -1):
        started = NOW - timedelta(hours=6 * n)
        error = "examples/races.ics: line 3: bad" if failed_on and n == failed_on * 4 else None
        state.record_run(store, athlete, started, started + timedelta(seconds=1), error, False)


def rows(store: Store, athlete: str) -> list[tuple[datetime, str | None]]:
    with store.session() as s:
        found = s.execute(
            select(SyncRun.started_at, SyncRun.error)
            .where(SyncRun.athlete_id == athlete)
            .order_by(SyncRun.started_at)
        ).all()
    return [(r.started_at, r.error) for r in found]


def test_the_pass_history_is_indexed_and_pruned_to_its_window(
    tmp_path: Path, store_url: str
) -> None:
    config = example_workspace(tmp_path)
    text = config.read_text().replace("pass_history_days = 30 ", "pass_history_days = 20 ")
    config.write_text(text + second_athlete("examples/races.ics"))
    store = Store.open(store_url, tmp_path)
    store.upgrade()
    indexes = inspect(store.engine).get_indexes("sync_runs")
    assert ["athlete_id", "started_at"] in [i["column_names"] for i in indexes]
    history(store, "alex", 60, failed_on=45)
    history(store, "blake", 60)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RACECAL_DATABASE_URL": store_url}
    command = [sys.executable, "-m", "service.cli", "sync", "--once", "--config", str(config),
               "--now", NOW.isoformat()]  # fmt: skip
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    window = NOW - timedelta(days=20)
    for athlete in ("alex", "blake"):
        kept = rows(store, athlete)
        old = [r for r in kept if r[0] < window]
        # 20 days of four a day, and the pass just run.
        assert len([r for r in kept if r[0] >= window]) == 20 * 4 + 1
        if athlete == "alex":
            # The last failed pass stays, however old.
            assert old == [(NOW - timedelta(days=45), "examples/races.ics: line 3: bad")]
        else:
            assert old == []
    # Nothing else went: the other athlete's rows and the other tables are as they were.
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun)) == 2 * (20 * 4 + 1) + 1
    store.engine.dispose()


def test_a_last_pass_older_than_the_window_stays(tmp_path: Path) -> None:
    """An athlete no pass ran for in months still shows its last pass and its last error."""
    store = Store.open("sqlite:///var/racecal.db", tmp_path)
    store.upgrade()
    started = NOW - timedelta(days=90)
    for hours, error in ((0, None), (1, "gone"), (2, None)):
        at = started + timedelta(hours=hours)
        state.record_run(store, "blake", at, at, error, False)
    assert prune_runs(store, ["blake"], NOW - timedelta(days=30)) == 1
    assert [e for _, e in rows(store, "blake")] == ["gone", None]
    assert prune_runs(store, ["blake"], NOW - timedelta(days=30)) == 0


def test_the_training_calendar_keeps_a_bounded_number_of_snapshots(tmp_path: Path) -> None:
    calendar = IcsFileCalendar(tmp_path / "training.ics")
    cursor = calendar.changes(None).cursor
    first = cursor
    for n in range(200):
        calendar.create(session(f"race/w-{n:03d}/long", hours=n))
        cursor = calendar.changes(cursor).cursor
        assert len(calendar._snapshots) <= SNAPSHOTS + 1
    # A cursor far older than the ones kept gets the whole calendar, not a wrong delta.
    old = calendar.changes(first)
    assert old.full
    assert len(old.events) == 200
