"""The procrastinate executor at scale: N athletes in the store (direct rows; local .ics race
files in ten groups, .ics training calendars) synced by 1, 2 and 4 real `racecal worker`
processes on this machine against the real PostgreSQL (a database of its own, created and
dropped). After the first syncs (untimed), for each worker count: a round of quiet passes
(every athlete due at once), then a round with one race group's C race moved into the weeks planned
(10% of the athletes plan and write), then an untimed round that reads those back.

Each round prints passes per second (athletes / time to drain the round), the pass lag p95
(start minus due time, by the database's clock: in a drain where all come due at once it is
about the drain's length), racecal's PostgreSQL statements per pass (counted in the workers
through SQLAlchemy's event hooks; procrastinate's own queries go through psycopg and are in
the transactions figure, pg_stat_database's commits per pass, every session's), the workers'
CPU ms per pass (user + system, dispatcher and queue included) and their peak RSS. `--profile`
also profiles quiet passes in this process (racecal's part of a worker's job) and prints the
biggest costs.

Usage: python bench/scale.py [--athletes 2000] [--workers 1 2 4] [--concurrency 4]
       [--seconds 600] [--profile]
(--seconds bounds each round; a round that does not drain in time is reported as cut.)
Needs the scale extra (procrastinate) and PostgreSQL ($RACECAL_TEST_POSTGRES, default the
local test server).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, event, insert, text  # noqa: E402

from service.store.database import Store  # noqa: E402
from service.store.models import Athlete  # noqa: E402

PG = os.environ.get("RACECAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GROUPS = 10
# The example's C race (its start and end), moved to two weeks from now: into the four weeks
# planned, so the moved athletes' plans change and their calendars are written.
C_RACE = ":20270227T"


def settings(athlete_id: str, base: Path) -> dict[str, object]:
    group = int(athlete_id[1:]) % GROUPS
    return {
        "id": athlete_id,
        "timezone": "Europe/Berlin",
        "run_days": ["mon", "wed", "fri", "sun"],
        "long_run_day": "sun",
        "plan_weeks": 4,
        "races": {"ics": [str(base / f"races-{group}.ics")]},
        "output": {"ics": str(base / "var" / f"{athlete_id}.ics")},
    }


def fill(store: Store, count: int, base: Path) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"a{i:06d}",
            "created_at": now,
            "needs_reauth": False,
            "settings": json.dumps(settings(f"a{i:06d}", base), sort_keys=True),
            "origin": "cli",
            "base_dir": str(base),
            "version": 1,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with store.engine.begin() as c:
        for start in range(0, count, 5000):
            c.execute(insert(Athlete), rows[start : start + 5000])


def move(base: Path, group: int, moved: bool) -> None:
    path = base / f"races-{group}.ics"
    body = (ROOT / "examples" / "races.ics").read_text()
    soon = (datetime.now(UTC) + timedelta(days=14)).strftime(":%Y%m%dT")
    path.write_text(body.replace(C_RACE, soon) if moved else body)


# -- inside a worker process: count racecal's statements -------------------------------------


def counting_worker(argv: list[str]) -> None:
    """`racecal worker` with every SQLAlchemy statement counted, by its first words, into a
    file next to the config every half second."""
    counts: Counter[str] = Counter()
    guard = threading.Lock()
    out = Path(os.environ["SCALE_COUNTS"])

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        with guard:
            counts[" ".join(statement.split())[:60]] += 1

    event.listen(Engine, "before_cursor_execute", counted)

    def dump() -> None:
        while True:
            time.sleep(0.5)
            with guard:
                body = json.dumps(counts)
            out.with_suffix(".tmp").write_text(body)
            out.with_suffix(".tmp").replace(out)

    threading.Thread(target=dump, daemon=True).start()
    from service.cli.main import main  # noqa: PLC0415

    main(["worker", *argv])


# -- the bench ------------------------------------------------------------------------------


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Workers:
    def __init__(self, config: Path, count: int, concurrency: int) -> None:
        self.folder = config.parent
        self.processes: list[subprocess.Popen[bytes]] = []
        for n in range(count):
            # A count file of an earlier, larger set of workers would read as this one's.
            (self.folder / f"counts-{n}.json").unlink(missing_ok=True)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCALE_COUNTS": str(self.folder / f"counts-{n}.json"),
            }
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        "--config",
                        str(config),
                        "--concurrency",
                        str(concurrency),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=(self.folder / f"worker-{n}.log").open("a"),
                    env=env,
                    cwd=self.folder,
                )
            )

    def statements(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for n in range(len(self.processes)):
            path = self.folder / f"counts-{n}.json"
            if path.exists():
                total.update(json.loads(path.read_text()))
        return total

    def cpu_ms(self) -> float:
        return sum(cpu_ms(p.pid) for p in self.processes)

    def peak_rss(self) -> list[float]:
        return [peak_rss_mib(p.pid) for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def scalar(store: Store, sql: str, **params: object) -> float:
    with store.engine.connect() as c:
        return float(c.execute(text(sql), params).scalar_one())


def xacts(store: Store) -> int:
    return int(
        scalar(
            store,
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()",
        )
    )


def due_all(store: Store, where: str = "true") -> datetime:
    """Every athlete (or those `where` picks) due now; the database's now."""
    with store.engine.begin() as c:
        c.execute(text(f"UPDATE sync_rows SET next_due_at = now() WHERE {where}"))
        found = c.execute(text("SELECT now()")).scalar_one()
    assert isinstance(found, datetime)
    return found


