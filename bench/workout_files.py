"""Workout files: what encoding a plan's sessions as FIT costs, and what one request for a
workout file costs the HTTP endpoint (it plans as the page does, then encodes one session).

Prints milliseconds per file (median, p95), bytes per file, and the median milliseconds of a
workout request against the example config. Usage: python bench/workout_files.py [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from scheduler.plan import zone
from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store import feeds
from service.store.database import Store
from service.views.fit_workout import file_name, fit_workout, has_workout
from service.views.held import held_plan

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=zone("Europe/Berlin"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shutil.copy(ROOT / "config.example.toml", base / "config.toml")
        shutil.copytree(ROOT / "examples", base / "examples")
        loaded = load_config(base / "config.toml")
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        store.upgrade()
        entry = loaded.athletes[0]
        sessions = [s for s in held_plan(entry, store, NOW, None).plan.sessions if has_workout(s)]
        encode, sizes = [], []
        for _ in range(rounds):
            for s in sessions:
                started = time.perf_counter()
                sizes.append(len(fit_workout(s, entry.athlete.units)))
                encode.append((time.perf_counter() - started) * 1000)
        encode.sort()
        print(f"sessions with a workout: {len(sessions)}")
        print(
            f"encode: median {statistics.median(encode):.2f} ms, "
            f"p95 {encode[int(len(encode) * 0.95)]:.2f} ms per file; "
            f"{statistics.mean(sizes):.0f} bytes on average, {max(sizes)} at most"
        )
        state = ServiceState([entry.athlete.id], store, 3600)
        web = WebServer(("127.0.0.1", 0), loaded, state, Metrics(), clock=lambda tz: NOW)
        web.start()
        try:
            host, port = web.address
            token = feeds.token(store, entry.athlete.id, NOW)
            path = feeds.workouts_path(entry.athlete.id, token) + file_name(sessions[0].key)
            served = []
            for _ in range(rounds):
                started = time.perf_counter()
                with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=30) as r:
                    r.read()
                served.append((time.perf_counter() - started) * 1000)
            print(f"request for one workout file: median {statistics.median(served):.0f} ms")
        finally:
            web.stop()


if __name__ == "__main__":
    main()
