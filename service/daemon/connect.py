"""Onboarding on the web: /connect/google runs Google's OAuth web-server flow for the athlete an
invite link names (`racecal athlete invite`), with [service] http and [google] redirect_url
set; and the endpoint's login (service.daemon.login) in front of every other route.

    GET /connect/google?invite=T   the invite is checked (403 unknown, 410 used or expired)
                                   and the browser sent to Google's consent page, with a
                                   PKCE challenge and a state parameter
    GET <redirect_url's path>      Google sends it back with code and state: the state is
    ?code=...&state=...            checked (400 when missing, forged, older than 15 minutes
                                   or from another browser), the code exchanged at the token
                                   endpoint with the PKCE verifier, the refresh token sealed
                                   into the store for the invite's athlete, the invite used up

The state is the invite, the PKCE verifier and a nonce sealed with the service's keys
(service.store.secrets): any node behind the proxy can check it, nothing is kept in memory,
and the nonce is also a cookie of the browser that started, so a link made to someone else's
invite cannot be finished in another browser.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from service.config.load import Config
from service.daemon.login import Login, cookie
from service.daemon.serve import Answer, Request
from service.store import feeds, onboarding
from service.store import secrets as keys
from service.store.database import Store
from service.store.onboarding import InviteError
from service.views.page import Viewer, error_page, page

log = logging.getLogger("racecal")
START_PATH = "/connect/google"
NONCE_COOKIE = "racecal_connect"
# How long a person may take on Google's consent page.
STATE_SECONDS = 900
# The scopes `racecal auth google` asks for (connectors.google.SCOPES), without importing the
# Google extra when onboarding is off.
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
)


class Gate:
    """Answers the onboarding routes and refuses what the login does not let through; None
    for a request that goes on to the endpoint's own routes."""

    def __init__(
        self,
        config: Config,
        store: Store,
        connected: Callable[[str], None] | None = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        # Now, for the state's 15 minutes and the invites' expiry (a test moves it on).
        self.clock = clock or _now
        self.store = store
        self.env = os.environ if env is None else env
        self.connected = connected
        self.login = Login(config.service, store, self.env)
        google = config.shared.get("google", {})
        self.google: Mapping[str, Any] = google
        redirect = google.get("redirect_url")
        self.redirect_url: str | None = str(redirect) if redirect else None
        self.callback_path = urlsplit(self.redirect_url).path if self.redirect_url else None
        self._sealer: keys.Sealer | None = None

    def answer(self, request: Request) -> Answer | None:
        parts = urlsplit(request.target)
        on = self.redirect_url is not None and request.method in ("GET", "HEAD")
        if on and parts.path in (START_PATH, self.callback_path):
            if not self.google.get("client_secrets"):
                log.error("http: /connect/google: [google] client_secrets is not set")
                return _page(503, "Connecting Google is not set up here yet; see the log.")
            try:
                sealer = self.sealer()
            except keys.SecretError as exc:
                log.error("http: /connect/google: %s", exc)
                return _page(503, "Connecting Google is not set up here yet; see the log.")
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == START_PATH:
                return self.start(sealer, query)
            return self.callback(sealer, query, request.headers)
        return self.login.gate(request.method, request.target, request.headers)

    def viewer(self, request: Request) -> Viewer:
        """Whom the page a request that went on to the endpoint's routes is for."""
        return self.login.viewer(request.target, request.headers)

    def sealer(self) -> keys.Sealer:
        if self._sealer is None:
            service = self.config.service
            self._sealer = keys.sealer(service.secret_key_file, service.secret_key_env, self.env)
        return self._sealer

    def start(self, sealer: keys.Sealer, query: Mapping[str, str]) -> Answer:
        invite = query.get("invite", "")
        if not invite:
            return _page(400, "This address needs the invite link you were sent.")
        try:
            onboarding.athlete_of(self.store, invite, self.clock())
        except InviteError as exc:
            return _refused(exc)
        # PKCE: the challenge goes to Google now, the verifier (in the sealed state) with the
        # code later; 96 characters of the unreserved set RFC 7636 allows.
        verifier = secrets.token_urlsafe(72)[:96]
        nonce = secrets.token_urlsafe(16)
        state = sealer.seal(json.dumps({"i": invite, "n": nonce, "v": verifier}), self.clock())
        url, _ = self._flow(None, verifier).authorization_url(
            access_type="offline",
            # Asked every time: Google gives a refresh token only with a fresh consent.
            prompt="consent",
            state=state,
        )
        flags = "; Secure" if self.redirect_url and self.redirect_url.startswith("https") else ""
        cookie = (
            f"{NONCE_COOKIE}={nonce}; Path=/; Max-Age={STATE_SECONDS}; HttpOnly; "
            f"SameSite=Lax{flags}"
        )
        return HTTPStatus.FOUND, {"Location": url, "Set-Cookie": cookie}, b""

    def callback(
        self, sealer: keys.Sealer, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> Answer:
        if query.get("error"):
            said = query["error"][:60]
            return _page(400, f"Google did not connect ({said}). Open your invite link again.")
        try:
            opened = sealer.open(query.get("state", ""), STATE_SECONDS, self.clock())
            state = json.loads(opened)
            invite, nonce, verifier = str(state["i"]), str(state["n"]), str(state["v"])
        except (keys.SecretError, ValueError, KeyError, TypeError):
            return _page(400, "This answer from Google is not one racecal asked for, or is "
                         "too old. Open your invite link again.")  # fmt: skip
        if not secrets.compare_digest(cookie(headers.get("Cookie", ""), NONCE_COOKIE), nonce):
            return _page(400, "Finish in the browser you started in: open the invite again.")
        code = query.get("code", "")
        if not code:
            return _page(400, "Google sent no code. Open your invite link again.")
        try:
            onboarding.athlete_of(self.store, invite, self.clock())
        except InviteError as exc:
            return _refused(exc)
        try:
            flow = self._flow(query["state"], verifier)
            flow.fetch_token(code=code)
        except Exception as exc:
            # The reason only: the exception may quote the request, code included.
            log.warning("http: /connect/google: the code exchange failed (%s)", type(exc).__name__)
            return _page(502, "Google did not accept the sign-in. Open your invite link again.")
        credentials = flow.credentials
        if not credentials.refresh_token:
            return _page(502, "Google gave no lasting access. Open your invite link again.")
        try:
            athlete = onboarding.consume(self.store, invite, self.clock())
        except InviteError as exc:
            return _refused(exc)
        now = self.clock()
        onboarding.save_google(
            self.store, sealer, athlete, json.loads(credentials.to_json()), now, granted=True
        )
        log.info("%s: Google connected on the web", athlete)
        if self.connected is not None:
            self.connected(athlete)
        return (
            HTTPStatus.OK,
            {
                **_HTML,
                "Set-Cookie": f"{NONCE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
            },
            self._done(athlete).encode(),
        )

    def _done(self, athlete: str) -> str:
        link = ""
        base = self.config.service.public_url
        if base:
            token = feeds.token(self.store, athlete, self.clock())
            own = f"{base}/athletes/{quote(athlete, safe='')}?token={token}"
            link = f"<p>Your plan: <a href='{escape(own)}'>{escape(own)}</a> (keep it private).</p>"
        body = (
            "<h1>Google Calendar connected</h1><p>racecal writes your training sessions "
            "into a calendar of their own in your Google account within a few minutes, and "
            f"reads your races and busy time from your calendar.</p>{link}"
        )
        return page("racecal: connected", body)

    def _flow(self, state: str | None, verifier: str | None) -> Any:
        from google_auth_oauthlib.flow import Flow  # noqa: PLC0415 (the google extra)

        with open(str(self.google["client_secrets"]), encoding="utf-8") as handle:
            client = json.load(handle)
        kind = "web" if "web" in client else "installed"
        if self.google.get("token_uri"):
            client[kind]["token_uri"] = self.google["token_uri"]
        return Flow.from_client_config(
            client,
            scopes=list(SCOPES),
            redirect_uri=self.redirect_url,
            state=state,
            code_verifier=verifier,
            autogenerate_code_verifier=True,
        )


def _now() -> datetime:
    return datetime.now(UTC)


_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _page(status: int, message: str) -> Answer:
    return status, _HTML, error_page(status, message).encode()


def _refused(exc: InviteError) -> Answer:
    if exc.reason == "unknown":
        return _page(403, "This invite link is not valid. Ask for a new one.")
    return _page(410, f"This invite link is {exc.reason}. Ask for a new one.")
