"""`racecal athlete add|edit|list|show|remove|import`: the athletes kept in the store.

Each is checked by the config file's own schema before anything is written (bad input: one
line, exit 2, nothing written); a running service takes the change up on its next look at the
store (a second or two), with no restart. The config file's [[athletes]] stay the file's:
they are listed and shown here, and edited in the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from service.calendars import training_target
from service.cli.invite import invite
from service.cli.looking import fail
from service.cli.opening import private_files
from service.config.load import CONFIG_HELP, Config, athlete_from_table, config_path, load_config
from service.config.reader import ConfigError, read_toml
from service.config.setting import set_key, toml_text
from service.store import athletes
from service.store.database import Store, StoreError
from service.sync.athletes import build, file_ids, look, where


def _open(config: str | None) -> tuple[Config, Store]:
    private_files()
    try:
        loaded = load_config(config_path(config))
        store = Store.open(loaded.service.database_url, loaded.state_dir)
        store.upgrade()
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    return loaded, store


def _tables(path: Path, many: bool) -> list[dict[str, Any]]:
    """The [[athletes]] tables of a TOML file (one, unless `many`), or the file itself as a
    bare athlete table."""
    try:
        raw = read_toml(path)
    except ConfigError as exc:
        fail(str(exc))
    found = raw.get("athletes")
    if found is None:
        tables = [raw] if "id" in raw or not many else []
    elif isinstance(found, list) and all(isinstance(t, dict) for t in found):
        tables = found
    else:
        fail(f"{path}: athletes: expected [[athletes]] tables")
    if not tables:
        fail(f"{path}: no [[athletes]] table")
    if not many and len(tables) != 1:
        fail(f"{path}: {len(tables)} [[athletes]] tables; give one (or 'racecal athlete import')")
    return tables


def _check_new(loaded: Config, store: Store, athlete_id: str) -> None:
    if athlete_id in file_ids(loaded):
        fail(f"athlete '{athlete_id}' is in {loaded.path}; change it there")
    row = athletes.one(store, athlete_id)
    if row is not None and row.origin == "cli":
        fail(f"athlete '{athlete_id}' is there already; change it with 'racecal athlete edit'")


def _checked(loaded: Config, table: dict[str, Any], base: Path) -> None:
    try:
        athlete_from_table(table, loaded, base, where(str(table.get("id", "?"))))
    except ConfigError as exc:
        fail(str(exc))


def _apply(table: dict[str, Any], sets: tuple[str, ...]) -> None:
    for assignment in sets:
        try:
            set_key(table, assignment)
        except ConfigError as exc:
            fail(str(exc))


SET_HELP = (
    "KEY=VALUE, KEY as in the file (dotted: windows.weekdays=06:00-07:30,17:30-21:00); "
    "lists split at commas; an empty VALUE sets the key back to its default. Repeatable."
)


@click.group(short_help="Add, change, list and remove the athletes racecal syncs.")
def athlete() -> None:
    """Add, change, list and remove the athletes racecal syncs, kept in the store.

    A running service picks up an added, changed or removed athlete within a few seconds,
    without a restart. The config file's [[athletes]] tables are synced into the store when
    `racecal run` or `racecal sync --once` starts; they are listed here and changed in the file.

    \b
    Examples:
      racecal athlete add sam --timezone Europe/Berlin --run-days mon,wed,sat \\
          --long-run-day sat --races ~/cal/races.ics
      racecal athlete edit sam --set weekly_km=50 --set windows.weekend=08:00-11:00
      racecal athlete list --json
      racecal athlete import old-config.toml
    """


@athlete.command("add", short_help="Add an athlete from options and/or a TOML file.")
@click.argument("athlete_id", metavar="[ID]", required=False)
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--from",
    "from_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file with one [[athletes]] table (or a bare athlete table); its relative "
    "paths are read from its folder.",
)
@click.option("--timezone", metavar="TZ", help="IANA timezone, e.g. Europe/Berlin.")
@click.option("--run-days", metavar="DAYS", help="3-7 weekdays, e.g. mon,wed,fri,sun (R1).")
@click.option("--long-run-day", metavar="DAY", help="One of the run days (R4).")
@click.option("--weekly-km", type=float, metavar="KM", help="Weekly running volume today (R5).")
@click.option("--easy-pace", metavar="M:SS", help="Easy pace per km, e.g. 5:45 (R7).")
@click.option("--races", multiple=True, metavar="FILE|URL", help="A race calendar. Repeatable.")
@click.option("--busy", multiple=True, metavar="FILE|URL", help="A busy calendar. Repeatable.")
@click.option("--output", metavar="FILE", help="The training .ics (default var/ID-training.ics).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def add(
    athlete_id: str | None,
    config: str | None,
    from_file: Path | None,
    timezone: str | None,
    run_days: str | None,
    long_run_day: str | None,
    weekly_km: float | None,
    easy_pace: str | None,
    races: tuple[str, ...],
    busy: tuple[str, ...],
    output: str | None,
    sets: tuple[str, ...],
) -> None:
    """Add an athlete: from the options, from a file, or both (the options win). Relative
    race and busy paths given as options are read from the current folder.

    \b
    Examples:
      racecal athlete add sam --timezone Europe/Berlin --run-days mon,wed,sat \\
          --long-run-day sat --races races.ics
      racecal athlete add --from sam.toml
    """
    loaded, store = _open(config)
    table = _tables(from_file, many=False)[0] if from_file else {}
    base = from_file.parent.absolute() if from_file else Path.cwd()
    if athlete_id is not None:
        if "id" in table and table["id"] != athlete_id:
            fail(f"{from_file}: its id is {table['id']!r}, not {athlete_id!r}")
        table["id"] = athlete_id
    if "id" not in table:
        fail("give the athlete's ID (or --from a file whose table has an id)")
    given = {
        "timezone": timezone,
        "long_run_day": long_run_day,
        "weekly_km": weekly_km,
        "easy_pace": easy_pace,
    }
    table.update({k: v for k, v in given.items() if v is not None})
    if run_days is not None:
        table["run_days"] = [d.strip() for d in run_days.split(",") if d.strip()]
    for key, values in (("races", races), ("busy", busy)):
        if values:
            table.setdefault(key, {})["ics"] = [_here(v) for v in values]
    if output is not None:
        table.setdefault("output", {})["ics"] = str(Path(output).absolute())
    _apply(table, sets)
    _add([table], loaded, store, base)


def _here(value: str) -> str:
    return value if value.startswith(("http://", "https://")) else str(Path(value).absolute())


def _add(tables: list[dict[str, Any]], loaded: Config, store: Store, base: Path) -> None:
    """Every table checked first; then all stored, or nothing."""
    seen: set[str] = set()
    for table in tables:
        _checked(loaded, table, base)
        athlete_id = str(table["id"])
        if athlete_id in seen:
            fail(f"athlete '{athlete_id}' is given twice")
        seen.add(athlete_id)
        _check_new(loaded, store, athlete_id)
    now = datetime.now(UTC)
    for table in tables:
        athletes.put(store, str(table["id"]), table, "cli", str(base), now)
        click.echo(f"racecal: {table['id']}: added")


@athlete.command("import", short_help="Add every [[athletes]] table of a TOML file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
def import_(file: Path, config: str | None) -> None:
    """Add every [[athletes]] table of FILE (a racecal config, say); relative paths are read
    from its folder. All are checked before any is added.

    To move the config file's own athletes into the store: take their tables out of the
    config, then import a copy of the old config.

    \b
    Example:
      racecal athlete import old-config.toml
    """
    loaded, store = _open(config)
    _add([dict(t) for t in _tables(file, many=True)], loaded, store, file.parent.absolute())


@athlete.command("edit", short_help="Change an athlete: --set KEY=VALUE and/or --from FILE.")
@click.argument("athlete_id", metavar="ID")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--from",
    "from_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replace the athlete's table with FILE's (one [[athletes]] table or a bare one).",
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def edit(
    athlete_id: str, config: str | None, from_file: Path | None, sets: tuple[str, ...]
) -> None:
    """Change an athlete added with `racecal athlete`: its table replaced from a file, keys
    set, or both (--set after --from). A running service plans with it at its next pass.

    \b
    Examples:
      racecal athlete edit sam --set weekly_km=50 --set goal=3:45:00
      racecal athlete edit sam --set windows.mon=12:00-13:00 --set recent_race=
      racecal athlete show sam > sam.toml      then edit sam.toml, and
      racecal athlete edit sam --from sam.toml
    """
    if not from_file and not sets:
        fail("nothing to change: give --set KEY=VALUE or --from FILE")
    loaded, store = _open(config)
    if athlete_id in file_ids(loaded):
        fail(f"athlete '{athlete_id}' is in {loaded.path}; change it there")
    row = athletes.one(store, athlete_id)
    if row is None or row.origin != "cli":
        fail(f"no athlete '{athlete_id}' added with 'racecal athlete'", 1)
    table, base = dict(row.settings), Path(row.base_dir)
    if from_file:
        table = _tables(from_file, many=False)[0]
        if table.setdefault("id", athlete_id) != athlete_id:
            fail(f"{from_file}: its id is {table['id']!r}, not {athlete_id!r}")
        base = from_file.parent.absolute()
    _apply(table, sets)
    _checked(loaded, table, base)
    try:
        version = athletes.put(
            store, athlete_id, table, "cli", str(base), datetime.now(UTC), row.version
        )
    except athletes.Changed as exc:
        fail(str(exc))
    said = "changed" if version != row.version else "unchanged"
    click.echo(f"racecal: {athlete_id}: {said} (version {version})")


@athlete.command("remove", short_help="Stop syncing an athlete; its calendar's events stay.")
@click.argument("athlete_id", metavar="ID")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
def remove(athlete_id: str, config: str | None) -> None:
    """Stop syncing an athlete added with `racecal athlete`. The sessions already in their
    training calendar stay there: the calendar is theirs (delete them in the calendar app,
    or the .ics file, if they are not wanted). What the store remembers of the athlete is
    kept, so adding the same id again goes on where it stopped.

    \b
    Example:
      racecal athlete remove sam
    """
    loaded, store = _open(config)
    if athlete_id in file_ids(loaded):
        fail(f"athlete '{athlete_id}' is in {loaded.path}; take its [[athletes]] table out there")
    row = athletes.one(store, athlete_id)
    entry = None
    if row is not None and row.origin == "cli":
        try:
            entry = build(loaded, row)
        except ConfigError:
            entry = None
    gone = row is not None and row.origin == "cli"
    if not gone or not athletes.remove(store, athlete_id, datetime.now(UTC)):
        fail(f"no athlete '{athlete_id}' added with 'racecal athlete'", 1)
    kept = f" in {training_target(entry)}" if entry is not None else ""
    click.echo(
        f"racecal: {athlete_id}: removed; no more passes. The sessions already written{kept} "
        "are left as they are"
    )


def _rows(loaded: Config, store: Store) -> list[dict[str, Any]]:
    roster = look(loaded, store)
    stored = {r.id: r for r in athletes.stored(store)}
    out = []
    for entry in roster.config.athletes:
        row = stored.get(entry.athlete.id)
        origin = "config" if entry.athlete.id in file_ids(loaded) else "cli"
        out.append(
            {
                "id": entry.athlete.id,
                "origin": origin,
                "version": row.version if row is not None else None,
                "updated_at": row.updated_at.isoformat() if row and row.updated_at else None,
                "timezone": entry.athlete.timezone,
                "target": training_target(entry),
            }
        )
    return out


@athlete.command("list", short_help="Every athlete racecal syncs, and where each comes from.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(config: str | None, as_json: bool) -> None:
    """Every athlete racecal syncs: the config file's, then those added with `racecal
    athlete`, with where each comes from and its training calendar.

    \b
    Example:
      racecal athlete list --json | jq '.[].id'
    """
    loaded, store = _open(config)
    try:
        rows = _rows(loaded, store)
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for row in rows:
        where_from = str(loaded.path) if row["origin"] == "config" else "racecal athlete"
        click.echo(f"{row['id']}: {row['timezone']}; from {where_from}; -> {row['target']}")


@athlete.command("show", short_help="An athlete's table as TOML or JSON.")
@click.argument("athlete_id", metavar="ID")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(athlete_id: str, config: str | None, as_json: bool) -> None:
    """An athlete's table as racecal holds it, as TOML (`athlete edit --from` reads it back)
    or JSON.

    \b
    Examples:
      racecal athlete show sam
      racecal athlete show sam --json | jq .settings.run_days
    """
    loaded, store = _open(config)
    in_file = next((t for t in loaded.tables if t.get("id") == athlete_id), None)
    row = athletes.one(store, athlete_id)
    settings: Mapping[str, Any]
    if in_file is not None:
        settings, base = in_file, str(loaded.path.parent.absolute())
    elif row is not None and row.origin == "cli":
        settings, base = row.settings, row.base_dir
    else:
        fail(f"no athlete '{athlete_id}'", 1)
    body = {
        "id": athlete_id,
        "origin": "config" if in_file is not None else "cli",
        "version": row.version if row is not None else None,
        "base_dir": base,
        "updated_at": row.updated_at.isoformat() if row and row.updated_at else None,
        "settings": dict(settings),
    }
    if as_json:
        click.echo(json.dumps(body, indent=2, sort_keys=True))
        return
    where_from = str(loaded.path) if in_file is not None else "racecal athlete"
    click.echo(
        f"# {athlete_id}: from {where_from}, version {body['version']}; relative paths are "
        f"read from {body['base_dir']}"
    )
    click.echo(toml_text(settings))


# In a module of its own (this one is long enough), under this group.
athlete.add_command(invite)
