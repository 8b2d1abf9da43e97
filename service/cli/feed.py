"""`racecal feed url|rotate`: the secret address of an athlete's training calendar, for a
calendar app to subscribe to (served by the HTTP endpoint, `[service] http`)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import click

from service.cli.init import Refused
from service.cli.opening import private_files
from service.config.load import CONFIG_HELP, Config, config_path, load_config
from service.config.reader import ConfigError
from service.store import feeds
from service.store.database import Store, StoreError
from service.sync.athletes import look


def _open(config: str | None, athlete: str) -> tuple[Config, Store]:
    private_files()
    try:
        loaded = load_config(config_path(config))
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        store.upgrade()
        loaded = look(loaded, store).config
        loaded.athlete(athlete)
    except (ConfigError, StoreError) as exc:
        raise Refused(str(exc)) from None
    return loaded, store


def _address(loaded: Config, athlete: str, token: str, base: str | None) -> str:
    path = f"/feeds/{quote(athlete)}/{token}.ics"
    if base:
        return base.rstrip("/") + path
    if loaded.service.http is None:
        raise Refused(
            f"{loaded.path}: [service] http is not set, so nothing serves the feed; set it "
            f'(e.g. http = "127.0.0.1:8765") or give --base; the path is {path}'
        )
    host, port = loaded.service.http
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


BASE_HELP = "The address calendar apps reach the service at (a reverse proxy's https URL)."


@click.group(short_help="Each athlete's training calendar as a feed at a secret URL.")
def feed() -> None:
    """The training calendar as a feed to subscribe to: a secret URL per athlete.

    \b
    Examples:
      racecal feed url alex
      racecal feed url alex --base https://racecal.example.com
      racecal feed rotate alex
    """


@feed.command("url")
@click.argument("athlete")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--base", metavar="URL", help=BASE_HELP)
def url(athlete: str, config: str | None, base: str | None) -> None:
    """Print ATHLETE's feed URL (made on first use). Anyone with it can read the sessions:
    share it only with the calendar app that subscribes."""
    loaded, store = _open(config, athlete)
    click.echo(_address(loaded, athlete, feeds.token(store, athlete, datetime.now(UTC)), base))


@feed.command("rotate")
@click.argument("athlete")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--base", metavar="URL", help=BASE_HELP)
def rotate(athlete: str, config: str | None, base: str | None) -> None:
    """Give ATHLETE's feed a new secret URL and print it; the old one stops answering."""
    loaded, store = _open(config, athlete)
    click.echo(_address(loaded, athlete, feeds.rotate(store, athlete, datetime.now(UTC)), base))
