"""L10's step before a drop for a key run: the same kilometres as an easy run, built from the
run's own steps, when no day of the week can hold it as a key run (L4, P5)."""

from __future__ import annotations

from scheduler.model import Block, Reason, Step, Units, Zone
from scheduler.runs import VALUE_EASY, run_rx
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
