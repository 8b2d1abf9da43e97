"""Strength placement (the L rules as they bind lifting): around the runs already on the
board, the cheapest set of days per week that breaks no hard rule; L10 drops what cannot fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from itertools import combinations, pairwise

from scheduler.board import DAY
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


class StrengthPlacer:
    def __init__(self, placer: Placer) -> None:
        self.p = placer
        self.heavy_blocked = self._heavy_blocked_days()

    def _heavy_blocked_days(self) -> set[date]:
        """L1/P5: days too close before a race for heavy lower-body work."""
        blocked: set[date] = set()
        for day, races in self.p.board.race_days.items():
            for race in races:
                clear = HEAVY_CLEAR_DAYS[race.priority]
                blocked.update(day - timedelta(days=i) for i in range(1, clear))
        return blocked

    def place_strength(self, week: date, specs: list[SessionSpec]) -> None:
        """Choose days by the rules and their costs first, then find times only for the chosen
        days: a day whose time does not fit is struck and the week chosen again."""
        if not specs:
            return
        specs = sorted(specs, key=lambda s: s.slot)
        days = self.p.days(week)
        options = {d: self._strength_option(d, specs[0]) for d in days}
        while specs:
            best = self._best_combo(week, days, specs, options)
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
        if week >= self.p.today:
            kind = "accessory" if victim.value == 1 else "main"
            self.p.drop(
                victim,
                "L10",
                f"{kind} strength: no day left that keeps L1-L6 "
                "(rest days, no back-to-back hard days, clear of key runs)",
            )

    def _strength_option(self, day: date, spec: SessionSpec) -> _Option | None:
        board = self.p.board
        if board.races_on(day):
            return None  # L3: no strength on a race day
        if (
            board.has(day, "strength")
            or board.has(day - DAY, "strength")
            or board.has(day + DAY, "strength")
        ):
            return None  # L2
        runs = [b for b in board.on(day) if b.kind == "run"]
        key_run_day = any(r.key_run for r in runs)
        if key_run_day and self.p.athlete.same_day_order is SameDayOrder.LIFT_FIRST:
            return None  # L3 puts the key run first; a lift-first athlete lifts elsewhere
        upper_only = board.after_long(day)
        heavy = spec.heavy_lower and not upper_only and self._heavy_ok(day)
        # L3 makes the day after a long run upper-body only; elsewhere the upper variant stands
        # in when L1/L4 rule out heavy lower-body work.
        upper = upper_only or (spec.heavy_lower and not heavy)
        cost = 0.1 * day.weekday()
        if not runs:
            cost += 2.0
        elif key_run_day:
            cost += 1.0
        if upper:
            cost += UPPER_COST
        if heavy and board.key_day(day + 2 * DAY):
            cost += L1_SOFT_COST  # a key run two days on is nearly always inside 48 h
        return _Option(day, heavy, upper, upper_only, cost)

    def _heavy_ok(self, day: date) -> bool:
        board = self.p.board
        if board.hard(day - DAY) or board.hard(day + DAY):
            return False  # L4
        return day not in self.heavy_blocked  # L1 / P5

    def _key_within(self, day: date, end: int, window: int) -> bool:
        for d in (day, day + DAY, day + 2 * DAY):
            if self.p.board.races_on(d) and self.p.board.at(d, time(0, 0)) - end < window:
                return True
            if any(b.key_run and 0 <= b.start - end < window for b in self.p.board.on(d)):
                return True
        return False

    def _strength_time(
        self, day: date, spec: SessionSpec, upper: bool
    ) -> tuple[tuple[int, int] | None, str]:
        runs = [b for b in self.p.board.on(day) if b.kind == "run"]
        minutes = UPPER_MINUTES if upper else spec.minutes
        prefer = self.p.prev_start(spec, day)
        order = self.p.athlete.same_day_order
        if not runs:
            return self.p.board.fit(day, minutes, prefer=prefer), ""
        if any(r.key_run for r in runs):
            lo = max(r.end for r in runs) + L3_GAP
            return self.p.board.fit(
                day, minutes, lo=lo, prefer=prefer
            ), "run first, lift at least 6 h later"
        first, last = min(r.start for r in runs), max(r.end for r in runs)
        if order is not SameDayOrder.RUN_FIRST:
            span = self.p.board.fit(day, minutes, hi=first, prefer=prefer)
            if span or order is SameDayOrder.LIFT_FIRST:
                return span, "lift first, then the easy run"
        return self.p.board.fit(day, minutes, lo=last, prefer=prefer), "easy run first, then lift"

    def _best_combo(
        self,
        week: date,
        days: list[date],
        specs: list[SessionSpec],
        options: dict[date, _Option | None],
    ) -> tuple[date, ...] | None:
        """The cheapest set of days for the week's strength sessions (in slot order) that keeps
        L2 and L6; exhaustive, as a week has at most C(7, 3) = 35 choices."""
        usable = [d for d in days if options[d] is not None]
        week_days = [week + timedelta(days=i) for i in range(7)]
        empty = tuple(d.weekday() for d in week_days if self.p.board.empty(d))
        valid = _valid_combos(tuple(d.weekday() for d in usable), len(specs), empty)
        costs = [[self._day_cost(spec, d, options) for d in usable] for spec in specs]
        best: tuple[float, tuple[int, ...]] | None = None
        for combo in valid:
            cost = sum(costs[n][i] for n, i in enumerate(combo))
            if best is None or (cost, combo) < best:
                best = (cost, combo)
        return tuple(usable[i] for i in best[1]) if best else None

    def _day_cost(self, spec: SessionSpec, day: date, options: dict[date, _Option | None]) -> float:
        option = options[day]
        assert option is not None
        prev = self.p.previous.get(spec.key)
        if prev is not None and self.p.local_day(prev) == day:
            return option.cost - STABLE_BONUS  # L8: keep the previous placement
        if self.p.last_weekday.get(spec.slot) == day.weekday():
            return option.cost - SAME_WEEKDAY_BONUS  # L8: same weekday as last week
        return option.cost

    def _book_strength(
        self, spec: SessionSpec, option: _Option, span: tuple[int, int], order_note: str
    ) -> None:
        day = option.day
        assert spec.strength is not None
        reasons = [Reason("L2", "no strength the day before or after", "placement")]
        if option.upper:
            why = (
                "the day after a long run or race"
                if option.upper_only
                else "heavy lower-body work is ruled out this day (L1/L4)"
            )
            reasons.append(Reason("L3", f"upper body and core only: {why}", "placement"))
        elif option.heavy:
            reasons.append(Reason("L4", "heavy day with no hard day before or after", "placement"))
            if self._key_within(day, span[1], L1_SOFT):
                text = "over 24 h before the next key run (48 h preferred, not possible)"
            else:
                text = "48 h clear of the next key run or race"
            reasons.append(Reason("L1", text, "placement"))
        if order_note:
            reasons.append(Reason("L3", order_note, "placement"))
            reasons.append(
                Reason("L7", "strength on a run day keeps other days for rest", "placement")
            )
        else:
            reasons.append(
                Reason("L7", f"{WEEKDAYS[day.weekday()]}: the best free day left", "placement")
            )
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


@dataclass(frozen=True)
class _Option:
    """A day that strength may take by the rules, before a time is looked for."""

    day: date
    heavy: bool
    upper: bool
    upper_only: bool
    cost: float
