"""The plan as a week-by-week table for people."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from scheduler.model import ExternalRun, PlacedSession, Plan, Race, WeekPlan
from scheduler.plan import zone
from service.views.held import HeldPlan
from service.views.paces import result_lines, source_line, zones_line

PHASE_STYLE = {
    "offseason": "grey62",
    "base": "green",
    "strength": "yellow",
    "race-specific": "orange3",
    "taper": "cyan",
    "recovery": "magenta",
}


def render_plan(plan: Plan, console: Console, held: HeldPlan | None = None) -> None:
    """`held` adds what the calendar holds beyond the plan: which sessions are yours, the
    ones you deleted, and whether this is the last good plan."""
    by_day: dict[date, list[PlacedSession]] = defaultdict(list)
    for session in plan.sessions:
        by_day[session.start.date()].append(session)
    races: dict[date, list[Race]] = defaultdict(list)
    for race in plan.races:
        races[race.date].append(race)
    tz = zone(plan.timezone)
    outside: dict[date, list[ExternalRun]] = defaultdict(list)
    for run in plan.external_runs:
        outside[run.start.astimezone(tz).date()].append(run)
    console.print(
        f"[bold]racecal plan for {plan.athlete_id}[/] from {plan.today.isoformat()} "
        f"({plan.timezone})"
    )
    if held is not None and held.stale:
        made = held.made_at.isoformat(timespec="minutes") if held.made_at else "?"
        console.print(f"[bold yellow]The last good plan (made {made}):[/] {escape(held.stale)}")
    if plan.fitness is not None:
        console.print(source_line(plan.fitness), markup=False)
        console.print(f"  {zones_line(plan.fitness)}", markup=False)
        for line in result_lines(plan.fitness):
            console.print(f"  result: {line}", markup=False)
    for week in plan.weeks:
        title, rows = _week_rows(week, by_day, races, held, outside)
        console.print(_week_text(title, rows, console), no_wrap=True, crop=False)
    if held is not None and held.deleted:
        console.print("[bold]Deleted by you[/] (not made again; racecal release KEY undoes it)")
        for gone in held.deleted:
            when = f"{gone.start:%a %d %b %H:%M} " if gone.start else ""
            console.print(f"  - {when}{gone.title}  [dim]{gone.key}[/]", markup=True)
    if plan.warnings:
        console.print("[bold]Warnings[/]")
        for warning in plan.warnings:
            console.print(f"  - {warning.line()}", markup=False)
    console.print(
        "Explain any session: racecal plan explain KEY   (keys: racecal plan show --json)"
    )


def _week_rows(
    week: WeekPlan,
    by_day: dict[date, list[PlacedSession]],
    races: dict[date, list[Race]],
    held: HeldPlan | None = None,
    outside: dict[date, list[ExternalRun]] | None = None,
) -> tuple[str, list[tuple[str, str, str]]]:
    """The week's title and its rows (day, time, session as markup)."""
    style = PHASE_STYLE.get(week.phase.value, "white")
    title = f"Week of {week.start:%a %d %b %Y} - [{style}]{week.phase.value}[/]"
    if week.deload:
        title += " (deload)"
    if week.rel is not None and week.rel < 0:
        title += f" - {-week.rel} weeks to race"
    elif week.rel == 0:
        title += " - race week"
    table: list[tuple[str, str, str]] = []
    for offset in range(7):
        day = week.start + timedelta(days=offset)
        rows = [("", f"[bold red]RACE: {escape(race.title)}[/]") for race in races.get(day, [])]
        rows += [_outside(r) for r in (outside or {}).get(day, [])]
        rows += [(f"{s.start:%H:%M}-{s.end:%H:%M}", _label(s, held)) for s in by_day.get(day, [])]
        if not rows:
            rows = [("", "[dim]rest[/]")]
        for i, (when, what) in enumerate(rows):
            table.append((f"{day:%a %d}" if i == 0 else "", when, what))
    return title, table


def _week_text(title: str, rows: list[tuple[str, str, str]], console: Console) -> Text:
    """The week laid out as rich's borderless table lays it out (each cell padded by one space,
    the session column wrapped to what the terminal leaves it), without rich's Table: measuring
    and rendering 20-odd tables was a fifth of `plan show`'s time."""
    sessions = [Text.from_markup(what) for _, _, what in rows]
    day_w = max(len(day) for day, _, _ in rows)
    time_w = max(len(when) for _, when, _ in rows)
    fixed = day_w + time_w + 6
    session_w = max(text.cell_len for text in sessions)
    if fixed + session_w > console.width:
        session_w = max(console.width - fixed, 1)
    heading = Text.from_markup(title, style="table.title")
    lines = list(heading.wrap(console, fixed + session_w))
    for line in lines:
        line.pad_right(fixed + session_w - line.cell_len)
    for (day, when, _), session in zip(rows, sessions, strict=True):
        for n, part in enumerate(session.wrap(console, session_w)):
            line = Text(" ")
            line.append(day.ljust(day_w) if n == 0 else " " * day_w, style="bold")
            line.append("  " + (when if n == 0 else "").ljust(time_w) + "  ")
            part.pad_right(session_w - part.cell_len)
            line.append_text(part)
            line.append(" ")
            lines.append(line)
    return Text("\n").join(lines)


def _outside(run: ExternalRun) -> tuple[str, str]:
    """R6: a run of the other app's plan; racecal never writes it."""
    when = "all day" if run.all_day else f"{run.start:%H:%M}-{run.end:%H:%M}"
    kind = run.kind or "kind not read: a key run"
    return when, f"[dim]{escape(run.title)} ({kind}, from your other app)[/]"


def _label(session: PlacedSession, held: HeldPlan | None = None) -> str:
    marks = []
    yours = held.label(session.key) if held is not None else None
    if yours:
        marks.append(yours)
    if session.key_run:
        marks.append("key")
    if session.heavy_lower:
        marks.append("heavy")
    suffix = f" [dim]({', '.join(marks)})[/]" if marks else ""
    return f"{escape(session.title)}{suffix}"
