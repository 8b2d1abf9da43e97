"""`racecal doctor`'s lines for onboarding on the web, each only when its part is configured:
the keys that seal the Google tokens ([service] secret_key_file / secret_key_env), the admin
login (admin_token_file / admin_token_env) and [google] redirect_url beside [service] http and
public_url. One line each: ok, or the first thing wrong and where. Nothing secret is printed.

The keys and the token are read as the service reads them (service.store.secrets,
service.daemon.login), so what doctor calls fine is what the service accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from service.cli.checks import Check
from service.config.load import Config
from service.config.service_table import ServiceConfig

KEYS, LOGIN, WEB = "secret keys", "admin login", "web onboarding"
# The address /connect/google starts at (service.daemon.connect.START_PATH, not imported:
# doctor needs none of the endpoint).
START_PATH = "/connect/google"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def onboarding(config: Config, env: Mapping[str, str]) -> Iterator[Check]:
    service = config.service
    google: Mapping[str, Any] = config.shared.get("google", {})
    redirect = str(google.get("redirect_url") or "") or None
    if service.secret_key_file or service.secret_key_env or redirect:
        yield _keys(service, env)
    if service.admin_token_file or service.admin_token_env or redirect:
        yield _login(service, env)
    if redirect:
        yield _redirect(service, google, redirect)


def _keys(service: ServiceConfig, env: Mapping[str, str]) -> Check:
    if not (service.secret_key_file or service.secret_key_env):
        return Check(
            "fail",
            KEYS,
            "[google] redirect_url is set but neither service.secret_key_file nor "
            "secret_key_env: a token granted on the web cannot be sealed; "
            "'racecal secrets new-key' makes a key file",
        )
    from service.store import secrets  # noqa: PLC0415 (only with the keys configured)

    try:
        sealer = secrets.sealer(service.secret_key_file, service.secret_key_env, env)
    except secrets.SecretError as exc:
        return Check("fail", KEYS, str(exc))
    return Check(
        "ok", KEYS, f"{sealer.where}: the keys are good; new tokens are sealed with the first"
    )


def _login(service: ServiceConfig, env: Mapping[str, str]) -> Check:
    if not (service.admin_token_file or service.admin_token_env):
        return Check(
            "warn",
            LOGIN,
            "none (service.admin_token_file or admin_token_env): whoever reaches the endpoint "
            "sees every athlete's page and /metrics",
        )
    from service.daemon.login import admin_token  # noqa: PLC0415 (only with a login)
    from service.store.secrets import SecretError  # noqa: PLC0415

    try:
        admin_token(service, env)
    except SecretError as exc:
        return Check("fail", LOGIN, str(exc))
    # The variable wins when set.
    from_env = bool(service.admin_token_env and env.get(service.admin_token_env))
    where = f"${service.admin_token_env}" if from_env else str(service.admin_token_file)
    public = service.public_url or ""
    if public.startswith("http://") and not _loopback(public):
        return Check(
            "warn",
            LOGIN,
            f"{where}: the token is good, but service.public_url is "
            "plain http: it travels in the clear; serve it over TLS at the proxy",
        )
    return Check("ok", LOGIN, f"{where}: the token is good")


def _redirect(service: ServiceConfig, google: Mapping[str, Any], redirect: str) -> Check:
    url = urlsplit(redirect)
    if service.http is None:
        return _wrong(
            f"[google] redirect_url is set but service.http is not: nothing answers "
            f"{START_PATH} or the callback"
        )
    if url.path.rstrip("/") in ("", START_PATH):
        return _wrong(
            f"[google] redirect_url {redirect}: give the callback a path of its own, "
            f"e.g. {START_PATH}/callback"
        )
    if url.scheme != "https" and not _loopback(redirect):
        return _wrong(
            f"[google] redirect_url {redirect}: Google sends the athlete back only to "
            "https (or localhost)"
        )
    if service.public_url is None:
        return _wrong(
            "service.public_url is not set: invite links are made below it (the "
            "address the athletes reach racecal at)"
        )
    public = urlsplit(service.public_url)
    if (public.hostname, public.port) != (url.hostname, url.port):
        # The browser keeps the nonce cookie /connect/google sets for the invite link's host:
        # a callback on another host never gets it and answers 400 to everyone.
        return _wrong(
            f"[google] redirect_url {redirect} is not on service.public_url's host "
            f"({service.public_url}): the sign-in would end in a 400"
        )
    if not google.get("client_secrets"):
        return _wrong(
            "[google] client_secrets is not set: the web flow needs a 'Web "
            "application' client's JSON"
        )
    return _client(Path(str(google["client_secrets"])), redirect)


def _client(path: Path, redirect: str) -> Check:
    try:
        client = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not JSON"
        return _wrong(f"[google] client_secrets {path}: cannot be read ({why})")
    web = client.get("web") if isinstance(client, dict) else None
    if not isinstance(web, dict):
        return _wrong(
            f"[google] client_secrets {path}: not a 'Web application' client (a "
            "Desktop app's works for 'racecal auth google' only)"
        )
    registered = web.get("redirect_uris")
    if isinstance(registered, list) and redirect not in registered:
        return _wrong(
            f"[google] client_secrets {path}: {redirect} is not among the client's "
            "redirect URIs; add it in the Cloud console and download the JSON again"
        )
    return Check("ok", WEB, f"{START_PATH} sends athletes back to {redirect} ({path})")


def _wrong(detail: str) -> Check:
    return Check("fail", WEB, detail)


def _loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK
