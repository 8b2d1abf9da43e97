"""Strength placement (the L rules as they bind lifting): around the runs already on the
board, the cheapest set of days per week that breaks no hard rule; L10 drops what cannot fit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

from scheduler.board import MIDNIGHT, Booked
from scheduler.daysearch import cheapest, needs_first_day, valid_combos
from scheduler.lifedays import drop_reason
from scheduler.liftorder import EASY_RUN_FIRST, KEY_RUN_FIRST, LIFT_FIRST, time_for
from scheduler.model import DistanceClass, LifeEvent, PlanWarning, Priority, Reason, SameDayOrder
from scheduler.place import Placer
from scheduler.runeasy import WEEKDAYS
from scheduler.sessions import VALUE_ACCESSORY, SessionSpec
from scheduler.strength import Variant

L1_SOFT = 48 * 60
# L1/P5: no heavy lower-body work this many days before a race of each priority (the day of
# the race counts: a B race keeps the 4 days before it clear, a C race 2).
HEAVY_CLEAR_DAYS = {Priority.A: 7, Priority.B: 5, Priority.C: 3}
# P9: no strength at all in the days after a marathon (3) or an ultra (5), whatever its
# priority; the legs are still repairing.
REST_AFTER = {DistanceClass.MARATHON: 3, DistanceClass.ULTRA: 5}
STABLE_BONUS = 5.0  # L8: stability beats optimality
# An upper-body stand-in loses the session's purpose for running; it must cost more than a
# heavy session inside L1's soft 48 h, plus any L8 preference.
UPPER_COST = 6.0
L1_SOFT_COST = 3.0
# The short session keeps the lower-body lifts an upper-body stand-in gives up, so it costs
# less than one; more than any day preference, so a day with room for the full session wins.
SHORT_COST = 4.0
SAME_WEEKDAY_BONUS = 1.0
# Light legs keep the lower-body work and lose its load: dearer than a heavy session inside
# L1's soft 48 h, cheaper than the upper-body stand-in.
LIGHT_COST = 3.5
# S1 across a week's edge: a Sunday lift that takes the only Monday the next week's two sessions
# can use (races, P9's days, key runs leave it few) costs more than any day preference.
NEXT_WEEK_COST = 10.0


# Reasons whose text never varies, built once rather than per session.
SPACED = Reason("L2", "no strength the day before or after", "placement")
UPPER_AFTER_LONG = Reason(
    "L3", "upper body and core only: the day after a long run or race", "placement"
)
UPPER_LONG_RUN_DAY = Reason(
    "L11", "upper body and core only: no heavy lower-body work on the long-run day", "placement"
)
LIGHT_RULED_OUT = Reason(
    "L4",
    "light legs only: heavy lower-body work is ruled out next to a hard day or a key run (L1/L4)",
    "placement",
)
HEAVY_CLEAR = Reason("L4", "heavy day with no hard day before or after", "placement")
L1_TIGHT = Reason(
    "L1", "over 24 h before the next key run (48 h preferred, not possible)", "placement"
)
L1_CLEAR = Reason("L1", "48 h clear of the next key run or race", "placement")
SHORT_SESSION = Reason(
    "L10", "the short session: no day this week has room for the full one", "placement"
)
NO_REST_LEFT = Reason(
    "L6",
    "your other app's plan leaves this week no rest day: L6 is that plan's to keep (R6), and "
    "strength goes on its easy days, light where L1/L4 rule heavy legs out",
    "placement",
)
RUN_AFTER_LIFT = Reason("L3", "moved after the lift: you lift first on run days", "placement")
RUN_DAY_LIFT = Reason("L7", "strength on a run day keeps other days for rest", "placement")
BEST_FREE_DAY = tuple(
    Reason("L7", f"{name}: the best free day left", "placement") for name in WEEKDAYS
)
ORDER_REASONS = {
    note: Reason("L3", note, "placement") for note in (KEY_RUN_FIRST, LIFT_FIRST, EASY_RUN_FIRST)
}


class StrengthPlacer:
    def __init__(self, placer: Placer, closed: Mapping[int, LifeEvent] | None = None) -> None:
        self.p = placer
        self.board = placer.board
        # L13/L14/L16: the days the athlete's markers close to strength (scheduler.lifedays).
        self.closed = dict(closed or {})
        self.heavy_blocked = self._heavy_blocked_days()
        self.rest_after = self._rest_after_days()
        self.lift_first = placer.athlete.same_day_order is SameDayOrder.LIFT_FIRST
        self.light_long_day = placer.athlete.no_heavy_legs_on_long_run_day
        # R6: the weeks whose strength was placed with no rest day left by the other app.
        self.filled_weeks: list[date] = []

    def _heavy_blocked_days(self) -> set[int]:
        """L1/P5: days too close before a race for heavy lower-body work."""
        blocked: set[int] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                blocked.update(range(day - HEAVY_CLEAR_DAYS[race.priority] + 1, day))
        return blocked

    def _rest_after_days(self) -> set[int]:
        """P9: days right after a marathon or longer that take no strength."""
        rest: set[int] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                after = REST_AFTER.get(race.distance_class, 0)
                rest.update(range(day + 1, day + after + 1))
        return rest

    def place_strength(self, week: date, specs: list[SessionSpec], after: int = 0) -> None:
        """Choose days by the rules and their costs first, then find times only for the chosen
        days: a day whose time does not fit is struck and the week chosen again. Before L10
        drops one of the week's main sessions, the struck days come back and the short
        variant may take them (S1's floor of two outweighs a full session). `after`: the
        sessions the next week asks for, whose Monday this week's Sunday may be needed for."""
        if not specs:
            return
        specs = sorted(specs, key=lambda s: s.slot)
        days = self.p.days(week)
        heavy = self._strength_options(days, True)
        # A novice's light session is not heavy (S7), so L1/L4 do not turn it upper-body.
        light = heavy if all(s.heavy_lower for s in specs) else self._strength_options(days, False)
        sunday = self.board.index(week) + 6
        if after > 1 and heavy.get(sunday) and self._next_week_needs_monday(sunday + 1, after):
            for opts in (heavy, light):
                if (o := opts.get(sunday)) is not None:
                    opts[sunday] = o._replace(cost=o.cost + NEXT_WEEK_COST)
        struck: dict[int, tuple[_Option | None, _Option | None]] = {}
        short = False
        while specs:
            options = [heavy if spec.heavy_lower else light for spec in specs]
            best = self._best_combo(week, specs, options)
            if best is None:
                if struck and not short and _lowest(specs).value > VALUE_ACCESSORY:
                    short = True
                    # The struck days had no time for the full session: what they can
                    # hold now is the short one, which costs its lost exercises.
                    for day, (h, li) in struck.items():
                        heavy[day] = h._replace(cost=h.cost + SHORT_COST) if h else None
                        light[day] = li._replace(cost=li.cost + SHORT_COST) if li else None
                    struck.clear()
                    continue
                self._drop_lowest(week, specs)
                continue
            timed = []
            for spec, day, opts in zip(specs, best, options, strict=True):
                option = opts[day]
                assert option is not None
                timing = self._strength_time(day, spec, option, short)
                if timing is None:
                    struck[day] = (heavy[day], light[day])
                    heavy[day] = light[day] = None
                    break
                timed.append((spec, option, timing))
            else:
                for spec, option, timing in timed:
                    self._book_strength(spec, option, timing)
                return

    def rest_warning(self) -> PlanWarning | None:
        """Said once a plan: the weeks the other app's plan left without a rest day (R6)."""
        if not self.filled_weeks:
            return None
        weeks = len(self.filled_weeks)
        first = min(self.filled_weeks)
        text = (
            f"your other app's plan leaves {weeks} week(s) from {first} without a full rest "
            "day: L6 is that plan's to keep (R6); racecal's strength still goes on those weeks' "
            "easy days, in its light form where L1/L4 rule heavy legs out"
        )
        return PlanWarning("L6", text, None, text)

    def _next_week_needs_monday(self, monday: int, need: int) -> bool:
        """Only a week with races, P9's days or a lift-first athlete's key runs can be short."""
        board, days = self.board, range(monday, monday + 7)
        races = board.race_days
        if not (self.lift_first or any(d in races or d in self.rest_after for d in days)):
            return False
        options = self._strength_options(list(days), False)
        return needs_first_day([d for d in days if options[d]], monday, min(need, 2))

    def _drop_lowest(self, week: date, specs: list[SessionSpec]) -> None:
        """L10: accessory strength goes before main strength."""
        victim = _lowest(specs)
        specs.remove(victim)
        if self.board.index(week) >= self.p.today:
            kind = "accessory" if victim.value == 1 else "main"
            marked = drop_reason(self.closed, self.p.days(week)) if self.closed else ""
            self.p.drop(
                victim,
                "L10",
                f"{kind} strength: no day left that keeps L1-L6 "
                f"(rest days, no back-to-back hard days, clear of key runs){marked}",
            )

    def _strength_options(self, days: list[int], heavy_lower: bool) -> dict[int, _Option | None]:
        """What each day allows the week's first (main) strength session, and at what cost."""
        board = self.board
        races, lifts, long_days = board.race_days, board.lift_days, board.long_days
        hard, blocked = board.hard_days, self.heavy_blocked
        options: dict[int, _Option | None] = {}
        for day in days:
            if day in races or day in self.rest_after or day in self.closed:
                options[day] = None  # L3: race day; P9: right after; L13/L14/L16: marked
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
            # L11 (soft, the athlete may turn it off): the long-run day keeps its legs for
            # the run. Soft because it never costs a session: the day still takes the upper
            # variant.
            long_day = self.light_long_day and day in long_days and day not in races
            # L4 (no hard day either side), then L1/P5 (clear of the next race).
            heavy = (
                heavy_lower
                and not upper_only
                and not long_day
                and not (day - 1 in hard or day + 1 in hard)
                and day not in blocked
            )
            # L3 makes the day after a long run upper-body only, L11 the long-run day; elsewhere
            # the light variant stands in when L1/L4 rule out heavy lower-body work.
            upper = upper_only or long_day
            light = heavy_lower and not heavy and not upper
            cost = 0.1 * (day % 7)
            if day not in board.run_days:
                cost += 2.0
            elif key_run_day:
                cost += 1.0
            if upper:
                cost += UPPER_COST
            elif light:
                cost += LIGHT_COST
            if heavy and day + 2 in board.key_days:
                cost += L1_SOFT_COST  # a key run two days on is nearly always inside 48 h
            options[day] = _Option(day, heavy, light, upper, upper_only, long_day, cost)
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
        self, day: int, spec: SessionSpec, option: _Option, short: bool
    ) -> _Timing | None:
        """A time for the session on `day`: the variant the day allows (upper body after a
        long run or race (L3) and on the long-run day (L11); light legs where L1/L4 rule heavy
        ones out), then its short form when L10 allows it."""
        rx = spec.strength
        assert rx is not None
        if option.upper:
            variants: tuple[Variant, ...] = (rx.upper,)
        elif option.light:
            variants = (rx.light, rx.light_short) if short else (rx.light,)
        else:
            variants = (rx.full, rx.short) if short else (rx.full,)
        for variant in variants:
            prefer = self.p.prev_start(spec, day) if self.p.previous else None
            span, note, moves = time_for(self.p, day, variant.minutes, prefer)
            if span is not None:
                return _Timing(span, note, variant, moves)
        return None

    def _best_combo(
        self,
        week: date,
        specs: list[SessionSpec],
        options: list[dict[int, _Option | None]],
    ) -> tuple[int, ...] | None:
        """The cheapest set of days for the week's strength sessions (in slot order) that keeps
        L2 and L6; exhaustive, as a week has at most C(7, 3) = 35 choices. Every spec's options
        rule the same days in or out; only what a day allows and costs differ."""
        usable_days = [day for day, option in options[0].items() if option is not None]
        board = self.board
        first = board.index(week)
        booked, races = board.booked, board.race_days
        empty = tuple(i for i in range(7) if not booked.get(first + i) and first + i not in races)
        # R6: a week the other app filled with runs and cross-training has no rest day racecal
        # could take; L6 is that plan's to keep, and it must not cost the week its strength.
        rest_ours = bool(empty) or not self._filled_by_other_app(first)
        if not rest_ours and first >= self.p.today and week not in self.filled_weeks:
            self.filled_weeks.append(week)
        valid = valid_combos(tuple([day % 7 for day in usable_days]), len(specs), empty, rest_ours)
        costs = []
        for spec, opts in zip(specs, options, strict=True):
            usable = [opts[day] for day in usable_days]
            costs.append(self._day_costs(spec, [o for o in usable if o is not None]))
        best = cheapest(valid, costs)
        return tuple([usable_days[i] for i in best]) if best is not None else None

    def _filled_by_other_app(self, monday: int) -> bool:
        """Every day of the week holds a race or something of the other app's (R6): its
        bookings carry no session key."""
        board = self.board
        return all(
            day in board.race_days or any(not b.key for b in board.booked.get(day, ()))
            for day in range(monday, monday + 7)
        )

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

    def _book_strength(self, spec: SessionSpec, option: _Option, timing: _Timing) -> None:
        day = option.day
        span, order_note, variant = timing.span, timing.note, timing.variant
        for item, start, end in timing.moves:
            self.p.retime(day, item, start, end, RUN_AFTER_LIFT)
        assert spec.strength is not None
        reasons = [SPACED]
        if spec.week.start in self.filled_weeks:
            reasons.append(NO_REST_LEFT)
        if option.upper:
            if option.upper_only:
                reasons.append(UPPER_AFTER_LONG)
            else:
                reasons.append(UPPER_LONG_RUN_DAY)
        elif option.light:
            reasons.append(LIGHT_RULED_OUT)
        elif option.heavy:
            reasons.append(HEAVY_CLEAR)
            reasons.append(L1_TIGHT if self._key_within(day, span[1], L1_SOFT) else L1_CLEAR)
        if variant.name.endswith("short"):
            reasons.append(SHORT_SESSION)
        if order_note:
            reasons.append(ORDER_REASONS[order_note])
            reasons.append(RUN_DAY_LIFT)
        else:
            reasons.append(BEST_FREE_DAY[day % 7])
        rx = spec.strength
        body = variant.text
        if order_note:
            order = self.p.athlete.same_day_order.value
            body += f"\nSame day as a run: {order_note} (L3, {order})."
        if option.upper:
            title = f"Strength {rx.template} - upper body + core"
        elif option.light and rx.heavy_lower:
            title = f"Strength {rx.template} - light legs"
        else:
            title = spec.title
        if variant.name.endswith("short"):
            title += " (short)"
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
            exercises=variant.exercises,
        )


def _lowest(specs: list[SessionSpec]) -> SessionSpec:
    """L10's next victim: accessory strength before main, the later slot first."""
    return min(specs, key=lambda s: (s.value, -int(s.slot[-1])))


class _Timing(NamedTuple):
    """Where the session goes on its day, which variant, and the easy runs moved for it."""

    span: tuple[int, int]
    note: str
    variant: Variant
    moves: tuple[tuple[Booked, int, int], ...]


class _Option(NamedTuple):
    """A day that strength may take by the rules, before a time is looked for."""

    day: int
    heavy: bool
    light: bool
    upper: bool
    upper_only: bool
    long_day: bool
    cost: float
