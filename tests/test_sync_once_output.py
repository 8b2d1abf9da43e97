"""`racecal sync --once` reports each athlete as soon as its pass ends: a log or a script
watching the output sees the first athletes while a slow one is still running, and a process
killed half way has already said which passes were done."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.held_feed import HeldFeed, serving
from tests.support import example_workspace, second_athlete

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def held_feed() -> Iterator[str]:
    with serving() as url:
        yield url


def read_line(process: subprocess.Popen[str], seconds: float) -> str | None:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(seconds):
            return None
    return process.stdout.readline()


def test_each_athlete_is_reported_when_its_pass_ends(tmp_path: Path, held_feed: str) -> None:
    config = example_workspace(tmp_path)
    config.write_text(config.read_text() + second_athlete(held_feed))
    command = [sys.executable, "-m", "service.cli", "sync", "--once", "--config", str(config),
               "--now", "2027-01-11T05:00:00+01:00"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            # Well inside the 20 s a feed gets before racecal gives up on it.
            first = read_line(process, 15)
            still_running = process.poll() is None
        finally:
            HeldFeed.release.set()
        rest = process.communicate(timeout=60)[0]
    assert first is not None, "nothing was reported while blake's feed was held"
    assert first.startswith("racecal: alex: "), first
    assert still_running
    assert rest.startswith("racecal: blake: "), rest
    assert process.returncode == 0
