"""What the service's look at the store's athletes costs (service.daemon.roster, every 2 s):
N athletes (1,000 and 10,000) stored with settings like the example's, in SQLite and, when it
answers, PostgreSQL ($RACECAL_TEST_POSTGRES, default the local test server). Prints the median
time of the quiet tick (the sum of the versions: nothing changed), of reading every version
(a tick after a change) and of reading and building one changed athlete's settings.

Measured here (Dec 2026, 2 shared cores, loaded): quiet tick 0.6 ms / 3-10 ms (SQLite /
PostgreSQL) at 1,000 athletes, 12-19 ms / 10-13 ms at 10,000; every version 7-10 ms at 1,000,
34-80 ms at 10,000; one changed athlete 1-12 ms.

Usage: python bench/athlete_roster.py [--athletes 1000 10000]
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from service.config.load import load_config  # noqa: E402
from service.store import athletes  # noqa: E402
from service.store.database import Store  # noqa: E402
from service.store.models import Athlete  # noqa: E402
from service.sync.athletes import build  # noqa: E402

PG = os.environ.get("RACECAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fill(store: Store, count: int, table: dict[str, object]) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"a{i:06d}",
            "created_at": now,
            "needs_reauth": False,
            "settings": json.dumps({**table, "id": f"a{i:06d}"}),
            "origin": "cli",
            "base_dir": str(ROOT),
            "version": 1,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with store.engine.begin() as c:
        c.execute(insert(Athlete), rows)


def median_ms(run: object, times: int = 21) -> float:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        taken.append((time.perf_counter() - started) * 1000)
    return statistics.median(taken)


def measure(name: str, store: Store, count: int) -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    fill(store, count, dict(config.tables[0]))
    quiet = median_ms(lambda: athletes.changes(store))
    listed = median_ms(lambda: athletes.versions(store))
    one = median_ms(lambda: [build(config, r) for r in athletes.stored(store, ["a000007"])])
    print(
        f"{name:10} {count:>6} athletes: quiet tick {quiet:6.2f} ms; every version {listed:6.2f}"
        f" ms; one changed athlete read and built {one:5.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    for count in args.athletes:
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open("sqlite:///roster.db", Path(folder))
            store.upgrade()
            measure("SQLite", store, count)
            store.engine.dispose()
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        name = f"racecal_bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server here: SQLite's figures only
            print(f"PostgreSQL not reachable ({type(exc).__name__})")
            continue
        try:
            store = Store.open(PG.rsplit("/", 1)[0] + f"/{name}")
            store.upgrade()
            measure("PostgreSQL", store, count)
            store.engine.dispose()
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
