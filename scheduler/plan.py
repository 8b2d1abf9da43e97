"""The planner's front door: one request in, one placed plan out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.board import Board, Booked, to_minutes
from scheduler.external import book_external, external_reasons
from scheduler.life import apply_life
from scheduler.lifeblock import replan_lost_blocks
from scheduler.lifedays import clear_marked_runs, no_strength_days
from scheduler.lifts import StrengthPlacer
from scheduler.model import (
    Athlete,
    PlacedSession,
    Plan,
    PlanError,
    PlanRequest,
)
from scheduler.periodize import periodize
from scheduler.pins import pin_warnings, settle_pins
from scheduler.place import Placer
from scheduler.results import fitness
from scheduler.results import warnings as result_warnings
from scheduler.sessions import SessionSpec, SpecBuilder

MAX_WEEKS = 104
SHORTEST_SESSION = 30  # minutes: the recovery strength session


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError(f"unknown timezone {name!r}") from None


def validate(athlete: Athlete, weeks: int) -> ZoneInfo:
    tz = zone(athlete.timezone)
    who = f"athlete '{athlete.id}'"
    if not 3 <= len(athlete.run_days) <= 7:
        raise PlanError(f"{who}: {len(athlete.run_days)} run days; racecal plans 3-7 (R1)")
    if athlete.long_run_day not in athlete.run_days:
        raise PlanError(f"{who}: the long-run day is not one of the run days")
    if len(athlete.windows) != 7:
        raise PlanError(f"{who}: windows must list 7 weekdays, got {len(athlete.windows)}")
    if max((w.minutes for day in athlete.windows for w in day), default=0) < SHORTEST_SESSION:
        raise PlanError(
            f"{who}: no time window is {SHORTEST_SESSION} minutes or longer; widen the windows"
        )
    if not 1 <= weeks <= MAX_WEEKS:
        raise PlanError(f"weeks must be 1-{MAX_WEEKS}, got {weeks}")
    return tz


def build_plan(request: PlanRequest) -> Plan:
    """Periodize the races, derive the sessions and place them for `request.weeks` weeks."""
    athlete = request.athlete
    tz = validate(athlete, request.weeks)
    today = request.today
    start_of_today = to_minutes(_midnight(today, tz))
    now = max(to_minutes(request.now), start_of_today) if request.now else start_of_today
    weeks, period_warnings = periodize(request.races, today, request.weeks)
    if request.life:
        weeks, period_warnings = replan_lost_blocks(
            weeks, period_warnings, request.races, request.life, today, request.weeks
        )
    first = weeks[0].start
    span = (first - timedelta(days=7), weeks[-1].start + timedelta(days=14))
    board = Board(athlete, tz, request.busy, request.races, now, span)
    horizon = first + timedelta(weeks=request.weeks)

    history = [s for s in request.previous if to_minutes(s.start) < now]
    future_prev = {s.key: s for s in request.previous if to_minutes(s.start) >= now}
    for s in history:
        board.book(board.index(s.start.astimezone(tz).date()), _booked(s))
    book_external(board, request.external_runs)

    done = {s.key for s in history} | request.deleted
    pins = {k: v for k, v in request.pinned if k not in done}
    placer = Placer(board, today, future_prev)
    builder = SpecBuilder(athlete, {r.uid: r for r in request.races}, today)
    specs: list[SessionSpec] = []
    for week in weeks:
        week_todo = builder.week(week)
        specs.extend([s for s in week_todo if s.key not in done] if done else week_todo)
    pinned, todo = settle_pins(specs, pins, future_prev, tz, board)

    for spec in todo:
        if spec.slot == "long":
            placer.place_long(spec)
    quality: dict[date, list[SessionSpec]] = {}
    for spec in todo:
        if spec.slot.startswith("q"):
            quality.setdefault(spec.week.start, []).append(spec)
    for week_quality in quality.values():
        placer.place_quality(week_quality)
    for spec in todo:
        if spec.slot.startswith("easy"):
            placer.place_easy(spec)
    placer.place_run_easy()
    # L13-L15: the marked days' runs come off the board before the rest day and strength are
    # placed around what stays; strength looks for other days of the week (L13, L14, L16).
    life_taken = clear_marked_runs(placer, request.life) if request.life else {}
    strength: dict[date, list[SessionSpec]] = {}
    for spec in todo:
        if spec.kind == "strength":
            strength.setdefault(spec.week.start, []).append(spec)
    lifts = StrengthPlacer(placer, no_strength_days(board, request.life))
    # The look-ahead week past the horizon only needs its runs (rules across the last Sunday
    # look at them); its strength and rest day could change nothing before it.
    for week in weeks[: request.weeks]:
        placer.ensure_rest_day(week.start)
        after = len(strength.get(week.start + timedelta(days=7), ()))
        lifts.place_strength(week.start, strength.get(week.start, []), after)
    if (no_rest := lifts.rest_warning()) is not None:
        placer.out.warnings.append(no_rest)

    kept = [s for s in history if first <= s.start.astimezone(tz).date() < horizon]
    placed = external_reasons(placer.out.sessions, request.external_runs, athlete)
    sessions = sorted(
        [s for s in (*placed, *pinned, *kept) if s.week < horizon],
        key=lambda s: (s.start, s.key),
    )
    # L13-L16: the days the athlete marked in a calendar take, ease or shorten sessions.
    sessions, life_warnings = apply_life(
        sessions, request.life, {s.key: s for s in specs}, tz, athlete.units, life_taken
    )
    warnings = [
        w
        for w in (
            *period_warnings,
            *result_warnings(builder.results),
            *placer.out.warnings,
            *pin_warnings(board, pinned, tz),
            *life_warnings,
        )
        if not w.week or w.week < horizon
    ]
    return Plan(
        athlete_id=athlete.id,
        timezone=athlete.timezone,
        today=today,
        weeks=weeks[: request.weeks],
        sessions=tuple(sessions),
        warnings=tuple(dict.fromkeys(warnings)),
        races=tuple(sorted(request.races, key=lambda r: (r.date, r.uid))),
        fitness=fitness(athlete, builder.results, builder.goal_race),
        external_runs=tuple(
            r for r in request.external_runs if first <= r.start.astimezone(tz).date() < horizon
        ),
    )


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _booked(s: PlacedSession) -> Booked:
    return Booked(
        to_minutes(s.start),
        to_minutes(s.end),
        s.kind,
        s.key_run,
        s.heavy_lower,
        s.type == "long",
        s.key,
    )


__all__ = ["build_plan", "validate", "zone"]
