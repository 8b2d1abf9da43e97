"""`racecal doctor`: every check a person would make before trusting the service, each one line
saying what is fine and what to fix. Nothing is written to any calendar."""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
from collections.abc import Generator, Iterator, Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from connectors.base import CalendarError, IcsError, NotFound, SourceError
from connectors.registry import Context, open_account
from scheduler.busy import busy_from
from scheduler.plan import zone
from scheduler.races import races_in
from service.calendars import AthleteCalendars, training_elsewhere, training_target
from service.cli.checks import Check
from service.cli.doctor_web import onboarding
from service.cli.looking import everyone
from service.config.load import CONFIG_HELP, AthleteConfig, Config
from service.planning import read_busy_checked, read_races, read_runs
from service.store import status as store_status
from service.store.database import Store, StoreError

# Seconds one request to a calendar server may spend on retries during doctor.
RETRY_SECONDS = 2.0


def diagnose(config: Config, env: Mapping[str, str] | None = None) -> Iterator[Check]:
    """`env` defaults to the process environment (the variables the config names)."""
    yield Check("ok", "config", f"{config.path} loads ({len(config.athletes)} athlete(s))")
    yield from onboarding(config, os.environ if env is None else env)
    store = yield from _store(config)
    now = datetime.now(UTC)
    for entry in config.athletes:
        yield from _athlete(entry, store, now)


def _store(config: Config) -> Generator[Check, None, Store | None]:
    url = config.service.database_url
    try:
        store = Store.open(url, config.state_dir)
        database = store.engine.url.database or ""
        if store.engine.dialect.name == "sqlite" and not Path(database).exists():
            yield Check(
                "warn", "store", f"{database} does not exist yet; racecal db upgrade creates it"
            )
            return None
        problem = store.ping()
        if problem:
            yield Check("fail", "store", problem)
            return None
        current, head = store.revision(), store.head()
    except (StoreError, OSError) as exc:
        yield Check("fail", "store", str(exc))
        return None
    except Exception as exc:  # the driver's own errors; say which and move on
        yield Check("fail", "store", f"cannot connect ({type(exc).__name__}); check database_url")
        return None
    where = store.engine.url.render_as_string(hide_password=True)
    if current != head:
        yield Check("warn", "store", f"{where} is at {current}, not {head}: run racecal db upgrade")
    else:
        yield Check("ok", "store", f"{where} answers, schema {head}")
    return store


def _athlete(entry: AthleteConfig, store: Store | None, now: datetime) -> Iterator[Check]:
    name = f"athlete {entry.athlete.id}"
    tz = zone(entry.athlete.timezone)
    start, end = now.astimezone(tz), now.astimezone(tz) + timedelta(weeks=entry.plan_weeks + 2)
    for path in entry.race_ics:
        try:
            read = read_races(path, tz, (entry.life_markers, entry.life_categories))
        except IcsError as exc:
            yield Check("fail", name, str(exc))
            continue
        status = "warn" if read.problems else "ok"
        detail = read.problems[0] if read.problems else f"{len(read.races)} race(s)"
        yield Check(status, name, f"{path}: {detail}" if not read.problems else detail)
    for path in entry.busy_ics:
        try:
            marks = (entry.life_markers, entry.life_categories)
            busy, problems = read_busy_checked(path, tz, start, end, marks)
        except IcsError as exc:
            yield Check("fail", name, str(exc))
            continue
        if problems:
            # Events left out of busy time (malformed, a rule that cannot be expanded): what
            # a pass skips, named by line and UID, so the athlete can mend them.
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            yield Check("warn", name, problems[0] + more)
            continue
        yield Check("ok", name, f"{path}: {len(busy)} busy interval(s) ahead")
    for path in entry.runs_ics:
        try:
            runs = read_runs(path, tz, start, end)
        except IcsError as exc:
            yield Check("fail", name, str(exc))
            continue
        yield Check("ok", name, f"{path}: {len(runs)} run(s) from another app ahead (R6)")
    feeds = [("races", u) for u in entry.race_urls] + [("busy", u) for u in entry.busy_urls]
    feeds += [("runs", u) for u in entry.runs_urls]
    for kind, url in feeds:
        yield _feed(entry, name, kind, url, (start, end))
    yield from _remote(entry, name, start, end)
    yield from _output(entry, name)
    if store is not None:
        yield from _history(entry, name, store, now)


def _feed(
    entry: AthleteConfig, name: str, kind: str, url: str, window: tuple[datetime, datetime]
) -> Check:
    """Fetched and parsed as a pass does: a feed that answers 200 with a login page is not ok.
    Messages show the URL's host only (its path holds the secret), never the cache file."""
    tz = zone(entry.athlete.timezone)
    key = {"races": "race_urls", "busy": "busy_urls", "runs": "runs_urls"}[kind]
    account = open_account("ics", {key: [url], "cache_dir": entry.cache_dir}, _context(entry))
    [source] = account.sources(kind)
    try:
        found = source.changes(None)
        if kind == "races":
            count = f"{len(races_in(found.events, found.problems, tz).races)} race(s)"
        elif kind == "runs":
            count = f"{len(source.events(*window))} run(s) from another app ahead (R6)"
        else:
            count = f"{len(busy_from(source.events(*window), tz))} busy interval(s) ahead"
    except IcsError as exc:
        if exc.unparsable:
            return Check("fail", name, f"{source.name} ({kind}): not iCalendar ({exc.reason})")
        return Check("fail", name, f"{source.name} ({kind}): {exc.reason}")
    warnings = [p.line for p in found.problems if p.title is None]
    if warnings:
        return Check("warn", name, warnings[0])
    return Check("ok", name, f"{source.name} ({kind}): {count}")


