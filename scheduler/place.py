"""Session specs + busy time + windows -> placed sessions (the L rules).

Runs go first (long runs of every week, then quality, then easy runs) because their days are
nearly fixed by the athlete; strength is placed around them. Hard rules (L1-L6) are checks that
never bend; soft rules (L1's 48 h, L7, L8) are costs. What cannot be placed is dropped by L10 and
reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import combinations, pairwise

from scheduler.board import DAY, Board, Booked, from_minutes
from scheduler.model import (
    PlacedSession,
    PlanWarning,
    Priority,
    Reason,
    SameDayOrder,
)
from scheduler.sessions import SessionSpec

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
L1_HARD = 24 * 60
L1_SOFT = 48 * 60
L3_GAP = 6 * 60
# L1/P5: no heavy lower-body work this many days before a race of each priority.
HEAVY_CLEAR_DAYS = {Priority.A: 7, Priority.B: 5, Priority.C: 3}
B_EASY_DAYS_AFTER = 3  # P5: easy days after a B race
QUALITY_DAY_ORDER = (1, 5, 3, 2, 4, 0, 6)  # L7: Tue quality, Sat tempo, then the rest
STABLE_BONUS = 5.0  # L8: stability beats optimality
SAME_WEEKDAY_BONUS = 1.0


@dataclass
class Placement:
    """What placement produced; `board` keeps every booking for the next week's rules."""

    sessions: list[PlacedSession]
    warnings: list[PlanWarning]


