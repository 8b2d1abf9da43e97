"""The athlete's marked days (L13-L16) as the placer sees them, before strength is placed:
which board days take no strength, and the runs the marked days take off the board.

A coach moves a lift off a holiday to another legal day of the week; the runs of the days
are dropped where they sit (moving them would shift every other run of the week and the
graded return after a sick or injured spell, which scheduler.life reads against the plan's
own days). scheduler.life stays the guard after placement.
"""

from __future__ import annotations

from scheduler.board import Board
from scheduler.life import AWAY, RULE, span
from scheduler.model import LifeEvent, LifeKind, PlacedSession
from scheduler.place import Placer

# Kinds whose days take no run: the days away, and an injury (L15).
NO_RUN = AWAY | {LifeKind.INJURED}


def _days(board: Board, event: LifeEvent) -> range:
    first = board.index(event.first)
    return range(first, first + event.days)


def no_strength_days(board: Board, life: tuple[LifeEvent, ...]) -> dict[int, LifeEvent]:
    """Board days no strength may take, each with the event that rules it out: holidays,
    travel (a `#travel bodyweight` trip keeps its days, where one lift becomes the bodyweight
    session), sick days and #nostrength days. An injury keeps its days: upper body and core
    stand in there (L15)."""
    closed: dict[int, LifeEvent] = {}
    for event in life:
        if event.kind is LifeKind.INJURED or (event.kind is LifeKind.TRAVEL and event.bodyweight):
            continue
        for day in _days(board, event):
            closed.setdefault(day, event)
    return closed


def drop_reason(closed: dict[int, LifeEvent], days: list[int]) -> str:
    """What the week's marked days add to an L10 drop, naming each event's rule."""
    events = dict.fromkeys(closed[d] for d in days if d in closed)
    return "".join(
        f"; #{e.kind.value} {span(e)} rules out strength those days ({RULE[e.kind]})"
        for e in events
    )


def clear_marked_runs(
    placer: Placer, life: tuple[LifeEvent, ...]
) -> dict[LifeEvent, list[PlacedSession]]:
    """Take the runs placed on days that take no run off the board, before the rest day and
    strength are placed around what stays: per event, the runs it took (scheduler.life warns
    of them with what it takes itself)."""
    board = placer.board
    events: dict[int, LifeEvent] = {}
    for event in life:
        if event.kind in NO_RUN:
            for day in _days(board, event):
                events.setdefault(day, event)
    if not events:
        return {}
    taken: dict[LifeEvent, list[PlacedSession]] = {}
    kept: list[PlacedSession] = []
    for s in placer.out.sessions:
        day = board.index(s.start.astimezone(board.tz).date())
        marked = events.get(day)
        if s.kind != "run" or s.origin != "planned" or marked is None:
            kept.append(s)
            continue
        board.unbook(day, s.key)
        placer.movable.discard(s.key)
        taken.setdefault(marked, []).append(s)
    placer.out.sessions[:] = kept
    return taken


__all__ = ["NO_RUN", "clear_marked_runs", "drop_reason", "no_strength_days"]
