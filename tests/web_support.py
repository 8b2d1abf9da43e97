"""Helpers for the HTTP endpoint's tests: real requests over a local port."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from service.config.load import Config, load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.runner import Daemon
from service.daemon.web import WebServer
from service.store.database import Store
from tests.support import example_workspace


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET; error statuses are answers, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def get_json(url: str) -> tuple[int, dict[str, object]]:
    status, _, body = get(url)
    loaded = json.loads(body)
    assert isinstance(loaded, dict)
    return status, loaded


def wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def example(base: Path, env: dict[str, str] | None = None) -> tuple[Config, Store]:
    """The example workspace in `base`, its config (environment `env` only) and its store."""
    config = load_config(example_workspace(base), env=env or {})
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    return config, store


@contextmanager
def serve(config: Config, state: ServiceState, metrics: Metrics) -> Iterator[str]:
    """The endpoint on a free local port; yields its base URL."""
    web = WebServer(("127.0.0.1", 0), config, state, metrics)
    web.start()
    try:
        host, port = web.address
        yield f"http://{host}:{port}"
    finally:
        web.stop()


@contextmanager
def serving(daemon: Daemon) -> Iterator[str]:
    """The daemon's state, metrics and pages, without its scheduler: nothing beats the
    heartbeat, so /healthz reads "stalled" after a few seconds; only its store part counts
    here (the tests that run the scheduler check the rest)."""
    with serve(daemon.config, daemon.state, daemon.metrics) as base:
        yield base


def steady(athlete_ids: list[str], store: Store) -> ServiceState:
    """A state whose scheduler part cannot go stale within a test, so /healthz follows the
    store alone."""
    return ServiceState(athlete_ids, store, beat_seconds=3600)
