"""R6: another app's runs on the board, and what the strength placed around them says of them.

A timed run is booked where it sits. An all-day run ("some time that day", as Runna and
Garmin Coach write their plans) has no time racecal could place around, so it is booked by
what L3 allows that day whenever the athlete runs: a key run takes the whole day (no lift can
be sure to come 6 h after it, and L1 counts 24 h back from its day's first minute); an easy
run takes no time, at the end of the day for an athlete whose lift may come first and at its
start for one who runs first, so a lift lands on the side L3 allows. A rest day is booked as
nothing. None of them is ever moved: they are the other app's.

What is not a run is booked for what it asks of the athlete. Cross-training (yoga, mobility,
a ride, a swim) is time taken and nothing more: no L rule about runs reads it, and an all-day
one takes no time (nothing to collide with); either way its day is no rest day (L6). The app's
own strength session counts as a lift of racecal's, and a heavy lower-body one, since a title
seldom says which: no lift of racecal's that day nor the days either side (L2), and no heavy
legs beside it (L4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from scheduler.board import Board, Booked, to_minutes
from scheduler.model import Athlete, ExternalRun, PlacedSession, Reason, SameDayOrder
from scheduler.runkinds import KEY_KINDS, RunKind, kind_of

# A timed run this long with no kind read from it counts as the week's long run (L3).
LONG_MINUTES = 90


def is_long(run: ExternalRun) -> bool:
    if run.kind:
        return run.kind == RunKind.LONG
    return run.key_run and to_minutes(run.end) - to_minutes(run.start) >= LONG_MINUTES


def book_external(board: Board, runs: Iterable[ExternalRun]) -> None:
    """Every run of the other app's plan booked on the board (see the module docstring)."""
    run_first = board.athlete.same_day_order is SameDayOrder.RUN_FIRST
    for run in runs:
        if run.kind == RunKind.REST:
            continue
        start, end = to_minutes(run.start), to_minutes(run.end)
        day = board.local_day(start)
        if run.kind == RunKind.CROSS:
            # All day, it takes no time, but its day is no rest day (L6).
            end = start if run.all_day else end
            board.book(day, Booked(start, end, "other", False, False, False, ""))
            continue
        if run.all_day and not run.key_run:
            start = end = start if run_first else max(start, end - 1)
        if run.kind == RunKind.STRENGTH:
            board.book(day, Booked(start, end, "strength", False, True, False, ""))
            continue
        board.book(day, Booked(start, end, "run", run.key_run, False, is_long(run), ""))


class RunEvent(Protocol):
    """One occurrence of an event in the other app's calendar, as a calendar expands it."""

    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def start(self) -> datetime | date: ...
    @property
    def end(self) -> datetime | date: ...
    @property
    def cancelled(self) -> bool: ...


def runs_from(
    events: Iterable[RunEvent],
    tz: ZoneInfo,
    overrides: Sequence[tuple[re.Pattern[str], RunKind]] = (),
    source: str = "",
) -> list[ExternalRun]:
    """The other app's runs, each classified by scheduler.runkinds, in time order (its
    strength and cross-training too, by their kinds). An event whose kind cannot be read counts
    as a key run: heavy legs kept away from a hard session cost less than heavy legs the day
    before one (an override names its kind). An all-day event is its first day; a floating
    time is the athlete's own clock."""
    out: list[ExternalRun] = []
    for event in events:
        if event.cancelled:
            continue
        found = kind_of(event.title, event.description, overrides)
        kind = found.value if found is not None else ""
        key = found is None or found in KEY_KINDS
        begin, finish = event.start, event.end
        if isinstance(begin, datetime):
            if not isinstance(finish, datetime) or finish <= begin:
                finish = begin + timedelta(hours=1)
            begin = begin if begin.tzinfo else begin.replace(tzinfo=tz)
            finish = finish if finish.tzinfo else finish.replace(tzinfo=tz)
            run = ExternalRun(begin.astimezone(tz), finish.astimezone(tz), key, event.title, kind)
        else:
            midnight = datetime.combine(begin, time(0), tzinfo=tz)
            after = datetime.combine(begin + timedelta(days=1), time(0), tzinfo=tz)
            run = ExternalRun(midnight, after, key, event.title, kind, all_day=True)
        out.append(replace(run, source=source))
    out.sort(key=lambda r: (r.start, r.end, r.title))
    return out


def day_of(run: ExternalRun, tz: ZoneInfo) -> date:
    return run.start.astimezone(tz).date()


def external_reasons(
    sessions: Iterable[PlacedSession], runs: tuple[ExternalRun, ...], athlete: Athlete
) -> list[PlacedSession]:
    """The strength sessions placed this pass, each told which of the other app's runs shaped
    its day: an all-day run on its own day (L3), an all-day key run elsewhere in its week that
    kept the lift off that day (L3), and the other app's plan itself (R6)."""
    if not runs:
        return list(sessions)
    tz = ZoneInfo(athlete.timezone)
    run_first = athlete.same_day_order is SameDayOrder.RUN_FIRST
    out = []
    for session in sessions:
        if session.kind != "strength" or session.origin != "planned":
            out.append(session)
            continue
        day = session.start.astimezone(tz).date()
        monday = day - timedelta(days=day.weekday())
        reasons = [Reason("R6", "placed around the runs of your other app's plan", "placement")]
        for run in runs:
            when = day_of(run, tz)
            if not monday <= when < monday + timedelta(days=7):
                continue
            if run.kind == RunKind.STRENGTH and abs((when - day).days) <= 1:
                continue  # a lift of racecal's is never this close to it (L2)
            if run.kind == RunKind.STRENGTH:
                reasons.append(
                    Reason(
                        "L2",
                        f"your other app's '{run.title}' on {when:%a %d %b} counts as a heavy "
                        "lift: no strength of racecal's that day nor the days either side",
                        "placement",
                    )
                )
                continue
            if not run.all_day or run.kind == RunKind.CROSS:
                continue
            if when == day and not run.key_run and run.kind != RunKind.REST:
                side = "after" if run_first else "before"
                reasons.append(
                    Reason(
                        "L3",
                        f"your '{run.title}' that day has no time of day: lift {side} it "
                        "(with an easy run L3 allows the lift first or second)",
                        "placement",
                    )
                )
            elif run.key_run and when != day:
                reasons.append(
                    Reason(
                        "L3",
                        f"no strength on {when:%a %d %b}: your '{run.title}' there has no "
                        "time of day, and after a key run a lift waits at least 6 h",
                        "placement",
                    )
                )
        out.append(replace(session, reasons=(*session.reasons, *reasons)))
    return out


__all__ = ["RunEvent", "book_external", "external_reasons", "is_long", "runs_from"]
