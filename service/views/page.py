"""The read-only plan page: a week-by-day grid and a volume chart, rendered on the server.

Everything is inline (CSS and SVG, no script, no font or CDN): the page must work on a host
without internet and in a browser that blocks third-party requests. Every text that comes from
a calendar or the config passes through html.escape; the plan itself is embedded as the same
JSON `racecal plan show --json` prints, for anyone who wants to script against the page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from scheduler.explain import explain_session, plan_to_json
from scheduler.model import PlacedSession, Plan, Race, WeekPlan
from scheduler.plan import zone
from service.views.held import RULES, HeldPlan, held_json

PHASE_COLOURS = {
    "offseason": "#9e9e9e",
    "base": "#43a047",
    "strength": "#f9a825",
    "race-specific": "#ef6c00",
    "taper": "#00acc1",
    "recovery": "#8e24aa",
}
KIND_COLOURS = {"run": "#1e63c6", "strength": "#c0392b"}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

CSS = """
body{font:14px/1.35 system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}
nav a{margin-right:12px}
.meta{color:#555;margin-bottom:12px}
.legend span{display:inline-block;margin:0 10px 4px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
table.grid{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff}
.grid th,.grid td{border:1px solid #ddd;vertical-align:top;padding:3px}
.grid th.week{width:112px;text-align:left;font-weight:normal;border-left-width:6px}
.grid td.today{outline:2px solid #222;outline-offset:-2px}
.day{color:#777;font-size:11px}
.race{background:#b71c1c;color:#fff;border-radius:3px;padding:1px 4px;margin:2px 0;font-weight:bold}
details.s{border-left:4px solid;border-radius:3px;margin:2px 0;padding:1px 3px;font-size:12px}
details.s summary{cursor:pointer;list-style:none}
details.s pre{white-space:pre-wrap;font-size:11px;margin:4px 0;background:#fff;padding:4px}
details.run{border-left-color:#1e63c6}details.strength{border-left-color:#c0392b}
.tag{font-size:10px;color:#555}
form.release{display:inline;margin-left:4px}form.release button{font-size:11px}
.warnings{margin-top:16px;color:#7a4a00}
svg text{font:11px system-ui,sans-serif;fill:#333}
"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def index_page(athlete_ids: list[str]) -> str:
    items = "".join(
        f"<li><a href='/athletes/{escape(a)}'>{escape(a)}</a></li>" for a in athlete_ids
    )
    return page("racecal", f"<h1>racecal</h1><p>Training plans, read-only.</p><ul>{items}</ul>")


def error_page(status: int, message: str) -> str:
    return page(f"racecal: {status}", f"<h1>{status}</h1><p>{escape(message)}</p>")


def plan_page(
    plan: Plan,
    problems: tuple[str, ...],
    athlete_ids: list[str],
    held: HeldPlan | None = None,
    release_token: str | None = None,
) -> str:
    """`held` marks the sessions that are the athlete's, lists the deleted ones and says when
    this is the last good plan (a source could not be read). With `release_token` (the
    service's page), each of the athlete's sessions has a button that hands it back to
    racecal (a form posting the token, which only this page knows)."""
    release = _Release(plan.athlete_id, release_token) if release_token else None
    tz = zone(plan.timezone)
    by_day: dict[date, list[PlacedSession]] = defaultdict(list)
    for session in plan.sessions:
        by_day[session.start.astimezone(tz).date()].append(session)
    races: dict[date, list[Race]] = defaultdict(list)
    for race in plan.races:
        races[race.date].append(race)
    nav = "".join(f"<a href='/athletes/{escape(a)}'>{escape(a)}</a>" for a in athlete_ids)
    parts = [
        f"<nav><a href='/'>all athletes</a>{nav}</nav>",
        f"<h1>Training plan: {escape(plan.athlete_id)}</h1>",
        f"<p class='meta'>From {plan.today.isoformat()}, {len(plan.weeks)} weeks, "
        f"{len(plan.sessions)} sessions, times in {escape(plan.timezone)}. "
        "Hover over a session for why it is there; click it for the full explanation.</p>",
        _stale(held),
        _legend(),
        volume_chart(plan),
        _grid(plan, by_day, races, held, release),
        _deleted(held, release),
        _warnings(plan, problems),
        f"<p class='meta'>{escape(RULES)}</p>",
        _embedded_json(plan, held),
    ]
    return page(f"racecal: {plan.athlete_id}", "\n".join(parts))


def _legend() -> str:
    kinds = "".join(
        f"<span><i style='background:{c}'></i>{k}</span>" for k, c in KIND_COLOURS.items()
    )
    phases = "".join(
        f"<span><i style='background:{c}'></i>{p}</span>" for p, c in PHASE_COLOURS.items()
    )
    return f"<div class='legend'>{kinds} | {phases}</div>"


def _grid(
    plan: Plan,
    by_day: dict[date, list[PlacedSession]],
    races: dict[date, list[Race]],
    held: HeldPlan | None = None,
    release: _Release | None = None,
) -> str:
    head = (
        "<tr><th class='week' style='border-left-color:#ddd'>week</th>"
        + "".join(f"<th>{d}</th>" for d in DAYS)
        + "</tr>"
    )
    rows = [head]
    for week in plan.weeks:
        colour = PHASE_COLOURS.get(week.phase.value, "#999")
        cells = [f"<th class='week' style='border-left-color:{colour}'>{_week_label(week)}</th>"]
        for offset in range(7):
            day = week.start + timedelta(days=offset)
            today = " class='today'" if day == plan.today else ""
            content = [f"<div class='day'>{day:%d %b}</div>"]
            content += [_race(race) for race in races.get(day, [])]
            content += [
                _session(s, held, release)
                for s in sorted(by_day.get(day, []), key=lambda s: s.start)
            ]
            cells.append(f"<td{today} data-date='{day.isoformat()}'>{''.join(content)}</td>")
        rows.append(f"<tr data-phase='{escape(week.phase.value)}'>{''.join(cells)}</tr>")
    return f"<table class='grid'>{''.join(rows)}</table>"


def _week_label(week: WeekPlan) -> str:
    lines = [f"{week.start:%d %b %Y}", f"<b>{escape(week.phase.value)}</b>"]
    if week.deload:
        lines.append("deload")
    if week.rel is not None and week.rel < 0:
        lines.append(f"{-week.rel} weeks to race")
    elif week.rel == 0:
        lines.append("race week")
    return "<br>".join(lines)


def _race(race: Race) -> str:
    about = f"{race.title}: race, {race.distance_km:g} km, priority {race.priority.value}"
    return f"<div class='race' title='{escape(about)}'>&#9873; {escape(race.title)}</div>"


@dataclass(frozen=True)
class _Release:
    athlete_id: str
    token: str

    def form(self, key: str) -> str:
        """POSTed to the service, which hands the session back and shows the page again."""
        return (
            f"<form method='post' action='/athletes/{escape(self.athlete_id)}/release' "
            f"class='release'><input type='hidden' name='key' value='{escape(key)}'>"
            f"<input type='hidden' name='token' value='{escape(self.token)}'>"
            "<button type='submit'>hand back to racecal</button></form>"
        )


def _session(
    session: PlacedSession, held: HeldPlan | None = None, release: _Release | None = None
) -> str:
    explanation = explain_session(session)
    yours = held.label(session.key) if held is not None else None
    if yours:
        explanation += (
            f"\nYours: {yours}; racecal leaves it as you left it (L12). "
            f"racecal release '{session.key}' hands it back."
        )
    # The hover text is the why (phase, prescription, day and time with their rules); the
    # exercise list would make a tooltip taller than the screen, so it is only in the details.
    why = explanation.split("\nSession:", 1)[0]
    tint = PHASE_COLOURS.get(session.phase.value, "#999")
    marks = [m for m, on in (("key", session.key_run), ("heavy", session.heavy_lower)) if on]
    if yours:
        marks.insert(0, yours)
    tag = f" <span class='tag'>{', '.join(marks)}</span>" if marks else ""
    return (
        f"<details class='s {escape(session.kind)}' data-key='{escape(session.key)}' "
        f"data-phase='{escape(session.phase.value)}' title='{escape(why)}' "
        f"style='background:{tint}33'>"
        f"<summary>{session.start:%H:%M} {escape(session.title)}{tag}</summary>"
        f"<pre>{escape(explanation)}</pre>"
        + (release.form(session.key) if yours and release else "")
        + "</details>"
    )


def _stale(held: HeldPlan | None) -> str:
    if held is None or not held.stale:
        return ""
    made = held.made_at.isoformat(timespec="minutes") if held.made_at else "?"
    return (
        f"<div class='warnings' id='stale'><b>The last good plan</b> (made {escape(made)}): "
        f"{escape(held.stale)}</div>"
    )


def _deleted(held: HeldPlan | None, release: _Release | None = None) -> str:
    if held is None or not held.deleted:
        return ""
    items = "".join(
        f"<li data-key='{escape(d.key)}'>"
        + (f"{d.start:%a %d %b %H:%M} " if d.start else "")
        + f"{escape(d.title)} <span class='tag'>racecal release '{escape(d.key)}'</span>"
        + (release.form(d.key) if release else "")
        + "</li>"
        for d in held.deleted
    )
    how = "the button or command beside each" if release else "the command beside each"
    return (
        "<div class='deleted' id='deleted'><b>Deleted by you</b> (not made again; "
        f"{how} hands it back)<ul>{items}</ul></div>"
    )


def _warnings(plan: Plan, problems: tuple[str, ...]) -> str:
    lines = [*problems, *(w.line() for w in plan.warnings)]
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f"<div class='warnings'><b>Warnings</b><ul>{items}</ul></div>"


def _embedded_json(plan: Plan, held: HeldPlan | None = None) -> str:
    # JSON inside <script> ends at the first "</": escape the characters HTML cares about.
    text = json.dumps(held_json(held) if held is not None else plan_to_json(plan), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"<script type='application/json' id='plan-json'>{text}</script>"


def weekly_load(plan: Plan) -> list[tuple[WeekPlan, float, int, int]]:
    """Per week: run km, strength minutes and the number of strength sessions."""
    tz = zone(plan.timezone)
    out = []
    for week in plan.weeks:
        end = week.start + timedelta(days=7)
        inside = [s for s in plan.sessions if week.start <= s.start.astimezone(tz).date() < end]
        km = sum(s.distance_km or 0.0 for s in inside if s.kind == "run")
        lifts = [s for s in inside if s.kind == "strength"]
        minutes = sum(int((s.end - s.start).total_seconds() // 60) for s in lifts)
        out.append((week, km, minutes, len(lifts)))
    return out


def volume_chart(plan: Plan, width: int = 960) -> str:
    """Two bar panels sharing the week axis: run km above, strength minutes below, each bar in
    its week's phase colour; a flag marks weeks with a race."""
    rows = weekly_load(plan)
    if not rows:
        return ""
    left, top, panel, gap = 48, 20, 130, 36
    step = (width - left - 10) / len(rows)
    bar = max(step * 0.7, 2.0)
    height = top + panel * 2 + gap + 40
    max_km = max((km for _, km, _, _ in rows), default=0.0) or 1.0
    max_min = max((m for _, _, m, _ in rows), default=0) or 1
    base_run, base_lift = top + panel, top + panel * 2 + gap
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' id='volume-chart' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='Weekly run volume and strength load by phase'>",
        "<rect width='100%' height='100%' fill='#fff'/>",
        f"<text x='4' y='{top - 6}'>run km / week (max {max_km:.0f})</text>",
        f"<text x='4' y='{base_run + gap - 6}'>strength min / week (max {max_min})</text>",
        f"<line x1='{left}' y1='{base_run}' x2='{width - 10}' y2='{base_run}' stroke='#999'/>",
        f"<line x1='{left}' y1='{base_lift}' x2='{width - 10}' y2='{base_lift}' stroke='#999'/>",
    ]
    for i, (week, km, minutes, lifts) in enumerate(rows):
        x = left + i * step + (step - bar) / 2
        colour = PHASE_COLOURS.get(week.phase.value, "#999")
        h_run = panel * km / max_km
        h_lift = panel * minutes / max_min
        label = f"week of {week.start.isoformat()} ({week.phase.value})"
        out.append(
            f"<rect class='bar-run' x='{x:.1f}' y='{base_run - h_run:.1f}' width='{bar:.1f}' "
            f"height='{h_run:.1f}' fill='{colour}'><title>{escape(label)}: {km:.1f} km"
            "</title></rect>"
        )
        out.append(
            f"<rect class='bar-strength' x='{x:.1f}' y='{base_lift - h_lift:.1f}' "
            f"width='{bar:.1f}' height='{h_lift:.1f}' fill='{colour}'>"
            f"<title>{escape(label)}: {lifts} sessions, {minutes} min</title></rect>"
        )
        if week.races:
            names = ", ".join(r.title for r in week.races)
            out.append(
                f"<text x='{x:.1f}' y='{base_run - h_run - 4:.1f}' fill='#b71c1c'>&#9873;"
                f"<title>{escape(names)}</title></text>"
            )
        if i % max(1, len(rows) // 12) == 0:
            out.append(f"<text x='{x:.1f}' y='{base_lift + 14}'>{week.start:%d %b}</text>")
    out.append("</svg>")
    return "".join(out)
