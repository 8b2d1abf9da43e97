"""Races + today -> Monday-to-Sunday weeks with phases (the P rules).

Only A races anchor a block (P1, P5). B and C races ride inside whatever week they fall in; their
mini-taper and train-through rules are day-level and live in placement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.model import DistanceClass, Phase, PlanWarning, Priority, Race, Reason, WeekPlan

WEEK = timedelta(days=7)
OFFSEASON = "offseason"

# P2: block length per distance (the longer end for short races, P1's 16 weeks for the
# marathon).
BLOCK_WEEKS = {
    DistanceClass.SHORT: 12,
    DistanceClass.HALF: 14,
    DistanceClass.MARATHON: 16,
    DistanceClass.ULTRA: 20,
}
# P2: the running taper in days before the race, counted back from the race day so a Monday
# race gets the same taper as a Sunday one: 5K/10K 7-10 days (the top, so the last 10 days
# sharpen), half 10-14 (13: from the Monday of the week before a Sunday race, Pfitzinger's
# two-week half taper), marathon and ultra 2-3 weeks (20: Pfitzinger's three-week taper, the
# race week and the two before it).
RUN_TAPER_DAYS = {
    DistanceClass.SHORT: 10,
    DistanceClass.HALF: 13,
    DistanceClass.MARATHON: 20,
    DistanceClass.ULTRA: 20,
}
# P2's range in days, which the taper may move inside to start on a Monday.
TAPER_RANGE = {
    DistanceClass.SHORT: (7, 10),
    DistanceClass.HALF: (10, 14),
    DistanceClass.MARATHON: (14, 21),
    DistanceClass.ULTRA: (14, 21),
}
# How far (days) the taper may move from its nominal length to start on a Monday.
TAPER_SHIFT = 3
RECOVERY_WEEKS = 2  # P1, P9
# P9: a race's days without running reach this far into the next week (racedays'
# NO_RUN_DAYS_AFTER); a week they touch is no step to grow from (R10).
SPILL = timedelta(days=3)
LONG_CLASSES = frozenset({DistanceClass.MARATHON, DistanceClass.ULTRA})
NO_A_RACE = Reason("P4", "no A race ahead: offseason", "phase")
OFFSEASON_STRENGTH = Reason(
    "P8", "offseason: running volume down, strength takes priority", "phase"
)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def taper_days(cls: DistanceClass, weekday: int) -> int:
    """P2: the running taper's length in days for a race on `weekday`. The nominal length,
    moved up to TAPER_SHIFT days inside P2's range when that starts it on a Monday, so the
    Monday-to-Sunday week the taper starts in is a whole taper week that steps down (P10): a
    Saturday marathon tapers 19 days, not 20 (which left one taper day in a week that ran at
    peak), a Monday one 21. A race whose taper has no Monday within reach keeps the nominal
    length (a Sunday 5K starts its 10 days on a Thursday)."""
    nominal = RUN_TAPER_DAYS[cls]
    low, high = TAPER_RANGE[cls]
    starts_on = (weekday - nominal) % 7  # the weekday of the taper's first day
    if not starts_on:
        return nominal
    longer, shorter = nominal + starts_on, nominal - (7 - starts_on)
    fits = [d for d in (longer, shorter) if low <= d <= high and abs(d - nominal) <= TAPER_SHIFT]
    return min(fits, key=lambda d: (abs(d - nominal), -d)) if fits else nominal


def run_taper_weeks(cls: DistanceClass, weekday: int) -> int:
    """Monday-to-Sunday weeks the running taper of a race on `weekday` touches (P2)."""
    before_race_week = taper_days(cls, weekday) - weekday
    return 1 + max(0, -(-before_race_week // 7))


@dataclass(frozen=True)
class BlockLayout:
    base: int
    strength: int
    race_specific: int
    taper: int

    @property
    def total(self) -> int:
        return self.base + self.strength + self.race_specific + self.taper

    def phase_at(self, index: int) -> Phase:
        """Phase of the 0-based week `index` of the block."""
        edges = (
            (self.base, Phase.BASE),
            (self.base + self.strength, Phase.STRENGTH),
            (self.base + self.strength + self.race_specific, Phase.RACE_SPECIFIC),
        )
        return next((phase for edge, phase in edges if index < edge), Phase.TAPER)


def full_layout(cls: DistanceClass) -> BlockLayout:
    """P1's four equal phases, scaled to the P2 block length; spare weeks go to the later phases
    that matter most for the race."""
    weeks = BLOCK_WEEKS[cls]
    quarter, spare = divmod(weeks, 4)
    return BlockLayout(
        base=quarter + (spare >= 3),
        strength=quarter + (spare >= 2),
        race_specific=quarter + (spare >= 1),
        # The longest running taper any race weekday gives (a Monday race).
        taper=max(quarter, run_taper_weeks(cls, 0)),
    )


def compress(layout: BlockLayout, weeks: int, run_taper: int) -> BlockLayout:
    """P3: fit a block into `weeks`. Base goes first, then strength; race-specific keeps two weeks
    while it can; the taper is never dropped (the strength taper may shrink to the running one)."""
    if weeks >= layout.total:
        return layout
    if weeks < 3:
        return BlockLayout(0, 0, 0, max(weeks, 1))
    parts = [layout.base, layout.strength, layout.race_specific, layout.taper]
    excess = layout.total - weeks
    # (phase index, weeks it keeps) in the order P3 gives weeks up.
    for index, floor in ((0, 0), (1, 0), (2, 2), (3, run_taper), (2, 0), (3, 1)):
        cut = min(max(parts[index] - floor, 0), excess)
        parts[index] -= cut
        excess -= cut
    return BlockLayout(*parts)


@dataclass
class _Slot:
    phase: Phase
    anchor: str
    rel: int | None
    deload: bool = False
    run_taper: int = 0
    run_taper_len: int = 0
    block_week: int = 0
    build_weeks: int = 0
    reasons: tuple[Reason, ...] = ()
    race_offset: int | None = None
    growth: int = 0
    full_weeks: int = 0


def _a_races(races: tuple[Race, ...], horizon_start: date) -> tuple[list[Race], list[PlanWarning]]:
    """The A races that anchor blocks, one per week (P6 cannot stack two blocks on one week)."""
    warnings: list[PlanWarning] = []
    earliest = horizon_start - RECOVERY_WEEKS * WEEK
    by_week: dict[date, Race] = {}
    for race in sorted(races, key=lambda r: (r.date, -r.distance_km, r.uid)):
        if race.priority is not Priority.A or race.date < earliest:
            continue
        week = monday(race.date)
        kept = by_week.get(week)
        if kept is None:
            by_week[week] = race
            continue
        winner, loser = (kept, race) if kept.distance_km >= race.distance_km else (race, kept)
        by_week[week] = winner
        warnings.append(
            PlanWarning(
                "P6",
                f"two A races in one week: the block is built for '{winner.title}'; "
                f"'{loser.title}' is raced inside it",
                week,
                f"two A races in one week: the block is built for the one on {winner.date}; "
                f"the one on {loser.date} is raced inside it",
            )
        )
    return [by_week[w] for w in sorted(by_week)], warnings


def periodize(
    races: tuple[Race, ...],
    today: date,
    weeks: int,
    *,
    extra_weeks: int = 1,
    resume: Mapping[str, date] | None = None,
) -> tuple[tuple[WeekPlan, ...], tuple[PlanWarning, ...]]:
    """Phase every week from today's Monday for `weeks` (+ `extra_weeks` of look-ahead that
    placement needs for rules across the last Sunday). `resume` names A races whose block
    starts no earlier than the week of a day (P12: the athlete is back from a long absence)."""
    first = monday(today)
    anchors, warnings = _a_races(races, first)
    slots: dict[date, _Slot] = {}
    free_from: date | None = None
    by_week_races: dict[date, list[Race]] = {}
    for race in races:
        by_week_races.setdefault(monday(race.date), []).append(race)
    for race in anchors:
        race_week = monday(race.date)
        cls = race.distance_class
        layout = full_layout(cls)
        run_taper = run_taper_weeks(cls, race.date.weekday())
        nominal_start = race_week - (layout.total - 1) * WEEK
        # A race added before today compresses against the day it was added; one "added" later
        # than the day being planned for is treated as known today.
        seen = min(monday(race.planned_since), first) if race.planned_since else first
        earliest = max(seen, free_from) if free_from else seen
        if resume and race.uid in resume:
            earliest = max(earliest, monday(resume[race.uid]))
        start = min(max(nominal_start, earliest), race_week)
        available = (race_week - start).days // 7 + 1
        block = compress(layout, available, run_taper)
        phase_reasons = _block_reasons(race, layout, block, start, nominal_start, free_from)
        if block != layout:
            compressed = (
                f"leaves {available} weeks; its {layout.total}-week block is compressed to "
                f"base {block.base}, strength {block.strength}, "
                f"race-specific {block.race_specific}, taper {block.taper}"
            )
            warnings.append(
                PlanWarning(
                    "P3",
                    f"'{race.title}' {compressed}",
                    start,
                    f"the race on {race.date} {compressed}",
                )
            )
        run_taper_len = min(run_taper, block.taper)
        build = block.base + block.strength
        pre_taper = block.total - run_taper_len
        # R10: growth counts full weeks only; a deload (P7) or a week holding another race
        # (P5) is a drop the next week returns from, not a step up.
        full_weeks = sum(1 for i in range(pre_taper) if not _deload(block, i))
        growth = 0
        for index in range(block.total):
            week = start + index * WEEK
            rel = index - (block.total - 1)
            phase = block.phase_at(index)
            deload = _deload(block, index)
            in_run_taper = index >= pre_taper
            reasons = phase_reasons
            if deload:
                reasons += (
                    Reason("P7", "every 4th week of base and strength is a deload week", "phase"),
                )
            slots[week] = _Slot(
                phase=phase,
                anchor=race.uid,
                rel=rel,
                deload=deload,
                run_taper=run_taper_len + rel if in_run_taper else 0,
                run_taper_len=run_taper_len,
                block_week=index + 1,
                build_weeks=build,
                reasons=reasons,
                race_offset=(race.date - week).days,
                growth=growth,
                full_weeks=full_weeks,
            )
            # A race in the week, or a marathon or longer whose no-run days (P9) reach into it.
            other_race = any(
                r.uid != race.uid
                and (week <= r.date or r.distance_class in LONG_CLASSES)
                and week - SPILL <= r.date < week + WEEK
                for r in races
            )
            if not (deload or in_run_taper or other_race):
                growth += 1
        for after in range(1, RECOVERY_WEEKS + 1):
            slots[race_week + after * WEEK] = _Slot(
                phase=Phase.RECOVERY,
                anchor=race.uid,
                rel=after,
                race_offset=-7 * after + race.date.weekday(),
                reasons=(
                    Reason(
                        "P9",
                        f"recovery week {after} of {RECOVERY_WEEKS} after '{race.title}'",
                        "phase",
                    ),
                ),
            )
        # P6: the next block may start only once this race's recovery is over.
        free_from = race_week + (RECOVERY_WEEKS + 1) * WEEK

    next_block = {monday(r.date): r for r in anchors}

    plan: list[WeekPlan] = []
    for i in range(weeks + extra_weeks):
        week = first + i * WEEK
        slot = slots.get(week) or _offseason_slot(week, next_block)
        in_week = by_week_races.get(week)
        plan.append(
            WeekPlan(
                start=week,
                phase=slot.phase,
                anchor=slot.anchor,
                rel=slot.rel,
                deload=slot.deload,
                races=tuple(sorted(in_week, key=lambda r: (r.date, r.uid))) if in_week else (),
                run_taper=slot.run_taper,
                run_taper_len=slot.run_taper_len,
                block_week=slot.block_week,
                build_weeks=slot.build_weeks,
                reasons=slot.reasons,
                race_offset=slot.race_offset,
                growth=slot.growth,
                full_weeks=slot.full_weeks,
            )
        )
    return tuple(plan), tuple(warnings)


def _deload(block: BlockLayout, index: int) -> bool:
    """P7: every 4th week of base and strength."""
    return index < block.base + block.strength and (index + 1) % 4 == 0


def _offseason_slot(week: date, blocks: dict[date, Race]) -> _Slot:
    upcoming = [blocks[w] for w in sorted(blocks) if w > week]
    if upcoming:
        race = upcoming[0]
        why = (
            f"'{race.title}' is {(monday(race.date) - week).days // 7} weeks away; its "
            f"{BLOCK_WEEKS[race.distance_class]}-week block has not started"
        )
        reasons: tuple[Reason, ...] = (Reason("P4", why, "phase"),)
    else:
        reasons = (NO_A_RACE,)
    reasons += (OFFSEASON_STRENGTH,)
    return _Slot(phase=Phase.OFFSEASON, anchor=OFFSEASON, rel=None, reasons=reasons)


def _block_reasons(
    race: Race,
    layout: BlockLayout,
    block: BlockLayout,
    start: date,
    nominal_start: date,
    after_recovery: date | None,
) -> tuple[Reason, ...]:
    reasons = [
        Reason(
            "P1",
            f"block counted back from the A race '{race.title}' on {race.date.isoformat()}",
            "phase",
        ),
        Reason(
            "P2",
            f"a {race.distance_class.value} race: {layout.total}-week block, "
            f"{taper_days(race.distance_class, race.date.weekday())}-day running taper",
            "phase",
        ),
    ]
    if race.priority_explicit:
        reasons.append(Reason("P5", "A race marked in the event: full block and taper", "phase"))
    else:
        reasons.append(
            Reason("P5", "no priority in the event: the farthest longest race is A", "phase")
        )
    if block != layout:
        reasons.append(
            Reason(
                "P3",
                f"only {block.total} weeks available: block compressed, taper kept",
                "phase",
            )
        )
    if after_recovery is not None and start == after_recovery and start > nominal_start:
        reasons.append(
            Reason("P6", "second A race: block starts after the first race's recovery", "phase")
        )
    return tuple(reasons)
