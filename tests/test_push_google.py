"""Push notifications through the whole daemon (`racecal run` as a process): channels opened on
the race and training calendars after the first pass, a notification with a wrong or missing
token refused, the server's own notification of a moved race answered by a pass within about a
second (with a one-hour poll interval), and the channels stopped on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import free_port
from tests.web_support import wait_for


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def post(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_notification_triggers_a_pass_and_a_forged_one_is_refused(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/google/notify"
    world = GoogleWorld(fake, tmp_path)
    world.config(service=f'http = "127.0.0.1:{port}"', google=f'webhook_url = "{hook}"')
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "run", "--config", "config.toml", "--interval", "60"],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: len(fake.channels()) >= 2, 30), "no channels were opened"
        channel = fake.channels()[0]
        assert channel.address == hook
        assert post(hook, {"X-Goog-Channel-ID": channel.id}) == 403
        assert post(hook, {"X-Goog-Channel-ID": channel.id, "X-Goog-Channel-Token": "x"}) == 403
        forged = {"X-Goog-Channel-ID": "not-ours", "X-Goog-Channel-Token": channel.token or ""}
        assert post(hook, forged) == 403
        before = {k: s["start"]["dateTime"] for k, s in world.sessions().items()}
        world.move_race("Hamburg Marathon [A]", days=7)  # the server notifies the daemon
        moved_at = time.monotonic()
        assert wait_for(lambda: _moved(world, before), 10), "no pass followed the notification"
        latency = time.monotonic() - moved_at
        print(f"notification to written pass: {latency * 1000:.0f} ms")
        assert latency < 3, f"the pass came {latency:.1f} s after the notification"
        assert all(status for _a, _h, status in fake.notifications)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert fake.channels() == []  # stopped on the way out
    assert channel.token not in output


def _moved(world: GoogleWorld, before: dict[str, str]) -> bool:
    now = {k: s["start"]["dateTime"] for k, s in world.sessions().items()}
    return now != before


def test_channels_are_renewed_a_day_before_they_expire(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    from dataclasses import replace  # noqa: PLC0415
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from service.calendars import AthleteCalendars  # noqa: PLC0415
    from service.daemon.push import Push  # noqa: PLC0415

    world = GoogleWorld(fake, tmp_path)
    entry = world.config()
    calendars = AthleteCalendars(entry, store=world.store())
    [primary] = calendars.watched()  # the race and busy calendar; no training calendar yet
    triggered: list[str] = []
    push = Push("http://127.0.0.1:9/google/notify", triggered.append)
    push.ensure("alex", [primary])
    first = {c.id for c in fake.channels()}
    assert len(first) == 1
    push.ensure("alex", [primary])
    assert {c.id for c in fake.channels()} == first  # far from expiry: kept
    [channel] = push.channels()
    soon = replace(channel, expires=datetime.now(UTC) + timedelta(hours=2))
    push._channels[channel.id] = soon
    push.ensure("alex", [primary])
    renewed = {c.id for c in fake.channels()}
    assert len(renewed) == 1
    assert renewed != first  # a new one opened, the old one stopped at the server
    headers = {"X-Goog-Channel-ID": next(iter(renewed)), "X-Goog-Resource-State": "exists"}
    assert push.notify({**headers, "X-Goog-Channel-Token": push.channels()[0].token}) == 200
    assert triggered == ["alex"]
    push.stop_all()
    assert fake.channels() == []


def test_the_channel_on_a_deleted_training_calendar_is_stopped_when_it_is_made_again(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    """The daemon's passes, without its process: after the training calendar is re-created,
    the channel on the deleted one is stopped at once, not left open until shutdown."""
    from service.config.load import load_config  # noqa: PLC0415
    from service.daemon.runner import Daemon  # noqa: PLC0415

    world = GoogleWorld(fake, tmp_path)
    hook = "http://127.0.0.1:9/google/notify"  # nothing listens: notifications just fail
    world.config(service='http = "127.0.0.1:0"', google=f'webhook_url = "{hook}"')
    config = load_config(tmp_path / "config.toml")
    daemon = Daemon(config, world.store())
    assert daemon.push is not None
    entry = config.athletes[0]
    daemon.pass_for(entry)
    old = world.training_id()
    assert {c.calendar_id for c in daemon.push.channels()} == {"primary", old}
    fake.delete_calendar(old, user=world.user)
    stops = sum(e.path.endswith("/channels/stop") for e in fake.log)
    daemon.pass_for(entry)
    new = world.training_id()
    assert new != old
    assert {c.calendar_id for c in daemon.push.channels()} == {"primary", new}
    assert sum(e.path.endswith("/channels/stop") for e in fake.log) == stops + 1
    daemon.push.stop_all()
    assert fake.channels() == []


def test_a_restarted_daemon_takes_its_channels_up_again_or_stops_them(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    """A daemon killed without stopping its channels: the next one accepts their notifications
    at once, reuses each one far from its end after the athlete's first pass (no new watch),
    and stops at the server one close to its end and one on a calendar no longer followed;
    none is left open when the last one stops."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    from sqlalchemy import update  # noqa: PLC0415

    from service.config.load import load_config  # noqa: PLC0415
    from service.daemon.runner import Daemon  # noqa: PLC0415
    from service.store import cursors  # noqa: PLC0415
    from service.store.models import PushChannel  # noqa: PLC0415

    world = GoogleWorld(fake, tmp_path)
    hook = "http://127.0.0.1:9/google/notify"  # nothing listens: notifications just fail
    world.config(service='http = "127.0.0.1:0"', google=f'webhook_url = "{hook}"')
    config = load_config(tmp_path / "config.toml")
    entry = config.athletes[0]
    store = world.store()
    killed = Daemon(config, store)
    killed.pass_for(entry)
    opened = {c.id: c for c in fake.channels()}
    assert len(opened) == 2
    assert {c.id for c in cursors.channels(store)} == set(opened)

    def watches() -> int:
        return sum(e.path.endswith("/events/watch") for e in fake.log)

    restarted = Daemon(config, store)
    assert restarted.push is not None
    one = next(iter(opened.values()))
    notice = {"X-Goog-Channel-ID": one.id, "X-Goog-Resource-State": "exists"}
    assert restarted.push.notify({**notice, "X-Goog-Channel-Token": one.token or ""}) == 200
    assert restarted.push.notify({**notice, "X-Goog-Channel-Token": "forged"}) == 403
    before = watches()
    restarted.pass_for(entry)
    assert watches() == before  # both taken up again
    assert {c.id for c in fake.channels()} == set(opened)

    # Killed again; meanwhile one channel is a day from its end and the other follows a
    # calendar the athlete no longer has.
    first, second = sorted(opened)
    with store.session() as s, s.begin():
        soon = datetime.now(UTC) + timedelta(hours=2)
        s.execute(update(PushChannel).where(PushChannel.id == first).values(expires=soon))
        s.execute(update(PushChannel).where(PushChannel.id == second).values(calendar_id="deleted"))
    third = Daemon(config, store)
    assert third.push is not None
    third.pass_for(entry)
    now_open = {c.id for c in fake.channels()}
    assert not now_open & {first, second}  # both stopped at the server
    assert len(now_open) == 2
    assert {c.id for c in cursors.channels(store)} == now_open
    third.push.stop_all()
    assert fake.channels() == []
    assert cursors.channels(store) == []
