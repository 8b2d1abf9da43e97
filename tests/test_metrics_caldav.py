"""A CalDAV server that rejects the password (Radicale with an htpasswd file) shows in /metrics:
the re-auth gauge and a failure of kind `auth`; liveness has no part for it, as a restart would
not mend a password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.config.load import load_config
from service.daemon.runner import Daemon
from tests.caldav_world import World
from tests.radicale_server import Radicale, start_guarded
from tests.web_support import get, get_json, serving

SECRET = "correct-horse-battery"
ENV = "RACECAL_TEST_METRICS_CALDAV_PASSWORD"


@pytest.fixture
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = start_guarded(tmp_path_factory.mktemp("radicale-metrics"), "alex", SECRET)
    yield server
    server.remove()


def values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_rejected_password_shows_in_metrics(
    guarded: Radicale, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(guarded, tmp_path_factory.mktemp("athlete"), password=SECRET, user="alex")
    monkeypatch.setenv(ENV, SECRET)
    world.config(f'password_env = "{ENV}"')
    config = load_config(world.base / "config.toml", env={})
    daemon = Daemon(config, world.store())
    entry = config.athletes[0]
    with serving(daemon) as base:
        daemon.pass_for(entry)
        first = values(get(base + "/metrics")[2])
        assert first[("racecal_athletes_needing_reauth", ())] == 0
        assert first[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 1

        # The password is changed on the server (a revoked app password, say).
        users = guarded.htpasswd
        assert users is not None
        users.write_text("alex:another-one\n")
        daemon.pass_for(entry)
        rejected = values(get(base + "/metrics")[2])
        assert rejected[("racecal_athletes_needing_reauth", ())] == 1
        assert rejected[("racecal_pass_failures_total", (("kind", "auth"),))] == 1
        assert get_json(base + "/healthz")[1]["store"] == "ok"
        assert SECRET not in get(base + "/metrics")[2]

        users.write_text(f"alex:{SECRET}\n")
        daemon.pass_for(entry)
        healed = values(get(base + "/metrics")[2])
        assert healed[("racecal_athletes_needing_reauth", ())] == 0
        assert healed[("racecal_passes_total", (("athlete", "alex"), ("outcome", "ok")))] == 2
