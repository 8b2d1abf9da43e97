"""Opening the config and the store for a command: one line on stderr and exit 2 when either
cannot be read."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from service.cli.looking import fail, said, sqlite_missing
from service.config.load import Config, config_path, load_config
from service.config.reader import ConfigError
from service.store.database import Store, StoreError
from service.sync.athletes import Roster, look, settle


def private_files() -> None:
    """What a command that writes state creates is its user's alone (files 0600, folders
    0700): the store holds race titles and the plan, the cache secret feed addresses. The
    training calendar sets its own mode ([athletes.output] private)."""
    os.umask(0o077)


def open_store(config: str | None, athletes: bool = True) -> tuple[Config, Store]:
    """The config and its store at the newest schema, with the config's athletes laid into
    the store unless not `athletes` (a schema upgrade alone); or one line and exit 2."""
    private_files()
    try:
        loaded = load_config(config_path(config))
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        store.upgrade()
        roster = settle(loaded, store, datetime.now(UTC)) if athletes else Roster(loaded)
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    return said(roster), store


def open_to_look(config: str | None, say_where: bool = False) -> tuple[Config, Store]:
    """The config and its store for a dry run or `status`, which must not write even a schema
    (an admin's `racecal status` must not start a second database beside the service's): a
    store not made yet is taken as an empty one (in memory), with a line saying where it was
    looked for when `say_where`; one at an older schema is refused."""
    try:
        loaded = load_config(config_path(config))
        missing = sqlite_missing(loaded.service.database_url, loaded.state_dir)
        if missing is not None:
            if say_where:
                click.echo(f"racecal: no store at {missing} yet: no pass has run", err=True)
            store = Store.open("sqlite://")
            store.upgrade()
            return loaded, store
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        revision = store.revision()
        if revision != store.head():
            fail(f"the store is at schema {revision}; run 'racecal db upgrade' first")
        return said(look(loaded, store)), store
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
