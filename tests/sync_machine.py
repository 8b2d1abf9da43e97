"""The sync engine as a state machine (vdirsyncer's model; issue 10), run by
tests/test_sync_machine.py on each backend: plan changes, the athlete's edits in their
calendar app, faults at the connector or the wire, kills and restarts, and passes, in any
order.

After every step: no session is in the calendar twice, the athlete's own event is untouched,
and every edit of the athlete's holds as they left it (a deleted session never comes back
unless released). After every pass no fault struck, the calendar converged: a second pass
writes nothing, racecal's sessions are exactly those of the plan its store keeps, and they are
the sessions of a twin (a store and an in-memory calendar that saw the same plan changes,
edits and passes with no fault), byte for byte wherever the two planned from the same inputs.
Where a fault left the calendar otherwise (a session a failed delete left in place, that the
plan then has again), the plan keeps to what the calendar holds, as L8 wants (stability beats
optimality), and only the set of sessions is the twin's.

The empty-source guard holds the plan when every race of the file vanishes at once (no
writes, status HELD) until the athlete accepts it or a race comes back; the model expects it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from service.store import state
from service.store.payload import plan_from_body
from service.sync.engine import PassResult
from tests.machine_backends import (
    ATHLETE,
    BERLIN,
    FAULTS,
    NOW,
    Inputs,
    MemoryWorld,
    Shown,
    World,
    alike,
    clean_folder,
    first_passes,
)

# The races the athlete may put in their race file (uid -> title, day) and where a race may be
# moved to: 2 to 5 weeks out (the plan looks 4 weeks ahead).
RACES = {
    "10k": ("Winter 10K [A]", date(2027, 2, 7)),
    "5k": ("Parkrun 5K #C", date(2027, 1, 30)),
    "half": ("Spring Half Marathon (B race)", date(2027, 2, 14)),
}
FIRST, LAST = date(2027, 1, 25), date(2027, 2, 14)
# Busy time the athlete may add (a late meeting, an early flight, a family Sunday).
BUSY = [
    (date(2027, 1, 19), time(17, 0), time(20, 30)),
    (date(2027, 1, 14), time(5, 30), time(8, 0)),
    (date(2027, 1, 24), time(6, 30), time(12, 30)),
    (date(2027, 2, 2), time(6, 0), time(7, 45)),
]
# An athlete's move is off racecal's 5-minute grid, so it is never one of racecal's own
# earlier versions (which would read as a restored copy of the calendar, by design).
MOVES = (-13, 7, 43, 97)
# Which calendar write of a pass a fault strikes: most passes write a few sessions, a
# re-planned one twenty or so.
AT = st.one_of(st.integers(1, 3), st.integers(4, 25))


@dataclass(frozen=True)
class Theirs:
    """What the athlete left of a session: its fields, or None when they deleted it."""

    shown: Shown | None
    # A pass has seen it (only then is it the athlete's in the store, and releasable).
    recorded: bool = False


def step(method: Callable[..., None]) -> Callable[..., None]:
    """A rule that ran to its end; a run is converged again only after a clean pass."""

    @functools.wraps(method)
    def run(self: SyncMachine, *args: Any, **kwargs: Any) -> None:
        self.sound = self.converged = False
        method(self, *args, **kwargs)
        self.sound = True

    return run


def check(method: Callable[..., None]) -> Callable[..., None]:
    """An invariant that held (teardown's last pass only follows a sound run)."""

    @functools.wraps(method)
    def run(self: SyncMachine) -> None:
        self.sound = False
        method(self)
        self.sound = True

    return run


class SyncMachine(RuleBasedStateMachine):
    """One example: the athlete's world on one backend and, once a fault struck (from the
    start on a server), its fault-free twin in memory."""

    folder: Path
    numbers: Iterator[int]
    # The world every example starts from (its first two passes done), made once.
    start: MemoryWorld | None = None

    def make(self, n: int) -> World:
        """This example's world: a copy of the start, or a new one on a server."""
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        n = next(self.numbers)
        self.base = self.folder / f"example-{n}"
        self.inputs = Inputs(self.folder / "inputs", {k: RACES[k] for k in ("10k", "5k")})
        self.inputs.write()
        cls = type(self)
        if cls.start is None:
            cls.start = MemoryWorld(self.folder / "start", self.inputs.folder)
            first_passes(cls.start)
        self.theirs: dict[str, Theirs] = {}
        self.released: set[str] = set()
        self.passes = 2
        # The empty-source guard as the model sees it: races the store remembers, a hold.
        self.remembered = len(self.inputs.races)
        self.holding = self.accepted = False
        self.sound = self.converged = True
        self.world = self.make(n)
        self.twin: MemoryWorld | None = None
        if not isinstance(self.world, MemoryWorld):
            # A server's world beside a twin from the start.
            self.twin = cls.start.fork(self.base / "twin")
        if self.world.fresh:
            first_passes(self.world)  # as the start made them
            assert self._owned(self.world) == self._owned(cls.start)

    def teardown(self) -> None:
        try:
            if self.sound and not self.converged:
                self.sync(None, 1)  # every run ends with a clean pass
        finally:
            self.world.close()
            if self.twin is not None:
                self.twin.close()
            clean_folder(self.base)

    def _worlds(self) -> list[World]:
        return [self.world] if self.twin is None else [self.world, self.twin]

    def _fork(self) -> MemoryWorld | None:
        """A twin of the world as it is now, while no fault has struck yet."""
        if self.twin is not None:
            return None
        assert isinstance(self.world, MemoryWorld)
        return self.world.fork(self.base / "twin")

    # -- plan changes ----------------------------------------------------------------------
    @rule(uid=st.sampled_from(sorted(RACES)))
    @step
    def add_race(self, uid: str) -> None:
        self.inputs.races.setdefault(uid, RACES[uid])
        self.inputs.write()

    @precondition(lambda self: self.inputs.races)
    @rule(pick=st.integers(0, 9), days=st.sampled_from((-7, -1, 1, 7)))
    @step
    def move_race(self, pick: int, days: int) -> None:
        uid = sorted(self.inputs.races)[pick % len(self.inputs.races)]
        title, day = self.inputs.races[uid]
        self.inputs.races[uid] = (title, min(max(day + timedelta(days=days), FIRST), LAST))
        self.inputs.write()

    @precondition(lambda self: self.inputs.races)
    @rule(pick=st.integers(0, 9))
    @step
    def remove_race(self, pick: int) -> None:
        del self.inputs.races[sorted(self.inputs.races)[pick % len(self.inputs.races)]]
        self.inputs.write()

    @rule(pick=st.integers(0, len(BUSY) - 1))
    @step
    def add_busy(self, pick: int) -> None:
        day, start, end = BUSY[pick]
        span = (datetime.combine(day, start, BERLIN), datetime.combine(day, end, BERLIN))
        if span not in self.inputs.busy:
            self.inputs.busy.append(span)
            self.inputs.write()

    # -- the athlete, in their calendar app ----------------------------------------------
    def _reference(self) -> World:
        """Where the athlete's edits start from: the fault-free calendar."""
        return self.twin or self.world

    def _editable(self, deleting: bool = False) -> list[str]:
        """Sessions both calendars show, except one handed back that no pass took yet (the
        next pass takes it as it stands, by design). Deleting, also except one whose create
        racecal has not seen confirmed (a reply lost, a kill): gone, it is made again, as for
        a create that never reached the calendar; racecal cannot tell the two apart."""
        shown = [{k for k, _ in world.sessions()} for world in self._worlds()]
        keys = set.intersection(*shown) - self.released
        if deleting:
            rows = state.load(self.world.store, ATHLETE).managed
            keys = {k for k in keys if k not in rows or rows[k].state != "pending_create"}
        return sorted(keys)

    def _edit(self, pick: int, change: Callable[[Shown], Shown | None], deleting: bool) -> None:
        keys = self._editable(deleting)
        if not keys:
            return
        key = keys[pick % len(keys)]
        # The same edit in both calendars: the fault-free version, changed (where a fault
        # left the world's calendar behind, the athlete's version is still the same).
        shown = change(dict(self._reference().sessions())[key])
        for world in self._worlds():
            if shown is None:
                world.remove(key)
            else:
                world.put(key, shown)
        before = self.theirs.get(key)
        self.theirs[key] = Theirs(shown, recorded=before is not None and before.recorded)

    @rule(
        what=st.sampled_from(("move", "retitle", "describe", "delete")),
        pick=st.integers(0, 99),
        minutes=st.sampled_from(MOVES),
    )
    @step
    def athlete_edits(self, what: str, pick: int, minutes: int) -> None:
        """The athlete moves a session, renames it, adds a note to it or deletes it."""
        shift = timedelta(minutes=minutes)
        changes: dict[str, Callable[[Shown], Shown | None]] = {
            "move": lambda s: replace(s, start=s.start + shift, end=s.end + shift),
            "retitle": lambda s: replace(s, title=f"{s.title} with Sam"),
            "describe": lambda s: replace(s, description=f"{s.description}\n\nHeavy legs."),
            "delete": lambda s: None,
        }
        self._edit(pick, changes[what], deleting=what == "delete")

    @rule(pick=st.integers(0, 99))
    @step
    def athlete_releases(self, pick: int) -> None:
        """`racecal release KEY` on a session a pass recorded as the athlete's."""
        keys = sorted(k for k, t in self.theirs.items() if t.recorded)
        if not keys:
            return
        key = keys[pick % len(keys)]
        for world in self._worlds():
            assert state.release(world.store, ATHLETE, key, self._now()) is not None
        del self.theirs[key]
        self.released.add(key)

    @precondition(lambda self: self.holding)
    @rule()
    @step
    def athlete_accepts_empty(self) -> None:
        """`racecal sync --once --accept-empty ATHLETE` while the guard holds."""
        for world in self._worlds():
            assert state.accept_empty(world.store, ATHLETE)
        self.accepted = True

    # -- faults, kills, passes -------------------------------------------------------------
    @rule()
    @step
    def restart(self) -> None:
        """The daemon stopped between passes and started again."""
        self.twin = self.twin or self._fork()
        self.world.restart()

    @rule(fault=st.sampled_from(FAULTS), at=AT)
    @step
    def faulty_sync(self, fault: str, at: int) -> None:
        """A pass with `fault` at its `at`-th calendar write (clean when it has fewer)."""
        self.sync(fault, at)

    @rule(fault=st.sampled_from((None, *FAULTS)), at=AT)
    @step
    def sync(self, fault: str | None, at: int) -> None:
        """A pass, with `fault` at its `at`-th calendar write (None: no fault)."""
        held = self.remembered > 0 and not self.inputs.races and not self.accepted
        before = self._fork() if fault is not None else None
        inputs = None
        if fault is None and self.twin is not None:
            inputs = (self.world.planning(), self.twin.planning())
        self.world.arm(fault, at)
        result = self._pass(held, before)
        if held:
            assert result is not None
            assert (result.writes, bool(result.held)) == (0, True), result
        event(f"pass: {self.world.fired or 'clean'}{', held' if held else ''}")
        if self.world.fired is not None:
            return
        # No fault struck: a clean pass. It converged: a second pass writes nothing, the
        # calendar shows the plan racecal keeps, and that plan has the fault-free sessions.
        # (A held pass writes nothing at all: a calendar a fault left behind stays so.)
        assert result is not None
        assert result.error is None, result
        again = self._pass(held, twin_too=False)  # the twin's would write nothing either
        assert again is not None
        assert (again.writes, again.error) == (0, None), again
        if held:
            return
        mine = self._owned(self.world)
        assert mine == self._planned(self.world)
        if self.twin is not None:
            theirs = self._owned(self.twin)
            assert sorted(mine) == sorted(theirs)
            # Byte for byte when the plan had the same inputs. Where a fault left the
            # calendar otherwise (a session a failed delete left in place, that the plan has
            # again), the plan keeps to what the calendar holds (L8: stability beats
            # optimality), and only the sessions are the same.
            same = inputs is not None and alike(*inputs, keys=set(mine))
            if inputs is not None:
                event(f"clean pass after a fault, inputs {'same' if same else 'differ'}")
            if same:
                assert mine == theirs
        self.converged = True

    def _now(self) -> datetime:
        return NOW + timedelta(minutes=self.passes)

    def _pass(
        self, held: bool, before: MemoryWorld | None = None, twin_too: bool = True
    ) -> PassResult | None:
        """One pass of the world and (`twin_too`) of the twin; `before`, a copy of the world
        taken before it, becomes the twin if a fault struck in it."""
        self.passes += 1
        result = self.world.run(self._now())
        if before is not None:
            if self.world.fired is None:
                before.close()
                clean_folder(before.folder)
            else:
                self.twin = before  # the first fault: from here on a twin goes without
        if self.twin is not None and twin_too:
            twin = self.twin.run(self._now())
            assert twin is not None
            assert twin.error is None, twin
            assert bool(twin.held) == held, twin
            assert self.twin.fired is None
        # What the pass saw is in the store whatever became of it (the bookkeeping is
        # recorded before any write), except in a held pass, which looks at nothing.
        if held:
            self.holding = True
        else:
            self.theirs = {k: replace(t, recorded=True) for k, t in self.theirs.items()}
            self.released.clear()
            self.remembered = len(self.inputs.races)
            self.holding = self.accepted = False
        return result

    def _owned(self, world: World) -> dict[str, Shown]:
        return {k: s for k, s in world.sessions() if k not in self.theirs}

    def _planned(self, world: World) -> dict[str, Shown]:
        """Racecal's sessions of the plan its store keeps as the last good one."""
        kept = state.last_plan(world.store, ATHLETE)
        assert kept is not None
        plan = plan_from_body(kept[1])
        assert plan is not None
        return {
            s.key: Shown(s.title, s.description, s.start, s.end)
            for s in plan.sessions
            if s.key not in self.theirs
        }

    # -- invariants ----------------------------------------------------------------------
    @invariant()
    @check
    def one_event_per_session(self) -> None:
        for world in self._worlds():
            keys = [k for k, _ in world.sessions()]
            assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)

    @invariant()
    @check
    def own_event_untouched(self) -> None:
        for world in self._worlds():
            assert world.own() == world.expected_own()

    @invariant()
    @check
    def athlete_edits_hold(self) -> None:
        for world in self._worlds():
            shown = dict(world.sessions())
            for key, theirs in self.theirs.items():
                if theirs.shown is None:
                    assert key not in shown, f"{world.name}: {key} deleted, and back"
                else:
                    assert shown.get(key) == theirs.shown, f"{world.name}: {key} changed"
