"""The secret in each athlete's feed URL (/feeds/<athlete>/<token>.ics): made on first use,
kept in the store, replaced by `rotate` (the old URL stops answering at once)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

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
