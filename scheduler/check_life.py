"""The life checks (L13-L16): the days the athlete marked in a calendar hold what their rule
allows, re-derived from the placed plan and the request's life events (scheduler.check)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from scheduler.life import NO_KEY_DAYS, returns
from scheduler.model import LifeKind, PlacedSession, Plan, PlanRequest


def _planned(plan: Plan) -> list[tuple[PlacedSession, date]]:
    tz = ZoneInfo(plan.timezone)
    return [(s, s.start.astimezone(tz).date()) for s in plan.sessions if s.origin == "planned"]


def check_L13(plan: Plan, req: PlanRequest) -> list[str]:
    """No session on a holiday or travel day; a `#travel bodyweight` trip holds at most one
    bodyweight session."""
    out = []
    for event in req.life:
        if event.kind not in (LifeKind.HOLIDAY, LifeKind.TRAVEL):
            continue
        inside = [s for s, day in _planned(plan) if event.covers(day)]
        allowed = 1 if event.bodyweight else 0
        extra = [s for s in inside if s.type != "strength-bodyweight" or s.heavy_lower]
        body = [s for s in inside if s not in extra]
        for s in [*extra, *body[allowed:]]:
            out.append(f"L13: {s.key} on #{event.kind.value} day {s.start.date().isoformat()}")
    return out


def check_L14(plan: Plan, req: PlanRequest) -> list[str]:
    """Nothing on a sick day; no key run in the first 3 days back."""
    out = []
    sick = [e for e in req.life if e.kind is LifeKind.SICK]
    back = [r for r in returns(req.life) if r.kind is LifeKind.SICK]
    for s, day in _planned(plan):
        if any(e.covers(day) for e in sick):
            out.append(f"L14: {s.key} on #sick day {day.isoformat()}")
        elif s.key_run and any(0 <= (day - r.first).days < NO_KEY_DAYS for r in back):
            out.append(f"L14: key run {s.key} on {day.isoformat()}, within 3 days of #sick")
    return out


def check_L15(plan: Plan, req: PlanRequest) -> list[str]:
    """No running and no lower-body strength while injured; only easy runs in the return."""
    out = []
    injured = [e for e in req.life if e.kind is LifeKind.INJURED]
    back = [r for r in returns(req.life) if r.kind is LifeKind.INJURED]
    for s, day in _planned(plan):
        if any(e.covers(day) for e in injured):
            if s.kind == "run" or s.heavy_lower or not s.title.endswith("(upper body + core)"):
                out.append(f"L15: {s.key} ({s.type}) on #injured day {day.isoformat()}")
        elif s.key_run and any(r.easy_only(day) for r in back):
            out.append(f"L15: key run {s.key} on {day.isoformat()}, in the return from injury")
    return out


def check_L16(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength on a #nostrength day."""
    days = [e for e in req.life if e.kind is LifeKind.NOSTRENGTH]
    return [
        f"L16: {s.key} on #nostrength day {day.isoformat()}"
        for s, day in _planned(plan)
        if s.kind == "strength" and any(e.covers(day) for e in days)
    ]


__all__ = ["check_L13", "check_L14", "check_L15", "check_L16"]
