"""What a tick of the cluster's channel keeper costs (service.daemon.channels, `racecal.channels`
every 10 s on one worker): N Google athletes (1,000 and 10,000) in PostgreSQL
($RACECAL_TEST_POSTGRES, default the local test server), each with a training calendar and a
fresh channel on both its calendars, nothing due. Prints the time of a keeper's first tick
in its process (which reads every athlete once, cursors.recheck), the median time and the
statements of a quiet tick (nothing to do), of the store's part of a tick finding 20 athletes whose
channels are near their end (their renewal at Google is not run), and of the reads
the keeper made every tick before it looked only at athletes with work (every channel, every
athlete, every training calendar id), a lower bound of that tick's cost.

Usage: python bench/channel_ticks.py [--athletes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402

from service.config.load import load_config  # noqa: E402
from service.daemon.channels import Keeper  # noqa: E402
from service.store import athletes, cursors, state  # noqa: E402
from service.store.database import Store  # noqa: E402
from service.store.models import Athlete, Calendar, PushChannel  # noqa: E402
from service.store.records import TRAINING  # noqa: E402

PG = os.environ.get("RACECAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HOOK = "https://racecal.example/google/notify"


def fill(store: Store, count: int, now: datetime) -> None:
    table = {
        "timezone": "Europe/Berlin",
        "google": {"races": ["primary"], "busy": ["primary"], "training": "Training"},
    }
    people, made, channels = [], [], []
    for i in range(count):
        athlete_id = f"a{i:06d}"
        people.append(
            {
                "id": athlete_id,
                "created_at": now,
                "needs_reauth": False,
                "settings": json.dumps({**table, "id": athlete_id}, sort_keys=True),
                "origin": "cli",
                "base_dir": str(ROOT),
                "version": 1,
                "updated_at": now,
                "channels_due_at": None,
            }
        )
        made.append({"athlete_id": athlete_id, "role": TRAINING, "locator": f"t-{athlete_id}"})
        for calendar_id in ("primary", f"t-{athlete_id}"):
            channels.append(
                {
                    "id": f"{athlete_id}-{calendar_id}",
                    "athlete_id": athlete_id,
                    "calendar_id": calendar_id,
                    "resource_id": f"r-{athlete_id}-{calendar_id}",
                    "token": "secret",
                    "address": HOOK,
                    "expires": now + timedelta(days=2, seconds=i * 400),
                }
            )
    with store.engine.begin() as c:
        c.execute(insert(Athlete), people)
        c.execute(insert(Calendar), made)
        c.execute(insert(PushChannel), channels)
        c.execute(text("ANALYZE"))


def measured(store: Store, run: Callable[[], Any], times: int = 21) -> tuple[float, int]:
    """The median milliseconds of `run` and the statements one run sends."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(str(args[2]))

    taken = []
    for _ in range(times):
        sent.clear()
        event.listen(store.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        run()
        taken.append((time.perf_counter() - started) * 1000)
        event.remove(store.engine, "before_cursor_execute", count)
    return statistics.median(taken), len(sent)


def measure(store: Store, count: int, folder: Path) -> None:
    now = datetime.now(UTC)
    fill(store, count, now)
    path = folder / "config.toml"
    path.write_text(
        f'[service]\ndatabase_url = "{store.engine.url.render_as_string(hide_password=False)}"\n'
        f'executor = "procrastinate"\n[google]\nwebhook_url = "{HOOK}"\n'
    )
    keeper = Keeper(load_config(path, env={}), store)
    started = time.perf_counter()
    keeper._tick(now)  # the once-per-process look at the addresses: every athlete read
    first = (time.perf_counter() - started) * 1000
    quiet, quiet_sent = measured(store, lambda: keeper._tick(now))

    # 20 channels within a day of their end: the keeper reads those athletes and nothing else.
    soon = now + timedelta(days=2, seconds=19 * 400 + 1)
    near = cursors.looks(store, now, soon, 200)
    reads, reads_sent = measured(store, lambda: cursors.looks(store, now, soon, 200))

    def old() -> None:
        cursors.channels(store)
        athletes.stored(store)
        state.recall_locators(store, TRAINING)

    before, before_sent = measured(store, old, 7)
    print(
        f"{count:>6} athletes: first tick {first:6.1f} ms; quiet tick {quiet:6.2f} ms "
        f"({quiet_sent} statements); "
        f"{len(near)} near their end read in {reads:5.2f} ms ({reads_sent}); "
        f"every channel, athlete and training id read {before:7.1f} ms ({before_sent})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    for count in args.athletes:
        name = f"racecal_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            store = Store.open(PG.rsplit("/", 1)[0] + f"/{name}")
            store.upgrade()
            with tempfile.TemporaryDirectory() as folder:
                measure(store, count, Path(folder))
            store.engine.dispose()
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
