"""L12: the athlete's sessions in the plan. A session the athlete changed in their calendar is
theirs: it stays where they put it, it counts in the calendar week where it sits, its kind and
load count for the rules around it, and the plan warns (citing the rule) when it breaks a hard
rule instead of moving it.

Counting in its week: a pinned session takes the place of its week's session of the same
slot. When its own key now belongs to another week (its race moved, or the athlete moved it
across a Sunday), that week's session is planned under the key the pin displaced, so no week
holds a slot twice and none loses it; with no such session in the pin's week, it is planned
under a key of its own (the pinned key with `~`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.board import MIDNIGHT, Board, Booked, from_minutes, to_minutes
from scheduler.model import Interval, PlacedSession, PlanWarning, Priority, Reason
from scheduler.sessions import SessionSpec

REASONS = (
    Reason("L9", "you changed this session in your calendar: it stays as you left it", "placement"),
    Reason(
        "L12",
        "it is yours now: it counts in the calendar week where it sits and the rest of the plan "
        "is placed around it",
        "placement",
    ),
)
# L1: no heavy lower-body strength this many days before a race of that priority.
HEAVY_GAP_DAYS = {Priority.A: 7, Priority.B: 5, Priority.C: 3}


def settle_pins(
    specs: list[SessionSpec],
    pins: Mapping[str, Interval],
    previous: Mapping[str, PlacedSession],
    tz: ZoneInfo,
    board: Board,
) -> tuple[list[PlacedSession], list[SessionSpec]]:
    """The athlete's sessions, booked on the board where they sit, and the specs left to
    place (some under the key a pin displaced)."""
    by_key = {s.key: s for s in specs}
    by_slot = {(s.week.start, s.slot): s for s in specs}
    taken: set[str] = set(pins)  # keys no spec may be planned under
    covered: set[str] = set()  # specs a pin stands in for
    rekey: dict[str, str] = {}
    fixed: list[PlacedSession] = []
    for key in sorted(pins):
        where = pins[key]
        week = _monday(where.start.astimezone(tz).date())
        own = by_key.get(key)
        last = previous.get(key)
        if own is None and last is None:
            continue  # nothing known of it: it stays in the calendar, uncounted
        if own is None:
            assert last is not None
            slot, kind, key_run, heavy = last.slot, last.kind, last.key_run, last.heavy_lower
            long = last.type == "long" and last.key_run
            placed = replace(last, reasons=REASONS, origin="kept")
        else:
            slot, kind, key_run, heavy = own.slot, own.kind, own.key_run, own.heavy_lower
            long = own.slot == "long" and own.key_run
            placed = own.placed(
                where.start, where.end, REASONS, heavy=heavy, key_run=key_run, origin="kept"
            )
            if last is not None:
                # The athlete moved the session they saw, which placement may have made other
                # than its spec's full form: light legs or upper body instead of heavy legs
                # (L1/L3/L4/L11), the short session (L10), a key run run easy. Its load is
                # what the rules around it must count.
                key_run, heavy = last.key_run, last.heavy_lower
                long = last.type == "long" and last.key_run
                placed = replace(
                    placed,
                    type=last.type,
                    heavy_lower=heavy,
                    key_run=key_run,
                    title=last.title,
                    description=last.description,
                    distance_km=last.distance_km,
                    steps=last.steps,
                    exercises=last.exercises,
                )
            covered.add(key)
        start, end = to_minutes(where.start), to_minutes(where.end)
        board.book(board.local_day(start), Booked(start, end, kind, key_run, heavy, long, key))
        fixed.append(
            replace(placed, start=from_minutes(start, tz), end=from_minutes(end, tz), week=week)
        )
        there = by_slot.get((week, slot))
        if there is not None and there.key != key and there.key not in taken:
            # The pin is this week's session of its slot.
            covered.add(there.key)
            taken.add(there.key)
            if own is not None and own.week.start != week:
                rekey[key] = there.key
        elif own is not None and own.week.start != week:
            rekey[key] = key + "~"
    todo = [
        s._replace(key=rekey[s.key]) if s.key in rekey else s
        for s in specs
        if s.key not in covered or s.key in rekey
    ]
    return fixed, todo


def pin_warnings(board: Board, fixed: list[PlacedSession], tz: ZoneInfo) -> list[PlanWarning]:
    """What each of the athlete's sessions breaks of the hard rules, once the plan is placed
    around it; past ones are left alone."""
    out: list[PlanWarning] = []
    for session in fixed:
        start, end = to_minutes(session.start), to_minutes(session.end)
        if start < board.now:
            continue
        day = board.local_day(start)
        local = session.start.astimezone(tz)
        about = f"your '{session.title}' on {local:%a %d %b %H:%M}"
        week = _monday(local.date())
        plain = f"your session {session.key} on {local:%a %d %b %H:%M} breaks a hard rule"
        for rule, what in _broken(board, session, day, start, end):
            out.append(
                PlanWarning(
                    rule,
                    f"{about} {what}; it stays as you left it",
                    week,
                    f"{plain}; it stays as you left it",
                )
            )
    return out


def _broken(
    board: Board, session: PlacedSession, day: int, start: int, end: int
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    others = [b for b in board.on(day) if b.key != session.key]
    strength = session.kind == "strength"
    hard = session.key_run or session.heavy_lower
    if any(s < end and start < e for s, e in board.busy(day)):
        found.append(("L5", "overlaps busy time"))
    if not any(ws <= start and end <= we for ws, we in board.windows(day)):
        found.append(("L5", "is outside your training windows"))
    if any(b.start < end and start < b.end for b in others):
        found.append(("L5", "overlaps another session"))
    if session.heavy_lower:
        keys = [b.start for d in (day, day + 1) for b in board.on(d) if b.key_run]
        keys += [board.at(d, MIDNIGHT) for d in (day, day + 1) if board.races_on(d)]
        if any(end <= k < end + 24 * 60 for k in keys):
            found.append(("L1", "is heavy lower-body strength within 24 h before a key run"))
        for ahead in range(1, 8):
            for race in board.races_on(day + ahead):
                if ahead < HEAVY_GAP_DAYS.get(race.priority, 0):
                    what = f"is heavy lower-body strength {ahead} days before {race.title}"
                    found.append(("L1", what))
    if session.key_run and any(
        b.heavy and b.end <= start < b.end + 24 * 60
        for d in (day - 1, day)
        for b in board.on(d)
        if b.key != session.key
    ):
        found.append(("L1", "is a key run within 24 h after heavy lower-body strength"))
    if strength and (day - 1 in board.lift_days or day + 1 in board.lift_days):
        found.append(("L2", "is strength the day next to another strength session"))
    if strength and board.races_on(day):
        found.append(("L3", "is strength on a race day"))
    runs = [b for b in others if b.kind == "run" and b.key_run]
    if strength and any(start < b.end + 6 * 60 for b in runs):
        found.append(("L3", "is strength less than 6 h after a key run the same day"))
    if session.heavy_lower and day - 1 in board.long_days:
        found.append(("L3", "is heavy lower-body strength the day after a long run or race"))
    if hard and (day - 1 in board.hard_days or day + 1 in board.hard_days):
        found.append(("L4", "is a hard day next to another hard day"))
    monday = day - day % 7
    if not any(board.empty(d) for d in range(monday, monday + 7)):
        found.append(("L6", "leaves its week without a full rest day"))
    return found


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
