"""`racecal sync --once`: one pass for every athlete, one line each, and an exit code that
says how they went (the README's table)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import click
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.exc import DBAPIError

from scheduler.plan import zone
from service.calendars import training_target
from service.cli.looking import fail
from service.cli.opening import open_store, open_to_look
from service.config.load import CONFIG_HELP, AthleteConfig, Config
from service.config.reader import ConfigError
from service.store import state
from service.store.database import Store
from service.store.history import prune_runs
from service.sync.decide import KeepPlan, as_json, counts
from service.sync.engine import LOCK_WAIT, PassResult, run_pass


@click.command(
    "sync",
    short_help="One pass for every athlete: read races, plan, write what changed.",
)
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--once", is_flag=True, required=True, help="Run one pass for every athlete and exit."
)
@click.option(
    "--now",
    metavar="ISO-8601",
    help="Pretend it is this moment (with offset), e.g. to replay a pass; default: now.",
)
@click.option(
    "--dry-run",
    "dry_run",
    is_flag=True,
    help="Print the actions the pass would take; write nothing (calendar, store, anything).",
)
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the actions as JSON.")
@click.option(
    "--accept-empty",
    "accept_empty",
    metavar="ATHLETE",
    multiple=True,
    help="A race or busy source of ATHLETE that reads empty really is empty: take it now "
    "instead of keeping the plan for a day.",
)
@click.option(
    "--wait",
    "wait",
    type=click.FloatRange(0, 3600),
    default=LOCK_WAIT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another racecal's pass of an athlete (the service's) to end "
    "before leaving that athlete out.",
)
def sync_once(
    config: str | None,
    once: bool,
    now: str | None,
    dry_run: bool,
    as_json: bool,
    accept_empty: tuple[str, ...],
    wait: float,
) -> None:
    """Run one sync pass for every athlete: read races, plan, write what changed. Every
    athlete means the config file's (laid into the store first) and those added with
    `racecal athlete`.

    Exits 0 when every athlete's pass succeeded; otherwise 3, with one line per failed athlete
    (2 when a pass failed on a file that cannot be read or written: a folder, a read-only or
    full disk).

    One athlete's pass runs in one racecal process at a time: when another one (the service,
    a second `sync --once`) is in the middle of it, this one waits for it up to --wait seconds,
    then says "another racecal holds ATHLETE", leaves that athlete out (exit 3) and goes on.
    With --dry-run each athlete's line says what would be written, followed by one line per
    action (create, update, delete, and the athlete's edits racecal would record); nothing is
    written anywhere.

    A source that held events and suddenly reads empty (a truncated file, the wrong calendar)
    is taken for a fault: the plan is kept and a warning names the source, until you confirm
    with --accept-empty ATHLETE or it has read empty for 24 hours.

    \b
    Examples:
      racecal sync --once --config config.example.toml
      racecal sync --once --dry-run
      racecal sync --once --dry-run --json | jq '.[0].actions'
      racecal sync --once --accept-empty alex
    """
    if as_json and not dry_run:
        fail("--json goes with --dry-run")
    if accept_empty and dry_run:
        fail("--accept-empty changes what the store remembers; it does not go with --dry-run")
    loaded, store = open_to_look(config) if dry_run else open_store(config)
    for athlete_id in accept_empty:
        try:
            loaded.athlete(athlete_id)
        except ConfigError as exc:
            fail(str(exc))
        taken = state.accept_empty(store, athlete_id)
        click.echo(
            f"racecal: {athlete_id}: "
            + (f"accepted as empty: {', '.join(taken)}" if taken else "no source is held"),
            file=sys.stderr,
        )
    moment = _moment(now)
    if not loaded.athletes:
        click.echo(
            f"racecal: no athletes in {loaded.path} or the store: add one with "
            "'racecal athlete add'",
            err=True,
        )
    failed = 0
    # A file that cannot be read or written (a folder, a read-only or full disk) is bad input
    # to fix, like a bad config: exit 2, as the exit-code table says.
    file_trouble = False
    dry: list[dict[str, object]] = []
    # A progress bar for people at a terminal (first syncs of many athletes take a while);
    # scripts and logs get the plain lines only. Each athlete's line is printed when its pass
    # ends, so a slow athlete does not hide the others. The bar lifts stdout above itself only
    # when stdout is that terminal too: `sync --once > log` keeps every line in the log.
    console = Console(stderr=True)
    with Progress(
        console=console,
        transient=True,
        disable=not console.is_terminal or as_json,
        redirect_stdout=sys.stdout.isatty(),
    ) as progress:
        task = progress.add_task("syncing", total=len(loaded.athletes))
        for entry in loaded.athletes:
            progress.update(task, description=f"syncing {entry.athlete.id}")
            moment_for = moment or datetime.now(zone(entry.athlete.timezone))
            result = run_pass(store, entry, moment_for, dry_run=dry_run, lock_wait=wait)
            file_trouble |= result.error_kind == "file"
            if as_json:
                failed += _dry_json(entry, result, dry)
            else:
                failed += _report(entry, result)
            progress.advance(task)
    if as_json:
        click.echo(json.dumps(dry, indent=2, sort_keys=True))
    if not dry_run:
        _prune(store, loaded, moment or datetime.now(UTC))
    if failed:
        sys.exit(2 if file_trouble else 3)


def _prune(store: Store, loaded: Config, now: datetime) -> None:
    """The pass history past [service] pass_history_days goes; a store that refuses (a full
    disk, said for each athlete already) keeps it until a later pass."""
    before = now - timedelta(days=loaded.service.pass_history_days)
    try:
        prune_runs(store, [a.athlete.id for a in loaded.athletes], before)
    except DBAPIError as exc:
        said = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
        click.echo(f"racecal: warning: the pass history was not pruned ({said})", err=True)


def _report(entry: AthleteConfig, result: PassResult) -> int:
    """One line for the athlete's pass (warnings and errors on stderr); 1 when it failed.
    The streams are named at each call: under the progress bar sys.stdout and sys.stderr are
    rich's proxies, which print above the bar, and click's default streams would bypass them."""
    for problem in result.problems:
        click.echo(f"racecal: {entry.athlete.id}: warning: {problem}", file=sys.stderr)
    if result.error:
        click.echo(f"racecal: {entry.athlete.id}: {result.error}", file=sys.stderr)
        return 1
    if result.dry_run:
        would = counts(list(result.actions))
        click.echo(
            f"racecal: {entry.athlete.id}: dry run: would create {would['created']}, "
            f"update {would['updated']}, delete {would['deleted']} -> {training_target(entry)}",
            file=sys.stdout,
        )
        for action in result.actions:
            if not isinstance(action, KeepPlan):
                click.echo(f"  {action.line()}", file=sys.stdout)
        return 0
    # One line per athlete: what changed in the races rides at its end.
    races = "".join(f"; {line}" for line in result.races_said)
    click.echo(
        f"racecal: {entry.athlete.id}: {result.created} created, "
        f"{result.updated} updated, {result.deleted} deleted -> {training_target(entry)}{races}",
        file=sys.stdout,
    )
    return 0


def _dry_json(entry: AthleteConfig, result: PassResult, out: list[dict[str, object]]) -> int:
    for problem in result.problems:
        click.echo(f"racecal: {entry.athlete.id}: warning: {problem}", file=sys.stderr)
    out.append(
        {
            "athlete": entry.athlete.id,
            "target": training_target(entry),
            "error": result.error,
            "would": counts(list(result.actions)),
            "actions": [as_json(a) for a in result.actions if not isinstance(a, KeepPlan)],
        }
    )
    return 1 if result.error else 0


def _moment(given: str | None) -> datetime | None:
    if not given:
        return None
    try:
        moment = datetime.fromisoformat(given)
    except ValueError:
        fail(f"--now: '{given}' is not an ISO 8601 date-time")
    if moment.tzinfo is None:
        fail(f"--now: '{given}' has no UTC offset; add one, e.g. +01:00")
    return moment
