"""`racecal workouts export`: the plan's sessions as FIT workout files in a folder, for a
watch's NEWFILES folder or an import into Garmin Connect, COROS or intervals.icu."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import click

from scheduler.plan import zone
from service.cli.looking import fail
from service.cli.plan import held_for
from service.config.load import CONFIG_HELP
from service.views.workout_folder import export


@click.group(short_help="The plan's sessions as FIT workout files for a watch.")
def workouts() -> None:
    """The plan's sessions as FIT workout files for a watch: each run with its steps, paces
    and repeats, each strength session with its exercises, sets and reps."""


@workouts.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the .fit files into (made when missing).",
)
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--athlete", metavar="ID", help="Athlete id (default: the first).")
@click.option(
    "--today", metavar="YYYY-MM-DD", help="Plan as if today were this date (default: today)."
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    help="Weeks to export (default: plan_weeks, and on to the next A race's week).",
)
def export_command(
    out: Path, config: str | None, athlete: str | None, today: str | None, weeks: int | None
) -> None:
    """Write one FIT workout file per session still ahead into --out, named by the session's
    key. Run it again after the plan changed: a moved or re-planned session is rewritten
    under the same name, the files of sessions that are gone are removed (only files this
    command wrote; a list in the folder says which).

    \b
    Examples:
      racecal workouts export --out /media/GARMIN/GARMIN/NEWFILES
      racecal workouts export --out workouts --weeks 2
    """
    entry, held = held_for(config, athlete, today, weeks)
    tz = zone(entry.athlete.timezone)
    since = datetime.combine(held.plan.today, time(0), tzinfo=tz)
    ahead = tuple(s for s in held.plan.sessions if s.end > since)
    try:
        done = export(ahead, out, entry.athlete.id, entry.athlete.units)
    except OSError as exc:
        fail(f"{out}: {exc.strerror or exc}")
    click.echo(f"{out}: {done.line()}")
