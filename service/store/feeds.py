"""The secret in each athlete's feed URL (/feeds/<athlete>/<token>.ics): made on first use,
kept in the store, replaced by `rotate` (the old URL stops answering at once). The sessions'
workout files live below the same secret (/feeds/<athlete>/<token>/workouts/<name>.fit),
each named by its session's stable key."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from urllib.parse import quote

from service.store.database import Store
from service.store.models import FeedToken
from service.store.state import _ensure_athlete

# 32 bytes of randomness, URL-safe: not guessable, and short enough to paste.
TOKEN_BYTES = 32


def token(store: Store, athlete_id: str, now: datetime) -> str:
    """The athlete's feed token, made (and stored) the first time it is asked for."""
    with store.session() as s, s.begin():
        row = s.get(FeedToken, athlete_id)
        if row is not None:
            return row.token
        _ensure_athlete(s.connection(), athlete_id, now)
        row = FeedToken(
            athlete_id=athlete_id, token=secrets.token_urlsafe(TOKEN_BYTES), made_at=now
        )
        s.add(row)
        return row.token


def existing(store: Store, athlete_id: str) -> str | None:
    """The athlete's feed token when one was made; None, and nothing written, when not."""
    with store.session() as s:
        row = s.get(FeedToken, athlete_id)
    return row.token if row is not None else None


def workout_name(key: str) -> str:
    """The file of a session's workout, named by its stable key (a session that moves keeps
    its name): the key's letters and digits, and a few characters of its digest so two keys
    never share a name."""
    slug = re.sub(r"[^A-Za-z0-9-]+", "_", key).strip("_")[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{slug}-{digest}.fit"


def workouts_path(athlete_id: str, token: str) -> str:
    """Where the endpoint serves the athlete's workout files (each at its workout_name), below
    its address."""
    return f"/feeds/{quote(athlete_id, safe='')}/{token}/workouts/"


def rotate(store: Store, athlete_id: str, now: datetime) -> str:
    """A new token for the athlete; the old one answers no more."""
    with store.session() as s, s.begin():
        _ensure_athlete(s.connection(), athlete_id, now)
        row = s.get(FeedToken, athlete_id)
        fresh = secrets.token_urlsafe(TOKEN_BYTES)
        if row is None:
            s.add(FeedToken(athlete_id=athlete_id, token=fresh, made_at=now))
        else:
            row.token, row.made_at = fresh, now
        return fresh


def matches(store: Store, athlete_id: str, given: str) -> bool:
    """Whether `given` is the athlete's token, compared in constant time (a wrong guess takes
    as long however much of it was right); False when the athlete has none yet."""
    with store.session() as s:
        row = s.get(FeedToken, athlete_id)
    expected = row.token if row is not None else secrets.token_urlsafe(TOKEN_BYTES)
    return hmac.compare_digest(expected.encode(), given.encode()) and row is not None
