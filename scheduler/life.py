"""Life happens (L13-L16, P12): holidays, travel, sick days, injuries and strength-free days
the athlete marked in a calendar bend the placed plan.

Placement has run; this only takes sessions away, eases them or shortens them inside their own
booked slot, so every hard placement rule the plan kept it still keeps (a session removed or
made easier can break no L rule, and nothing moves into new time). Sessions that already
started or that the athlete changed (origin not "planned") stay as they are.

- L13 holiday/travel: no session on those days; `#travel bodyweight` keeps one strength
  session of the trip as a bodyweight session.
- L14 sick: nothing on those days; then a graded return over about as many days as were missed:
  runs easy only and no key run in the first 3 days, volume from half the plan's back to it.
- L15 injured: no running and no lower-body strength (upper body and core stand in) until the
  event ends; then a conservative return: twice as long (at least a week), easy runs only from
  30% of the plan's volume, strength light.
- L16 nostrength: no strength on those days.
- P12 (scheduler.plan): a block that loses more than 2 weeks before its A race is re-planned
  from the day the athlete is back, by P3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import (
    Block,
    Exercise,
    LifeEvent,
    LifeKind,
    PlacedSession,
    PlanWarning,
    Reason,
    Step,
    Units,
    Zone,
)
from scheduler.runs import VALUE_EASY, run_rx
from scheduler.sessions import SessionSpec
from scheduler.workouts import PURPOSE, Workout, distance_text

# Kinds that take every session of their days.
AWAY = frozenset({LifeKind.HOLIDAY, LifeKind.TRAVEL, LifeKind.SICK})
RULE = {
    LifeKind.HOLIDAY: "L13",
    LifeKind.TRAVEL: "L13",
    LifeKind.SICK: "L14",
    LifeKind.INJURED: "L15",
    LifeKind.NOSTRENGTH: "L16",
}
NO_KEY_DAYS = 3  # L14: no key run in the first days back
SICK_FROM = 0.5  # L14: the first day back runs half the plan's volume
INJURED_FROM = 0.3  # L15
INJURED_MIN_DAYS = 7
SHORTEST_KM = 3.0
BLOCK_LOSS_DAYS = 14  # P12: more than 2 weeks lost re-plans the block

BODYWEIGHT_SESSION = (
    Exercise(
        "Warm-up",
        "1",
        "5 min",
        "brisk walk or jog on the spot, leg swings",
        role="warm-up",
        seconds=300,
    ),
    Exercise("Bodyweight squat", "3", "15", seconds=300),
    Exercise("Reverse lunge", "3", "10", per_side=True, seconds=300),
    Exercise("Single-leg calf raise", "3", "15", per_side=True, seconds=300),
    Exercise("Push-up", "3", "10-15", seconds=240),
    Exercise("Plank", "3", "40 s", seconds=180),
    Exercise("Side plank", "2", "30 s", per_side=True, seconds=180),
)


@dataclass(frozen=True)
class Return:
    """A graded return after a sick or injured spell: from day `first` for `days` days."""

    kind: LifeKind
    first: date
    days: int

    def scale(self, day: date) -> float:
        """The share of the plan's volume on `day` (1.0 outside the return)."""
        i = (day - self.first).days
        if not 0 <= i < self.days:
            return 1.0
        low = INJURED_FROM if self.kind is LifeKind.INJURED else SICK_FROM
        return low + (1.0 - low) * i / self.days

    def easy_only(self, day: date) -> bool:
        i = (day - self.first).days
        limit = self.days if self.kind is LifeKind.INJURED else NO_KEY_DAYS
        return 0 <= i < min(limit, self.days)


def returns(life: tuple[LifeEvent, ...]) -> tuple[Return, ...]:
    """The graded returns the sick and injured spells ask for (L14, L15)."""
    out = []
    for event in life:
        back = event.last + timedelta(days=1)
        if event.kind is LifeKind.SICK:
            out.append(Return(event.kind, back, max(NO_KEY_DAYS, event.days)))
        elif event.kind is LifeKind.INJURED:
            out.append(Return(event.kind, back, max(INJURED_MIN_DAYS, 2 * event.days)))
    return tuple(out)


def covering(life: tuple[LifeEvent, ...], day: date) -> list[LifeEvent]:
    return [e for e in life if e.covers(day)]


