"""`racecal worker` as a full node ([service] executor = "procrastinate" with [service] http):
beside the procrastinate worker that runs passes, the same HTTP endpoint as `racecal run`
(health, metrics, the plan page, feeds, workout files, Google's webhook, the page's release
form) and the same watching of race, busy and runs files, with every "a pass now" turned
into a change noted in the store (service.store.rounds.note_change): the cluster's dispatcher
defers the pass, one per athlete at a time wherever a worker is free, and a burst of changes
merges into one.

A node runs no pass of its own and no per-athlete interval job (the dispatcher owns the
polls): only the once-a-second file check (the heartbeat of /healthz) and the reread of the
athletes in the store. Its loop is the embedded daemon's (service.daemon.runner), run on a
thread of its own while the procrastinate worker has the main thread and its signals; when
the worker stops (SIGTERM), the node stops too.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from service.config.load import AthleteConfig, Config
from service.daemon.channels import ClusterPush
from service.daemon.health import STALL_BEATS, ServiceState
from service.daemon.push import Push
from service.daemon.queue import BEAT_SECONDS, QUEUE
from service.daemon.runner import STOP_SECONDS, WATCH_SECONDS, Daemon
from service.store import figures, rounds
from service.store.database import Store
from service.store.figures import Figures

log = logging.getLogger("racecal")


class NodeState(ServiceState):
    """/healthz of a node: the worker's name, its file watcher's heartbeat (the scheduler),
    whether its procrastinate loop still runs, and the store. /readyz: ready once the
    procrastinate loop runs (this node takes passes); the athletes' passes are the cluster's."""

    def __init__(
        self,
        name: str,
        athlete_ids: list[str],
        store: Store,
        beat_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(athlete_ids, store, beat_seconds, clock)
        self.name = name
        self.queue_stall_after = BEAT_SECONDS * STALL_BEATS
        self._queue: float | None = None

    def queue_beat(self) -> None:
        """The procrastinate worker's loop ran: it is alive."""
        with self._lock:
            self._queue = self.clock()

    def _queue_said(self) -> tuple[bool, str]:
        with self._lock:
            last = self._queue
        if last is None:
            return False, "not running yet"
        since = self.clock() - last
        if since > self.queue_stall_after:
            return False, f"stalled: no beat for {since:.1f} s (limit {self.queue_stall_after:g} s)"
        return True, "ok"

    def health(self) -> tuple[bool, dict[str, object]]:
        ok, body = super().health()
        queue_ok, said = self._queue_said()
        # Starting up (the queue not yet open) is not a reason to restart the node.
        starting = said == "not running yet"
        healthy = ok and (queue_ok or starting)
        body.update(worker=self.name, queue=said, status="ok" if healthy else "unhealthy")
        return healthy, body

    def readiness(self) -> tuple[bool, dict[str, object]]:
        queue_ok, _ = self._queue_said()
        return queue_ok, {"status": "ready" if queue_ok else "starting", "worker": self.name}


class Node(Daemon):
    def __init__(self, config: Config, store: Store, name: str) -> None:
        super().__init__(config, store, config.service.interval_minutes)
        self.name = name
        self.state: NodeState = NodeState(name, list(self._entries), store, WATCH_SECONDS)

    def _push(self, webhook_url: str) -> Push:
        return ClusterPush(webhook_url, self.trigger, self.store)

    def _round(self) -> Callable[[], Figures]:
        # The cluster's round, read from the store: every node answers the same.
        return functools.partial(figures.read, self.store, QUEUE)

    def schedule(self, entry: AthleteConfig) -> None:
        """No interval job (the dispatcher polls every athlete); the files' stamps only."""
        self._stamps[entry.athlete.id] = self._stamp(entry)

    def _soon(self, athlete_id: str, why: str, delay: timedelta) -> None:
        # No delay to merge a burst: the dispatcher's tick does, for the whole cluster.
        self._note(athlete_id, why)

    def pass_for(self, entry: AthleteConfig) -> None:
        self._note(entry.athlete.id, "changed")

    def _note(self, athlete_id: str, why: str) -> None:
        try:
            seq = rounds.note_change(self.store, athlete_id)
        except Exception:  # the store being down shows in /healthz; the next poll catches up
            log.warning("athlete %s: a change not noted; the next poll syncs it", athlete_id)
            return
        log.debug("athlete %s: change %d noted (%s)", athlete_id, seq, why)

    def beside(self, work: Callable[[], None]) -> None:
        """`work` (the procrastinate worker) on this thread, the node's loop on its own from
        begin() on; when `work` returns, the node stops too."""
        thread = threading.Thread(target=self.follow, name="racecal-node", daemon=True)
        thread.start()
        try:
            work()
        finally:
            self.stop.set()
            thread.join(STOP_SECONDS + 5)
            self.close()
