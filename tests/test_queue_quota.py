"""Google quota pacing across the cluster (issue 14): the dispatcher admits passes within
[google] requests_per_minute, and no minute of the Calendar API requests the local Google
server saw exceeds it; with no [google] table the budget is the defaults the Google backend's
settings declare. Real PostgreSQL, two real `racecal worker` nodes, the local server."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from service.config.load import load_config
from service.daemon.queue import google_budget
from service.store import quota
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.test_queue_channels import Cluster
from tests.web_support import wait_for

BUDGET = 600
ATHLETES = 10


def _config(tmp_path: Path, google: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text(
        '[service]\ndatabase_url = "sqlite:///var/racecal.db"\n' + google, encoding="utf-8"
    )
    return path


def test_the_budget_is_the_google_tables_or_its_declared_defaults(tmp_path: Path) -> None:
    bare = load_config(_config(tmp_path / "bare", ""))
    assert google_budget(bare) == quota.Budget(10_000, 600)
    given = "[google]\nrequests_per_minute = 1200\nrequests_per_minute_per_user = 90\n"
    assert google_budget(load_config(_config(tmp_path / "given", given))) == quota.Budget(1200, 90)


def per_minute(fake: FakeGoogleCalendar) -> Counter[int]:
    """The Calendar API requests the server saw in each minute of the clock, a batch's calls
    one each (as Google counts them), the batch itself and token refreshes not."""
    calls = [
        e for e in fake.log if not e.path.startswith("/batch") and not e.path.startswith("/token")
    ]
    return Counter(int(e.at // 60) for e in (*calls, *fake.batch_log))


def test_no_minute_exceeds_the_budget(tmp_path: Path, pg_url: str) -> None:
    """Ten Google athletes whose first passes cost about a thousand requests in all, under a
    budget of 600 a minute: the passes are spread over minutes and every athlete is synced."""
    with FakeGoogleCalendar() as fake:
        cluster = Cluster(fake, tmp_path, pg_url)
        cluster.google += f"requests_per_minute = {BUDGET}\n"
        cluster.config.write_text(
            f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
            "interval_minutes = 60\n" + cluster.google
        )
        ids = [f"q{n:02}" for n in range(ATHLETES)]
        try:
            for athlete_id in ids:
                cluster.add(athlete_id)
            fake.reset_log()
            cluster.start()
            assert wait_for(lambda: all(cluster.settled(a) for a in ids), 420), cluster.rows()
            time.sleep(3)  # what a last pass or the channel keeper still sends
        finally:
            cluster.stop()
        minutes = per_minute(fake)
        assert sum(minutes.values()) > BUDGET, minutes  # the budget had to spread the passes
        assert max(minutes.values()) <= BUDGET, sorted(minutes.items())
        with cluster.store.engine.connect() as c:
            recorded = c.execute(text("SELECT coalesce(sum(requests), 0) FROM quota_minutes"))
            assert int(recorded.scalar_one()) == sum(minutes.values())
        said = cluster.said()
        assert "Traceback" not in said, said
