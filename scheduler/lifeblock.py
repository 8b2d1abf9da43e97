"""P12: an A race's block that loses more than 2 weeks to holidays, travel, sickness or injury
is re-planned from the week the athlete is back, by P3's compression (base weeks go first, the
taper stays), and the plan says so. The weeks before the absence keep their phases."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.life import BLOCK_LOSS_DAYS, lost_days
from scheduler.model import LifeEvent, LifeKind, PlanWarning, Priority, Race, WeekPlan
from scheduler.periodize import monday, periodize


def replan_lost_blocks(
    weeks: tuple[WeekPlan, ...],
    warnings: tuple[PlanWarning, ...],
    races: tuple[Race, ...],
    life: tuple[LifeEvent, ...],
    today: date,
    count: int,
) -> tuple[tuple[WeekPlan, ...], tuple[PlanWarning, ...]]:
    """The weeks (and period warnings) with each block that lost too much re-planned."""
    resume: dict[str, date] = {}
    notes: list[PlanWarning] = []
    for race in races:
        if race.priority is not Priority.A or race.date < today:
            continue
        block = [w for w in weeks if w.anchor == race.uid and w.rel is not None and w.rel <= 0]
        if not block:
            continue
        # The block's first Monday, in the past too: days lost before today count (P12).
        first = block[0].start - timedelta(weeks=block[0].block_week - 1)
        last = race.date - timedelta(days=1)
        lost = lost_days(life, first, last)
        if lost <= BLOCK_LOSS_DAYS:
            continue
        back = max(
            e.last
            for e in life
            if e.kind is not LifeKind.NOSTRENGTH and e.first <= last and e.last >= first
        ) + timedelta(days=1)
        resume[race.uid] = back
        loses = (
            f"loses {lost} days of its block to marked absences (more than "
            f"{BLOCK_LOSS_DAYS}): the rest of the block is re-planned from "
            f"{back.isoformat()} by P3"
        )
        notes.append(
            PlanWarning(
                "P12",
                f"'{race.title}' {loses}",
                max(monday(today), monday(min(back, race.date))),
                f"the race on {race.date.isoformat()} {loses}",
            )
        )
    if not resume:
        return weeks, warnings
    again, again_warnings = periodize(races, today, count, resume=resume)
    merged = tuple(
        old if old.anchor in resume and old.start < monday(resume[old.anchor]) else new
        for old, new in zip(weeks, again, strict=True)
    )
    return merged, (*again_warnings, *notes)


__all__ = ["replan_lost_blocks"]
