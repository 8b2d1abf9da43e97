"""The plan page hands a session back to racecal, as `racecal release KEY` does: each of the
athlete's sessions (moved, renamed or deleted in their calendar) has a button; pressing it
releases the session and asks for a pass, and the next pass takes it back into the plan. The
form carries a token only the page knows, so another site cannot post it."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store import state
from service.store.database import Store
from service.sync.engine import run_pass
from tests.test_plan_as_held import NOW, TODAY, edited_world, taken_back
from tests.web_support import get


def post(url: str, fields: dict[str, str]) -> tuple[int, str, str]:
    """(status, final URL, body) of a form POST, redirects followed as a browser would."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode()


def form_for(page: str, key: str) -> dict[str, str]:
    """The hidden fields of the release form of session `key` on the page."""
    forms = re.findall(r"<form method='post' action='([^']+)' class='release'>(.*?)</form>", page)
    for action, inner in forms:
        fields = dict(re.findall(r"name='(\w+)' value='([^']*)'", inner))
        if html.unescape(fields.get("key", "")) == key:
            return {
                "action": html.unescape(action),
                **{k: html.unescape(v) for k, v in fields.items()},
            }
    raise AssertionError(f"no release form for {key}")


def test_the_page_hands_sessions_back(tmp_path: Path) -> None:
    config, moved, gone, _title, _start = edited_world(tmp_path)
    loaded = load_config(config)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    asked: list[str] = []
    web = WebServer(
        ("127.0.0.1", 0),
        loaded,
        ServiceState(["alex"], store, 3600),
        Metrics(),
        released=asked.append,
    )
    web.start()
    try:
        host, port = web.address
        base = f"http://{host}:{port}"
        status, _, page = get(f"{base}/athletes/alex?today={TODAY}")
        assert status == 200
        # Only the athlete's sessions have the button: one moved, one deleted.
        assert page.count("class='release'") == 2
        moved_form, gone_form = form_for(page, moved), form_for(page, gone)
        assert moved_form["action"] == "/athletes/alex/release"

        # Without the page's token (another site's form), nothing is released.
        status, _, body = post(base + "/athletes/alex/release", {"key": moved, "token": "x"})
        assert status == 403
        assert "reload the page" in body
        assert asked == []
        assert post(base + "/athletes/nobody/release", moved_form)[0] == 404
        unknown = {**moved_form, "key": "no/such/key"}
        assert post(base + "/athletes/alex/release", unknown)[0] == 404
        held = {k for k, e in state.edits(store, "alex").items() if e.kind != "released"}
        assert held == {moved, gone}

        for fields in (moved_form, gone_form):
            status, landed, page = post(base + fields.pop("action"), fields)
            assert status == 200
            assert landed.endswith("/athletes/alex")  # back on the page, by a GET
        assert asked == ["alex", "alex"]
    finally:
        web.stop()

    taken_back(store, loaded.athletes[0], moved, gone)
    assert run_pass(store, loaded.athletes[0], NOW).writes == 0
