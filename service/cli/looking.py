"""Opening the config, and the store to read only, for the commands that only look (plan show,
check and explain, workouts export, doctor): one line on stderr and exit 2 when the config
cannot be read. A plain SQLite store is read with Python's own sqlite3 (service.store.glance):
SQLAlchemy's imports would be a third of `plan show`'s time, so nothing here imports it unless
the store is another database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from service.config.fields import sqlite_file
from service.config.load import Config, config_path, load_config
from service.config.reader import ConfigError
from service.store.glance import Glance, Reader, newest_revision
from service.sync.athletes import Roster, look

if TYPE_CHECKING:
    from service.store.database import Store


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"racecal: {message}", err=True)
    sys.exit(code)


def said(roster: Roster) -> Config:
    """The roster's config, after a line on stderr for each stored athlete it leaves out."""
    for line in roster.broken:
        click.echo(f"racecal: warning: {line}; not synced", err=True)
    return roster.config


def everyone(config: str | None) -> tuple[Config, Reader | None]:
    """The config with the store's athletes too, read only (the store as `store_to_look`
    gives it); one line and exit 2 when the config cannot be read."""
    try:
        loaded = load_config(config_path(config))
        store = store_to_look(loaded)
        return said(look(loaded, store)), store
    except ConfigError as exc:
        fail(str(exc))


def store_to_look(loaded: Config) -> Reader | None:
    """The store, to read only: None when it was never made or is at an older schema (then
    what is planned knows no edits and no stored athletes yet)."""
    url = loaded.service.database_url
    file = sqlite_file(url)
    try:
        store: Glance | Store
        if sqlite_missing(url, loaded.state_dir) is not None:
            return None
        if file is not None:
            store = Glance(loaded.state_dir / file)
        else:
            from service.store.database import Store  # noqa: PLC0415 (see the top)

            store = Store.open(url, loaded.state_dir)
        if store.revision() != newest_revision():
            click.echo(
                "racecal: warning: the store's schema is old; run 'racecal db upgrade'", err=True
            )
            return None
    except Exception as exc:  # an unreachable database must not hide the plan
        click.echo(f"racecal: warning: the store cannot be read ({type(exc).__name__})", err=True)
        return None
    return store


def sqlite_missing(url: str, base: Path) -> Path | None:
    """Where a SQLite store would be when it was never made (a look must not make it); None
    when it is there, or the store is another database."""
    file = sqlite_file(url)
    if file is None:
        from sqlalchemy.engine import make_url  # noqa: PLC0415 (see the top)

        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        file = parsed.database or ""
    path = base / file
    return None if path.exists() else path
