"""What /healthz and /readyz answer: the daemon reports into a ServiceState, the HTTP side only
reads it.

Liveness means "restart me if this is false": the scheduler stopped running jobs, or the store
does not answer. A failing pass is not a liveness problem (restarting would not fix a broken race
file); it shows in /metrics and `racecal status` instead. Readiness means every athlete has had
its first pass since start, so the page and the calendars reflect this run of the daemon.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from service.store.database import Store

# The watcher job runs every second; missing three beats in a row means the scheduler is stuck.
STALL_BEATS = 3


class ServiceState:
    def __init__(
        self,
        athlete_ids: list[str],
        store: Store,
        beat_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.athlete_ids = list(athlete_ids)
        self.store = store
        self.stall_after = beat_seconds * STALL_BEATS
        self.clock = clock
        self._lock = threading.Lock()
        self._beat = clock()
        self._passed: set[str] = set()

    def beat(self) -> None:
        """The scheduler ran a job: it is alive."""
        with self._lock:
            self._beat = self.clock()

    def pass_finished(self, athlete_id: str) -> None:
        """A pass ended, whatever its outcome: the athlete has been looked at."""
        with self._lock:
            self._passed.add(athlete_id)

    def health(self) -> tuple[bool, dict[str, object]]:
        with self._lock:
            since = self.clock() - self._beat
        scheduler_ok = since <= self.stall_after
        problem = self.store.ping()
        body: dict[str, object] = {
            "status": "ok" if scheduler_ok and problem is None else "unhealthy",
            "scheduler": "ok"
            if scheduler_ok
            else f"stalled: no job for {since:.1f} s (limit {self.stall_after:g} s)",
            "store": "ok" if problem is None else f"unreachable: {problem}",
        }
        return scheduler_ok and problem is None, body

    def readiness(self) -> tuple[bool, dict[str, object]]:
        with self._lock:
            waiting = [a for a in self.athlete_ids if a not in self._passed]
        ready = not waiting
        return ready, {"status": "ready" if ready else "starting", "waiting_for": waiting}
