"""L10's steps before a drop for a key run: when busy time took the run day it needed, a day
that is no run day stands in (the week keeps its count of runs); when no day of the week can
hold it as a key run (L4, P5), the same kilometres as an easy run, built from its own steps."""

from __future__ import annotations

from scheduler.model import Block, Reason, Step, Units, Zone
from scheduler.runs import VALUE_EASY, run_rx
from scheduler.runweek import QUALITY_DAY_ORDER
from scheduler.sessions import SessionSpec
from scheduler.workouts import PURPOSE, Workout, distance_text


def as_easy(spec: SessionSpec, units: Units) -> SessionSpec:
    """The key run `spec` as an easy run of its distance at the easy pace its own steps name
    (R8: the text, km and slot still come from the steps). The day-by-day refusals go to the
    warning only: their order follows the previous placement, and the calendar event must not
    change when only that order does."""
    km = spec.distance_km or 0.0
    note = f"planned as '{spec.title}': no day this week holds it as a key run"
    reasons = (
        *(r for r in spec.reasons if r.rule not in ("R2", "R3")),
        Reason("L10", note, "prescription"),
    )
    easy = next((s for b in spec.steps for s in b.steps if s.zone is Zone.EASY and s.km), None)
    if easy is None:
        return spec._replace(
            type="easy",
            key_run=False,
            value=VALUE_EASY,
            title=f"Easy run {km:g} km",
            description=f"{km:g} km easy. Conversational pace ({note}, L10).",
            reasons=reasons,
        )
    per_km = easy.seconds / easy.km
    run = Step("steady", Zone.EASY, round(km, 2), round(km * per_km), "distance", easy.pace,
               easy.rpe, easy.hr)  # fmt: skip
    workout = Workout(
        "easy",
        f"Easy run {distance_text(km, units)}",
        PURPOSE["easy"],
        (Block(1, (run,)),),
        km,
        run.seconds,
        units,
    )
    own = tuple(r for r in reasons if r.about != "phase")
    rx = run_rx(spec.slot, workout, key_run=False, value=VALUE_EASY, reasons=own)
    return spec._replace(
        type=rx.type,
        key_run=False,
        value=VALUE_EASY,
        minutes=rx.minutes,
        title=rx.title,
        description=rx.description,
        reasons=reasons,
        steps=rx.steps,
        distance_km=rx.distance_km,
    )


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def stand_in_days(days: list[int], run_days: frozenset[int], lost: int) -> list[int]:
    """The week's days that are no run days, nearest the busy run day `lost` first, then in
    L7's order of quality days (Thursday's quarterly review: Friday, then Wednesday)."""
    return sorted(
        (d for d in days if d % 7 not in run_days),
        key=lambda d: (abs(d - lost), QUALITY_DAY_ORDER.index(d % 7)),
    )


def stand_in_reason(lost: int, day: int) -> Reason:
    return Reason(
        "L10",
        f"{WEEKDAYS[lost % 7]} was busy and your other run days would make two hard days in a "
        f"row: moved to {WEEKDAYS[day % 7]}",
        "placement",
    )
