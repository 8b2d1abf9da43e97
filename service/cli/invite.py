"""`racecal athlete invite`: a one-time link an athlete opens to connect their Google account
on the web (/connect/google), for services that run for many athletes."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import click

from service.cli.looking import fail
from service.cli.opening import private_files
from service.config.load import CONFIG_HELP, config_path, load_config
from service.config.reader import ConfigError
from service.store import athletes, onboarding
from service.store.database import Store, StoreError
from service.sync.athletes import file_ids


@click.command("invite", short_help="A one-time link for an athlete to connect Google.")
@click.argument("athlete_id", metavar="ID")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--hours",
    type=click.FloatRange(0.1, 24 * 30),
    default=onboarding.DEFAULT_HOURS,
    show_default=True,
    help="How long the link works.",
)
def invite(athlete_id: str, config: str | None, hours: float) -> None:
    """Print a link that lets the athlete connect their Google Calendar to racecal in a
    browser; it works once, for HOURS. Needs [service] public_url (where the athletes reach
    the service), [service] http and [google] redirect_url. The store keeps only a digest of
    the link's secret: make a new link if this one is lost.

    \b
    Example:
      racecal athlete invite sam --hours 24
    """
    private_files()
    try:
        loaded = load_config(config_path(config))
        public_url = loaded.service.public_url
        if public_url is None:
            raise ConfigError(
                f"{loaded.path}: service.public_url: needed for invite links "
                "(the https address the athletes reach racecal at)"
            )
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        store.upgrade()
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    if athlete_id not in file_ids(loaded) and athletes.one(store, athlete_id) is None:
        fail(f"no athlete '{athlete_id}'; add it first with 'racecal athlete add'", 1)
    token = onboarding.invite(store, athlete_id, datetime.now(UTC), hours)
    click.echo(f"{public_url}/connect/google?{urlencode({'invite': token})}")
