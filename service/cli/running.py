"""`racecal run`, `racecal status` and `racecal db upgrade`: the service and its store."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, cast

import click

from service.cli.looking import fail
from service.cli.opening import open_store, open_to_look
from service.config.load import CONFIG_HELP
from service.daemon.lifecycle import configure_logging
from service.daemon.runner import Daemon
from service.store.database import StoreError
from service.store.payload import fitness_from_json
from service.views.paces import result_lines, source_line, zones_line
from service.views.status import athlete_status


@click.group()
def db() -> None:
    """Manage the state store (SQLite by default, PostgreSQL by URL)."""


@db.command("upgrade")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
def db_upgrade(config: str | None) -> None:
    """Bring the store's schema to the newest revision (the daemon also does this on start).

    \b
    Example:
      racecal db upgrade --config /etc/racecal/config.toml
    """
    loaded, store = open_store(config, athletes=False)
    if loaded.service.executor == "procrastinate":
        # The queue's tables too, so workers find them (and `racecal worker` needs no DDL).
        try:
            from service.daemon.queue import apply_schema  # noqa: PLC0415 (the optional extra)
        except ImportError:
            fail("executor procrastinate needs procrastinate: pip install 'racecal[scale]'")
        try:
            made = apply_schema(store.engine)
        except StoreError as exc:
            fail(str(exc))
        click.echo(f"racecal: procrastinate's schema {'applied' if made else 'in place'}")
    click.echo(f"racecal: store at revision {store.revision()}")


@click.command("run", short_help="Run the service: a pass now, every INTERVAL minutes, on saves.")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 1440),
    help="Minutes between passes (default: [service] interval_minutes, 15).",
)
def run(config: str | None, interval: float | None) -> None:
    """Run the service: sync every athlete now and every INTERVAL minutes, and whenever a local
    race or busy file changes. SIGTERM or Ctrl-C finishes the current pass and exits 0 (a pass
    still waiting on a slow calendar after 20 s is left for the next start).

    Every athlete is synced: the config file's (laid into the store at start) and those
    added with `racecal athlete`; one added, changed or removed there is taken up within a
    few seconds, with no restart.

    With [service] http (or RACECAL_HTTP) set, it also serves /healthz, /readyz, /metrics and a
    read-only plan page on that address.

    \b
    Examples:
      racecal run --config /etc/racecal/config.toml
      RACECAL_HTTP=127.0.0.1:8765 racecal run    then open http://127.0.0.1:8765/
    """
    loaded, store = open_store(config)
    if loaded.service.executor == "procrastinate":
        fail(
            f'{loaded.path}: [service] executor is "procrastinate": run `racecal worker` on '
            "each machine instead of racecal run"
        )
    configure_logging(loaded.service.log_format)
    daemon = Daemon(loaded, store, interval or loaded.service.interval_minutes)
    code = daemon.run()
    if daemon.abandoned:
        # The pass left behind holds a worker thread that the interpreter would wait for.
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


@click.command(
    "status", short_help="Per athlete: last pass, races, sessions, your edits, last error."
)
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(config: str | None, as_json: bool) -> None:
    """Per athlete: last pass, races seen, sessions managed, pinned and deleted by you, last error;
    then where the paces come from, the paces, and what each race result did to them (R7).

    Only reads: a store not made yet shows every athlete as never run. A config in
    /etc/racecal reads the system service's store in /var/lib/racecal.

    \b
    Examples:
      racecal status --json
      sudo /opt/racecal/bin/racecal status --config /etc/racecal/config.toml
    """
    loaded, store = open_to_look(config, say_where=True)
    rows = athlete_status(
        store, [a.athlete.id for a in loaded.athletes], loaded.service.interval_minutes
    )
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for row in rows:
        click.echo(
            f"{row['athlete']}: last pass {row['last_pass'] or 'never'}"
            f" ({row['last_result']}); races {row['races_seen']}; sessions "
            f"{row['sessions_managed']}; pinned {row['pinned']}; deleted {row['deleted']}"
            + ("; NEEDS RE-AUTH" if row["needs_reauth"] else "")
            + "".join(
                f"; HELD: {held['source']} reads empty since {held['empty_since']}"
                f" (racecal sync --once --accept-empty {row['athlete']})"
                for held in cast(list[dict[str, str]], row["held_sources"])
            )
            + "".join(
                f"; moved: {m['race']}: {m['from']} -> {m['to']} (seen {m['seen_at'][:16]})"
                for m in cast(list[dict[str, str]], row["race_moves"])[:1]
            )
            + (f"; last error: {row['last_error']}" if row["last_error"] else "")
        )
        paces = cast(dict[str, Any] | None, row["paces"])
        if paces is not None:
            # R7: where the paces come from, the paces, then what each race result did.
            fitness = fitness_from_json(paces)
            click.echo(f"  {source_line(fitness)}: {zones_line(fitness)}")
            for line in result_lines(fitness):
                click.echo(f"  result: {line}")
