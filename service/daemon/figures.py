"""The round's figures in /metrics: queue depth (procrastinate), athletes due, pass lag and the
Google requests of this minute.

The procrastinate executor reads them from the store (service.store.figures), so every node
answers the same; the embedded executor keeps them in memory (Recent), being the only process.
Either way a scrape reads them at most once per CACHE_SECONDS, so a scraper polling every node
every second costs the store a few queries a second, not a few per scrape.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service.store.figures import JOB_STATES, LAG_WINDOW_SECONDS, Figures

CACHE_SECONDS = 2.0
QUANTILES = (0.5, 0.95)
# The embedded scheduler's jobs that are passes (ids pass-<athlete>, changed-<athlete>, now-...).
PASS_JOBS = ("pass-", "changed-", "now-")
log = logging.getLogger("racecal")


class FiguresCollector(Collector):
    """Renders the figures `source` returns (cached CACHE_SECONDS); a source that fails (the
    store down) leaves them out of that scrape rather than failing /metrics."""

    def __init__(
        self,
        source: Callable[[], Figures],
        clock: Callable[[], float] = time.monotonic,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.source = source
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._guard = threading.Lock()
        self._kept: tuple[float, Figures] | None = None

    def describe(self) -> list[Metric]:
        # Registering asks for the names; answering here keeps the store out of it.
        return []

    def figures(self) -> Figures | None:
        with self._guard:
            now = self.clock()
            if self._kept is not None and now - self._kept[0] < self.cache_seconds:
                return self._kept[1]
            try:
                found = self.source()
            except Exception:  # the store being down shows in /healthz
                log.debug("cannot read the queue figures", exc_info=True)
                return None
            self._kept = (now, found)
            return found

    def collect(self) -> Iterator[Metric]:
        found = self.figures()
        if found is None:
            return
        if found.jobs is not None:
            jobs = GaugeMetricFamily(
                "racecal_queue_jobs",
                "Pass jobs on racecal's queue by state (todo: waiting for a worker, doing: "
                "running).",
                labels=["state"],
            )
            for state in JOB_STATES:
                jobs.add_metric([state], found.jobs.get(state, 0))
            yield jobs
        yield GaugeMetricFamily(
            "racecal_due_athletes",
            "Athletes due for a pass now whose pass has not begun.",
            value=found.due,
        )
        lag = GaugeMetricFamily(
            "racecal_pass_lag_seconds",
            f"Pass start minus the time the athlete came due, over the passes begun in the "
            f"last {LAG_WINDOW_SECONDS:g} s (NaN when none began).",
            labels=["quantile"],
        )
        for q in QUANTILES:
            lag.add_metric([f"{q:g}"], found.lag.get(q, math.nan))
        yield lag
        yield GaugeMetricFamily(
            "racecal_pass_lag_passes",
            f"Passes begun in the last {LAG_WINDOW_SECONDS:g} s (what the lag quantiles read).",
            value=found.lag_passes,
        )
        yield GaugeMetricFamily(
            "racecal_google_requests_this_minute",
            "Google Calendar API requests sent in the current minute (every node's).",
            value=found.google_this_minute,
        )


class Recent:
    """The embedded executor's figures: the lag of each pass begun within the window and the
    Google requests of the current minute, in memory; `due` counts the athletes due."""

    def __init__(
        self,
        due: Callable[[], int],
        clock: Callable[[], float] = time.time,
        window: float = LAG_WINDOW_SECONDS,
    ) -> None:
        self.due = due
        self.clock = clock
        self.window = window
        self._guard = threading.Lock()
        self._lags: deque[tuple[float, float]] = deque()
        self._minute = (0, 0)

    def lagged(self, seconds: float) -> None:
        """A pass began `seconds` after its athlete came due."""
        with self._guard:
            self._lags.append((self.clock(), max(seconds, 0.0)))

    def spent(self, requests: int) -> None:
        """A pass sent `requests` Google requests now."""
        minute = int(self.clock() // 60)
        with self._guard:
            held, count = self._minute
            self._minute = (minute, (count if held == minute else 0) + requests)

    def __call__(self) -> Figures:
        now = self.clock()
        with self._guard:
            while self._lags and self._lags[0][0] <= now - self.window:
                self._lags.popleft()
            lags = sorted(lag for _, lag in self._lags)
            held, count = self._minute
        used = count if held == int(now // 60) else 0
        lag = {q: quantile(lags, q) for q in QUANTILES} if lags else {}
        return Figures(self.due(), lag, len(lags), used)


class Passes:
    """The embedded executor's passes as its figures see them (service.daemon.runner calls
    `waiting` when a pass job starts on a thread and `began` once it holds the athlete's lock):
    the athletes due, and each pass's lag, its start minus the time its job was due."""

    def __init__(self, scheduler: BaseScheduler) -> None:
        self.scheduler = scheduler
        self.recent = Recent(self.due)
        self._guard = threading.Lock()
        # Passes waiting for their athlete's lock (the pass before still running), by athlete.
        self._waiting: Counter[str] = Counter()
        # Per pool thread: when the pass it runs took the lock, read once the job has ended.
        self._began = threading.local()
        scheduler.add_listener(self._ran, EVENT_JOB_EXECUTED)

    def waiting(self, athlete_id: str) -> None:
        with self._guard:
            self._waiting[athlete_id] += 1

    def began(self, athlete_id: str) -> None:
        with self._guard:
            self._waiting[athlete_id] -= 1
            if self._waiting[athlete_id] <= 0:
                del self._waiting[athlete_id]
        self._began.at = datetime.now(UTC)

    def due(self) -> int:
        """Athletes due whose pass has not begun: a pass job whose time has come that the
        scheduler has not handed to a thread yet, or a pass waiting for the athlete's lock."""
        now = datetime.now(UTC)
        due = {
            job.id.split("-", 1)[1]
            for job in self.scheduler.get_jobs()
            if job.id.startswith(PASS_JOBS)
            and job.next_run_time is not None
            and job.next_run_time <= now
        }
        with self._guard:
            due.update(athlete for athlete, n in self._waiting.items() if n > 0)
        return len(due)

    def _ran(self, event: JobExecutionEvent) -> None:
        # APScheduler tells of a job's end on the thread that ran it, right after it (or on
        # its own thread when the job ended before it asked to hear of it: that lag is lost).
        began: datetime | None = getattr(self._began, "at", None)
        self._began.at = None
        if began is not None and event.job_id.startswith(PASS_JOBS):
            self.recent.lagged((began - event.scheduled_run_time).total_seconds())


def quantile(ordered: list[float], q: float) -> float:
    """The `q` quantile of sorted values, interpolated as PostgreSQL's percentile_cont does."""
    at = q * (len(ordered) - 1)
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)
