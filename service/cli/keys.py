"""`racecal secrets new-key|rotate`: the keys that seal the Google tokens kept in the store."""

from __future__ import annotations

import os

import click

from service.cli.looking import fail
from service.cli.opening import open_store, private_files
from service.config.load import CONFIG_HELP, config_path, load_config
from service.config.reader import ConfigError
from service.store import onboarding, secrets


@click.group(short_help="Make and rotate the keys that seal tokens in the store.")
def secrets_() -> None:
    """Make and rotate the keys that seal the Google tokens kept in the store.

    The keys are Fernet keys, one a line, the newest first, in [service] secret_key_file
    (mode 0600) or in the variable [service] secret_key_env names. New tokens are sealed with
    the first key; any key opens what it sealed.

    \b
    Rotating:
      racecal secrets new-key      a new first line in the key file
      (restart the service so it seals with the new key)
      racecal secrets rotate       every token sealed again with the new key
      then delete the old lines from the key file
    """


@secrets_.command("new-key", short_help="Put a new key first in the key file.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
def new_key(config: str | None) -> None:
    """Put a new key on the first line of [service] secret_key_file (made with mode 0600 when
    there is none). With secret_key_env instead, print a key to put first in the variable."""
    private_files()
    try:
        service = load_config(config_path(config)).service
    except ConfigError as exc:
        fail(str(exc))
    try:
        if service.secret_key_file is None:
            click.echo(secrets.new_key())
            return
        secrets.add_key(service.secret_key_file)
    except (secrets.SecretError, OSError) as exc:
        fail(str(exc))
    click.echo(f"racecal: a new key is first in {service.secret_key_file}")


@secrets_.command("rotate", short_help="Seal every stored token again with the newest key.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
def rotate(config: str | None) -> None:
    """Open every token in the store with whichever key sealed it and seal it again with the
    newest (first) key; then the old keys can be deleted. Nothing changes when a token opens
    with no key."""
    loaded, store = open_store(config, athletes=False)
    service = loaded.service
    try:
        sealer = secrets.sealer(service.secret_key_file, service.secret_key_env, os.environ)
        count = onboarding.reseal_all(store, sealer)
    except secrets.SecretError as exc:
        fail(str(exc))
    click.echo(f"racecal: {count} token(s) sealed with the newest key of {sealer.where}")
