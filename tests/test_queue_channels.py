"""Google watch channels kept by the cluster (real PostgreSQL, two real `racecal worker` nodes,
the local Google Calendar server): the channel keeper opens a channel on each calendar of a
Google athlete, a storm of notifications posted to either node becomes one or two passes, an
athlete added while the workers run gets its pass and channels within a tick or two, a channel
near its end is renewed, and an athlete removed has its channels stopped at the server and no
more passes. Every Google request the workers sent is recorded in the quota."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from service.store import cursors, rounds
from service.store.database import Store
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.queue_support import google_athlete
from tests.radicale_server import free_port
from tests.support import ROOT
from tests.web_support import wait_for


def _post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class Cluster:
    def __init__(self, fake: FakeGoogleCalendar, folder: Path, pg_url: str) -> None:
        self.fake = fake
        self.folder = folder
        self.ports = [free_port(), free_port()]
        self.hooks = [f"http://127.0.0.1:{p}/google/notify" for p in self.ports]
        self.google = (
            f'[google]\napi_endpoint = "{fake.url}/"\ntoken_uri = "{fake.url}/token"\n'
            f'webhook_url = "{self.hooks[0]}"\n'
        )
        self.config = folder / "config.toml"
        self.store = Store.open(pg_url)
        self.store.upgrade()
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs = [folder / f"worker-{n}.log" for n in (1, 2)]
        self.config.write_text(
            f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
            "interval_minutes = 60\n" + self.google
        )

    def racecal(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", *args, "--config", str(self.config)],
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def add(self, athlete_id: str) -> None:
        GoogleWorld(self.fake, self.folder / "worlds" / athlete_id, athlete_id).config()
        token = self.folder / "worlds" / athlete_id / "tokens" / f"{athlete_id}.json"
        (self.folder / "tokens").mkdir(exist_ok=True, mode=0o700)
        os.replace(token, self.folder / "tokens" / f"{athlete_id}.json")
        table = self.folder / f"{athlete_id}.toml"
        table.write_text(self.google + google_athlete(athlete_id))
        self.racecal("athlete", "import", str(table))

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for port, log in zip(self.ports, self.logs, strict=True):
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "worker", "--config", str(self.config)],
                    stdout=subprocess.DEVNULL,
                    stderr=log.open("w"),
                    env={**env, "RACECAL_HTTP": f"127.0.0.1:{port}"},
                    cwd=self.folder,
                )
            )

    def stop(self) -> None:
        for process in self.workers:
            process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.store.engine.dispose()

    def said(self) -> str:
        return "\n".join(log.read_text() for log in self.logs)

    def rows(self) -> dict[str, tuple[int, int]]:
        with self.store.engine.connect() as c:
            found = c.execute(text("SELECT athlete_id, change_seq, synced_seq FROM sync_rows"))
            return {str(r[0]): (int(r[1]), int(r[2])) for r in found}

    def settled(self, athlete_id: str) -> bool:
        change, synced = self.rows().get(athlete_id, (0, -1))
        return synced >= 1 and change == synced

    def passes(self, athlete_id: str) -> int:
        with self.store.engine.connect() as c:
            query = text("SELECT count(*) FROM worker_passes WHERE athlete_id = :id")
            return int(c.execute(query, {"id": athlete_id}).scalar_one())

    def channels(self, athlete_id: str) -> list[cursors.Channel]:
        return [c for c in cursors.channels(self.store) if c.athlete_id == athlete_id]

    def open_at_server(self, athlete_id: str) -> set[str]:
        """The athlete's stored channels that are open at the server."""
        there = {c.id for c in self.fake.channels()}
        return {c.id for c in self.channels(athlete_id) if c.id in there}

    def quiet(self, athlete_id: str) -> None:
        """Settled, and still so past two dispatch ticks: no pass is left to come."""
        assert wait_for(lambda: self.settled(athlete_id), 30), self.rows()
        time.sleep(4.5)
        assert self.settled(athlete_id), self.rows()


