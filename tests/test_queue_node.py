"""`racecal worker` with [service] http as a full node (real PostgreSQL, real worker processes,
real files): its /healthz names it (and the compose worker service's healthcheck passes on it),
a Google notification posted to it notes a change that leads to one pass through the queue (a
storm to one or two), and a saved race file does too."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from service.store import cursors
from service.store.database import Store
from tests.radicale_server import free_port
from tests.support import ROOT, ics_athlete
from tests.web_support import wait_for

IDS = ("ana", "ben")


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    folder: Path
    store: Store

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as answer:
                return int(answer.status), answer.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()

    def post(self, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def rows(self) -> dict[str, tuple[int, int]]:
        with self.store.engine.connect() as c:
            found = c.execute(text("SELECT athlete_id, change_seq, synced_seq FROM sync_rows"))
            return {str(r[0]): (int(r[1]), int(r[2])) for r in found}

    def passes(self, athlete_id: str) -> int:
        with self.store.engine.connect() as c:
            return int(
                c.execute(
                    text("SELECT count(*) FROM worker_passes WHERE athlete_id = :id AND committed"),
                    {"id": athlete_id},
                ).scalar_one()
            )

    def settled(self, athlete_id: str) -> bool:
        change, synced = self.rows().get(athlete_id, (0, -1))
        return change == synced


@pytest.fixture
def node(tmp_path: Path, pg_url: str) -> Iterator[Node]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    for athlete_id in IDS:
        shutil.copy(ROOT / "examples" / "races.ics", tmp_path / f"races-{athlete_id}.ics")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
        f'interval_minutes = 60\nhttp = "127.0.0.1:{port}"\n'
        f'[google]\nwebhook_url = "{base}/google/notify"\n'
        + "".join(ics_athlete(i, f"races-{i}.ics") for i in IDS)
    )
    store = Store.open(pg_url)
    store.upgrade()  # what the worker does first, so the test can read the rows at once
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )
    started = Node(process, base, log, tmp_path, store)
    try:
        assert wait_for(
            lambda: len(started.rows()) == len(IDS) and all(map(started.settled, IDS)), 40
        ), log.read_text()
        yield started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        store.engine.dispose()
    said = log.read_text()
    assert process.returncode == 0, said
    assert "Traceback" not in said, said


def _quiet(node: Node, athlete_id: str) -> None:
    """Settled, and still so past two dispatch ticks: no pass is left to come."""
    assert wait_for(lambda: node.settled(athlete_id), 20), node.rows()
    time.sleep(4.5)
    assert node.settled(athlete_id), node.rows()


def test_the_node_answers_healthz_naming_itself(node: Node) -> None:
    status, body = node.get("/healthz")
    health = json.loads(body)
    assert status == 200, health
    assert health["worker"].endswith(f":{node.process.pid}")
    assert (health["status"], health["queue"], health["store"]) == ("ok", "ok", "ok")
    status, body = node.get("/readyz")
    assert status == 200, body
    # The compose worker service's healthcheck, run against this node's port: it passes.
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    check = compose["services"]["worker"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "python"]
    code = check[-1].replace("127.0.0.1:8765", node.base.removeprefix("http://"))
    assert code != check[-1]
    done = subprocess.run([sys.executable, *check[2:-1], code], timeout=30, check=False)
    assert done.returncode == 0
    status, body = node.get("/metrics")
    assert status == 200
    # The passes this worker ran are counted in its figures.
    assert re.search(rb'racecal_passes_total\{[^}]*athlete="ana"[^}]*\} [1-9]', body), body
    status, body = node.get("/athletes/ana")
    assert status == 200
    assert b"Hamburg Marathon" in body


def test_a_notification_notes_a_change_and_leads_to_one_pass(node: Node) -> None:
    # A channel another node opened: any node accepts its notifications.
    expires = datetime.now(UTC) + timedelta(days=6)
    channel = cursors.Channel("chan-1", "ana", "primary", "res-1", "secret-token", "", expires)
    cursors.open_channel(node.store, channel, datetime.now(UTC))
    before, passes = node.rows()["ana"][0], node.passes("ana")
    headers = {"X-Goog-Channel-ID": "chan-1", "X-Goog-Resource-State": "exists"}
    assert node.post("/google/notify", {**headers, "X-Goog-Channel-Token": "forged"}) == 403
    assert node.post("/google/notify", {**headers, "X-Goog-Channel-ID": "other"}) == 403
    assert node.rows()["ana"][0] == before  # refused: nothing noted
    assert node.post("/google/notify", {**headers, "X-Goog-Channel-Token": "secret-token"}) == 200
    assert node.rows()["ana"][0] == before + 1  # noted before the answer
    _quiet(node, "ana")
    assert node.passes("ana") == passes + 1

    # A storm: each notification noted, the dispatcher's tick merges them.
    passes = node.passes("ana")
    for _ in range(50):
        assert (
            node.post("/google/notify", {**headers, "X-Goog-Channel-Token": "secret-token"}) == 200
        )
    _quiet(node, "ana")
    storm = node.passes("ana") - passes
    print(f"passes after a storm of 50 notifications: {storm}")
    assert 1 <= storm <= 2


def test_a_saved_race_file_leads_to_a_pass_through_the_queue(node: Node) -> None:
    output = node.folder / "var" / "ana.ics"
    written = output.read_text()
    passes, change = node.passes("ana"), node.rows()["ana"][0]
    races = node.folder / "races-ana.ics"
    moved = races.read_text().replace("20270425T", "20270502T")
    saved_at = time.monotonic()
    (node.folder / ".races-ana.ics.tmp").write_text(moved)
    os.replace(node.folder / ".races-ana.ics.tmp", races)  # an editor's save
    assert wait_for(lambda: output.read_text() != written, 15), "no pass followed the save"
    latency = time.monotonic() - saved_at
    print(
        f"race file saved to training calendar written, through the queue: {latency * 1000:.0f} ms"
    )
    assert latency < 5
    assert node.rows()["ana"][0] > change  # through a change noted, not a pass in-process
    _quiet(node, "ana")
    assert node.passes("ana") - passes in (1, 2)  # a save is several events; merged
    assert node.passes("ben") >= 1
