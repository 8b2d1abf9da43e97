"""Opening the config and the store for a command: one line on stderr and exit 2 when either
cannot be read."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy.engine import make_url

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


def said(roster: Roster) -> Config:
    """The roster's config, after a line on stderr for each stored athlete it leaves out."""
    for line in roster.broken:
        click.echo(f"racecal: warning: {line}; not synced", err=True)
    return roster.config


def everyone(config: str | None) -> tuple[Config, Store | None]:
    """The config with the store's athletes too, read only (the store as `store_to_look`
    gives it); one line and exit 2 when the config cannot be read."""
    try:
        loaded = load_config(config_path(config))
        store = store_to_look(loaded)
        return said(look(loaded, store)), store
    except ConfigError as exc:
        fail(str(exc))


def store_to_look(loaded: Config) -> Store | None:
    """The store, to read only: None when it was never made or is at an older schema (then
    what is planned knows no edits and no stored athletes yet)."""
    url = make_url(loaded.service.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "")
        if not (path if path.is_absolute() else loaded.state_dir / path).exists():
            return None
    try:
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        if store.revision() != store.head():
            click.echo(
                "racecal: warning: the store's schema is old; run 'racecal db upgrade'", err=True
            )
            return None
    except Exception as exc:  # an unreachable database must not hide the plan
        click.echo(f"racecal: warning: the store cannot be read ({type(exc).__name__})", err=True)
        return None
    return store


def open_to_look(config: str | None, say_where: bool = False) -> tuple[Config, Store]:
    """The config and its store for a dry run or `status`, which must not write even a schema
    (an admin's `racecal status` must not start a second database beside the service's): a
    store not made yet is taken as an empty one (in memory), with a line saying where it was
    looked for when `say_where`; one at an older schema is refused."""
    try:
        loaded = load_config(config_path(config))
        url = make_url(loaded.service.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database or "")
            if not path.is_absolute():
                path = loaded.state_dir / path
            if not path.exists():
                if say_where:
                    click.echo(f"racecal: no store at {path} yet: no pass has run", err=True)
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


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"racecal: {message}", err=True)
    sys.exit(code)