def drained(store: Store, since: datetime, expect: int, seconds: float) -> tuple[int, float]:
    """Wait until `expect` passes begun since `since` have ended; (ended, seconds taken)."""
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < seconds:
        done = int(
            scalar(
                store,
                "SELECT count(*) FROM worker_passes WHERE started_at >= :since "
                "AND ended_at IS NOT NULL",
                since=since,
            )
        )
        if done >= expect:
            break
        time.sleep(0.25)
    return done, time.monotonic() - started


def lag_p95(store: Store, since: datetime) -> float:
    found = scalar(
        store,
        "SELECT COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM started_at - due_at)), 0) FROM worker_passes "
        "WHERE started_at >= :since AND due_at IS NOT NULL",
        since=since,
    )
    return float(found)


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def round_(
    name: str, store: Store, workers: Workers, athletes: int, seconds: float
) -> dict[str, object]:
    time.sleep(0.6)  # the statement files catch up
    before_cpu, before_sql, before_x = workers.cpu_ms(), workers.statements(), xacts(store)
    since = due_all(store)
    done, taken = drained(store, since, athletes, seconds)
    time.sleep(1.2)  # the counts of the last passes reach their files
    cpu = workers.cpu_ms() - before_cpu
    statements = workers.statements()
    statements.subtract(before_sql)
    passes = max(done, 1)
    with store.engine.connect() as c:
        wrote, failed = c.execute(
            text(
                "SELECT count(*) FILTER (WHERE created + updated + deleted > 0), "
                "count(*) FILTER (WHERE error IS NOT NULL) FROM sync_runs WHERE started_at >= :at"
            ),
            {"at": since},
        ).one()
    figures = {
        "round": name,
        "workers": len(workers.processes),
        "passes": done,
        "cut": done < athletes,
        "wrote": int(wrote),
        "failed": int(failed),
        "passes_per_s": round(done / taken, 1),
        "lag_p95_s": round(lag_p95(store, since), 1),
        "racecal_statements_per_pass": round(sum(statements.values()) / passes, 2),
        "db_transactions_per_pass": round((xacts(store) - before_x) / passes, 2),
        "cpu_ms_per_pass": round(cpu / passes, 2),
        "peak_rss_mib": [round(r, 1) for r in workers.peak_rss()],
        "load": load(),
    }
    print(json.dumps(figures), flush=True)
    if failed:
        with store.engine.connect() as c:
            errors = c.execute(
                text(
                    "SELECT left(error, 160), count(*) FROM sync_runs "
                    "WHERE started_at >= :at AND error IS NOT NULL GROUP BY 1"
                ),
                {"at": since},
            ).all()
        print("   failed:", [tuple(e) for e in errors], flush=True)
    top = [(k, round(v / passes, 2)) for k, v in statements.most_common(8) if v > 0]
    print("   statements per pass, most:", top, flush=True)
    return figures


