"""The placement checks (L1-L6, L11, L12): no heavy legs before key runs, spacing, same-day
order, hard days, windows and busy time, rest days, the long-run day's legs, the athlete's
edits. Each re-derives its rule from the placed plan and the request (scheduler.check)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.check_read import (
    by_day,
    day_of,
    external_by_day,
    key_starts,
    race_days,
)
from scheduler.external import is_long
from scheduler.model import (
    Plan,
    PlanRequest,
    Priority,
    SameDayOrder,
)


def check_L1(plan: Plan, req: PlanRequest) -> list[str]:
    """No heavy legs in the 24 h before a key run or race; the last 7/5/3 days before an
    A/B/C race."""
    out = []
    keys = key_starts(plan, req)
    tz = ZoneInfo(plan.timezone)
    for s in plan.sessions:
        if s.kind != "strength" or not s.heavy_lower or s.origin != "planned":
            continue
        for k in keys:
            if s.end <= k < s.end + timedelta(hours=24):
                out.append(f"L1: heavy {s.key} ends {s.end} within 24 h of a key start {k}")
        for r in req.races:
            gap = (r.date - day_of(s, tz)).days
            need = {Priority.A: 7, Priority.B: 5, Priority.C: 3}[r.priority]
            if 0 < gap < need:
                out.append(f"L1/P5: heavy {s.key} {gap} days before {r.priority} race {r.uid}")
    return out


def check_L2(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength on consecutive days; the other app's strength (R6) counts, and racecal's
    lift never shares its day."""
    days = sorted({d for d, ss in by_day(plan).items() if any(s.kind == "strength" for s in ss)})
    out = [f"L2: strength on {a} and {b}" for a, b in itertools.pairwise(days) if (b - a).days == 1]
    theirs = {
        d for d, runs in external_by_day(req).items() if any(e.kind == "strength" for e in runs)
    }
    for day in days:
        for near in (day - timedelta(days=1), day, day + timedelta(days=1)):
            if near in theirs:
                out.append(f"L2: strength on {day} beside the other app's strength on {near}")
    return out


def check_L3(plan: Plan, req: PlanRequest) -> list[str]:
    """Run before lift on key-run days (6 h apart), no strength on race days, upper body only
    the day after a long run or race."""
    out = []
    races = race_days(plan)
    days = by_day(plan)
    outside = external_by_day(req)
    for day, sessions in days.items():
        lifts = [s for s in sessions if s.kind == "strength" and s.origin == "planned"]
        if not lifts:
            continue
        if day in races:
            out.append(f"L3: strength on race day {day}")
        key_runs = [(s.key, s.end) for s in sessions if s.kind == "run" and s.key_run]
        key_runs += [(f"'{e.title}'", e.end) for e in outside.get(day, []) if e.key_run]
        for name, run_end in key_runs:
            for lift in lifts:
                if req.athlete.same_day_order is SameDayOrder.LIFT_FIRST:
                    out.append(f"L3: lift_first athlete has strength on key-run day {day}")
                if lift.start < run_end + timedelta(hours=6):
                    out.append(f"L3: {lift.key} not 6 h after key run {name}")
        before = day - timedelta(days=1)
        long_before = (
            before in races
            or any(s.type == "long" for s in days.get(before, []))
            or any(is_long(e) for e in outside.get(before, []))
        )
        if long_before and any(s.heavy_lower for s in lifts):
            out.append(f"L3: heavy lower-body strength the day after a long run/race {day}")
    return out


def hard_days(plan: Plan, req: PlanRequest) -> set[date]:
    days = set(race_days(plan))
    tz = ZoneInfo(plan.timezone)
    for s in plan.sessions:
        if s.key_run or s.heavy_lower:
            days.add(day_of(s, tz))
    days.update(e.start.astimezone(tz).date() for e in req.external_runs if e.key_run)
    return days


