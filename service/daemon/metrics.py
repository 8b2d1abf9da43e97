"""The daemon's Prometheus metrics, in a registry of its own.

A registry per daemon (not prometheus_client's global one) keeps two daemons in one process,
as tests run them, from counting into each other, and keeps the library's process and platform
collectors out of what we promise to serve.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from service.daemon.figures import FiguresCollector
from service.store.figures import Figures
from service.sync.engine import PassResult

# A no-change pass takes tens of milliseconds, a first sync of a long plan a few seconds.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
OPERATIONS = ("created", "updated", "deleted")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.passes = Counter(
            "racecal_passes",
            "Sync passes finished, by athlete and outcome (ok, failed, crashed).",
            ["athlete", "outcome"],
            registry=self.registry,
        )
        self.failures = Counter(
            "racecal_pass_failures",
            "Failed passes by kind (source, plan, calendar, auth, conflict, file, held, crash).",
            ["kind"],
            registry=self.registry,
        )
        self.events = Counter(
            "racecal_events_written",
            "Training calendar events written, by operation (created, updated, deleted).",
            ["operation"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "racecal_pass_duration_seconds",
            "How long one athlete's pass took, failed passes included.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.reauth = Gauge(
            "racecal_athletes_needing_reauth",
            "Athletes whose calendar credentials were rejected; a person must sign in again.",
            registry=self.registry,
        )
        self.last_success = Gauge(
            "racecal_last_success_timestamp_seconds",
            "Unix time at which the athlete's last successful pass finished.",
            ["athlete"],
            registry=self.registry,
        )
        self.held = Gauge(
            "racecal_sources_held",
            "Race or busy sources that read empty and hold the athlete's plan as it is.",
            ["athlete"],
            registry=self.registry,
        )
        self.api_requests = Counter(
            "racecal_api_requests",
            "HTTP requests to calendar servers by backend and status (connection: no answer).",
            ["backend", "status"],
            registry=self.registry,
        )
        self.api_retries = Counter(
            "racecal_api_retries",
            "Requests waited for and sent again, by backend and the status that caused it.",
            ["backend", "status"],
            registry=self.registry,
        )
        # Zeros from the start, so a rate() over a fresh daemon is 0 rather than absent.
        for operation in OPERATIONS:
            self.events.labels(operation)
        self.reauth.set(0)

    def round(self, source: Callable[[], Figures]) -> None:
        """Show the round's figures (queue depth, due athletes, pass lag, this minute's Google
        requests; service.daemon.figures) as `source` returns them: the procrastinate
        executor's from the store (`functools.partial(service.store.figures.read, store,
        queue.QUEUE)`), the embedded one's from memory (figures.Recent). Once per Metrics."""
        self.registry.register(FiguresCollector(source))

    def api(self, backend: str, event: str, status: str) -> None:
        """A connector's report (connectors.observe): one request sent, or one retry."""
        if event == "request":
            self.api_requests.labels(backend, status).inc()
        elif event == "retry":
            self.api_retries.labels(backend, status).inc()

    def athletes(self, athlete_ids: list[str]) -> None:
        for athlete_id in athlete_ids:
            for outcome in ("ok", "failed", "crashed"):
                self.passes.labels(athlete_id, outcome)
            self.held.labels(athlete_id).set(0)

    def forget(self, athlete_id: str) -> None:
        """An athlete no longer synced: its series go, so /metrics does not grow with every
        athlete that ever was."""
        for outcome in ("ok", "failed", "crashed"):
            with suppress(KeyError):
                self.passes.remove(athlete_id, outcome)
        for gauge in (self.held, self.last_success):
            with suppress(KeyError):
                gauge.remove(athlete_id)

    def record(self, result: PassResult, seconds: float, finished_at: float) -> None:
        """One finished pass; `finished_at` is Unix time."""
        self.duration.observe(seconds)
        # A failed pass may have written some events before it stopped; they were written.
        for operation in OPERATIONS:
            count = getattr(result, operation)
            if count:
                self.events.labels(operation).inc(count)
        if not result.error:
            self.held.labels(result.athlete).set(len(result.held))
        if result.error:
            self.passes.labels(result.athlete, "failed").inc()
            self.failures.labels(result.error_kind or "unknown").inc()
        else:
            self.passes.labels(result.athlete, "ok").inc()
            self.last_success.labels(result.athlete).set(finished_at)

    def crashed(self, athlete_id: str, seconds: float) -> None:
        self.duration.observe(seconds)
        self.passes.labels(athlete_id, "crashed").inc()
        self.failures.labels("crash").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