def apply_life(
    sessions: list[PlacedSession],
    life: tuple[LifeEvent, ...],
    specs: Mapping[str, SessionSpec],
    tz: ZoneInfo,
    units: Units,
    before: Mapping[LifeEvent, list[PlacedSession]] | None = None,
) -> tuple[list[PlacedSession], list[PlanWarning]]:
    """The sessions as the athlete's marked days leave them, and one warning per event that
    took sessions away, citing its rule; `before`: the runs placement already took off the
    marked days (scheduler.lifedays), said in the same warnings."""
    if not life:
        return sessions, []
    back = returns(life)
    taken = {event: list(lost) for event, lost in (before or {}).items()}
    bodyweight_done: set[LifeEvent] = set()
    out: list[PlacedSession] = []
    dropped: list[PlanWarning] = []
    for s in sessions:
        if s.origin != "planned":
            out.append(s)
            continue
        day = s.start.astimezone(tz).date()
        events = covering(life, day)
        away = next((e for e in events if e.kind in AWAY), None)
        if away is not None:
            if (
                away.bodyweight
                and s.kind == "strength"
                and away not in bodyweight_done
                and all(e.kind is LifeKind.TRAVEL for e in events)
            ):
                bodyweight_done.add(away)
                out.append(_bodyweight(s, away))
            else:
                taken.setdefault(away, []).append(s)
            continue
        injured = next((e for e in events if e.kind is LifeKind.INJURED), None)
        no_lifts = next((e for e in events if e.kind is LifeKind.NOSTRENGTH), None)
        if s.kind == "strength" and no_lifts is not None:
            taken.setdefault(no_lifts, []).append(s)
            continue
        if injured is not None:
            changed = _upper(s, specs.get(s.key), injured) if s.kind == "strength" else None
            if changed is None:
                taken.setdefault(injured, []).append(s)
            else:
                out.append(changed)
            continue
        spell = [r for r in back if r.scale(day) < 1.0]
        if not spell:
            out.append(s)
            continue
        if s.kind == "run":
            graded = _graded_run(s, spell, day, units)
            if graded is None:
                why = (
                    f"no key run in the first {NO_KEY_DAYS} days back, "
                    "and no easy run fits its slot"
                )
                dropped.append(
                    PlanWarning(
                        RULE[spell[0].kind],
                        f"dropped '{s.title}' ({s.key}): {why}",
                        s.week,
                        f"dropped {s.key}: {why}",
                    )
                )
            else:
                out.append(graded)
        else:
            out.append(_light(s, specs.get(s.key), spell, day))
    warnings = []
    for event, lost in taken.items():
        # Kind, dates and session keys only: as it is, the plain form too.
        said = f"#{event.kind.value} {span(event)}: {len(lost)} session(s) off ({_keys(lost)})"
        warnings.append(PlanWarning(RULE[event.kind], said, lost[0].week, said))
    return out, [*warnings, *dropped]


def _keys(lost: list[PlacedSession]) -> str:
    shown = ", ".join(s.key for s in lost[:3])
    return shown + (f" and {len(lost) - 3} more" if len(lost) > 3 else "")


def span(event: LifeEvent) -> str:
    if event.first == event.last:
        return event.first.isoformat()
    return f"{event.first.isoformat()} to {event.last.isoformat()}"


def _bodyweight(s: PlacedSession, event: LifeEvent) -> PlacedSession:
    seconds = sum(e.seconds for e in BODYWEIGHT_SESSION)
    end = min(s.end, s.start + timedelta(seconds=seconds))
    lines = [e.line() for e in BODYWEIGHT_SESSION]
    why = f"#travel {span(event)} asks for one bodyweight session while away (L13)"
    return replace(
        s,
        type="strength-bodyweight",
        title="Strength: bodyweight (travel)",
        description="\n".join([*lines, f"Why: {why}."]),
        end=end,
        heavy_lower=False,
        exercises=BODYWEIGHT_SESSION,
        reasons=(*s.reasons, Reason("L13", why, "prescription")),
    )


