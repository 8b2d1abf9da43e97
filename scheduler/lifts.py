"""Strength placement (the L rules as they bind lifting): around the runs already on the
board, the cheapest set of days per week that breaks no hard rule; L10 drops what cannot fit."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from itertools import combinations, pairwise
from typing import NamedTuple

from scheduler.board import MIDNIGHT
from scheduler.model import Priority, Reason, SameDayOrder
from scheduler.place import WEEKDAYS, Placer
from scheduler.sessions import SessionSpec
from scheduler.strength import UPPER_MINUTES

L1_SOFT = 48 * 60
L3_GAP = 6 * 60
# L1/P5: no heavy lower-body work this many days before a race of each priority.
HEAVY_CLEAR_DAYS = {Priority.A: 7, Priority.B: 5, Priority.C: 3}
STABLE_BONUS = 5.0  # L8: stability beats optimality
# An upper-body stand-in loses the session's purpose for running; it must cost more than a
# heavy session inside L1's soft 48 h, plus any L8 preference.
UPPER_COST = 6.0
L1_SOFT_COST = 3.0
SAME_WEEKDAY_BONUS = 1.0


# Reasons whose text never varies, built once rather than per session.
SPACED = Reason("L2", "no strength the day before or after", "placement")
UPPER_AFTER_LONG = Reason(
    "L3", "upper body and core only: the day after a long run or race", "placement"
)
UPPER_RULED_OUT = Reason(
    "L3",
    "upper body and core only: heavy lower-body work is ruled out this day (L1/L4)",
    "placement",
)
HEAVY_CLEAR = Reason("L4", "heavy day with no hard day before or after", "placement")
L1_TIGHT = Reason(
    "L1", "over 24 h before the next key run (48 h preferred, not possible)", "placement"
)
L1_CLEAR = Reason("L1", "48 h clear of the next key run or race", "placement")
RUN_DAY_LIFT = Reason("L7", "strength on a run day keeps other days for rest", "placement")
BEST_FREE_DAY = tuple(
    Reason("L7", f"{name}: the best free day left", "placement") for name in WEEKDAYS
)
KEY_RUN_FIRST = "run first, lift at least 6 h later"
LIFT_FIRST = "lift first, then the easy run"
EASY_RUN_FIRST = "easy run first, then lift"
ORDER_REASONS = {
    note: Reason("L3", note, "placement") for note in (KEY_RUN_FIRST, LIFT_FIRST, EASY_RUN_FIRST)
}


class StrengthPlacer:
    def __init__(self, placer: Placer) -> None:
        self.p = placer
        self.board = placer.board
        self.heavy_blocked = self._heavy_blocked_days()
        self.lift_first = placer.athlete.same_day_order is SameDayOrder.LIFT_FIRST

    def _heavy_blocked_days(self) -> set[int]:
        """L1/P5: days too close before a race for heavy lower-body work."""
        blocked: set[int] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                blocked.update(range(day - HEAVY_CLEAR_DAYS[race.priority] + 1, day))
        return blocked

    def place_strength(self, week: date, specs: list[SessionSpec]) -> None:
        """Choose days by the rules and their costs first, then find times only for the chosen
        days: a day whose time does not fit is struck and the week chosen again."""
        if not specs:
            return
        specs = sorted(specs, key=lambda s: s.slot)
        days = self.p.days(week)
        options = self._strength_options(days, specs[0].heavy_lower)
        while specs:
            best = self._best_combo(week, specs, options)
            if best is None:
                self._drop_lowest(week, specs)
                continue
            timed = []
            for spec, day in zip(specs, best, strict=True):
                option = options[day]
                assert option is not None
                span, note = self._strength_time(day, spec, option.upper)
                if span is None:
                    options[day] = None
                    break
                timed.append((spec, option, span, note))
            else:
                for spec, option, span, note in timed:
                    self._book_strength(spec, option, span, note)
                return

    def _drop_lowest(self, week: date, specs: list[SessionSpec]) -> None:
        """L10: accessory strength goes before main strength."""
        victim = min(specs, key=lambda s: (s.value, -int(s.slot[-1])))
        specs.remove(victim)
        if self.board.index(week) >= self.p.today:
            kind = "accessory" if victim.value == 1 else "main"
            self.p.drop(
                victim,
                "L10",
                f"{kind} strength: no day left that keeps L1-L6 "
                "(rest days, no back-to-back hard days, clear of key runs)",
            )

    def _strength_options(self, days: list[int], heavy_lower: bool) -> dict[int, _Option | None]:
        """What each day allows the week's first (main) strength session, and at what cost."""
        board = self.board
        races, lifts, long_days = board.race_days, board.lift_days, board.long_days
        hard, blocked = board.hard_days, self.heavy_blocked
        options: dict[int, _Option | None] = {}
        for day in days:
            if day in races:
                options[day] = None  # L3: no strength on a race day
                continue
            if day in lifts or day - 1 in lifts or day + 1 in lifts:
                options[day] = None  # L2
                continue
            key_run_day = day in board.key_run_days
            if key_run_day and self.lift_first:
                # L3 puts the key run first; a lift-first athlete lifts elsewhere.
                options[day] = None
                continue
            upper_only = day - 1 in long_days
            # L4 (no hard day either side), then L1/P5 (clear of the next race).
            heavy = (
                heavy_lower
                and not upper_only
                and not (day - 1 in hard or day + 1 in hard)
                and day not in blocked
            )
            # L3 makes the day after a long run upper-body only; elsewhere the upper variant
            # stands in when L1/L4 rule out heavy lower-body work.
            upper = upper_only or (heavy_lower and not heavy)
            cost = 0.1 * (day % 7)
            if day not in board.run_days:
                cost += 2.0
            elif key_run_day:
                cost += 1.0
            if upper:
                cost += UPPER_COST
            if heavy and day + 2 in board.key_days:
                cost += L1_SOFT_COST  # a key run two days on is nearly always inside 48 h
            options[day] = _Option(day, heavy, upper, upper_only, cost)
        return options

    def _key_within(self, day: int, end: int, window: int) -> bool:
        board = self.board
        for d in (day, day + 1, day + 2):
            if d not in board.key_days:
                continue  # no race and no key run that day
            if d in board.race_days and board.at(d, MIDNIGHT) - end < window:
                return True
            if any(b.key_run and 0 <= b.start - end < window for b in board.on(d)):
                return True
        return False

    def _strength_time(
        self, day: int, spec: SessionSpec, upper: bool
    ) -> tuple[tuple[int, int] | None, str]:
        board = self.board
        runs = [b for b in board.on(day) if b.kind == "run"]
        minutes = UPPER_MINUTES if upper else spec.minutes
        prefer = self.p.prev_start(spec, day) if self.p.previous else None
        order = self.p.athlete.same_day_order
        if not runs:
            return board.fit(day, minutes, prefer=prefer), ""
        if day in board.key_run_days:
            lo = max(r.end for r in runs) + L3_GAP
            return board.fit(day, minutes, lo=lo, prefer=prefer), KEY_RUN_FIRST
        first, last = min(r.start for r in runs), max(r.end for r in runs)
        if order is not SameDayOrder.RUN_FIRST:
            span = board.fit(day, minutes, hi=first, prefer=prefer)
            if span or order is SameDayOrder.LIFT_FIRST:
                return span, LIFT_FIRST
        return board.fit(day, minutes, lo=last, prefer=prefer), EASY_RUN_FIRST

    def _best_combo(
        self,
        week: date,
        specs: list[SessionSpec],
        options: dict[int, _Option | None],
    ) -> tuple[int, ...] | None:
        """The cheapest set of days for the week's strength sessions (in slot order) that keeps
        L2 and L6; exhaustive, as a week has at most C(7, 3) = 35 choices."""
        usable = [option for option in options.values() if option is not None]
        board = self.board
        first = board.index(week)
        booked, races = board.booked, board.race_days
        empty = tuple(i for i in range(7) if not booked.get(first + i) and first + i not in races)
        valid = _valid_combos(tuple([o.day % 7 for o in usable]), len(specs), empty)
        best = _cheapest(valid, [self._day_costs(spec, usable) for spec in specs])
        return tuple([usable[i].day for i in best]) if best is not None else None

    def _day_costs(self, spec: SessionSpec, usable: list[_Option]) -> list[float]:
        prev = self.p.prev_day(spec) if self.p.previous else None
        last = self.p.last_weekday.get(spec.slot)
        if prev is None and last is None:
            return [option.cost for option in usable]
        costs = []
        for option in usable:
            if option.day == prev:
                costs.append(option.cost - STABLE_BONUS)  # L8: keep the previous placement
            elif option.day % 7 == last:
                costs.append(option.cost - SAME_WEEKDAY_BONUS)  # L8: same weekday as last week
            else:
                costs.append(option.cost)
        return costs

    def _book_strength(
        self, spec: SessionSpec, option: _Option, span: tuple[int, int], order_note: str
    ) -> None:
        day = option.day
        assert spec.strength is not None
        reasons = [SPACED]
        if option.upper:
            reasons.append(UPPER_AFTER_LONG if option.upper_only else UPPER_RULED_OUT)
        elif option.heavy:
            reasons.append(HEAVY_CLEAR)
            reasons.append(L1_TIGHT if self._key_within(day, span[1], L1_SOFT) else L1_CLEAR)
        if order_note:
            reasons.append(ORDER_REASONS[order_note])
            reasons.append(RUN_DAY_LIFT)
        else:
            reasons.append(BEST_FREE_DAY[day % 7])
        rx = spec.strength
        body = rx.body(upper=option.upper)
        if order_note:
            order = self.p.athlete.same_day_order.value
            body += f"\nSame day as a run: {order_note} (L3, {order})."
        title = f"Strength {rx.template} - upper body + core" if option.upper else spec.title
        self.p.emit(
            spec,
            day,
            span,
            reasons,
            heavy=option.heavy,
            key_run=False,
            long=False,
            title=title,
            description=body,
        )


