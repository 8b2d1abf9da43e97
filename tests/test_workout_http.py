"""A session's FIT workout file served by the HTTP endpoint at the athlete's secret feed
address, /feeds/<athlete>/<token>/workouts/<name>.fit, read with a real HTTP client and
fitdecode; a wrong token, an unknown athlete or a name no session has is a 404."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from scheduler.plan import zone
from service.cli.main import main
from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store.database import Store
from service.sync.engine import run_pass
from service.views.fit_workout import file_name
from tests.fit_reading import expected_run_steps, read_fit, step_as_read
from tests.support import example_workspace, move_race
from tests.test_feed import feed_url, fetch
from tests.test_plan_as_held import NOW, TODAY


def _now(tz: str) -> datetime:
    return NOW.astimezone(zone(tz))


def sessions(config: Path) -> list[dict[str, object]]:
    done = CliRunner().invoke(
        main, ["plan", "show", "--config", str(config), "--today", TODAY, "--json"]
    )
    assert done.exit_code == 0, done.output
    found: list[dict[str, object]] = json.loads(done.stdout)["sessions"]
    return found


def test_the_endpoint_serves_each_sessions_workout_at_the_secret_path(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    assert run_pass(store, entry, NOW).error is None
    state = ServiceState(["alex"], store, 3600)
    web = WebServer(("127.0.0.1", 0), loaded, state, Metrics(), clock=_now)
    web.start()
    try:
        host, port = web.address
        base = f"http://{host}:{port}"
        feed = feed_url(config, base, "url").removesuffix(".ics")
        planned = sessions(config)
        run = next(s for s in planned if s["kind"] == "run" and s["type"] == "strides")
        url = f"{feed}/workouts/{file_name(str(run['key']))}"
        status, headers, body = fetch(url)
        assert status == 200
        assert headers["Content-Type"] == "application/vnd.ant.fit"
        assert headers["Content-Disposition"].endswith(f'filename="{file_name(str(run["key"]))}"')
        assert "Content-Encoding" not in headers
        messages = read_fit(body)
        want = expected_run_steps(run["steps"])  # type: ignore[arg-type]
        got = [step_as_read(s, w) for s, w in zip(messages["workout_step"], want, strict=True)]
        assert got == want

        lift = next(s for s in planned if s["kind"] == "strength")
        status, _, body = fetch(f"{feed}/workouts/{file_name(str(lift['key']))}")
        assert status == 200
        assert read_fit(body)["workout"][0]["sub_sport"] == "strength_training"

        token = feed.rsplit("/", 1)[1]
        name = file_name(str(run["key"]))
        for path in (
            f"/feeds/alex/{token[:-1]}x/workouts/{name}",  # one character off
            f"/feeds/nobody/{token}/workouts/{name}",
            f"/feeds/alex/{token}/workouts/{name.removesuffix('.fit')}",
            f"/feeds/alex/{token}/workouts/no-such-session-0000.fit",
            f"/feeds/alex/{token}/workouts/../../../var/racecal.db",
            f"/feeds/alex/{token}/other/{name}",
        ):
            status, _, body = fetch(base + path)
            assert status == 404, path
            assert b".FIT" not in body, path

        # The race moves: the same name answers with the session's new day.
        move_race(entry, "Hamburg Marathon [A]", 7)
        moved = next(s for s in sessions(config) if s["key"] == run["key"])
        assert moved["start"] != run["start"]
        status, _, body = fetch(url)
        assert status == 200
        start = datetime.fromisoformat(str(moved["start"]))
        assert read_fit(body)["workout"][0]["wkt_name"].startswith(f"{start:%a %d %b}")
    finally:
        web.stop()
