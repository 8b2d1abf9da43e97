"""GET /feeds/<athlete>/<token>/workouts/<name>.fit: one session's FIT workout file, at the
athlete's secret feed address (service.daemon.web routes it here). The session is looked up
in the plan as the page plans it, so a moved or re-planned session answers with its new file
under the same name. A wrong token, an unknown athlete and a name no session of the plan has
are the same 404 as any other path under /feeds."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from scheduler.model import PlacedSession, PlanError
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, Config
from service.store import feeds
from service.store.database import Store
from service.views.fit_workout import CONTENT_TYPE, SUFFIX, file_name, fit_workout, has_workout
from service.views.held import NoPlan, held_plan

Answer = tuple[int, dict[str, str], bytes]
MISSING: Answer = (HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"not found\n")
OpenCalendars = Callable[[str], tuple[threading.Lock, AthleteCalendars]]


def is_workout_path(path: str) -> bool:
    parts = urlsplit(path).path.split("/")
    return len(parts) == 6 and parts[:2] == ["", "feeds"] and parts[4] == "workouts"


def workout_file(
    path: str,
    config: Config,
    store: Store,
    now: Callable[[str], datetime],
    calendars: OpenCalendars | None = None,
) -> Answer:
    """(status, headers, body) for a GET of a workout file's `path`; never raises for a bad
    path."""
    parts = urlsplit(path).path.split("/")
    athlete, token, name = unquote(parts[2]), unquote(parts[3]), unquote(parts[5])
    entry = next((a for a in config.athletes if a.athlete.id == athlete), None)
    if entry is None or not name.endswith(SUFFIX) or not feeds.matches(store, athlete, token):
        return MISSING
    try:
        session = _session(entry, store, now(entry.athlete.timezone), name, calendars)
    except (NoPlan, PlanError):
        return HTTPStatus.SERVICE_UNAVAILABLE, {"Retry-After": "60"}, b"no plan yet\n"
    if session is None:
        return MISSING
    data = fit_workout(session, entry.athlete.units)
    return (
        HTTPStatus.OK,
        {
            "Content-Type": CONTENT_TYPE,
            "Content-Disposition": f'attachment; filename="{name}"',
            "ETag": f'"{hashlib.sha256(data).hexdigest()[:32]}"',
            "Cache-Control": "no-cache",
        },
        data,
    )


def _session(
    entry: AthleteConfig,
    store: Store,
    now: datetime,
    name: str,
    calendars: OpenCalendars | None,
) -> PlacedSession | None:
    if calendars is None:
        held = held_plan(entry, store, now, None)
    else:
        lock, opened = calendars(entry.athlete.id)
        with lock:
            held = held_plan(entry, store, now, None, opened)
    return next(
        (s for s in held.plan.sessions if has_workout(s) and file_name(s.key) == name), None
    )
