"""The read-only plan page, rendered on the server: the next race, a volume chart and the
weeks, each a list of days with its totals.

It is built for a phone first: below 720 px a week is a list of days and the chart is its
narrow variant; wider, a week is a row of seven day columns. Everything is inline (CSS and SVG,
no script, no font or CDN): the page must work on a host without internet and in a browser
that blocks third-party requests. Every text that comes from a calendar or the config passes
through html.escape; the plan itself is embedded as the same JSON `racecal plan show --json`
prints, for anyone who wants to script against the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from scheduler.explain import explain_session, plan_to_json
from scheduler.model import ExternalRun, PlacedSession, Plan, Race, WeekPlan
from scheduler.plan import zone
from service.views.held import RULES, Deleted, HeldPlan, held_json
from service.views.paces import paces_html
from service.views.style import CSS, KIND_COLOURS, PHASE_COLOURS
from service.views.volume import volume_chart
from service.views.weeks import Day, Week, countdown, next_races, weeks_of


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


@dataclass(frozen=True)
class Viewer:
    """Whom a page is rendered for. `athlete` None: the admin, or anyone where no login is
    set, who sees every athlete; else an athlete who reached their own page with their link,
    whose page names no other athlete anywhere (an empty id: someone who sees none)."""

    athlete: str | None = None

    def sees(self, athlete_ids: list[str]) -> list[str]:
        if self.athlete is None:
            return list(athlete_ids)
        return [a for a in athlete_ids if a == self.athlete]


EVERYONE = Viewer()


def index_page(athlete_ids: list[str]) -> str:
    items = "".join(
        f"<li><a href='/athletes/{escape(a)}'>{escape(a)}</a></li>" for a in athlete_ids
    )
    return page("racecal", f"<h1>racecal</h1><p>Training plans, read-only.</p><ul>{items}</ul>")


def error_page(status: int, message: str) -> str:
    return page(f"racecal: {status}", f"<h1>{status}</h1><p>{escape(message)}</p>")


def _nav(athlete_ids: list[str], viewer: Viewer) -> str:
    links = "".join(
        f"<a href='/athletes/{escape(a)}'>{escape(a)}</a>" for a in viewer.sees(athlete_ids)
    )
    # The list of athletes is the admin's: an athlete would only be refused there.
    every = "<a href='/'>all athletes</a>" if viewer.athlete is None else ""
    return f"<nav>{every}{links}</nav>"


def no_plan_page(
    athlete_id: str, why: str, athlete_ids: list[str], viewer: Viewer = EVERYONE
) -> str:
    """What the page shows before any plan was made when a source cannot be read: what is
    wrong, and that the plan comes once it can be read."""
    body = (
        f"{_nav(athlete_ids, viewer)}<h1>Training plan: {escape(athlete_id)}</h1>"
        "<div class='banner' id='stale' role='alert'><b>No plan yet.</b> racecal could not read "
        f"what it plans from: {escape(why)}. The plan shows here once that is mended "
        "(<code>racecal doctor</code> checks every source).</div>"
    )
    return page(f"racecal: {athlete_id}", body)


def plan_page(
    plan: Plan,
    problems: tuple[str, ...],
    athlete_ids: list[str],
    held: HeldPlan | None = None,
    release_token: str | None = None,
    written_weeks: int | None = None,
    viewer: Viewer = EVERYONE,
) -> str:
    """`held` marks the sessions that are the athlete's, shows the deleted ones (struck
    through in their day, and listed apart) and says when this is the last good plan (a
    source could not be read). With `release_token` (the service's page), each of the
    athlete's sessions has a button that hands it back to racecal (a form posting the token,
    which only this page knows). Weeks past `written_weeks` are said to be a look ahead: the
    plan reaches the next A race before the calendar holds those weeks. Of `athlete_ids`,
    the navigation lists those the `viewer` may see."""
    release = _Release(plan.athlete_id, release_token) if release_token else None
    weeks = weeks_of(plan, held)
    parts = [
        _nav(athlete_ids, viewer),
        f"<h1>Training plan: {escape(plan.athlete_id)}</h1>",
        _next(plan),
        _stale(held),
        paces_html(plan.fitness),
        f"<p class='meta'>From {plan.today:%a %d %b %Y}, {len(plan.weeks)} weeks, "
        f"{len(plan.sessions)} sessions, times in {escape(plan.timezone)}. "
        "Tap a session for why it is there." + _ahead(plan, written_weeks) + "</p>",
        _legend(),
        volume_chart(plan),
        volume_chart(plan, width=380, name="volume-chart-narrow"),
        "<div class='plan'><div class='dayhead' aria-hidden='true'>"
        + "".join(f"<span>{d}</span>" for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
        + "</div>"
        + "".join(_week(w, plan, held, release) for w in weeks)
        + "</div>",
        _deleted(held, release),
        _warnings(plan, problems),
        f"<p class='meta'>{escape(RULES)}</p>",
        _embedded_json(plan, held),
    ]
    return page(f"racecal: {plan.athlete_id}", "\n".join(p for p in parts if p))


def _next(plan: Plan) -> str:
    """The next race and how far off, and the next A race when that is another one."""
    first, a_race = next_races(plan)
    if first is None:
        return "<p class='next' id='next-race'>No race ahead in your calendar.</p>"
    lines = [f"<p class='next' id='next-race'>Next race: {_countdown(first, plan)}</p>"]
    if a_race is not None and a_race is not first:
        lines.append(f"<p class='next' id='next-a-race'>A race: {_countdown(a_race, plan)}</p>")
    return "".join(lines)


def _countdown(race: Race, plan: Plan) -> str:
    return (
        f"<b>{escape(race.title)}</b> {countdown(race, plan.today)}, "
        f"{escape(race.priority.value)} race ({race.date:%a %d %b %Y}, {race.distance_km:g} km)"
    )


def _ahead(plan: Plan, written_weeks: int | None) -> str:
    if written_weeks is None or len(plan.weeks) <= written_weeks:
        return ""
    first = plan.weeks[written_weeks].start
    return (
        f" The weeks from {first:%d %b %Y} look ahead to the A race: they come into your "
        f"calendar as they come within {written_weeks} weeks."
    )


def _legend() -> str:
    kinds = "".join(
        f"<span><i style='background:{c}'></i>{k}</span>" for k, c in KIND_COLOURS.items()
    )
    phases = "".join(
        f"<span><i style='background:{c}'></i>{p}</span>" for p, c in PHASE_COLOURS.items()
    )
    return f"<div class='legend'>{kinds} | {phases}</div>"


def _week(week: Week, plan: Plan, held: HeldPlan | None, release: _Release | None) -> str:
    w = week.plan
    colour = PHASE_COLOURS.get(w.phase.value, "#999")
    label = f"w-{w.start.isoformat()}"
    days = "".join(_day(d, plan, held, release) for d in week.days)
    return (
        f"<section class='week' data-phase='{escape(w.phase.value)}' "
        f"data-week='{w.start.isoformat()}' style='border-left-color:{colour}' "
        f"aria-labelledby='{label}'>"
        f"<div class='wk'><h2 id='{label}'>Week of {w.start:%d %b %Y}</h2>"
        f"<span class='sep'> · </span>{_week_label(w)}</div>"
        f"<p class='totals'>{escape(_totals(week))}</p>"
        f"<ol class='days'>{days}</ol></section>"
    )


def _totals(week: Week) -> str:
    """The week's sessions added up, and its races' distance beside them (a race is not a
    session of the plan, but a runner counts it in the week)."""
    races = week.plan.races
    if not races:
        return week.volume.line()
    km = sum(r.distance_km for r in races)
    what = "the race" if len(races) == 1 else f"{len(races)} races"
    return f"{week.volume.line()} · plus {what}, {km:.1f} km"


def _week_label(week: WeekPlan) -> str:
    lines = [f"<b>{escape(week.phase.value)}</b>"]
    if week.deload:
        lines.append("deload")
    if week.rel is not None and week.rel < 0:
        lines.append(f"{-week.rel} week{'s' if week.rel < -1 else ''} to race")
    elif week.rel == 0:
        lines.append("race week")
    return " · ".join(lines)


def _day(day: Day, plan: Plan, held: HeldPlan | None, release: _Release | None) -> str:
    classes = ["day"]
    extra = ""
    now = ""
    if day.date == plan.today:
        classes.append("today")
        extra = " id='today' aria-current='date'"
        now = "<b class='now'>today</b>"
    outside = [
        r for r in plan.external_runs if r.start.astimezone(zone(plan.timezone)).date() == day.date
    ]
    rest = day.rest and all(r.kind == "rest" for r in outside)
    if rest:
        classes.append("rest")
    head = (
        f"<div class='date'><span class='dow'>{day.date:%a}</span> {day.date:%d %b}{now}"
        + ("<span class='restword'> · rest</span>" if rest else "")
        + "</div>"
    )
    content = [head]
    content += [_race(race) for race in day.races]
    content += [_outside(r, plan) for r in outside]
    content += [_session(s, held, release) for s in day.sessions]
    content += [_struck(d) for d in day.deleted]
    return (
        f"<li class='{' '.join(classes)}'{extra} data-date='{day.date.isoformat()}'>"
        f"{''.join(content)}</li>"
    )


def _outside(run: ExternalRun, plan: Plan) -> str:
    """R6: a run of the other app's plan, shown for what the strength was placed around."""
    local = run.start.astimezone(zone(plan.timezone))
    when = "some time that day" if run.all_day else f"{local:%H:%M}"
    kind = run.kind or "kind not read: counted as a key run"
    return (
        f"<div class='outside' title='from your other app ({escape(run.source)})'>"
        f"{escape(run.title)} <span>· {escape(kind)}, {when}, from your other app</span></div>"
    )


