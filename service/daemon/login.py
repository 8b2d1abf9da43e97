"""Who may see what on the HTTP endpoint once an admin login is set ([service] admin_token_file
or admin_token_env): the admin (the token as `Authorization: Bearer`, or as the password of
HTTP basic, which a browser asks for) sees everything; an athlete sees only their own plan
page, through a link with their feed token (`/athletes/<id>?token=...`), which the browser then
keeps as a cookie for that page alone. The token travels in the clear unless the endpoint sits
behind a proxy that speaks TLS: it must.

Open to anyone as before: /healthz and /readyz (load balancers), the feeds and workout files
(their own secret in the URL), /google/notify (the channel's token) and /connect/google (the
invite). Without an admin login nothing is asked (an install on 127.0.0.1).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
from collections.abc import Mapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from service.config.service_table import ServiceConfig
from service.daemon.serve import Answer
from service.store import feeds
from service.store.database import Store
from service.store.secrets import SecretError, read_key_file
from service.views.page import EVERYONE, Viewer, error_page

log = logging.getLogger("racecal")
ATHLETE_COOKIE = "racecal_athlete"
# Paths with a secret of their own (or none needed), open whether or not a login is set.
OPEN = ("/healthz", "/readyz", "/google/notify", "/connect/google")
OPEN_BELOW = ("/feeds/",)
CHALLENGE = {"WWW-Authenticate": 'Basic realm="racecal", charset="UTF-8"'}


def admin_token(service: ServiceConfig, env: Mapping[str, str]) -> str | None:
    """The admin token the config names (the variable wins when set), None when none is named;
    SecretError when the file cannot be used (others can read it, it is empty)."""
    if service.admin_token_env and env.get(service.admin_token_env):
        return _long(env[service.admin_token_env].strip(), f"${service.admin_token_env}")
    if service.admin_token_file is not None:
        return _first_line(service.admin_token_file)
    if service.admin_token_env:
        raise SecretError(f"${service.admin_token_env}: not set (named by admin_token_env)")
    return None


def _first_line(path: Path) -> str:
    lines = [line.strip() for line in read_key_file(path).splitlines()]
    return _long(next((line for line in lines if line and not line.startswith("#")), ""), path)


def _long(token: str, where: object) -> str:
    if len(token) < 16:
        raise SecretError(f"{where}: the admin token must be at least 16 characters")
    return token


class Login:
    def __init__(
        self, service: ServiceConfig, store: Store, env: Mapping[str, str] | None = None
    ) -> None:
        self.store = store
        self.secure = (service.public_url or "").startswith("https://")
        self.required = bool(service.admin_token_file or service.admin_token_env)
        self.token: str | None = None
        try:
            self.token = admin_token(service, os.environ if env is None else env)
        except SecretError as exc:
            # Closed, not open: every page that needs the login says it cannot be had.
            log.error("http: no admin login: %s", exc)

    def gate(self, method: str, target: str, headers: Mapping[str, str]) -> Answer | None:
        """None when the request may go on to its route; else the answer to send instead."""
        if not self.required:
            return None
        parts = urlsplit(target)
        path = parts.path
        if path in OPEN or path.startswith(OPEN_BELOW) or path.startswith("/connect/"):
            return None
        if self.token is None:
            body = error_page(503, "The admin login is not set up; see the service log.")
            return HTTPStatus.SERVICE_UNAVAILABLE, _html(), body.encode()
        if self._admin(headers.get("Authorization", "")):
            return None
        if path.startswith("/athletes/"):
            return self._athlete(method, path, parse_qs(parts.query), headers)
        return _refused()

    def viewer(self, target: str, headers: Mapping[str, str]) -> Viewer:
        """Whom the page of a request the gate let through is for: everyone without a login,
        the admin with the token; the athlete whose own page it is with their cookie; else
        someone who sees no athlete at all (the open routes render none)."""
        if not self.required or (
            self.token is not None and self._admin(headers.get("Authorization", ""))
        ):
            return EVERYONE
        path = urlsplit(target).path
        if path.startswith("/athletes/"):
            athlete = unquote(path.removeprefix("/athletes/").split("/")[0])
            held = cookie(headers.get("Cookie", ""), ATHLETE_COOKIE)
            if held and feeds.matches(self.store, athlete, held):
                return Viewer(athlete)
        return Viewer("")

    def _admin(self, given: str) -> bool:
        assert self.token is not None
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer":
            offered = value.strip()
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            offered = decoded.partition(":")[2]
        else:
            return False
        return hmac.compare_digest(offered.encode(), self.token.encode())

    def _athlete(
        self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str]
    ) -> Answer | None:
        athlete = unquote(path.removeprefix("/athletes/").split("/")[0])
        page = f"/athletes/{quote(athlete, safe='')}"
        given = query.get("token", [""])[0]
        if method == "GET" and given and feeds.matches(self.store, athlete, given):
            # Kept by the browser for this athlete's page (and its release forms) alone; the
            # redirect takes the token out of the address bar and the history.
            flags = "; Secure" if self.secure else ""
            kept = f"{ATHLETE_COOKIE}={given}; Path={page}; HttpOnly; SameSite=Strict{flags}"
            return HTTPStatus.SEE_OTHER, {"Location": page, "Set-Cookie": kept}, b""
        held = cookie(headers.get("Cookie", ""), ATHLETE_COOKIE)
        if held and feeds.matches(self.store, athlete, held):
            return None
        return _refused()


def cookie(header: str, name: str) -> str:
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return ""
    found = jar.get(name)
    return found.value if found is not None else ""


def _html() -> dict[str, str]:
    return {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def _refused() -> Answer:
    body = error_page(401, "Log in as the admin, or open the link to your own page.")
    return HTTPStatus.UNAUTHORIZED, {**_html(), **CHALLENGE}, body.encode()
