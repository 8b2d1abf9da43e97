"""Race and busy files are watched with the kernel's notifications (issue 13, item 14). Seen:
the daemon stat-ed every athlete's files once a second and noticed a save after a median
1.0 s. Real files, real inotify watches, the daemon's watcher as it runs them."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from service.config.load import load_config
from service.daemon.files import FileWatcher
from service.daemon.runner import Daemon
from service.store.database import Store
from tests.support import example_workspace
from tests.web_support import wait_for


class Calls:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.arrived = threading.Condition()

    def __call__(self, athlete_id: str) -> None:
        with self.arrived:
            self.seen.append(athlete_id)
            self.arrived.notify_all()

    def wait_for(self, athlete_id: str, seconds: float = 5) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: athlete_id in self.seen, seconds)


def test_saves_of_every_kind_are_told_for_their_athlete_only(tmp_path: Path) -> None:
    races, busy = tmp_path / "races", tmp_path / "busy"
    races.mkdir()
    busy.mkdir()
    (races / "a.ics").write_text("old", encoding="utf-8")
    (busy / "shared.ics").write_text("old", encoding="utf-8")
    missing = tmp_path / "not-yet" / "c.ics"
    files = [
        ("a", races / "a.ics"),
        ("a", busy / "shared.ics"),
        ("b", busy / "shared.ics"),
        ("c", missing),
    ]
    calls = Calls()
    watcher = FileWatcher(files, calls)
    watcher.start()
    try:
        # A folder that is not there is the daemon's to poll; the others are watched now.
        assert watcher.watched == {
            os.path.abspath(races / "a.ics"),
            os.path.abspath(busy / "shared.ics"),
        }

        # An editor's save: a new file renamed over the old one.
        (races / ".a.ics.tmp").write_text("new", encoding="utf-8")
        os.replace(races / ".a.ics.tmp", races / "a.ics")
        assert calls.wait_for("a")
        assert "b" not in calls.seen

        # Written in place, and shared by two athletes: both are told.
        calls.seen.clear()
        (busy / "shared.ics").write_text("changed", encoding="utf-8")
        assert calls.wait_for("a")
        assert calls.wait_for("b")

        # Another file in a watched folder is nobody's business. (The write above is several
        # events, which may still be arriving: let them, then listen.)
        time.sleep(1)
        calls.seen.clear()
        (races / "notes.txt").write_text("x", encoding="utf-8")
        (races / "a.ics.bak").write_text("x", encoding="utf-8")
        time.sleep(0.5)
        assert calls.seen == []

        # Deleted (a sync tool replacing the folder's contents): told too.
        (races / "a.ics").unlink()
        assert calls.wait_for("a")
    finally:
        watcher.stop()


def passes(daemon: Daemon) -> float:
    for family in text_string_to_metric_families(daemon.metrics.render().decode()):
        for sample in family.samples:
            if sample.name == "racecal_passes_total" and sample.labels.get("athlete") == "alex":
                return sample.value
    return 0.0


def test_a_change_during_a_pass_gets_a_pass_of_its_own(tmp_path: Path) -> None:
    """Seen: a save while the pass of the save before was still finishing was dropped
    (APScheduler ran one instance of a job id at a time and skipped the other), so the
    calendar kept the first change until the next interval pass."""
    config = load_config(example_workspace(tmp_path))
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store)
    daemon.scheduler.start()
    try:
        lock = daemon._locks["alex"]
        with lock:  # the pass for the first save is under way
            daemon.file_changed("alex")
            assert wait_for(lambda: not daemon.scheduler.get_jobs(), 5)  # it is running
            daemon.file_changed("alex")  # the second save, while it runs
            time.sleep(0.3)
        assert wait_for(lambda: passes(daemon) == 2, 30), passes(daemon)
    finally:
        daemon.scheduler.shutdown(wait=True)