def _context(entry: AthleteConfig) -> Context:
    """Doctor only looks (a training calendar is never made) and wants answers in seconds: a
    pass may keep retrying a server for a minute."""
    return Context(
        entry.athlete.id, entry.athlete.timezone, create=False, retry_seconds=RETRY_SECONDS
    )


def _remote(entry: AthleteConfig, name: str, start: datetime, end: datetime) -> Iterator[Check]:
    """Reads races and busy time as a pass would, but only reads: the training calendar is
    looked up, never created (a pass creates it; doctor run twice must not make two)."""
    if not entry.calendars:
        return
    calendars = AthleteCalendars(
        entry, create=False, retry_seconds=RETRY_SECONDS, only=tuple(entry.calendars)
    )
    try:
        read = calendars.read(zone(entry.athlete.timezone), start, end)
    except (CalendarError, SourceError) as exc:
        yield Check("fail", name, str(exc))
        return
    finally:
        calendars.close()
    yield Check(
        "ok",
        name,
        f"calendars answer: {len(read.races)} race(s), {len(read.busy)} busy interval(s); "
        f"sessions go to {training_target(entry)}",
    )
    caldav = entry.calendars.get("caldav")
    if caldav is not None and caldav.get("training") is not None:
        yield _caldav_training(entry, caldav, name)
    google = entry.calendars.get("google")
    if google is not None and google.get("service_account_file") is None:
        yield from _scopes(google, name)


def _caldav_training(entry: AthleteConfig, config: Mapping[str, Any], name: str) -> Check:
    account = open_account("caldav", config, _context(entry))
    training = config["training"]
    try:
        account.training()
    except NotFound as exc:
        if config.get("create_training", True):
            return Check(
                "ok", name, f"training calendar '{training}' will be made by the first pass"
            )
        return Check("fail", name, f"{exc}; create it or set caldav.create_training = true")
    except (CalendarError, SourceError) as exc:
        return Check("fail", name, str(exc))
    finally:
        account.close()
    return Check("ok", name, f"training calendar '{training}' exists")


def _scopes(google: Mapping[str, Any], name: str) -> Iterator[Check]:
    import json  # noqa: PLC0415

    from connectors.google import SCOPES  # noqa: PLC0415 - the `google` extra

    try:
        granted = json.loads(Path(google["token_file"]).read_text(encoding="utf-8")).get("scopes")
    except (OSError, ValueError):
        return
    missing = [s for s in SCOPES if granted is not None and s not in granted]
    if missing:
        yield Check(
            "fail",
            name,
            f"the Google token lacks {', '.join(missing)}; run racecal auth google again",
        )


def _output(entry: AthleteConfig, name: str) -> Iterator[Check]:
    """Writable means a real write worked: permission bits say nothing when running as root,
    and a read-only mount or a full disk only shows when writing."""
    if training_elsewhere(entry):
        return
    output = entry.output_ics
    probe = output.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if output.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a directory, not a file")
        if not probe.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, f"{probe} is a file, not a folder")
        with tempfile.TemporaryFile(dir=probe):
            pass
        if output.exists():
            with output.open("ab"):
                pass
    except OSError as exc:
        yield Check("fail", name, f"{output}: cannot be written ({exc.strerror or exc})")
        return
    yield Check("ok", name, f"{output} can be written")


def _history(entry: AthleteConfig, name: str, store: Store, now: datetime) -> Iterator[Check]:
    [known] = store_status.status(store, [entry.athlete.id])
    latest = known.last_started
    if known.needs_reauth:
        yield Check("fail", name, "needs re-auth: its calendar refused the credentials")
    if latest is not None and latest - now > timedelta(minutes=5):
        yield Check(
            "warn",
            "clock",
            f"{name}'s last pass is stamped {latest.isoformat()}, after now: "
            "is the system clock right?",
        )


def has_failures(checks: list[Check]) -> bool:
    return any(c.status == "fail" for c in checks)


@click.command("doctor", short_help="Check the config, store, calendars, credentials and clock.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list.")
def doctor(config: str | None, as_json: bool) -> None:
    """Check the config, the store, every athlete's calendars and credentials, the clock, and
    the keys, admin login and redirect URL of onboarding on the web when it is set up; print
    one line per check with what to fix. Writes nothing to any calendar.

    Exits 0 when nothing failed, 1 otherwise (2 when the config itself cannot be read).

    \b
    Example:
      racecal doctor --config /etc/racecal/config.toml
    """
    loaded = everyone(config)[0]
    checks = list(diagnose(loaded))
    if as_json:
        click.echo(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for check in checks:
            click.echo(check.line())
    sys.exit(1 if has_failures(checks) else 0)
