"""`racecal plan show|check|chart|explain` and `racecal release`: the plan as racecal holds it
(the athlete's edits from the store included), looked at without writing anything but a release."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from pathlib import Path

import click
from rich.console import Console

from scheduler.check import broken, check_plan
from scheduler.explain import explain_session, session_to_json
from scheduler.model import PlanError, PlanRequest
from scheduler.plan import zone
from service.cli.looking import everyone, fail
from service.config.load import CONFIG_HELP, AthleteConfig
from service.config.reader import ConfigError
from service.views.chart import draw_chart
from service.views.held import RULES, HeldPlan, NoPlan, held_json, held_plan
from service.views.render import render_plan


def _when(entry: AthleteConfig, given: str | None) -> tuple[date, datetime | None]:
    """The day to plan from and, when it is really today, the moment: nothing is placed in the
    part of today that is already over."""
    if given:
        try:
            return date.fromisoformat(given), None
        except ValueError:
            fail(f"--today: '{given}' is not a date; expected YYYY-MM-DD")
    # The one place racecal reads the clock: the athlete's own date and time.
    now = datetime.now(zone(entry.athlete.timezone))
    return now.date(), now


def _plan(
    config: str | None, athlete: str | None, today: str | None, weeks: int | None
) -> HeldPlan:
    return held_for(config, athlete, today, weeks)[1]


def held_for(
    config: str | None, athlete: str | None, today: str | None, weeks: int | None
) -> tuple[AthleteConfig, HeldPlan]:
    """The athlete and the plan as the calendar holds it (the athlete's edits the store
    recorded), or the last good plan when a source cannot be read; one line and exit 2 when
    there is none."""
    try:
        loaded, store = everyone(config)
        entry = loaded.athlete(athlete)
        day, now = _when(entry, today)
        moment = now or datetime.combine(day, time(0), tzinfo=zone(entry.athlete.timezone))
        held = held_plan(entry, store, moment, weeks)
    except (ConfigError, NoPlan, PlanError) as exc:
        fail(str(exc))
    for problem in held.problems:
        click.echo(f"racecal: warning: {problem}", err=True)
    if held.stale:
        made = held.made_at.isoformat(timespec="minutes") if held.made_at else "?"
        click.echo(
            f"racecal: warning: {held.stale}; showing the last good plan (made {made})", err=True
        )
    return entry, held


@click.group()
def plan() -> None:
    """Look at the training plan built from your races."""


def _common(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)(f)
    f = click.option("--athlete", metavar="ID", help="Athlete id (default: the first).")(f)
    return click.option(
        "--today", metavar="YYYY-MM-DD", help="Plan as if today were this date (default: today)."
    )(f)


@plan.command("show")
@_common
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    help="Weeks to show (default: plan_weeks, and on to the next A race's week).",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"sessions": [...], "warnings": [...]}.'
)
def show(
    config: str | None, athlete: str | None, today: str | None, weeks: int | None, as_json: bool
) -> None:
    """Print the plan week by week: phase, each day's sessions with times, races; first where
    your paces come from and what each race result in your calendar did (R7). Sessions you
    changed in your calendar show as you left them ("you moved this"); the ones you deleted are
    listed apart. Runs from another app's calendar ([athletes.runs], R6) are listed beside
    the strength placed around them, marked as from the other app. When a race or busy source
    cannot be read, the last good plan is shown.

    \b
    Examples:
      racecal plan show --config config.example.toml
      racecal plan show --today 2027-03-01 --weeks 6
      racecal plan show --json | jq '.sessions[0]'
    """
    held = _plan(config, athlete, today, weeks)
    if as_json:
        click.echo(json.dumps(held_json(held), indent=2, sort_keys=True))
        return
    render_plan(held.plan, Console(highlight=False), held)


@plan.command("check")
@_common
@click.option("--json", "as_json", is_flag=True, help="Print the list of rule results as JSON.")
def check(config: str | None, athlete: str | None, today: str | None, as_json: bool) -> None:
    """Check the plan as the calendar holds it against every planning rule racecal can read
    from a plan: one line per rule, "L1 ok" or "R5 BROKEN: ..." naming the session or week.
    Exit 1 when a hard rule is broken (L1-L6, L12-L16, R4, P5, P9, R7, R8); a soft one (the block's
    shape R5, R10, R9, P2, P10, L11 and S1's floor) reads "not met (soft)" and does not
    fail the check.

    \b
    Examples:
      racecal plan check --config config.example.toml
      racecal plan check --today 2027-03-01
      racecal plan check --json | jq '.[] | select(.met | not)'
    """
    entry, held = held_for(config, athlete, today, None)
    plan_ = held.plan
    request = held.request or PlanRequest(
        entry.athlete,
        plan_.races,
        plan_.today,
        len(plan_.weeks) or 1,
        external_runs=plan_.external_runs,
    )
    results = check_plan(plan_, request)
    if as_json:
        rows = [
            {"rule": r.rule, "met": r.met, "hard": r.hard, "violations": list(r.violations)}
            for r in results
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        for r in results:
            click.echo(r.line())
    if broken(results):
        sys.exit(1)


@plan.command("chart")
@_common
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    help="Weeks to draw (default: plan_weeks, and on to the next A race's week).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write: .png or .svg.",
)
def chart(
    config: str | None, athlete: str | None, today: str | None, weeks: int | None, out: Path
) -> None:
    """Draw weekly run volume and strength load, coloured by phase, races marked.

    \b
    Examples:
      racecal plan chart --out plan.png
      racecal plan chart --weeks 26 --out plan.svg
    """
    held = _plan(config, athlete, today, weeks)
    try:
        draw_chart(held.plan, out)
    except ImportError:
        fail("the chart needs matplotlib (pip install 'racecal[chart]')")
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{out}: {exc.strerror or exc}")
    click.echo(f"racecal: chart written to {out}")


@plan.command("explain")
@click.argument("key")
@_common
@click.option(
    "--json", "as_json", is_flag=True, help="Print the session and its explanation as JSON."
)
def explain(
    key: str, config: str | None, athlete: str | None, today: str | None, as_json: bool
) -> None:
    """Explain why the session KEY is on its day and time, citing the rules; for a session you
    changed or deleted in your calendar, say so. Ends with your edit rules.

    \b
    Example:
      racecal plan explain 'offseason/2026-W49/strength-1'
    """
    held = _plan(config, athlete, today, None)
    session = held.plan.session(key)
    gone = next((d for d in held.deleted if d.key == key), None)
    if session is None and gone is None:
        fail(f"no session with key '{key}' in the plan (see racecal plan show --json for keys)", 1)
    if session is None:
        assert gone is not None
        when = f" ({gone.start:%a %Y-%m-%d %H:%M})" if gone.start else ""
        text = f"{gone.title}{when}\n  key:   {key}\nYours: you deleted it; it is not made again."
        text += f"\n\n{RULES}"
        if as_json:
            body = {"key": key, "deleted": True, "explanation": text, "rules": RULES}
            click.echo(json.dumps(body, indent=2, sort_keys=True))
            return
        click.echo(text)
        return
    explanation = explain_session(session)
    label = held.label(key)
    if label is not None:
        explanation += f"\nYours: {label}; racecal leaves it as you left it (L12)."
    explanation += f"\n\n{RULES}"
    if as_json:
        body = {
            **session_to_json(session),
            "explanation": explanation,
            "yours": label,
            "rules": RULES,
        }
        click.echo(json.dumps(body, indent=2, sort_keys=True))
        return
    click.echo(explanation)


@click.command("release", short_help="Hand a session you changed or deleted back to racecal.")
@click.argument("key")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option("--athlete", metavar="ID", help="Athlete id (default: the first).")
def release(key: str, config: str | None, athlete: str | None) -> None:
    """Hand the session KEY, which you changed or deleted in your calendar, back to racecal:
    the next pass takes the event as it stands (or makes it again) and plans it like any other
    session from then on.

    Exits 1 when KEY is not one of your sessions.

    \b
    Example:
      racecal release 'offseason/2026-W49/strength-1'
    """
    # Imported here: the commands that only look must not pay for the store's SQLAlchemy.
    from service.cli.opening import open_store  # noqa: PLC0415
    from service.store import state  # noqa: PLC0415

    loaded, store = open_store(config)
    try:
        entry = loaded.athlete(athlete)
    except ConfigError as exc:
        fail(str(exc))
    now = datetime.now(zone(entry.athlete.timezone))
    before = state.release(store, entry.athlete.id, key, now)
    if before is None:
        fail(f"'{key}' is not one of your sessions (see racecal status --json for them)", 1)
    click.echo(f"racecal: {entry.athlete.id}: {key} is racecal's again from the next pass")