@pytest.fixture
def cluster(tmp_path: Path, pg_url: str) -> Iterator[Cluster]:
    with FakeGoogleCalendar() as fake:
        made = Cluster(fake, tmp_path, pg_url)
        try:
            yield made
        finally:
            made.stop()
        said = made.said()
        assert all(p.returncode == 0 for p in made.workers), said
        assert "Traceback" not in said, said


def test_the_cluster_keeps_the_channels_of_athletes_added_and_removed(cluster: Cluster) -> None:
    cluster.add("alex")
    started = time.monotonic()
    cluster.start()
    # A channel on the race and busy calendar and one on the training calendar, once made.
    assert wait_for(lambda: len(cluster.open_at_server("alex")) == 2, 40), cluster.said()
    print(f"alex: both channels open {time.monotonic() - started:.1f} s after the start")
    assert {c.address for c in cluster.fake.channels()} == {cluster.hooks[0]}
    cluster.quiet("alex")

    # A storm of notifications, to either node: each notes a change; the ticks merge them.
    channel = next(c for c in cluster.channels("alex"))
    notice = {
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Token": channel.token,
        "X-Goog-Resource-State": "exists",
    }
    before = cluster.passes("alex")
    for n in range(50):
        assert _post(cluster.hooks[n % 2], notice) == 200
    cluster.quiet("alex")
    storm = cluster.passes("alex") - before
    print(f"passes after a storm of 50 notifications on two nodes: {storm}")
    assert 1 <= storm <= 2

    # An athlete added while the workers run: its pass and channels within a tick or two.
    added = time.monotonic()
    cluster.add("bea")
    assert wait_for(lambda: cluster.settled("bea"), 20), cluster.rows()
    passed = time.monotonic() - added
    assert wait_for(lambda: len(cluster.open_at_server("bea")) == 2, 25), cluster.said()
    watched = time.monotonic() - added
    print(f"bea added: first pass {passed:.1f} s, both channels {watched:.1f} s later")

    # A channel a day from its end: a new one opens, then the old one is stopped.
    [old] = [c for c in cluster.channels("bea") if c.calendar_id == "primary"]
    with cluster.store.engine.begin() as c:
        c.execute(
            text("UPDATE push_channels SET expires = now() + interval '2 hours' WHERE id = :id"),
            {"id": old.id},
        )
    renewing = time.monotonic()
    assert wait_for(
        lambda: (
            old.id not in cluster.open_at_server("bea") and len(cluster.open_at_server("bea")) == 2
        ),
        25,
    ), cluster.said()
    print(f"bea's channel renewed {time.monotonic() - renewing:.1f} s after it came near its end")
    assert old.id not in {c.id for c in cluster.fake.channels()}

    # One removed: its channels stopped at the server within a tick or two, no more passes.
    stops = sum(e.path.endswith("/channels/stop") for e in cluster.fake.log)
    alex = cluster.open_at_server("alex")
    removed = time.monotonic()
    cluster.racecal("athlete", "remove", "alex")
    assert wait_for(lambda: not cluster.channels("alex"), 25), cluster.said()
    print(f"alex removed: channels stopped {time.monotonic() - removed:.1f} s later")
    assert not alex & {c.id for c in cluster.fake.channels()}
    assert sum(e.path.endswith("/channels/stop") for e in cluster.fake.log) == stops + 2
    assert _post(cluster.hooks[1], notice) == 403  # its channel is no one's any more
    passes = cluster.passes("alex")
    rounds.note_change(cluster.store, "alex")
    time.sleep(4.5)
    assert cluster.passes("alex") == passes
    assert len(cluster.open_at_server("bea")) == 2  # the other athlete's are left alone

    # Every Google request the workers sent (passes and channels) is in the quota.
    sent = sum(e.path.startswith("/calendar/v3/") for e in cluster.fake.log)
    sent += len(cluster.fake.batch_log)
    with cluster.store.engine.connect() as c:
        recorded = int(c.execute(text("SELECT sum(requests) FROM quota_minutes")).scalar_one())
    assert recorded == sent