def seed(store: Store, config: Path, athletes: int, concurrency: int, seconds: float) -> None:
    """First syncs and their read-back (untimed): every athlete quiet from then on."""
    workers = Workers(config, 2, concurrency)
    try:
        started = nudged = time.monotonic()
        while time.monotonic() - started < seconds:
            synced = int(scalar(store, "SELECT count(*) FROM sync_rows WHERE synced_seq >= 1"))
            if synced >= athletes:
                break
            time.sleep(1)
            if time.monotonic() - nudged > 30:
                nudged = time.monotonic()
                # A job that crashed before its pass began (the shared server out of
                # connections) leaves its athlete until its next poll, hours away here.
                due_all(store, "synced_seq < 1 AND next_due_at > now()")
        print(f"  first syncs: {synced} in {time.monotonic() - started:.0f} s", flush=True)
        since = due_all(store)
        done, taken = drained(store, since, athletes, seconds)
        print(f"  read back: {done} in {taken:.0f} s (load {load()})", flush=True)
    finally:
        workers.stop()


def profile(store: Store, config: Path, passes: int) -> None:
    """Quiet passes in this process, as a worker's job runs them, under cProfile."""
    from service.config.load import load_config  # noqa: PLC0415
    from service.daemon import queue  # noqa: PLC0415
    from service.store import rounds  # noqa: PLC0415

    worker = queue.Worker(load_config(config, env={}), store, 3600)
    ids = [f"a{i:06d}" for i in range(passes)]
    for athlete_id in ids[:50]:  # warm: connectors built, caches filled
        worker.sync(athlete_id, rounds.note_change(store, athlete_id))
    seqs = {a: rounds.note_change(store, a) for a in ids}
    counts: Counter[str] = Counter()

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        counts[" ".join(statement.split())[:60]] += 1

    event.listen(Engine, "before_cursor_execute", counted)
    profiler = cProfile.Profile()
    cpu = time.process_time()
    profiler.enable()
    for athlete_id in ids:
        worker.sync(athlete_id, seqs[athlete_id])
    profiler.disable()
    cpu = (time.process_time() - cpu) * 1000 / len(ids)
    event.remove(Engine, "before_cursor_execute", counted)
    print(
        f"  in-process quiet job: {cpu:.2f} ms CPU, "
        f"{sum(counts.values()) / len(ids):.1f} statements a pass (load {load()})"
    )
    for statement, n in counts.most_common(12):
        print(f"    {n / len(ids):5.2f}  {statement}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    worker.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.worker:
        counting_worker(sys.argv[sys.argv.index("--worker") + 1 :])
        return
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    name = f"racecal_scale_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = Path(tempfile.mkdtemp(prefix="racecal-scale-"))
    url = PG.rsplit("/", 1)[0] + f"/{name}"
    try:
        (base / "var").mkdir()
        for group in range(GROUPS):
            move(base, group, moved=False)
        config = base / "config.toml"
        config.write_text(
            f'[service]\ndatabase_url = "{url}"\nexecutor = "procrastinate"\n'
            "interval_minutes = 600\n"
        )
        store = Store.open(url)
        store.upgrade()
        fill(store, args.athletes, base)
        print(f"{args.athletes} athletes, load {load()}", flush=True)
        seed(store, config, args.athletes, args.concurrency, args.seconds * 4)
        moved = False
        for count in args.workers:
            workers = Workers(config, count, args.concurrency)
            try:
                time.sleep(3)  # started, schema checked, the first tick
                round_("quiet", store, workers, args.athletes, args.seconds)
                moved = not moved
                move(base, 0, moved)
                round_("10% moved", store, workers, args.athletes, args.seconds)
                # Untimed: the moved athletes' read-back, so the next quiet round is quiet.
                since = due_all(store, "athlete_id IN (SELECT athlete_id FROM sync_rows "
                                "WHERE right(athlete_id, 1) = '0')")  # fmt: skip
                drained(store, since, args.athletes // GROUPS, args.seconds)
            finally:
                workers.stop()
        if args.profile:
            profile(store, config, min(args.athletes, 500))
        store.engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
