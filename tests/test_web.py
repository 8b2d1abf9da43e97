"""The HTTP endpoint over real HTTP: `racecal run` as a process, and the daemon's pieces
in-process with a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from service.cli.main import main
from service.config.load import load_config
from service.daemon.metrics import Metrics
from service.daemon.runner import Daemon
from service.store.database import Store
from tests.support import example_workspace
from tests.web_support import example, get, get_json, serve, serving, steady, wait_for

RACECAL = Path(sys.executable).parent / "racecal"
ROOT = Path(__file__).resolve().parent.parent
TODAY = "2027-01-11"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer by (name, sorted labels); raises if it does not parse."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def cli_plan(config: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    """`plan show --json`; `env` as the service had it (both read the same store)."""
    shown = CliRunner().invoke(
        main, ["plan", "show", "--json", "--config", str(config), "--today", TODAY], env=env
    )
    assert shown.exit_code == 0, shown.stderr
    loaded = json.loads(shown.stdout)
    assert isinstance(loaded, dict)
    return loaded


class Reader(threading.Thread):
    """Collects a process's output lines as they come, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.lines: list[str] = []

    def run(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def find(self, pattern: str) -> re.Match[str] | None:
        return next((m for line in self.lines if (m := re.search(pattern, line))), None)


def test_run_serves_health_metrics_and_the_plan_page(tmp_path: Path) -> None:
    config = example_workspace(tmp_path / "etc")
    state = tmp_path / "state"
    state.mkdir()
    env = {
        **os.environ,
        "RACECAL_HTTP": "127.0.0.1:0",
        "RACECAL_DATABASE_URL": f"sqlite:///{state / 'racecal.db'}",
    }
    process = subprocess.Popen(
        [str(RACECAL), "run", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reader = Reader(process)
    reader.start()
    try:
        assert wait_for(lambda: reader.find(r"http on (http://[\d.]+:\d+)/") is not None, 30)
        found = reader.find(r"http on (http://[\d.]+:\d+)/")
        assert found is not None
        base = found[1]
        assert wait_for(lambda: get(base + "/readyz")[0] == 200, 30)
        status, health = get_json(base + "/healthz")
        assert (status, health["status"]) == (200, "ok")

        status, content_type, text = get(base + "/metrics")
        assert status == 200
        assert content_type == CONTENT_TYPE_LATEST
        assert content_type.startswith("text/plain")
        values = samples(text)
        written = icalendar.Calendar.from_ical((tmp_path / "etc/var/training.ics").read_bytes())
        events = len(written.walk("VEVENT"))
        assert events > 60
        assert values[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 1
        assert values[("racecal_passes_total", (("athlete", "alex"), ("outcome", "failed")))] == 0
        assert values[("racecal_events_written_total", (("operation", "created"),))] == events
        assert values[("racecal_events_written_total", (("operation", "deleted"),))] == 0
        assert values[("racecal_pass_duration_seconds_count", ())] == 1
        assert values[("racecal_athletes_needing_reauth", ())] == 0
        last = values[("racecal_last_success_timestamp_seconds", (("athlete", "alex"),))]
        assert abs(time.time() - last) < 60

        status, content_type, page = get(base + f"/athletes/alex?today={TODAY}")
        assert (status, content_type) == (200, "text/html; charset=utf-8")
        plan = cli_plan(config, {"RACECAL_DATABASE_URL": env["RACECAL_DATABASE_URL"]})
        sessions = plan["sessions"]
        assert isinstance(sessions, list)
        assert len(sessions) > 60
        for session in sessions:
            assert f"data-key='{session['key']}'" in page
        for race in ("Hamburg Marathon", "Berliner Halbmarathon", "Parkrun 5K"):
            assert race in page
        embedded = re.search(r"<script type='application/json' id='plan-json'>(.*?)</script>", page)
        assert embedded is not None
        assert json.loads(embedded[1]) == plan
        assert get(base + f"/?athlete=alex&today={TODAY}")[2] == page

        # The store's folder goes away (an unmounted volume): liveness must say so.
        shutil.rmtree(state)
        status, health = get_json(base + "/healthz")
        assert status == 503
        assert str(health["store"]).startswith("unreachable: ")
        assert health["scheduler"] == "ok"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(timeout=10)
    log = "".join(reader.lines)
    assert "Traceback" not in log
    # Event contents stay out of the log at INFO: no session or race titles.
    for private in ("Hamburg", "Strength A", "Easy run", "Parkrun"):
        assert private not in log


def test_readiness_waits_for_every_athletes_first_pass(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    daemon = Daemon(config, store)
    with serving(daemon) as base:
        assert get_json(base + "/readyz") == (503, {"status": "starting", "waiting_for": ["alex"]})
        values = samples(get(base + "/metrics")[2])
        assert values[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 0
        daemon.pass_for(config.athletes[0])
        assert get_json(base + "/readyz") == (200, {"status": "ready", "waiting_for": []})
        values = samples(get(base + "/metrics")[2])
        assert values[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 1
        # A second pass with nothing changed writes nothing and counts as a pass.
        daemon.pass_for(config.athletes[0])
        again = samples(get(base + "/metrics")[2])
        assert again[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 2
        created = ("racecal_events_written_total", (("operation", "created"),))
        assert again[created] == values[created]
        assert again[("racecal_pass_duration_seconds_count", ())] == 2


def test_a_failed_pass_is_counted_by_kind_and_still_makes_ready(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    races = config.athletes[0].race_ics[0]
    races.write_text("BEGIN:VCALENDAR\nthis is broken", encoding="utf-8")
    daemon = Daemon(config, store)
    with serving(daemon) as base:
        daemon.pass_for(config.athletes[0])
        assert get_json(base + "/readyz")[0] == 200
        values = samples(get(base + "/metrics")[2])
        assert values[("racecal_passes_total", (("athlete", "alex"), ("outcome", "failed")))] == 1
        assert values[("racecal_pass_failures_total", (("kind", "source"),))] == 1
        assert ("racecal_last_success_timestamp_seconds", (("athlete", "alex"),)) not in values
        # A broken source is not a reason to restart the service: liveness has no pass part.
        assert set(get_json(base + "/healthz")[1]) == {"status", "scheduler", "store"}
        assert get_json(base + "/healthz")[1]["store"] == "ok"


def test_a_stalled_scheduler_fails_liveness(tmp_path: Path) -> None:
    config, store = example(tmp_path, env={"RACECAL_HTTP": "127.0.0.1:0"})
    daemon = Daemon(config, store, interval_minutes=60)
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    try:
        assert wait_for(lambda: daemon.web is not None, 30)
        assert daemon.web is not None
        host, port = daemon.web.address
        base = f"http://{host}:{port}"
        assert wait_for(lambda: get(base + "/readyz")[0] == 200, 30)
        assert get_json(base + "/healthz")[0] == 200
        daemon.scheduler.pause()
        paused = time.monotonic()
        assert wait_for(lambda: get(base + "/healthz")[0] == 503, 10)
        # Not before three watcher intervals have gone by without a run.
        assert time.monotonic() - paused >= daemon.state.stall_after - 1.0
        status, health = get_json(base + "/healthz")
        assert status == 503
        assert str(health["scheduler"]).startswith("stalled: no job for ")
        assert health["store"] == "ok"
        daemon.scheduler.resume()
        assert wait_for(lambda: get(base + "/healthz")[0] == 200, 10)
    finally:
        daemon.stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    # The endpoint closes with the daemon.
    with pytest.raises(urllib.error.URLError, match="refused"):
        get(base + "/healthz")


def test_postgresql_going_away_fails_liveness(tmp_path: Path, pg_url: str) -> None:
    config, _ = example(tmp_path)
    store = Store.open(pg_url)
    store.upgrade()
    try:
        with serve(config, steady(["alex"], store), Metrics()) as base:
            assert get_json(base + "/healthz") == (
                200,
                {"scheduler": "ok", "status": "ok", "store": "ok"},
            )
            admin = Store.open(pg_url.rsplit("/", 1)[0] + "/test").engine
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE "{pg_url.rsplit("/", 1)[1]}" WITH (FORCE)'
                )
            admin.dispose()
            status, health = get_json(base + "/healthz")
            assert status == 503
            assert health["scheduler"] == "ok"
            assert str(health["store"]).startswith("unreachable: postgresql+psycopg://")
    finally:
        store.engine.dispose()


def test_page_routes_and_errors(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    with serving(Daemon(config, store)) as base:
        status, _, index = get(base + "/")
        assert status == 200
        assert "href='/athletes/alex'" in index
        assert get(base + "/athletes/nobody")[0] == 404
        assert get(base + "/?athlete=nobody")[0] == 404
        assert get(base + "/nothing-here")[0] == 404
        status, _, body = get(base + "/athletes/alex?today=tomorrow")
        assert status == 400
        assert "today: expected YYYY-MM-DD" in body
        assert get(base + "/athletes/alex?weeks=500")[0] == 400
        status, _, body = get(base + f"/athletes/alex?today={TODAY}&weeks=2")
        assert status == 200
        assert body.count("<section class='week'") == 2


def test_page_escapes_calendar_text_and_hides_secret_urls(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    races = config.athletes[0].race_ics[0]
    races.write_text(
        races.read_text(encoding="utf-8").replace(
            "Hamburg Marathon [A]", "<b onmouseover=x>Hamburg</b> & Co Marathon [A]"
        ),
        encoding="utf-8",
    )
    with serving(Daemon(config, store)) as base:
        status, _, page = get(base + f"/athletes/alex?today={TODAY}")
        assert status == 200
        assert "<b onmouseover" not in page
        assert "&lt;b onmouseover=x&gt;Hamburg&lt;/b&gt; &amp; Co Marathon" in page

    # A race feed's secret address, unreachable: the page says so by host only.
    config_path = config.path
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace(
            'ics = ["examples/races.ics"]',
            'ics = ["examples/races.ics", "http://127.0.0.1:9/feeds/s3cr3t-token/basic.ics"]',
        ),
        encoding="utf-8",
    )
    config = load_config(config_path, env={})
    with serving(Daemon(config, store)) as base:
        status, _, page = get(base + f"/athletes/alex?today={TODAY}")
        # No pass ever made a plan: the page (not an error) says what is wrong.
        assert status == 200
        assert "No plan yet" in page
        assert "http://127.0.0.1/...: cannot be fetched" in page
        assert "s3cr3t" not in page


def test_every_session_explains_itself_on_hover_and_click(tmp_path: Path) -> None:
    config, store = example(tmp_path)
    with serving(Daemon(config, store)) as base:
        page = get(base + f"/athletes/alex?today={TODAY}")[2]
    runner = CliRunner()
    shown = cli_plan(config.path)
    # The first six weeks: one `plan explain` run per session is the slow part.
    sessions = [s for s in shown["sessions"] if s["week"] < "2027-02-22"]
    assert len(sessions) > 20
    for session in sessions:
        text = runner.invoke(
            main,
            ["plan", "explain", session["key"], "--config", str(config.path), "--today", TODAY],
        ).stdout.rstrip("\n")
        # The edit rules close every explanation; the page says them once, below the grid.
        text, rules = text.split("\n\nYour edits: ")
        assert f"Your edits: {rules}" in html.unescape(page)
        block = re.search(
            rf"<details class='s \w+' data-key='{re.escape(html.escape(session['key']))}'"
            r"[^>]* title='([^']*)'[^>]*><summary>[^<]*(?:<span[^>]*>[^<]*</span>)?</summary>"
            r"<pre>([^<]*)</pre></details>",
            page,
        )
        assert block is not None, session["key"]
        assert html.unescape(block[2]) == text
        hover = html.unescape(block[1])
        assert text.startswith(hover)
        assert "Day and time:" in hover
        assert "Session:" not in hover


def test_slow_passes_filling_the_pool_do_not_read_as_a_stall(tmp_path: Path) -> None:
    """Eleven athletes whose race feed answers after 5 s occupy every pass thread; the watcher
    still beats, so liveness stays green while they wait."""
    races = (ROOT / "examples" / "races.ics").read_bytes()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(5)
            self.send_response(200)
            self.send_header("Content-Length", str(len(races)))
            self.end_headers()
            self.wfile.write(races)

        def log_message(self, format: str, *args: object) -> None:
            pass

    feed = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    feed.daemon_threads = True
    threading.Thread(target=feed.serve_forever, daemon=True).start()
    path = example_workspace(tmp_path)
    text = path.read_text(encoding="utf-8")
    head, athlete = text[: text.index("[[athletes]]")], text[text.index("[[athletes]]") :]
    athlete = athlete.replace(
        'ics = ["examples/races.ics"]', f'ics = ["http://127.0.0.1:{feed.server_port}/r.ics"]'
    )
    # Each athlete writes a file of its own (sharing one, they take turns writing it).
    path.write_text(
        head
        + "".join(
            athlete.replace('id = "alex"', f'id = "a{i}"').replace(
                'ics = "var/training.ics"', f'ics = "var/a{i}-training.ics"'
            )
            for i in range(11)
        ),
        encoding="utf-8",
    )
    config = load_config(path, env={"RACECAL_HTTP": "127.0.0.1:0"})
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    daemon = Daemon(config, store, interval_minutes=60)
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    try:
        assert wait_for(lambda: daemon.web is not None, 30)
        assert daemon.web is not None
        host, port = daemon.web.address
        base = f"http://{host}:{port}"
        started = time.monotonic()
        while time.monotonic() - started < 4.5:
            assert get(base + "/readyz")[0] == 503
            assert get(base + "/healthz")[0] == 200
            time.sleep(0.25)
        # Eleven first passes (each plans and writes a whole block) share two cores: how long
        # they take is the machine's business; that readiness comes after them is the test's.
        assert wait_for(lambda: get(base + "/readyz")[0] == 200, 120)
    finally:
        daemon.stop.set()
        runner.join(timeout=30)
        feed.shutdown()
        feed.server_close()