class Placer:
    def __init__(self, board: Board, today: date, previous: dict[str, PlacedSession]) -> None:
        self.board = board
        self.today = today
        self.previous = previous
        self.athlete = board.athlete
        self.out = Placement([], [])
        self._week_days: dict[date, list[date]] = {}
        self._labels = [
            [f"{w.start:%H:%M}-{w.end:%H:%M}" for w in day] for day in self.athlete.windows
        ]
        self.no_key = self._no_key_days()
        self.heavy_blocked = self._heavy_blocked_days()
        # L8: last week's weekday per slot, for "same weekday as last week".
        self.last_weekday: dict[str, int] = {}

    # -- shared ---------------------------------------------------------------------------
    def _prev_start(self, spec: SessionSpec, day: date) -> int | None:
        prev = self.previous.get(spec.key)
        if prev is None or self._local_day(prev) != day:
            return None
        return int(prev.start.timestamp()) // 60

    def _local_day(self, session: PlacedSession) -> date:
        return session.start.astimezone(self.board.tz).date()

    def _days(self, week: date) -> list[date]:
        days = self._week_days.get(week)
        if days is None:
            days = [week + timedelta(days=i) for i in range(7)]
            days = [d for d in days if d >= self.today]
            self._week_days[week] = days
        return days

    def _no_key_days(self) -> set[date]:
        """P5/P9: easy days after a B race, and the rest of an A race's week."""
        blocked: set[date] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                if race.priority is Priority.B:
                    blocked.update(day + timedelta(days=i) for i in range(1, B_EASY_DAYS_AFTER + 1))
                if race.priority is Priority.A:
                    blocked.update(day + timedelta(days=i) for i in range(1, 7 - day.weekday()))
        return blocked

    def _heavy_blocked_days(self) -> set[date]:
        """L1/P5: days too close before a race for heavy lower-body work."""
        blocked: set[date] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                clear = HEAVY_CLEAR_DAYS[race.priority]
                blocked.update(day - timedelta(days=i) for i in range(1, clear))
        return blocked

    def _window_reason(self, day: date, start: int, local: datetime) -> Reason:
        spans = self.board.windows(day)
        index = next((i for i, (ws, we) in enumerate(spans) if ws <= start < we), 0)
        label = self._labels[day.weekday()][index]
        return Reason(
            "L5",
            f"{local.hour:02d}:{local.minute:02d}: first free time in your {label} window, "
            "clear of busy time",
            "placement",
        )

    def _emit(
        self,
        spec: SessionSpec,
        day: date,
        span: tuple[int, int],
        reasons: list[Reason],
        *,
        heavy: bool,
        key_run: bool,
        long: bool,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        start, end = span
        self.board.book(day, Booked(start, end, spec.kind, key_run, heavy, long, spec.key))
        if self._prev_start(spec, day) == start:
            reasons.append(
                Reason("L8", "kept its previous slot (stability beats optimality)", "placement")
            )
        tz = self.board.tz
        local_start = from_minutes(start, tz)
        reasons.append(self._window_reason(day, start, local_start))
        self.out.sessions.append(
            PlacedSession(
                key=spec.key,
                kind=spec.kind,
                type=spec.type,
                slot=spec.slot,
                phase=spec.week.phase,
                week=spec.week.start,
                anchor=spec.week.anchor,
                rel_week=spec.week.rel,
                start=local_start,
                end=from_minutes(end, tz),
                heavy_lower=heavy,
                key_run=key_run,
                title=title or spec.title,
                description=description or spec.description,
                reasons=(*spec.reasons, *reasons),
                distance_km=spec.distance_km,
            )
        )
        self.last_weekday[spec.slot] = day.weekday()

    def _drop(self, spec: SessionSpec, rule: str, why: str) -> None:
        self.out.warnings.append(
            PlanWarning(rule, f"dropped '{spec.title}' ({spec.key}): {why}", spec.week.start)
        )

    # -- runs -----------------------------------------------------------------------------
    def place_long(self, spec: SessionSpec) -> None:
        days = self._days(spec.week.start)
        run_days = [d for d in days if d.weekday() in self.athlete.run_days]
        lr = self.athlete.long_run_day
        order = sorted(run_days, key=lambda d: (d.weekday() != lr, abs(d.weekday() - lr), d))
        self._place_run(
            spec,
            order,
            key_run=spec.key_run,
            long=spec.key_run,
            rule_day=(Reason("L7", f"long run on your long-run day ({WEEKDAYS[lr]})", "placement")),
        )

    def place_quality(self, spec: SessionSpec) -> None:
        days = self._days(spec.week.start)
        order = sorted(
            (d for d in days if d.weekday() in self.athlete.run_days),
            key=lambda d: QUALITY_DAY_ORDER.index(d.weekday()),
        )
        self._place_run(
            spec,
            order,
            key_run=spec.key_run,
            long=False,
            rule_day=Reason(
                "L7",
                "quality early in the week or on Saturday, away from the long run",
                "placement",
            ),
        )

    def place_easy(self, spec: SessionSpec) -> None:
        days = self._days(spec.week.start)
        order = [d for d in days if d.weekday() in self.athlete.run_days]
        self._place_run(
            spec,
            order,
            key_run=False,
            long=False,
            rule_day=Reason("R1", "on one of your run days", "placement"),
        )

    def _place_run(
        self, spec: SessionSpec, order: list[date], *, key_run: bool, long: bool, rule_day: Reason
    ) -> None:
        prev = self.previous.get(spec.key)
        if prev is not None:
            before = self._local_day(prev)
            order = sorted(order, key=lambda d: d != before)
        no_key = self.no_key
        reason = "L5: no free time in your windows on any run day"
        rule = "L5"
        for day in order:
            if self.board.races_on(day) or self.board.has(day, "run"):
                continue
            if key_run:
                if day in no_key:
                    reason, rule = "easy days after a race", "P5"
                    continue
                if self.board.hard(day - DAY) or self.board.hard(day + DAY):
                    reason, rule = "every run day sits next to another hard day", "L4"
                    continue
            span = self.board.fit(day, spec.minutes, prefer=self._prev_start(spec, day))
            if span is None:
                continue
            reasons = [rule_day]
            if key_run:
                reasons.append(Reason("L4", "no hard day the day before or after", "placement"))
            self._emit(spec, day, span, reasons, heavy=False, key_run=key_run, long=long)
            return
        if spec.week.start >= self.today:
            self._drop(spec, rule, reason)

    def ensure_rest_day(self, week: date) -> None:
        """L6: a week needs one empty day; the lowest-value run planned this pass goes (L10)."""
        days = [week + timedelta(days=i) for i in range(7)]
        if any(self.board.empty(d) for d in days):
            return
        ours = {
            s.key: s
            for s in self.out.sessions
            if s.week == week and s.type == "easy" and s.origin == "planned"
        }
        for day in reversed(days):
            victim = next((b for b in self.board.on(day) if b.key in ours), None)
            if victim:
                self.board.unbook(day, victim.key)
                session = ours[victim.key]
                self.out.sessions.remove(session)
                self.out.warnings.append(
                    PlanWarning(
                        "L6",
                        f"dropped '{session.title}' ({session.key}): no full rest day left "
                        "in the week; the lowest-value run goes (L10)",
                        week,
                    )
                )
                return

    # -- strength -------------------------------------------------------------------------
    def place_strength(self, week: date, specs: list[SessionSpec]) -> None:
        specs = sorted(specs, key=lambda s: s.slot)
        days = self._days(week)
        options = {d: self._strength_option(d, specs[0]) for d in days}
        while specs:
            best = self._best_combo(week, days, specs, options)
            if best is not None:
                for spec, day in zip(specs, best, strict=True):
                    option = options[day]
                    prev = self._prev_start(spec, day)
                    if option is None or (prev is not None and prev != option.span[0]):
                        # The options were found for the week's first spec; this one's own
                        # previous slot (L8) may fit better.
                        option = self._strength_option(day, spec)
                    assert option is not None
                    self._book_strength(spec, option)
                return
            victim = min(specs, key=lambda s: (s.value, -int(s.slot[-1])))
            specs.remove(victim)
            if week >= self.today:
                kind = "accessory" if victim.value == 1 else "main"
                self._drop(
                    victim,
                    "L10",
                    f"{kind} strength: no day left that keeps L1-L6 "
                    "(rest days, no back-to-back hard days, clear of key runs)",
                )

    def _strength_option(self, day: date, spec: SessionSpec) -> _Option | None:
        board = self.board
        if board.races_on(day):
            return None  # L3: no strength on a race day
        if (
            board.has(day, "strength")
            or board.has(day - DAY, "strength")
            or board.has(day + DAY, "strength")
        ):
            return None  # L2
        upper_only = board.after_long(day)
        heavy = spec.heavy_lower and not upper_only and self._heavy_ok(day)
        # L3 makes the day after a long run upper-body only; elsewhere the upper variant stands
        # in when L1/L4 rule out heavy lower-body work.
        upper = upper_only or (spec.heavy_lower and not heavy)
        runs = [b for b in board.on(day) if b.kind == "run"]
        span, order_note = self._strength_time(day, spec, runs, upper)
        if span is None:
            return None
        cost = 0.1 * day.weekday()
        if not runs:
            cost += 2.0
        elif any(r.key_run for r in runs):
            cost += 1.0
        if upper:
            cost += 4.0
        if heavy and self._key_within(day, span[1], L1_SOFT):
            cost += 3.0
        return _Option(day, span, heavy, upper, upper_only, order_note, cost)

    def _heavy_ok(self, day: date) -> bool:
        board = self.board
        if board.hard(day - DAY) or board.hard(day + DAY):
            return False  # L4
        return day not in self.heavy_blocked  # L1 / P5

    def _key_within(self, day: date, end: int, window: int) -> bool:
        for d in (day, day + DAY, day + 2 * DAY):
            if self.board.races_on(d) and self.board.at(d, time(0, 0)) - end < window:
                return True
            if any(b.key_run and 0 <= b.start - end < window for b in self.board.on(d)):
                return True
        return False

    def _strength_time(
        self, day: date, spec: SessionSpec, runs: list[Booked], upper: bool
    ) -> tuple[tuple[int, int] | None, str]:
        minutes = 40 if upper else spec.minutes
        prefer = self._prev_start(spec, day)
        order = self.athlete.same_day_order
        if not runs:
            return self.board.fit(day, minutes, prefer=prefer), ""
        if any(r.key_run for r in runs):
            if order is SameDayOrder.LIFT_FIRST:
                return None, ""  # the key-run rule of L3 is hard; lift_first can't honour it
            lo = max(r.end for r in runs) + L3_GAP
            return self.board.fit(
                day, minutes, lo=lo, prefer=prefer
            ), "run first, lift at least 6 h later"
        first, last = min(r.start for r in runs), max(r.end for r in runs)
        if order is not SameDayOrder.RUN_FIRST:
            span = self.board.fit(day, minutes, hi=first, prefer=prefer)
            if span or order is SameDayOrder.LIFT_FIRST:
                return span, "lift first, then the easy run"
        return self.board.fit(day, minutes, lo=last, prefer=prefer), "easy run first, then lift"

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
        ordinals = [d.toordinal() for d in usable]
        empty = [week + timedelta(days=i) for i in range(7)]
        empty = [d for d in empty if self.board.empty(d)]
        costs = [[self._day_cost(spec, d, options) for d in usable] for spec in specs]
        best: tuple[float, tuple[int, ...]] | None = None
        for combo in combinations(range(len(usable)), len(specs)):
            if any(ordinals[b] - ordinals[a] == 1 for a, b in pairwise(combo)):
                continue  # L2
            chosen = {usable[i] for i in combo}
            if all(d in chosen for d in empty):
                continue  # L6
            cost = sum(costs[n][i] for n, i in enumerate(combo))
            if best is None or (cost, combo) < best:
                best = (cost, combo)
        return tuple(usable[i] for i in best[1]) if best else None

    def _day_cost(self, spec: SessionSpec, day: date, options: dict[date, _Option | None]) -> float:
        option = options[day]
        assert option is not None
        prev = self.previous.get(spec.key)
        if prev is not None and self._local_day(prev) == day:
            return option.cost - STABLE_BONUS  # L8: keep the previous placement
        if self.last_weekday.get(spec.slot) == day.weekday():
            return option.cost - SAME_WEEKDAY_BONUS  # L8: same weekday as last week
        return option.cost

    def _book_strength(self, spec: SessionSpec, option: _Option) -> None:
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
            soft = self._key_within(day, option.span[1], L1_SOFT)
            reasons.append(
                Reason(
                    "L1",
                    "more than 24 h before the next key run"
                    + ("" if not soft else " (48 h preferred, not possible)")
                    if soft
                    else "48 h clear of the next key run or race",
                    "placement",
                )
            )
        runs = [b for b in self.board.on(day) if b.kind == "run"]
        if option.order_note:
            reasons.append(Reason("L3", option.order_note, "placement"))
            reasons.append(
                Reason("L7", "strength on a run day keeps other days for rest", "placement")
            )
        elif not runs:
            reasons.append(
                Reason("L7", f"{WEEKDAYS[day.weekday()]}: the best free day left", "placement")
            )
        rx = spec.strength
        body = rx.body(upper=option.upper)
        if option.order_note:
            order = self.athlete.same_day_order.value
            body += f"\nSame day as a run: {option.order_note} (L3, {order})."
        title = f"Strength {rx.template} - upper body + core" if option.upper else spec.title
        self._emit(
            spec,
            day,
            option.span,
            reasons,
            heavy=option.heavy,
            key_run=False,
            long=False,
            title=title,
            description=body,
        )


@dataclass(frozen=True)
class _Option:
    day: date
    span: tuple[int, int]
    heavy: bool
    upper: bool
    upper_only: bool
    order_note: str
    cost: float
