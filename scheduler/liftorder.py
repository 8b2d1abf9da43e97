"""L3's order on a day that holds runs: which comes first, the lift or the run, and the free time
(L5) that order leaves the lift; for a lift-first athlete, the day's easy runs move after it."""

from __future__ import annotations

from scheduler.board import Booked
from scheduler.model import SameDayOrder
from scheduler.place import Placer

L3_GAP = 6 * 60
KEY_RUN_FIRST = "run first, lift at least 6 h later"
LIFT_FIRST = "lift first, then the easy run"
EASY_RUN_FIRST = "easy run first, then lift"

Moves = tuple[tuple[Booked, int, int], ...]


def time_for(
    p: Placer, day: int, minutes: int, prefer: int | None
) -> tuple[tuple[int, int] | None, str, Moves]:
    """L3's order on a run day, and L5's free time; the moves of the day's easy runs that
    make room for a lift that must come first."""
    board = p.board
    runs = [b for b in board.on(day) if b.kind == "run"]
    order = p.athlete.same_day_order
    if not runs:
        return board.fit(day, minutes, prefer=prefer), "", ()
    if day in board.key_run_days:
        lo = max(r.end for r in runs) + L3_GAP
        return board.fit(day, minutes, lo=lo, prefer=prefer), KEY_RUN_FIRST, ()
    first, last = min(r.start for r in runs), max(r.end for r in runs)
    if order is not SameDayOrder.RUN_FIRST:
        span = board.fit(day, minutes, hi=first, prefer=prefer)
        if span:
            return span, LIFT_FIRST, ()
        if order is SameDayOrder.LIFT_FIRST:
            return lift_before_runs(p, day, minutes, runs)
    return board.fit(day, minutes, lo=last, prefer=prefer), EASY_RUN_FIRST, ()


def lift_before_runs(
    p: Placer, day: int, minutes: int, runs: list[Booked]
) -> tuple[tuple[int, int] | None, str, Moves]:
    """L3 for a lift-first athlete whose easy run took the start of the window: the lift
    takes the first free time and the day's runs follow it. Only runs placed in this pass
    move (never the athlete's own, nor history)."""
    if not all(r.key in p.movable for r in runs):
        return None, LIFT_FIRST, ()
    board = p.board
    for r in runs:
        board.unbook(day, r.key)
    lift = board.fit(day, minutes)
    moves: list[tuple[Booked, int, int]] = []
    if lift is not None:
        lo = lift[1]
        for r in sorted(runs, key=lambda r: r.start):
            span = board.fit(day, r.end - r.start, lo=lo)
            if span is None:
                break
            # Booked for the next run's search; undone below.
            board.book(day, Booked(span[0], span[1], r.kind, r.key_run, r.heavy, r.long, r.key))
            moves.append((r, span[0], span[1]))
            lo = span[1]
        for r, _, _ in moves:
            board.unbook(day, r.key)
    for r in runs:
        board.book(day, r)
    if lift is None or len(moves) < len(runs):
        return None, LIFT_FIRST, ()
    return lift, LIFT_FIRST, tuple(moves)