def _cheapest(
    valid: tuple[tuple[int, ...], ...], costs: list[list[float]]
) -> tuple[int, ...] | None:
    """The valid combo of least total cost. `valid` comes in ascending order, so keeping the
    first of equal costs is the tie-break by combo. Sums add in slot order, so a total is the
    same float whichever way it is spelled; the common sizes are spelled out because a
    generator per combo costs more than the addition."""
    best: tuple[int, ...] | None = None
    best_cost = 0.0
    if len(costs) == 1:
        (first,) = costs
        for combo in valid:
            cost = first[combo[0]]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    elif len(costs) == 2:
        first, second = costs
        for combo in valid:
            a, b = combo
            cost = first[a] + second[b]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    elif len(costs) == 3:
        first, second, third = costs
        for combo in valid:
            a, b, c = combo
            cost = first[a] + second[b] + third[c]
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    else:
        for combo in valid:
            cost = sum(costs[n][i] for n, i in enumerate(combo))
            if best is None or cost < best_cost:
                best, best_cost = combo, cost
    return best


@lru_cache(maxsize=8192)
def _valid_combos(
    weekdays: tuple[int, ...], count: int, empty: tuple[int, ...]
) -> tuple[tuple[int, ...], ...]:
    """Index tuples into `weekdays` (one week's usable days) that keep L2 (no two on
    consecutive days) and L6 (some empty day stays empty). Weeks repeat these patterns, so
    the answer is cached."""
    out = []
    for combo in combinations(range(len(weekdays)), count):
        if any(weekdays[b] - weekdays[a] == 1 for a, b in pairwise(combo)):
            continue
        chosen = {weekdays[i] for i in combo}
        if all(d in chosen for d in empty):
            continue
        out.append(combo)
    return tuple(out)


class _Option(NamedTuple):
    """A day that strength may take by the rules, before a time is looked for."""

    day: int
    heavy: bool
    upper: bool
    upper_only: bool
    cost: float
