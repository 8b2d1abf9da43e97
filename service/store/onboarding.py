"""Onboarding on the web: invite links an admin hands out, and the Google tokens athletes grant
through them, sealed at rest.

An invite is a random token for one athlete: the link carries it, the store keeps only its
SHA-256 (a copy of the database gives no link away), and it works once, until it expires.
A Google token is the JSON google-auth reads (refresh token, client id and secret), sealed with
the service's newest key (service.store.secrets); `reseal_all` seals every one again with the
newest key when the keys rotate.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from service.store.database import Store
from service.store.models import Athlete, GoogleToken, Invite
from service.store.secrets import Sealer
from service.store.state import _ensure_athlete

# As long as a feed token: not guessable, short enough to paste.
TOKEN_BYTES = 32
DEFAULT_HOURS = 72.0


class InviteError(RuntimeError):
    """An invite that cannot be used: `reason` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"this invite link is {reason}")
        self.reason = reason


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(store: Store, athlete_id: str, now: datetime, hours: float = DEFAULT_HOURS) -> str:
    """A new invite for the athlete, good for `hours`; the token is returned, never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with store.session() as s, s.begin():
        _ensure_athlete(s.connection(), athlete_id, now)
        s.add(
            Invite(
                token_hash=_digest(token),
                athlete_id=athlete_id,
                made_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token


def _check(row: Invite | None, now: datetime) -> str:
    if row is None:
        raise InviteError("unknown")
    if row.used_at is not None:
        raise InviteError("used")
    if row.expires_at <= now:
        raise InviteError("expired")
    return row.athlete_id


def athlete_of(store: Store, token: str, now: datetime) -> str:
    """The athlete of a usable invite (nothing written); InviteError when it is not usable."""
    with store.session() as s:
        return _check(s.get(Invite, _digest(token)), now)


def consume(store: Store, token: str, now: datetime) -> str:
    """Uses the invite up and returns its athlete; InviteError when it was not usable. Of two
    requests racing with one link, one gets the athlete and the other "used": the update is
    conditional on the invite being unused."""
    digest = _digest(token)
    with store.session() as s, s.begin():
        taken = s.execute(
            update(Invite)
            .where(Invite.token_hash == digest, Invite.used_at.is_(None), Invite.expires_at > now)
            .values(used_at=now)
            .returning(Invite.athlete_id)
        ).scalar()
        if taken is not None:
            return str(taken)
        return _check(s.get(Invite, digest), now)


def save_google(
    store: Store,
    sealer: Sealer,
    athlete_id: str,
    info: dict[str, Any],
    now: datetime,
    granted: bool = False,
) -> None:
    """The athlete's Google token (google-auth's authorized-user JSON), sealed. `granted`: the
    athlete has just granted access on the web, so the cluster's channel keeper looks at them
    at its next tick (a failed look's wait, a revoked token's, ends here) rather than at a
    change of their settings."""
    sealed = sealer.seal(json.dumps(info, sort_keys=True))
    with store.session() as s, s.begin():
        _ensure_athlete(s.connection(), athlete_id, now)
        row = s.get(GoogleToken, athlete_id)
        if row is None:
            s.add(GoogleToken(athlete_id=athlete_id, sealed=sealed, updated_at=now))
        else:
            row.sealed, row.updated_at = sealed, now
        if granted:
            s.execute(update(Athlete).where(Athlete.id == athlete_id).values(channels_due_at=now))


def has_google(store: Store, athlete_id: str) -> bool:
    with store.session() as s:
        return s.get(GoogleToken, athlete_id) is not None


def google(store: Store, sealer: Sealer, athlete_id: str) -> dict[str, Any] | None:
    """The athlete's Google token, opened; None when none was stored; SecretError when no key
    opens it."""
    with store.session() as s:
        row = s.get(GoogleToken, athlete_id)
    if row is None:
        return None
    found = json.loads(sealer.open(row.sealed))
    assert isinstance(found, dict)
    return found


def reseal_all(store: Store, sealer: Sealer) -> int:
    """Every sealed token sealed again with the newest key, in one transaction (a failure
    changes nothing); how many there are."""
    with store.session() as s, s.begin():
        rows = s.scalars(select(GoogleToken).with_for_update()).all()
        for row in rows:
            row.sealed = sealer.reseal(row.sealed)
        return len(rows)
