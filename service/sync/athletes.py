"""The athletes passes are for: the config file's [[athletes]], laid into the store at start,
and the ones added with `racecal athlete`, read back from the store through the config's own
schema (service.config.load.athlete_from_table), so a stored athlete accepts exactly what a
table in the file does.

The rules, as the README gives them: an athlete of the config file is the file's (stored with
origin "config", overwritten at every start, edited in the file); one whose table left the
file is no longer synced, as before athletes were stored; one added with `racecal athlete`
(origin "cli") is the store's alone. An id that is both in the file and added with `racecal
athlete` is an error naming it: which of the two is meant is the person's to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.config.load import AthleteConfig, Config, athlete_from_table
from service.config.reader import ConfigError
from service.store.glance import Reader
from service.store.records import Stored

if TYPE_CHECKING:
    from service.store.database import Store


@dataclass(frozen=True)
class Roster:
    # The config with every athlete racecal syncs: the file's first, in its order, then the
    # store's, oldest first.
    config: Config
    # One line for each stored athlete that cannot be built any more (a [google] table gone
    # from the config, say); the others are synced.
    broken: tuple[str, ...] = ()


def where(athlete_id: str) -> str:
    return f"athlete '{athlete_id}' (racecal athlete)"


def build(config: Config, row: Stored) -> AthleteConfig:
    """A stored athlete as the config would build it; a ConfigError naming it when it cannot
    be (the config's shared tables changed since it was stored)."""
    return athlete_from_table(row.settings, config, Path(row.base_dir), _named(config, row))


def _named(config: Config, row: Stored) -> str:
    """Where a message sends the person to change the athlete: the config file's table for
    one of the file's (as a pass in `racecal run` names it), else `racecal athlete`."""
    ids = file_ids(config)
    if row.origin == "config" and row.id in ids:
        return f"{config.path}: athletes[{ids.index(row.id)}]"
    return where(row.id)


def config_base(config: Config) -> str:
    """The folder the file's relative paths are read from, as the store keeps it."""
    return str(config.path.parent.absolute())


def file_ids(config: Config) -> list[str]:
    return [str(t["id"]) for t in config.tables]


def settle(config: Config, store: Store, now: datetime) -> Roster:
    """Lay the file's athletes into the store (the file wins for its own), stop syncing those
    whose table left it, and return every athlete racecal syncs."""
    # Here, not at the top: a command that only reads (look) must not pay for SQLAlchemy.
    from service.store import athletes  # noqa: PLC0415

    rows = {r.id: r for r in store.athletes()}
    _no_clash(config, rows)
    base = config_base(config)
    for table in config.tables:
        athletes.put(store, str(table["id"]), dict(table), "config", base, now)
    ours = set(file_ids(config))
    for row in rows.values():
        if row.origin == "config" and row.id not in ours:
            athletes.remove(store, row.id, now)
    return _roster(config, [r for r in rows.values() if r.origin == "cli"])


def look(config: Config, store: Reader | None) -> Roster:
    """The same athletes without writing anything (plan show, status, a dry run): the file's
    as it says, and the store's added ones."""
    if store is None:
        return Roster(config)
    rows = {r.id: r for r in store.athletes()}
    _no_clash(config, rows)
    return _roster(config, [r for r in rows.values() if r.origin == "cli"])


def _no_clash(config: Config, rows: Mapping[str, Stored]) -> None:
    for athlete_id in file_ids(config):
        row = rows.get(athlete_id)
        if row is not None and row.origin == "cli":
            raise ConfigError(
                f"{config.path}: athlete '{athlete_id}' is in this file and was also added "
                f"with 'racecal athlete': remove one (its [[athletes]] table, or "
                f"'racecal athlete remove {athlete_id}')"
            )


def _roster(config: Config, added: list[Stored]) -> Roster:
    built: list[AthleteConfig] = []
    broken: list[str] = []
    for row in added:
        try:
            built.append(build(config, row))
        except ConfigError as exc:
            broken.append(str(exc))
    # A config that is a roster's already holds the added ones: they are built anew.
    ids = {r.id for r in added}
    own = tuple(a for a in config.athletes if a.athlete.id not in ids)
    return Roster(replace(config, athletes=(*own, *built)), tuple(broken))


def table_of(config: Config, store: Store | None, athlete_id: str) -> dict[str, Any] | None:
    """The athlete's table as racecal holds it: the file's, else the store's."""
    for table in config.tables:
        if table.get("id") == athlete_id:
            return dict(table)
    from service.store import athletes  # noqa: PLC0415 (see settle)

    row = athletes.one(store, athlete_id) if store is not None else None
    return row.settings if row is not None and row.origin == "cli" else None
