"""A session's FIT workout file served by the HTTP endpoint at the athlete's secret feed
address, /feeds/<athlete>/<token>/workouts/<name>.fit, read with a real HTTP client and
fitdecode; a wrong token, an unknown athlete or a name no session has is a 404."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from scheduler.plan import zone
from service.cli.main import main
from service.config.load import load_config
from service.config.reader import ConfigError
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store import state
from service.store.database import Store
from service.sync.engine import run_pass
from service.views.fit_workout import file_name
from tests.fit_reading import expected_run_steps, read_fit, step_as_read
from tests.support import example_workspace, move_race
from tests.test_edit_rules import edit_in_file, sessions_in
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


def test_with_a_public_url_each_event_links_its_workout_file(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    first = run_pass(store, entry, NOW)
    assert first.error is None
    assert b"Workout for your watch" not in entry.output_ics.read_bytes()
    web = WebServer(
        ("127.0.0.1", 0), loaded, ServiceState(["alex"], store, 3600), Metrics(), clock=_now
    )
    web.start()
    try:
        host, port = web.address
        text = config.read_text().replace(
            "[service]\n", f'[service]\npublic_url = "http://{host}:{port}/"\n', 1
        )
        config.write_text(text)
        linked = load_config(config).athletes[0]
        assert linked.public_url == f"http://{host}:{port}"
        again = run_pass(store, linked, NOW)
        assert again.error is None
        assert again.updated == first.created  # every session has a workout, so a link
        events = list(icalendar.Calendar.from_ical(linked.output_ics.read_bytes()).walk("VEVENT"))
        by_key = {s["key"]: s for s in sessions(config)}
        fetched = 0
        for event in events[:12]:
            description = str(event["DESCRIPTION"])
            line = description.splitlines()[-1]
            assert line.startswith("Workout for your watch (FIT): http://")
            url = line.rsplit(" ", 1)[1]
            status, headers, body = fetch(url)
            assert status == 200, url
            assert headers["Content-Type"] == "application/vnd.ant.fit"
            (workout,) = read_fit(body)["workout"]
            assert str(event["SUMMARY"]) in workout["wkt_name"]
            fetched += 1
        assert fetched
        assert all(file_name(k) in by_key_names(events) for k in by_key)
        # Nothing changed: the next pass writes nothing (the links are stable).
        assert run_pass(store, linked, NOW).updated == 0
    finally:
        web.stop()


def by_key_names(events: list[icalendar.cal.Component]) -> str:
    return "\n".join(str(e["DESCRIPTION"]) for e in events)


def test_a_public_url_that_is_not_an_address_is_one_line_naming_the_key(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    for given, says in (
        ("racecal.example.com", "expected an http(s) URL"),
        ("https://racecal.example.com/?token=1", "without a query or fragment"),
        ("https://me:secret@racecal.example.com", "without a user or password"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_config(config, {"RACECAL_PUBLIC_URL": given})
        message = str(caught.value)
        assert "RACECAL_PUBLIC_URL (service.public_url)" in message
        assert says in message
        assert "secret" not in message
        assert len(message.splitlines()) == 1
    assert (
        load_config(config, {"RACECAL_PUBLIC_URL": "https://r.example.com/"}).athletes[0].public_url
        == "https://r.example.com"
    )


def test_the_workout_link_is_not_the_athletes_text(tmp_path: Path) -> None:
    """A linked event the athlete moved reads "time" changed, not "description" too; a note
    they add below the link is a description change."""
    config = example_workspace(tmp_path)
    text = config.read_text().replace(
        "[service]\n", '[service]\npublic_url = "https://racecal.example.com"\n', 1
    )
    config.write_text(text)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    store.upgrade()
    entry = loaded.athletes[0]
    assert run_pass(store, entry, NOW).error is None
    moved, noted = sorted(k for k in sessions_in(entry) if "/w-" in k)[-3:-1]
    assert "Workout for your watch (FIT): https://racecal.example.com/feeds/alex/" in str(
        sessions_in(entry)[moved]["DESCRIPTION"]
    )

    def later(event: icalendar.Event) -> None:
        start, end = event.start + timedelta(hours=1), event.end + timedelta(hours=1)
        del event["DTSTART"], event["DTEND"]
        event.add("dtstart", start)
        event.add("dtend", end)

    def note(event: icalendar.Event) -> None:
        event["DESCRIPTION"] = str(event["DESCRIPTION"]) + "\n\nFelt heavy legs."

    edit_in_file(entry, moved, later)
    edit_in_file(entry, noted, note)
    assert run_pass(store, entry, NOW).error is None
    edits = state.edits(store, "alex")
    assert edits[moved].changes == ("time",)
    assert edits[noted].changes == ("description",)
