"""What a week adds up to: run km and time, strength sessions and minutes; as a line of text
under each week of the page and as the page's bar chart."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from scheduler.model import PlacedSession, Plan, WeekPlan
from scheduler.plan import zone
from service.views.style import PHASE_COLOURS


@dataclass(frozen=True)
class Volume:
    runs: int = 0
    run_km: float = 0.0
    run_minutes: int = 0
    lifts: int = 0
    lift_minutes: int = 0

    def line(self) -> str:
        """ "Run 42.5 km in 4 h 05 min (5 runs) · Strength 2 sessions, 1 h 50 min"."""
        runs = (
            f"Run {self.run_km:.1f} km in {_duration(self.run_minutes)} "
            f"({self.runs} run{'s' if self.runs != 1 else ''})"
            if self.runs
            else "No runs"
        )
        lifts = (
            f"Strength {self.lifts} session{'s' if self.lifts != 1 else ''}, "
            f"{_duration(self.lift_minutes)}"
            if self.lifts
            else "no strength"
        )
        return f"{runs} · {lifts}"


def volume_of(sessions: Iterable[PlacedSession]) -> Volume:
    runs = [s for s in sessions if s.kind == "run"]
    lifts = [s for s in sessions if s.kind == "strength"]
    return Volume(
        runs=len(runs),
        run_km=sum(s.distance_km or 0.0 for s in runs),
        run_minutes=sum(_minutes(s) for s in runs),
        lifts=len(lifts),
        lift_minutes=sum(_minutes(s) for s in lifts),
    )


def weekly_load(plan: Plan) -> list[tuple[WeekPlan, Volume]]:
    """Each week of the plan with what its sessions (on the athlete's clock) add up to."""
    tz = zone(plan.timezone)
    out = []
    for week in plan.weeks:
        end = week.start + timedelta(days=7)
        inside = [s for s in plan.sessions if week.start <= s.start.astimezone(tz).date() < end]
        out.append((week, volume_of(inside)))
    return out


def _minutes(session: PlacedSession) -> int:
    return int((session.end - session.start).total_seconds() // 60)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def volume_chart(plan: Plan, width: int = 960, name: str = "volume-chart") -> str:
    """Two bar panels sharing the week axis: run km above, strength minutes below, each bar in
    its week's phase colour; a flag marks weeks with a race. It scales to the width it is given
    (viewBox); `width` sets how many units its text and bars share, so a narrow variant keeps
    its labels readable on a phone instead of shrinking the wide one."""
    rows = weekly_load(plan)
    if not rows:
        return ""
    left, top, panel, gap = 48, 20, 130, 36
    step = (width - left - 10) / len(rows)
    bar = max(step * 0.7, 2.0)
    # A date label is about 40 units wide: label every week that leaves room for it.
    every = max(1, math.ceil(48 / step))
    height = top + panel * 2 + gap + 40
    max_km = max((v.run_km for _, v in rows), default=0.0) or 1.0
    max_min = max((v.lift_minutes for _, v in rows), default=0) or 1
    base_run, base_lift = top + panel, top + panel * 2 + gap
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' id='{name}' class='chart' width='100%' "
        f"viewBox='0 0 {width} {height}' style='max-width:{width}px' role='img' "
        "aria-label='Weekly run volume and strength load by phase'>",
        "<rect width='100%' height='100%' fill='#fff'/>",
        f"<text x='4' y='{top - 6}'>run km / week (max {max_km:.0f})</text>",
        f"<text x='4' y='{base_run + gap - 6}'>strength min / week (max {max_min})</text>",
        f"<line x1='{left}' y1='{base_run}' x2='{width - 10}' y2='{base_run}' stroke='#999'/>",
        f"<line x1='{left}' y1='{base_lift}' x2='{width - 10}' y2='{base_lift}' stroke='#999'/>",
    ]
    for i, (week, volume) in enumerate(rows):
        x = left + i * step + (step - bar) / 2
        colour = PHASE_COLOURS.get(week.phase.value, "#999")
        h_run = panel * volume.run_km / max_km
        h_lift = panel * volume.lift_minutes / max_min
        label = f"week of {week.start.isoformat()} ({week.phase.value})"
        out.append(
            f"<rect class='bar-run' x='{x:.1f}' y='{base_run - h_run:.1f}' width='{bar:.1f}' "
            f"height='{h_run:.1f}' fill='{colour}'><title>{escape(label)}: "
            f"{volume.run_km:.1f} km</title></rect>"
        )
        out.append(
            f"<rect class='bar-strength' x='{x:.1f}' y='{base_lift - h_lift:.1f}' "
            f"width='{bar:.1f}' height='{h_lift:.1f}' fill='{colour}'>"
            f"<title>{escape(label)}: {volume.lifts} sessions, {volume.lift_minutes} min"
            "</title></rect>"
        )
        if week.races:
            names = ", ".join(r.title for r in week.races)
            out.append(
                f"<text x='{x:.1f}' y='{base_run - h_run - 4:.1f}' fill='#b71c1c'>&#9873;"
                f"<title>{escape(names)}</title></text>"
            )
        if i % every == 0:
            # Centred under its bar, kept inside the chart at both ends.
            middle = min(max(x + bar / 2, 22), width - 22)
            out.append(
                f"<text x='{middle:.1f}' y='{base_lift + 14}' text-anchor='middle'>"
                f"{week.start:%d %b}</text>"
            )
    out.append("</svg>")
    return "".join(out)
