"""The plan checker: one function per rule id, each re-deriving its rule from the placed plan
alone (sessions, weeks, warnings) and the request it answers, so it can fail whatever the
planner believes about itself. `check_plan` runs them all; `racecal plan check` prints it.

Every check returns its violations as one-line strings naming the session or the week; an
empty list means the rule is kept. Hard rules fail the check; soft ones are reported ("not met
(soft)") but never fail it; `RULES` says which is which and why.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import (
    DistanceClass,
    Phase,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    SameDayOrder,
    WeekPlan,
)

Check = Callable[[Plan, PlanRequest], list[str]]

# R9: the peak long run's band (km low, km high) and its time cap (minutes) by distance.
LONG_BAND: dict[DistanceClass, tuple[float, float, int]] = {
    DistanceClass.SHORT: (14.0, 18.0, 90),
    DistanceClass.HALF: (18.0, 22.0, 150),
    DistanceClass.MARATHON: (30.0, 35.0, 180),
    DistanceClass.ULTRA: (35.0, 50.0, 300),
}
# R9 "when the athlete's volume allows": the declared km a week from which the band is owed.
BAND_FROM_KM: dict[DistanceClass, float] = {
    DistanceClass.SHORT: 35.0,
    DistanceClass.HALF: 30.0,
    DistanceClass.MARATHON: 45.0,
    DistanceClass.ULTRA: 45.0,
}
# P2: the shortest full block (weeks, race week included) and the taper in days (low, high).
FULL_BLOCK: dict[DistanceClass, int] = {
    DistanceClass.SHORT: 10,
    DistanceClass.HALF: 12,
    DistanceClass.MARATHON: 16,
    DistanceClass.ULTRA: 18,
}
TAPER_DAYS: dict[DistanceClass, tuple[int, int]] = {
    DistanceClass.SHORT: (7, 10),
    DistanceClass.HALF: (10, 14),
    DistanceClass.MARATHON: (14, 21),
    DistanceClass.ULTRA: (14, 21),
}
GROWTH = 1.10  # R5/R10: at most 10% over the last full week
KM_SLACK = 1.0  # km a week: runs are booked to the half kilometre


@dataclass(frozen=True)
class RuleResult:
    rule: str
    met: bool
    violations: tuple[str, ...]
    hard: bool

    def line(self) -> str:
        if self.met:
            return f"{self.rule} ok"
        word = "BROKEN" if self.hard else "not met (soft)"
        return f"{self.rule} {word}: " + "; ".join(self.violations)


# -- reading the plan -----------------------------------------------------------------------


def _day(s: PlacedSession, tz: ZoneInfo) -> date:
    return s.start.astimezone(tz).date()


def _by_day(plan: Plan) -> dict[date, list[PlacedSession]]:
    tz = ZoneInfo(plan.timezone)
    out: dict[date, list[PlacedSession]] = {}
    for s in plan.sessions:
        out.setdefault(_day(s, tz), []).append(s)
    return out


def _race_days(plan: Plan) -> set[date]:
    return {r.date for r in plan.races}


def _key_starts(plan: Plan, req: PlanRequest) -> list[datetime]:
    """Start of every key run and race (a race counts from its local midnight)."""
    zone = ZoneInfo(plan.timezone)
    starts = [s.start for s in plan.sessions if s.key_run]
    starts += [datetime.combine(r.date, time(0, 0), tzinfo=zone) for r in req.races]
    starts += [e.start for e in req.external_runs if e.key_run]
    return starts


def _whole(plan: Plan, week: WeekPlan) -> bool:
    """A week the plan holds from its Monday: the week holding `today` lacks its past days."""
    return week.start >= plan.today


def _km_by_week(plan: Plan) -> dict[date, float]:
    out = {w.start: 0.0 for w in plan.weeks}
    for s in plan.sessions:
        if s.kind == "run":
            out[s.week] = out.get(s.week, 0.0) + (s.distance_km or 0.0)
    return out


def _is_full(week: WeekPlan, races: tuple[Race, ...]) -> bool:
    """R10: a week the next may grow from: no deload, no race, no taper, no recovery, and no
    marathon or longer in the 3 days before it (P9's days without running reach into it)."""
    if week.deload or week.races or week.run_taper or week.phase is Phase.RECOVERY:
        return False
    return not any(
        week.start - timedelta(days=3) <= r.date < week.start and r.distance_km > 40.0
        for r in races
    )


def _a_races(plan: Plan) -> list[Race]:
    return [r for r in plan.races if r.priority is Priority.A]


def _when(d: date) -> str:
    return f"week of {d.isoformat()}"


# -- placement (L) --------------------------------------------------------------------------


def check_L1(plan: Plan, req: PlanRequest) -> list[str]:
    """No heavy legs in the 24 h before a key run or race; the last 7/5/3 days before an
    A/B/C race."""
    out = []
    keys = _key_starts(plan, req)
    tz = ZoneInfo(plan.timezone)
    for s in plan.sessions:
        if s.kind != "strength" or not s.heavy_lower or s.origin != "planned":
            continue
        for k in keys:
            if s.end <= k < s.end + timedelta(hours=24):
                out.append(f"L1: heavy {s.key} ends {s.end} within 24 h of a key start {k}")
        for r in req.races:
            gap = (r.date - _day(s, tz)).days
            need = {Priority.A: 7, Priority.B: 5, Priority.C: 3}[r.priority]
            if 0 < gap < need:
                out.append(f"L1/P5: heavy {s.key} {gap} days before {r.priority} race {r.uid}")
    return out


def check_L2(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength on consecutive days."""
    days = sorted({d for d, ss in _by_day(plan).items() if any(s.kind == "strength" for s in ss)})
    return [
        f"L2: strength on {a} and {b}" for a, b in itertools.pairwise(days) if (b - a).days == 1
    ]


def check_L3(plan: Plan, req: PlanRequest) -> list[str]:
    """Run before lift on key-run days (6 h apart), no strength on race days, upper body only
    the day after a long run or race."""
    out = []
    races = _race_days(plan)
    days = _by_day(plan)
    for day, sessions in days.items():
        lifts = [s for s in sessions if s.kind == "strength" and s.origin == "planned"]
        if not lifts:
            continue
        if day in races:
            out.append(f"L3: strength on race day {day}")
        for run in (s for s in sessions if s.kind == "run" and s.key_run):
            for lift in lifts:
                if req.athlete.same_day_order is SameDayOrder.LIFT_FIRST:
                    out.append(f"L3: lift_first athlete has strength on key-run day {day}")
                if lift.start < run.end + timedelta(hours=6):
                    out.append(f"L3: {lift.key} not 6 h after key run {run.key}")
        before = day - timedelta(days=1)
        long_before = before in races or any(s.type == "long" for s in days.get(before, []))
        if long_before and any(s.heavy_lower for s in lifts):
            out.append(f"L3: heavy lower-body strength the day after a long run/race {day}")
    return out


def hard_days(plan: Plan, req: PlanRequest) -> set[date]:
    days = set(_race_days(plan))
    tz = ZoneInfo(plan.timezone)
    for s in plan.sessions:
        if s.key_run or s.heavy_lower:
            days.add(_day(s, tz))
    days.update(e.start.astimezone(tz).date() for e in req.external_runs if e.key_run)
    return days


def check_L4(plan: Plan, req: PlanRequest) -> list[str]:
    """Never two hard days (key run, heavy legs, race) back to back."""
    planned = _by_day(plan)
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
    return out + check_overlaps(plan, req)


def check_overlaps(plan: Plan, req: PlanRequest) -> list[str]:
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    return [
        f"L5: overlap {a.key} / {b.key}" for a, b in itertools.pairwise(ordered) if b.start < a.end
    ]


def check_L6(plan: Plan, req: PlanRequest) -> list[str]:
    """At least one full rest day in every week the plan holds from today."""
    days = _by_day(plan)
    races = _race_days(plan)
    out = []
    for week in plan.weeks:
        if week.start < req.today:
            continue
        week_days = [week.start + timedelta(days=i) for i in range(7)]
        if all(days.get(d) or d in races for d in week_days):
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


# -- running (R) ----------------------------------------------------------------------------


def check_R4(plan: Plan, req: PlanRequest) -> list[str]:
    """The long run is the longest run of its week."""
    longest: dict[date, float] = {}
    for s in plan.sessions:
        if s.kind == "run" and s.type != "long":
            longest[s.week] = max(longest.get(s.week, 0.0), s.distance_km or 0.0)
    return [
        f"R4: {s.key} ({s.distance_km} km) shorter than a {longest[s.week]} km run of its week"
        for s in plan.sessions
        if s.kind == "run" and s.type == "long" and (s.distance_km or 0.0) < longest.get(s.week, 0)
    ]


def check_R9(plan: Plan, req: PlanRequest) -> list[str]:
    """The peak long run stays within its distance's band (by km or by time), and reaches it
    when the block is full length, holds its peak weeks and the athlete's volume allows."""
    out = []
    athlete = req.athlete
    for race in _a_races(plan):
        low, high, cap = LONG_BAND[race.distance_class]
        weeks = [w for w in plan.weeks if w.anchor == race.uid and w.rel is not None]
        longs = [
            s
            for s in plan.sessions
            if s.kind == "run"
            and s.type == "long"
            and s.anchor == race.uid
            and s.rel_week is not None
            and s.rel_week <= 0
        ]
        for s in longs:
            minutes = (s.end - s.start).total_seconds() / 60
            if (s.distance_km or 0.0) > high + 0.5 and minutes > cap + 5:
                out.append(f"R9: {s.key} {s.distance_km} km above the {high:g} km band")
        full = any(
            w.block_week and w.block_week - (w.rel or 0) >= FULL_BLOCK[race.distance_class]
            for w in weeks
        )
        peaks = {w.rel for w in weeks if w.rel is not None and -5 <= w.rel <= -3}
        allows = athlete.weekly_km >= BAND_FROM_KM[race.distance_class]
        if full and len(peaks) == 3 and allows and len(athlete.run_days) >= 4 and longs:
            peak = max(longs, key=lambda s: s.distance_km or 0.0)
            minutes = (peak.end - peak.start).total_seconds() / 60
            if (peak.distance_km or 0.0) < low and minutes < cap - 10:
                out.append(
                    f"R9: {race.uid}'s peak long run {peak.key} is {peak.distance_km} km, "
                    f"below the {low:g}-{high:g} km band"
                )
    return out


def check_R5(plan: Plan, req: PlanRequest) -> list[str]:
    """Weekly volume grows at most 10% over the last full week the plan holds (R10: a deload,
    race, taper or recovery week is no baseline)."""
    km = _km_by_week(plan)
    out = []
    last: WeekPlan | None = None
    for week in plan.weeks:
        if not _whole(plan, week):
            continue
        if last is not None and km[week.start] > GROWTH * km[last.start] + KM_SLACK:
            grew = km[week.start] / km[last.start] - 1 if km[last.start] else 1.0
            out.append(
                f"R5: {_when(week.start)} runs {km[week.start]:.1f} km, +{grew:.0%} over the "
                f"last full week ({last.start.isoformat()}, {km[last.start]:.1f} km)"
            )
        if _is_full(week, plan.races):
            last = week
    return out


def check_R10(plan: Plan, req: PlanRequest) -> list[str]:
    """After a drop (deload, race, recovery) the plan returns no higher than the last full
    week's level plus one step: the same measure as R5, read from the week after the drop."""
    km = _km_by_week(plan)
    weeks = [w for w in plan.weeks if _whole(plan, w)]
    out = []
    for prev, week in itertools.pairwise(weeks):
        if _is_full(prev, plan.races) or not _is_full(week, plan.races):
            continue
        base = next(
            (w for w in reversed(weeks[: weeks.index(prev)]) if _is_full(w, plan.races)), None
        )
        if base is not None and km[week.start] > GROWTH * km[base.start] + KM_SLACK:
            out.append(
                f"R10: {_when(week.start)} returns at {km[week.start]:.1f} km after a drop, "
                f"above {GROWTH:.2f} x {km[base.start]:.1f} km ({base.start.isoformat()})"
            )
    return out


def check_R7(plan: Plan, req: PlanRequest) -> list[str]:
    """Every run names its pace (min/km or min/mi) and an effort, step by step."""
    out = []
    for s in plan.sessions:
        if s.kind != "run" or s.origin != "planned":
            continue
        if not s.steps:
            out.append(f"R7: {s.key} has no steps and so no pace")
        elif "/km" not in s.description and "/mi" not in s.description:
            out.append(f"R7: {s.key}'s description names no pace")
        elif "RPE" not in s.description:
            out.append(f"R7: {s.key}'s description names no effort")
        elif any(st.pace[0] <= 0 for b in s.steps for st in b.steps):
            out.append(f"R7: {s.key} has a step without a pace")
    return out


def check_R8(plan: Plan, req: PlanRequest) -> list[str]:
    """A workout's steps sum to its booked distance and fit its booked slot (the slot is the
    steps' time rounded up to 5 minutes)."""
    out = []
    for s in plan.sessions:
        if s.kind != "run" or s.origin != "planned" or not s.steps:
            continue
        km = 0.0
        seconds = 0
        for b in s.steps:
            for st in b.steps:
                km += b.repeat * st.km
                seconds += b.repeat * st.seconds
        booked = (s.end - s.start).total_seconds()
        if abs(km - (s.distance_km or 0.0)) > 0.1:
            out.append(f"R8: {s.key} steps sum to {km:.2f} km, booked {s.distance_km} km")
        if not seconds <= booked < max(seconds + 300, 20 * 60 + 1):
            out.append(f"R8: {s.key} steps take {seconds // 60} min, booked {booked / 60:.0f} min")
    return out


# -- periodization (P) ----------------------------------------------------------------------


def _taper_weeks(plan: Plan, race: Race) -> list[WeekPlan]:
    return [w for w in plan.weeks if w.anchor == race.uid and w.run_taper]


def check_P2(plan: Plan, req: PlanRequest) -> list[str]:
    """The running taper starts between P2's days for the distance before the race."""
    out = []
    for race in _a_races(plan):
        low, high = TAPER_DAYS[race.distance_class]
        first = next((w for w in _taper_weeks(plan, race) if w.run_taper == 1), None)
        if first is None:
            continue
        if first.start > race.date - timedelta(days=low) or first.start + timedelta(
            days=6
        ) < race.date - timedelta(days=high):
            out.append(
                f"P2: {race.uid}'s taper starts in the {_when(first.start)}, not {low}-{high} "
                f"days before {race.date.isoformat()}"
            )
    return out


def check_P10(plan: Plan, req: PlanRequest) -> list[str]:
    """Taper volume falls every taper week, from below the last full week before it."""
    km = _km_by_week(plan)
    out = []
    for race in _a_races(plan):
        tapers = [w for w in _taper_weeks(plan, race) if _whole(plan, w)]
        if not tapers:
            continue
        before = [
            w
            for w in plan.weeks
            if _whole(plan, w) and w.start < tapers[0].start and _is_full(w, plan.races)
        ]
        series = ([before[-1]] if before else []) + tapers
        for a, b in itertools.pairwise(series):
            if km[b.start] >= km[a.start]:
                out.append(
                    f"P10: {_when(b.start)} runs {km[b.start]:.1f} km, not below "
                    f"{km[a.start]:.1f} km the week before ({race.uid}'s taper)"
                )
    return out


def check_P5(plan: Plan, req: PlanRequest) -> list[str]:
    """Race weeks: only easy running the day before an A or B race; no key run in a B race's
    mini-taper nor in its easy days after; no heavy legs 2 days before a C race; no running
    for 3 days and no strength for 3 days after a marathon or longer."""
    days = _by_day(plan)
    race_days = _race_days(plan)
    out = []

    def ours(day: date) -> list[PlacedSession]:
        if day < plan.today:
            return []
        return [s for s in days.get(day, []) if s.origin == "planned"]

    for r in plan.races:
        cls = r.distance_class
        if r.priority is not Priority.C:
            for s in ours(r.date - timedelta(days=1)):
                if s.kind == "run" and (s.key_run or (s.distance_km or 0.0) > 5.0):
                    out.append(f"P5: {s.key} the day before {r.uid} is not a short easy run")
        if r.priority is Priority.B:
            mini = 3 if cls is DistanceClass.SHORT else 4
            after = {DistanceClass.SHORT: 3, DistanceClass.HALF: 4}.get(cls, 5)
            for n in [*range(-mini, 0), *range(1, after + 1)]:
                day = r.date + timedelta(days=n)
                if day in race_days:
                    continue
                for s in ours(day):
                    if s.key_run:
                        out.append(f"P5: key run {s.key} {n:+d} days from B race {r.uid}")
                    if n < 0 and s.heavy_lower:
                        out.append(f"P5: heavy {s.key} {-n} days before B race {r.uid}")
        if r.priority is Priority.C:
            for n in (1, 2):
                for s in ours(r.date - timedelta(days=n)):
                    if s.heavy_lower:
                        out.append(f"P5: heavy {s.key} {n} days before C race {r.uid}")
        if cls in (DistanceClass.MARATHON, DistanceClass.ULTRA):
            for n in (1, 2, 3):
                for s in ours(r.date + timedelta(days=n)):
                    out.append(f"P5/P9: {s.key} {n} days after {r.uid}")
    return out


def check_P9(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength in the 3 days after a marathon or the 5 after an ultra, whatever the race's
    priority (the legs are repairing)."""
    tz = ZoneInfo(plan.timezone)
    out = []
    for r in req.races:
        rest = 5 if r.distance_km > 43 else 3 if r.distance_km >= 42 else 0
        for s in plan.sessions:
            if s.kind != "strength" or s.origin != "planned":
                continue
            gap = (_day(s, tz) - r.date).days
            if 0 < gap <= rest:
                out.append(f"P9: strength {s.key} {gap} days after {r.distance_km} km race {r.uid}")
    return out


def check_L11(plan: Plan, req: PlanRequest) -> list[str]:
    """Soft, but on by default and never worth a session: no heavy legs on a long-run day."""
    if not req.athlete.no_heavy_legs_on_long_run_day:
        return []
    days = _by_day(plan)
    long_days = {d for d, ss in days.items() if any(s.type == "long" for s in ss)}
    return [
        f"L11: heavy {s.key} on the long-run day"
        for d, ss in days.items()
        if d in long_days
        for s in ss
        if s.kind == "strength" and s.heavy_lower and s.origin == "planned"
    ]


# -- strength (S) ---------------------------------------------------------------------------


def check_S1(plan: Plan, req: PlanRequest) -> list[str]:
    """Two strength sessions a week outside taper and recovery (or the athlete's max), or a
    warning that says why not. Soft: the placer may give one up (L10)."""
    floor = min(2, req.athlete.max_strength_per_week)
    count: dict[date, int] = {}
    for s in plan.sessions:
        if s.kind == "strength":
            count[s.week] = count.get(s.week, 0) + 1
    warned = {
        w.week
        for w in plan.warnings
        if w.week and (w.rule == "S1" or "strength" in w.message.lower())
    }
    return [
        f"S1: {_when(w.start)} holds {count.get(w.start, 0)} strength sessions, floor {floor}"
        for w in plan.weeks
        if _whole(plan, w)
        and w.phase not in (Phase.TAPER, Phase.RECOVERY)
        and not w.run_taper
        and count.get(w.start, 0) < floor
        and w.start not in warned
    ]


# rule id -> (check, hard). Hard: the placement rules PLANNING_RULES marks hard, the race-week
# rules (P5, P9), the long run as the longest of its week (R4) and the workout arithmetic (R7, R8),
# which racecal guarantees for every athlete. Soft: the block's shape (R5, R10, R9, P2, P10),
# which the property tests owe only where the run days can hold the volume (a 3-day runner's
# capped runs can keep a taper week at peak), L11 (soft in the rules) and S1's floor, which
# L10 may give up with a warning.
RULES: tuple[tuple[str, Check, bool], ...] = (
    ("L1", check_L1, True),
    ("L2", check_L2, True),
    ("L3", check_L3, True),
    ("L4", check_L4, True),
    ("L5", check_L5, True),
    ("L6", check_L6, True),
    ("L11", check_L11, False),
    ("L12", check_L12, True),
    ("R4", check_R4, True),
    ("R9", check_R9, False),
    ("R5", check_R5, False),
    ("R10", check_R10, False),
    ("P2", check_P2, False),
    ("P10", check_P10, False),
    ("P5", check_P5, True),
    ("P9", check_P9, True),
    ("S1", check_S1, False),
    ("R7", check_R7, True),
    ("R8", check_R8, True),
)
# What the placement property tests hold every plan to (L11 too: soft, but never worth a
# session); check_L5 counts overlapping sessions.
HARD_PLACEMENT: tuple[Check, ...] = (
    check_L1,
    check_L2,
    check_L3,
    check_L4,
    check_L5,
    check_L6,
    check_P9,
    check_L11,
)


def check_plan(plan: Plan, request: PlanRequest) -> list[RuleResult]:
    """Every rule the checker knows, in order, with what breaks it."""
    out = []
    for rule, check, hard in RULES:
        found = tuple(check(plan, request))
        out.append(RuleResult(rule, not found, found, hard))
    return out


def broken(results: list[RuleResult]) -> list[RuleResult]:
    """The hard rules the plan breaks."""
    return [r for r in results if r.hard and not r.met]


__all__ = [
    "RULES",
    "RuleResult",
    "broken",
    "check_L1",
    "check_L2",
    "check_L3",
    "check_L4",
    "check_L5",
    "check_L6",
    "check_L11",
    "check_L12",
    "check_P2",
    "check_P5",
    "check_P9",
    "check_P10",
    "check_R4",
    "check_R5",
    "check_R7",
    "check_R8",
    "check_R9",
    "check_R10",
    "check_S1",
    "check_overlaps",
    "check_plan",
    "hard_days",
]
