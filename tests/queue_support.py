"""Real `racecal worker` processes for the queue tests, and the round as the store holds it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from service.store.database import Store
from tests.support import ROOT

GOOGLE_ATHLETE = """
[[athletes]]
id = "{id}"
timezone = "Europe/Berlin"
run_days = ["mon", "tue", "thu", "sat", "sun"]
long_run_day = "sun"
weekly_km = 45
easy_pace = "5:45"
plan_weeks = {weeks}
[athletes.google]
races = ["primary"]
busy = ["primary"]
training = "Training"
token_file = "tokens/{id}.json"
retry_seconds = {retry}
"""


def google_athlete(athlete_id: str, weeks: int = 16, retry_seconds: int = 1) -> str:
    """A Google athlete's table for a config, with the token `tokens/ATHLETE.json`."""
    return GOOGLE_ATHLETE.format(id=athlete_id, weeks=weeks, retry=retry_seconds)


def racecal(*args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", *args]


def workers(config: Path, logs: list[Path], concurrency: int) -> list[subprocess.Popen[bytes]]:
    """One real `racecal worker` process per log (its stderr), in the config's folder."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen(
            racecal("worker", "--config", str(config), "--concurrency", str(concurrency)),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            env=env,
            cwd=config.parent,
        )
        for log in logs
    ]


def rows(store: Store) -> dict[str, tuple[int, int]]:
    """Each athlete's (change_seq, synced_seq)."""
    with store.engine.connect() as c:
        found = c.execute(text("SELECT athlete_id, change_seq, synced_seq FROM sync_rows"))
        return {str(r[0]): (int(r[1]), int(r[2])) for r in found}


def wait(what: str, done: Callable[[], bool], seconds: float = 40.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