def check_L4(plan: Plan, req: PlanRequest) -> list[str]:
    """Never two hard days (key run, heavy legs, race) back to back."""
    planned = by_day(plan)
    hard = hard_days(plan, req)
    out = []
    for day in sorted(hard):
        nxt = day + timedelta(days=1)
        # Only a pair that racecal itself placed can break the rule: races and kept sessions
        # are the athlete's.
        ours = [
            s
            for d in (day, nxt)
            for s in planned.get(d, [])
            if s.origin == "planned" and (s.key_run or s.heavy_lower)
        ]
        if nxt in hard and ours:
            out.append(f"L4: hard days {day} and {nxt}")
    return out


def check_L5(plan: Plan, req: PlanRequest) -> list[str]:
    """Inside the athlete's windows, clear of busy time, and no two sessions overlapping."""
    tz = ZoneInfo(plan.timezone)
    out = []
    for s in plan.sessions:
        if s.origin != "planned":
            continue
        start, end = s.start.astimezone(tz), s.end.astimezone(tz)
        windows = req.athlete.windows[start.weekday()]
        inside = any(
            datetime.combine(start.date(), w.start, tzinfo=tz) <= start
            and end <= datetime.combine(start.date(), w.end, tzinfo=tz)
            for w in windows
        )
        if not inside:
            out.append(f"L5: {s.key} {start}-{end} outside windows")
        for b in req.busy:
            if b.start < s.end and s.start < b.end:
                out.append(f"L5: {s.key} overlaps busy {b.start}-{b.end}")
        for e in req.external_runs:
            if not e.all_day and e.kind != "rest" and e.start < s.end and s.start < e.end:
                out.append(f"L5: {s.key} overlaps the other app's run at {e.start}")
    return out + check_overlaps(plan, req)


def check_overlaps(plan: Plan, req: PlanRequest) -> list[str]:
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    return [
        f"L5: overlap {a.key} / {b.key}" for a, b in itertools.pairwise(ordered) if b.start < a.end
    ]


def check_L6(plan: Plan, req: PlanRequest) -> list[str]:
    """At least one full rest day in every week the plan holds from today. A week the other
    app's plan (R6) fills on every day is that plan's to keep; racecal breaks L6 only by
    taking the last rest day a week had."""
    days = by_day(plan)
    races = race_days(plan)
    running = {d for d, runs in external_by_day(req).items() if any(e.kind != "rest" for e in runs)}
    out = []
    for week in plan.weeks:
        if week.start < req.today:
            continue
        week_days = [week.start + timedelta(days=i) for i in range(7)]
        if all(d in races or d in running for d in week_days):
            continue  # the other app's plan filled the week: nothing racecal placed broke it
        if all(days.get(d) or d in races or d in running for d in week_days):
            out.append(f"L6: no rest day in week of {week.start}")
    return out


def check_L12(plan: Plan, req: PlanRequest) -> list[str]:
    """A session the athlete moved stays where the athlete put it; one they deleted stays
    gone."""
    out = []
    for key, where in req.pinned:
        if key in req.deleted:
            continue
        s = plan.session(key)
        if s is not None and (s.start != where.start or s.end != where.end):
            out.append(f"L12: {key} moved from where the athlete put it ({where.start})")
    out += [f"L12: deleted {s.key} placed again" for s in plan.sessions if s.key in req.deleted]
    return out


def check_L11(plan: Plan, req: PlanRequest) -> list[str]:
    """Soft, but on by default and never worth a session: no heavy legs on a long-run day."""
    if not req.athlete.no_heavy_legs_on_long_run_day:
        return []
    days = by_day(plan)
    long_days = {d for d, ss in days.items() if any(s.type == "long" for s in ss)}
    long_days |= {d for d, runs in external_by_day(req).items() if any(is_long(e) for e in runs)}
    return [
        f"L11: heavy {s.key} on the long-run day"
        for d, ss in days.items()
        if d in long_days
        for s in ss
        if s.kind == "strength" and s.heavy_lower and s.origin == "planned"
    ]