def _upper(s: PlacedSession, spec: SessionSpec | None, event: LifeEvent) -> PlacedSession | None:
    """L15: the session's upper body and core, inside its own slot; None when it has none."""
    rx = spec.strength if spec is not None else None
    if rx is None or s.start + timedelta(minutes=rx.upper.minutes) > s.end:
        return None
    why = f"#injured {span(event)}: no lower-body strength, upper body and core only"
    return replace(
        s,
        title=f"{s.title} (upper body + core)",
        description=f"{rx.upper.text}\nWhy: {why} (L15).",
        end=s.start + timedelta(minutes=rx.upper.minutes),
        heavy_lower=False,
        exercises=rx.upper.exercises,
        reasons=(*s.reasons, Reason("L15", why, "prescription")),
    )


def _light(
    s: PlacedSession, spec: SessionSpec | None, spell: list[Return], day: date
) -> PlacedSession:
    """The first days back lift light (below heavy, S7), inside the session's own slot."""
    rx = spec.strength if spec is not None else None
    easy = any(r.easy_only(day) for r in spell)
    if not s.heavy_lower or not easy or rx is None:
        return s
    if s.start + timedelta(minutes=rx.light.minutes) > s.end:
        return s
    rule = RULE[spell[0].kind]
    why = "back from a break: light loads the first days"
    return replace(
        s,
        description=f"{rx.light.text}\nWhy: {why} ({rule}).",
        end=s.start + timedelta(minutes=rx.light.minutes),
        heavy_lower=False,
        exercises=rx.light.exercises,
        reasons=(*s.reasons, Reason(rule, why, "prescription")),
    )


def _graded_run(
    s: PlacedSession, spell: list[Return], day: date, units: Units
) -> PlacedSession | None:
    """L14/L15: a run of the graded return: easy at its share of the plan's kilometres, or the
    key run as planned once the first days are past; None for a key run of the first days no
    easy run can stand in for."""
    scale = min(r.scale(day) for r in spell)
    first = min(spell, key=lambda r: r.scale(day))
    rule = RULE[first.kind]
    if s.key_run and not any(r.easy_only(day) for r in spell):
        why = f"day {(day - first.first).days + 1} back: key runs are back"
        return replace(s, reasons=(*s.reasons, Reason(rule, why, "prescription")))
    km = s.distance_km or 0.0
    want = max(min(SHORTEST_KM, km), round(km * scale * 2) / 2)
    steps = [st for b in s.steps for st in b.steps if st.km]
    easy = next((st for st in steps if st.zone is Zone.EASY), None) or next(
        (st for st in steps if st.zone in (Zone.RECOVERY, Zone.LONG)), None
    )
    keep = None if s.key_run else s
    if easy is None:
        return keep
    per_km = easy.seconds / easy.km
    # The easy run stays inside the slot the planned run had (nothing moves into new time).
    room_km = (s.end - s.start).total_seconds() / per_km
    want = min(want, km, int(room_km * 2) / 2)
    if want <= 0:
        return keep
    why = (
        f"day {(day - first.first).days + 1} of {first.days} back from #{first.kind.value}: "
        f"easy, {scale:.0%} of the plan's {km:g} km"
    )
    run = Step("steady", Zone.EASY, want, round(want * per_km), "distance", easy.pace,
               easy.rpe, easy.hr)  # fmt: skip
    workout = Workout(
        "easy",
        f"Easy run {distance_text(want, units)}",
        PURPOSE["easy"],
        (Block(1, (run,)),),
        want,
        run.seconds,
        units,
    )
    reason = Reason(rule, why, "prescription")
    own = (*(r for r in s.reasons if r.about != "phase" and r.rule not in ("R2", "R3")), reason)
    rx = run_rx(s.slot, workout, key_run=False, value=VALUE_EASY, reasons=own)
    end = s.start + timedelta(minutes=rx.minutes)
    if end > s.end:
        return keep
    return replace(
        s,
        type=rx.type,
        key_run=False,
        title=rx.title,
        description=rx.description,
        steps=rx.steps,
        distance_km=rx.distance_km,
        end=end,
        reasons=(*(r for r in s.reasons if r.rule not in ("R2", "R3")), reason),
    )


def lost_days(life: tuple[LifeEvent, ...], first: date, last: date) -> int:
    """P12: the days between `first` and `last` (both counted) a block loses to holidays,
    travel, sickness and injury."""
    days = {
        e.first + timedelta(days=i)
        for e in life
        if e.kind is not LifeKind.NOSTRENGTH
        for i in range(e.days)
    }
    return sum(1 for d in days if first <= d <= last)


__all__ = ["BLOCK_LOSS_DAYS", "RULE", "Return", "apply_life", "lost_days", "returns", "span"]
