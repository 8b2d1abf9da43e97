"""Session specs + busy time + windows -> placed sessions (the L rules): runs and what all
placement shares.

Runs go first (long runs of every week, then quality, then easy runs) because their days are
nearly fixed by the athlete; strength is placed around them (`scheduler.lifts`). Hard rules
(L1-L6) are checks that never bend; soft rules (L1's 48 h, L7, L8) are costs. What cannot be
placed is dropped by L10 and reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.board import DAY, Board, Booked, from_minutes
from scheduler.model import (
    PlacedSession,
    PlanWarning,
    Priority,
    Reason,
)
from scheduler.sessions import SessionSpec

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
B_EASY_DAYS_AFTER = 3  # P5: easy days after a B race
QUALITY_DAY_ORDER = (1, 5, 3, 2, 4, 0, 6)  # L7: Tue quality, Sat tempo, then the rest


@dataclass
class Placement:
    """What placement produced; the bookings themselves stay on the Placer's board."""

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
        self._reasons: dict[tuple[int, int, int, int], Reason] = {}
        self._labels = [
            [f"{w.start:%H:%M}-{w.end:%H:%M}" for w in day] for day in self.athlete.windows
        ]
        self.no_key = self._no_keydays()
        # L8: last week's weekday per slot, for "same weekday as last week".
        self.last_weekday: dict[str, int] = {}

    # -- shared ---------------------------------------------------------------------------
    def prev_start(self, spec: SessionSpec, day: date) -> int | None:
        prev = self.previous.get(spec.key)
        if prev is None or self.local_day(prev) != day:
            return None
        return int(prev.start.timestamp()) // 60

    def local_day(self, session: PlacedSession) -> date:
        return session.start.astimezone(self.board.tz).date()

    def days(self, week: date) -> list[date]:
        days = self._week_days.get(week)
        if days is None:
            days = [week + timedelta(days=i) for i in range(7)]
            days = [d for d in days if d >= self.today]
            self._week_days[week] = days
        return days

    def _no_keydays(self) -> set[date]:
        """P5/P9: easy days after a B race, and the rest of an A race's week."""
        blocked: set[date] = set()
        for day, races in self.board.race_days.items():
            for race in races:
                if race.priority is Priority.B:
                    blocked.update(day + timedelta(days=i) for i in range(1, B_EASY_DAYS_AFTER + 1))
                if race.priority is Priority.A:
                    blocked.update(day + timedelta(days=i) for i in range(1, 7 - day.weekday()))
        return blocked

    def _window_reason(self, day: date, start: int, local: datetime) -> Reason:
        index = 0
        for i, (ws, we) in enumerate(self.board.windows(day)):
            if ws <= start < we:
                index = i
                break
        memo = (day.weekday(), index, local.hour, local.minute)
        reason = self._reasons.get(memo)
        if reason is None:
            label = self._labels[day.weekday()][index]
            reason = Reason(
                "L5",
                f"{local.hour:02d}:{local.minute:02d}: first free time in your {label} window, "
                "clear of busy time",
                "placement",
            )
            self._reasons[memo] = reason
        return reason

    def emit(
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
        if self.prev_start(spec, day) == start:
            reasons.append(
                Reason("L8", "kept its previous slot (stability beats optimality)", "placement")
            )
        tz = self.board.tz
        local_start = from_minutes(start, tz)
        reasons.append(self._window_reason(day, start, local_start))
        self.out.sessions.append(
            spec.placed(
                local_start,
                from_minutes(end, tz),
                tuple(reasons),
                heavy=heavy,
                key_run=key_run,
                title=title,
                description=description,
            )
        )
        self.last_weekday[spec.slot] = day.weekday()

    def drop(self, spec: SessionSpec, rule: str, why: str) -> None:
        self._dropped(spec.title, spec.key, spec.week.start, rule, why)

    def _dropped(self, title: str, key: str, week: date, rule: str, why: str) -> None:
        self.out.warnings.append(PlanWarning(rule, f"dropped '{title}' ({key}): {why}", week))

    # -- runs -----------------------------------------------------------------------------
    def place_long(self, spec: SessionSpec) -> None:
        days = self.days(spec.week.start)
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
        days = self.days(spec.week.start)
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
        days = self.days(spec.week.start)
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
            before = self.local_day(prev)
            order = sorted(order, key=lambda d: d != before)
        # Why each day was refused, so a dropped session's warning names the real obstacle.
        refused: dict[str, list[str]] = {}
        for day in order:
            if self.board.races_on(day) or self.board.has(day, "run"):
                continue
            if key_run and day in self.no_key:
                refused.setdefault("P5", []).append(f"{day:%a} is an easy day after a race")
                continue
            if key_run and (self.board.hard(day - DAY) or self.board.hard(day + DAY)):
                refused.setdefault("L4", []).append(f"{day:%a} is next to a hard day")
                continue
            span = self.board.fit(day, spec.minutes, prefer=self.prev_start(spec, day))
            if span is None:
                refused.setdefault("L5", []).append(
                    f"{day:%a} has no free {spec.minutes} min in your windows"
                )
                continue
            reasons = [rule_day]
            if key_run:
                reasons.append(Reason("L4", "no hard day the day before or after", "placement"))
            self.emit(spec, day, span, reasons, heavy=False, key_run=key_run, long=long)
            return
        if spec.week.start >= self.today:
            rule = next(iter(refused), "L5")
            why = "; ".join(r for notes in refused.values() for r in notes) or "no run day left"
            self.drop(spec, rule, why)

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
                self._dropped(
                    session.title,
                    session.key,
                    week,
                    "L6",
                    "no full rest day left in the week; the lowest-value run goes (L10)",
                )
                return
