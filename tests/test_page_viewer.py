"""An athlete sees only their own page: over real HTTP with the admin login set, the page an
athlete opens with their own link names no other athlete anywhere in its HTML (navigation,
titles, the embedded plan JSON), and the admin's copy of the same page lists them all."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from service.config.load import load_config
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.web import WebServer
from service.store import feeds
from service.store.database import Store
from tests.support import example_workspace, second_athlete
from tests.test_connect_google import ADMIN, fetch, private

OTHERS = ("blake", "cyrille")


def test_an_athletes_own_page_names_no_other_athlete_and_the_admins_names_all(
    tmp_path: Path,
) -> None:
    token_file = private(tmp_path / "admin.token", ADMIN)
    path = example_workspace(tmp_path / "ws")
    text = path.read_text()
    for other in OTHERS:
        text += second_athlete("examples/races.ics").replace("blake", other)
    path.write_text(text)
    config = load_config(path, {"RACECAL_ADMIN_TOKEN_FILE": str(token_file)})
    assert [a.athlete.id for a in config.athletes] == ["alex", *OTHERS]
    store = Store.open(config.service.database_url, config.state_dir)
    store.upgrade()
    web = WebServer(("127.0.0.1", 0), config, ServiceState(["alex"], store, 3600), Metrics())
    web.start()
    try:
        base = "http://{}:{}".format(*web.address)
        for athlete in ("alex", *OTHERS):
            feeds.token(store, athlete, datetime.now(UTC))
        own = feeds.token(store, "alex", datetime.now(UTC))
        _, headers, _ = fetch(base, f"/athletes/alex?token={own}")
        cookie = {"Cookie": headers["set-cookie"].split(";")[0]}
        for target in ("/athletes/alex", "/athletes/alex?today=2027-01-11&weeks=4"):
            status, _, body = fetch(base, target, cookie)
            assert status == 200, body
            assert "Training plan: alex" in body
            assert "id='plan-json'" in body
            for other in OTHERS:
                assert other not in body, (target, other)
            # The list of every athlete is the admin's: no link to it either.
            assert "href='/'" not in body

        admin = base64.b64encode(f"admin:{ADMIN}".encode()).decode()
        for given in (f"Bearer {ADMIN}", f"Basic {admin}"):
            status, _, body = fetch(base, "/athletes/alex", {"Authorization": given, **cookie})
            assert status == 200
            for other in OTHERS:
                assert f"href='/athletes/{other}'" in body
            assert "href='/'" in body
    finally:
        web.stop()
        store.engine.dispose()
