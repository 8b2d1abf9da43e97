"""`racecal status` against a long pass history: N athletes (100) with a pass every 15 minutes
for D days (100), in a SQLite store. Timed three ways: without the (athlete_id, started_at)
index on sync_runs (the store before it had one), with it, and after pruning to the default
window ([service] pass_history_days = 30). Prints the rows, the wall time of `racecal status`
(a new process, imports included: the median of 3) and of the status query alone.

Earlier figure without the index and pruning: 13.6-14.5 s at ~100 days (100 athletes).
Measured here (Dec 2026, 2 shared cores, 960,000 rows): no index 21.3 s (the query 18.7 s);
indexed 1.8 s (the query 0.26 s); pruned to 30 days (672,000 rows gone in 5.3 s) 2.1 s (the
query 0.26 s). What is left of the wall time is the command's imports.

Usage: python bench/status_history.py [--athletes 100] [--days 100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from service.store.database import Store  # noqa: E402
from service.store.history import prune_runs  # noqa: E402
from service.store.models import Athlete, SyncRun  # noqa: E402
from service.views.status import athlete_status  # noqa: E402

INDEX = "ix_sync_runs_athlete_id_started_at"
NOW = datetime(2027, 1, 11, 4, 0, tzinfo=UTC)


def workspace(base: Path, athletes: int) -> tuple[Path, list[str]]:
    shutil.copy(ROOT / "config.example.toml", base / "config.toml")
    shutil.copytree(ROOT / "examples", base / "examples")
    text_ = (base / "config.toml").read_text()
    block = text_[text_.index("[[athletes]]") :]
    ids = [f"a{n:03d}" for n in range(athletes)]
    extra = "".join(
        "\n"
        + block.replace('id = "alex"', f'id = "{i}"').replace("var/training.ics", f"var/{i}.ics")
        for i in ids[1:]
    )
    (base / "config.toml").write_text(text_.replace('id = "alex"', f'id = "{ids[0]}"') + extra)
    return base / "config.toml", ids


def fill(store: Store, ids: list[str], days: int) -> int:
    passes = days * 96
    with store.engine.begin() as c:
        c.execute(
            insert(Athlete), [{"id": i, "created_at": NOW, "needs_reauth": False} for i in ids]
        )
    # Interleaved as the service writes them: every athlete's pass, then the next round.
    for first in range(0, passes, 500):
        rows = []
        for n in range(first, min(first + 500, passes)):
            started = NOW - timedelta(minutes=15 * (passes - n))
            for i in ids:
                error = "a race file: line 3: bad" if n % 997 == 0 else None
                rows.append(
                    {"athlete_id": i, "started_at": started, "finished_at": started,
                     "created": 0, "updated": 0, "deleted": 0, "error": error}
                )  # fmt: skip
        with store.engine.begin() as c:
            c.execute(insert(SyncRun), rows)
    return passes * len(ids)


def count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(SyncRun)) or 0)


def timed_status(config: Path, store: Store, ids: list[str]) -> tuple[float, float]:
    walls = []
    for _ in range(3):
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "status", "--config", str(config)],
            check=False,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        walls.append(time.perf_counter() - began)
        if done.returncode:
            raise SystemExit(f"racecal status failed: {done.stderr.decode()}")
        assert done.stdout.count(b"last pass") == len(ids)
    began = time.perf_counter()
    athlete_status(store, ids, 15)
    return statistics.median(walls), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=100)
    parser.add_argument("--days", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        config, ids = workspace(base, args.athletes)
        store = Store.open("sqlite:///var/racecal.db", base)
        store.upgrade()
        began = time.perf_counter()
        rows = fill(store, ids, args.days)
        print(f"{args.athletes} athletes, {args.days} days of passes: {rows:,} rows "
              f"(filled in {time.perf_counter() - began:.1f} s)")  # fmt: skip
        with store.engine.begin() as c:
            c.execute(text(f"DROP INDEX {INDEX}"))
        wall, query = timed_status(config, store, ids)
        print(f"no index (before):  racecal status {wall:6.2f} s; the query {query:6.2f} s")
        with store.engine.begin() as c:
            c.execute(text(f"CREATE INDEX {INDEX} ON sync_runs (athlete_id, started_at)"))
        wall, query = timed_status(config, store, ids)
        print(f"indexed:            racecal status {wall:6.2f} s; the query {query:6.2f} s")
        began = time.perf_counter()
        gone = prune_runs(store, ids, NOW - timedelta(days=30))
        pruned = time.perf_counter() - began
        print(f"pruned to 30 days:  {gone:,} rows gone in {pruned:.1f} s, {count(store):,} left")
        wall, query = timed_status(config, store, ids)
        print(f"indexed and pruned: racecal status {wall:6.2f} s; the query {query:6.2f} s")


if __name__ == "__main__":
    main()