def _race(race: Race) -> str:
    about = f"{race.title}: race, {race.distance_km:g} km, priority {race.priority.value}"
    return (
        f"<div class='race' title='{escape(about)}'>&#9873; {escape(race.title)} "
        f"<span>· {escape(race.priority.value)} race, {race.distance_km:g} km</span></div>"
    )


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
    mine = f" data-yours='{escape(yours)}'" if yours else ""
    return (
        f"<details class='s {escape(session.kind)}' data-key='{escape(session.key)}'{mine} "
        f"data-phase='{escape(session.phase.value)}' title='{escape(why)}' "
        f"style='background:{tint}33'>"
        f"<summary>{session.start:%H:%M} {escape(session.title)}{tag}</summary>"
        f"<pre>{escape(explanation)}</pre>"
        + (release.form(session.key) if yours and release else "")
        + "</details>"
    )


def _struck(gone: Deleted) -> str:
    """A session the athlete deleted, where it stood: struck through, not made again."""
    when = f"{gone.start:%H:%M} " if gone.start else ""
    return (
        f"<div class='gone' data-deleted='{escape(gone.key)}'><del>{when}{escape(gone.title)}"
        "</del> <span class='tag'>you deleted this</span></div>"
    )


def _stale(held: HeldPlan | None) -> str:
    if held is None or not held.stale:
        return ""
    # On the athlete's clock, as every other time on the page.
    tz = zone(held.plan.timezone)
    made = f"{held.made_at.astimezone(tz):%a %d %b %Y %H:%M}" if held.made_at else "?"
    return (
        "<div class='banner' id='stale' role='alert'><b>The last good plan</b> "
        f"(made {escape(made)}), because a source cannot be read: {escape(held.stale)}. "
        "Changes to your races or busy time since then are not in it yet.</div>"
    )


def _deleted(held: HeldPlan | None, release: _Release | None = None) -> str:
    if held is None or not held.deleted:
        return ""
    items = "".join(
        f"<li data-key='{escape(d.key)}'>"
        + (f"{d.start:%a %d %b %H:%M} " if d.start else "")
        + f"<del>{escape(d.title)}</del> <span class='tag'>racecal release '{escape(d.key)}'"
        "</span>" + (release.form(d.key) if release else "") + "</li>"
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
