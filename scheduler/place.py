"""Session specs + busy time + windows -> placed sessions (the L rules): runs and what all
placement shares.

Runs go first (long runs of every week, then quality, then easy runs) because their days are
nearly fixed by the athlete; strength is placed around them (`scheduler.lifts`). Hard rules
(L1-L6) are checks that never bend; soft rules (L1's 48 h, L7, L8) are costs. What cannot be
placed is dropped by L10 and reported as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from scheduler.board import Board, Booked, from_minutes
from scheduler.daysearch import assign_days
from scheduler.model import Exercise, PlacedSession, PlanWarning, Reason
from scheduler.racedays import FREE, NO_RUN, day_rules
from scheduler.runeasy import WEEKDAYS, as_easy, stand_in_days, stand_in_reason
from scheduler.runweek import QUALITY_DAY_ORDER
from scheduler.sessions import SessionSpec

QUALITY_RANK = tuple(QUALITY_DAY_ORDER.index(weekday) for weekday in range(7))

# Reasons whose text never varies, built once rather than per session.
KEPT_SLOT = Reason("L8", "kept its previous slot (stability beats optimality)", "placement")
NO_HARD_NEIGHBOUR = Reason("L4", "no hard day the day before or after", "placement")
ON_RUN_DAY = Reason("R1", "on one of your run days", "placement")
QUALITY_DAY = Reason(
    "L7", "quality early in the week or on Saturday, away from the long run", "placement"
)
# Why a run was refused a day, formatted only if the run ends up dropped.
REFUSALS = {
    "P9": "{day:%a} follows a marathon or longer: no running",
    "P5": "{day:%a} is an easy day around a race",
    "L4": "{day:%a} is next to a hard day",
    "L5": "{day:%a} has no free {minutes} min in your windows",
}


@dataclass
class Placement:
    """What placement produced; the bookings themselves stay on the Placer's board."""

    sessions: list[PlacedSession]
    warnings: list[PlanWarning]


class Placer:
    def __init__(self, board: Board, today: date, previous: dict[str, PlacedSession]) -> None:
        self.board = board
        # Days are the board's ints from here on (see scheduler.board).
        self.today = board.index(today)
        tz = board.tz
        # L8: each previous session's local day and start, converted once.
        self.previous = {
            key: (board.index(s.start.astimezone(tz).date()), int(s.start.timestamp()) // 60)
            for key, s in previous.items()
        }
        self.athlete = board.athlete
        self.out = Placement([], [])
        self._week_days: dict[date, list[int]] = {}
        self._run_days: dict[date, list[int]] = {}
        self._reasons: dict[tuple[int, int, int, int], Reason] = {}
        self._labels = [
            [f"{w.start:%H:%M}-{w.end:%H:%M}" for w in day] for day in self.athlete.windows
        ]
        lr = self.athlete.long_run_day
        self._long_day = Reason(
            "L7", f"long run on your long-run day ({WEEKDAYS[lr]})", "placement"
        )
        self.no_key, self.no_run = self._race_days()
        # L8: last week's weekday per slot, for "same weekday as last week".
        self.last_weekday: dict[str, int] = {}
        # Easy runs placed in this pass: the only sessions strength placement may re-time.
        self.movable: set[str] = set()
        # Key runs with no day as key runs, waiting to be run easy (L10).
        self.deferred: list[tuple[SessionSpec, list[int], dict[str, list[int]]]] = []

    # -- shared ---------------------------------------------------------------------------
    def prev_day(self, spec: SessionSpec) -> int | None:
        prev = self.previous.get(spec.key)
        return None if prev is None else prev[0]

    def prev_start(self, spec: SessionSpec, day: int) -> int | None:
        return self.prev_start_at(spec.key, day)

    def prev_start_at(self, key: str, day: int) -> int | None:
        prev = self.previous.get(key)
        if prev is None or prev[0] != day:
            return None
        return prev[1]

    def days(self, week: date) -> list[int]:
        """The week's days from today on."""
        days = self._week_days.get(week)
        if days is None:
            first = self.board.index(week)
            days = [d for d in range(first, first + 7) if d >= self.today]
            self._week_days[week] = days
        return days

    def _race_days(self) -> tuple[set[int], set[int]]:
        """P5/P9/P10 (scheduler.racedays): days for easy running only (B mini-tapers, easy days
        after races, the rest of an A race's week) and days with no running at all (after a
        marathon or longer)."""
        board = self.board
        races = [race for day_races in board.race_days.values() for race in day_races]
        easy: set[int] = set()
        rest: set[int] = set()
        for day, rule in day_rules(races).items():
            if rule >= NO_RUN:
                rest.add(board.index(day))
            elif rule > FREE:
                easy.add(board.index(day))
        return easy, rest

    def _window_reason(self, day: int, start: int, local: datetime) -> Reason:
        index = 0
        for i, (ws, we) in enumerate(self.board.windows(day)):
            if ws <= start < we:
                index = i
                break
        weekday = day % 7
        memo = (weekday, index, local.hour, local.minute)
        reason = self._reasons.get(memo)
        if reason is None:
            label = self._labels[weekday][index]
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
        day: int,
        span: tuple[int, int],
        reasons: list[Reason],
        *,
        heavy: bool,
        key_run: bool,
        long: bool,
        title: str | None = None,
        description: str | None = None,
        exercises: tuple[Exercise, ...] = (),
    ) -> None:
        start, end = span
        board = self.board
        board.book(day, Booked(start, end, spec.kind, key_run, heavy, long, spec.key))
        if self.previous and self.prev_start(spec, day) == start:
            reasons.append(KEPT_SLOT)
        local_start = from_minutes(start, board.tz)
        reasons.append(self._window_reason(day, start, local_start))
        self.out.sessions.append(
            spec.placed(
                local_start,
                from_minutes(end, board.tz),
                tuple(reasons),
                heavy,
                key_run,
                title,
                description,
                exercises=exercises,
            )
        )
        if spec.kind == "run" and not key_run:
            self.movable.add(spec.key)
        self.last_weekday[spec.slot] = day % 7

    def retime(self, day: int, item: Booked, start: int, end: int, why: Reason) -> None:
        """Move a session placed in this pass to another time of its day (L3 asks an easy run
        to follow a lift-first athlete's lift)."""
        board = self.board
        board.unbook(day, item.key)
        board.book(
            day, Booked(start, end, item.kind, item.key_run, item.heavy, item.long, item.key)
        )
        sessions = self.out.sessions
        for i, s in enumerate(sessions):
            if s.key == item.key:
                local = from_minutes(start, board.tz)
                kept = [r for r in s.reasons if r.rule != "L5" and r is not KEPT_SLOT]
                kept.append(why)
                if self.previous and self.prev_start_at(item.key, day) == start:
                    kept.append(KEPT_SLOT)
                kept.append(self._window_reason(day, start, local))
                sessions[i] = replace(
                    s, start=local, end=from_minutes(end, board.tz), reasons=tuple(kept)
                )
                return

    def drop(self, spec: SessionSpec, rule: str, why: str) -> None:
        self._dropped(spec.title, spec.key, spec.week.start, rule, why)

    def _dropped(self, title: str, key: str, week: date, rule: str, why: str) -> None:
        self.out.warnings.append(
            PlanWarning(rule, f"dropped '{title}' ({key}): {why}", week, f"dropped {key}: {why}")
        )

    # -- runs -----------------------------------------------------------------------------
    def place_long(self, spec: SessionSpec) -> None:
        run_days = self.athlete.run_days
        lr = self.athlete.long_run_day
        order = sorted(
            (d for d in self.days(spec.week.start) if d % 7 in run_days),
            key=lambda d: (d % 7 != lr, abs(d % 7 - lr), d),
        )
        self._place_run(
            spec, order, key_run=spec.key_run, long=spec.key_run, rule_day=self._long_day
        )

    def place_quality(self, specs: list[SessionSpec]) -> None:
        """One week's quality runs choose their days together (L4, L7): each tries every run
        day of its week, best first, and the pair is the first in that order that keeps the
        two key runs off neighbouring days. One at a time, the first could take the only day
        that leaves the second a day (Thu for the first of a Mon long-run week leaves nothing;
        Wed and Fri both fit), and the second was dropped."""
        week = specs[0].week.start
        run_days = self.athlete.run_days
        order = sorted(
            (d for d in self.days(week) if d % 7 in run_days), key=lambda d: QUALITY_RANK[d % 7]
        )
        options: list[list[tuple[int, tuple[int, int]]]] = []
        refusals: list[dict[str, list[int]]] = []
        for spec in specs:
            # A session tied to its day (where the running taper starts) tries that day first;
            # then the day it had (L8).
            tied = spec.weekday
            days = sorted(order, key=lambda d: d % 7 != tied) if tied is not None else order
            before = self.prev_day(spec) if self.previous else None
            days = sorted(days, key=lambda d: d != before) if before is not None else days
            ok, refused = self._open_days(spec, days, spec.key_run)
            options.append(ok)
            refusals.append(refused)
        chosen = assign_days(specs, options)
        lost = next((r["L5"][0] for r in refusals if "L5" in r), None)
        if lost is not None and -1 in chosen:
            # L10 before a drop or an easy run (scheduler.runeasy): busy time took a run day,
            # so days that are no run days stand in, ranked after every run day: they serve
            # only where they place more of the week's key runs (the week keeps its runs).
            stand_ins = stand_in_days(self.days(week), run_days, lost)
            wider = [
                ok + self._open_days(spec, stand_ins, True)[0] if spec.key_run else ok
                for spec, ok in zip(specs, options, strict=True)
            ]
            again = assign_days(specs, wider)
            if sum(p >= 0 for p in again) > sum(p >= 0 for p in chosen):
                chosen, options = again, wider
        for spec, pick, ok, refused in zip(specs, chosen, options, refusals, strict=True):
            if pick >= 0:
                day, span = ok[pick]
                if day % 7 not in run_days and lost is not None:
                    reasons = [stand_in_reason(lost, day), NO_HARD_NEIGHBOUR]
                elif spec.key_run:
                    reasons = [QUALITY_DAY, NO_HARD_NEIGHBOUR]
                else:
                    reasons = [QUALITY_DAY]
                self.emit(spec, day, span, reasons, heavy=False, key_run=spec.key_run, long=False)
                continue
            # Its open days all sit next to (or on) the day another quality run took.
            for day, _ in ok:
                refused.setdefault("L4", []).append(day)
            self._key_run_refused(spec, order, refused)

    def _key_run_refused(
        self, spec: SessionSpec, order: list[int], refused: dict[str, list[int]]
    ) -> None:
        """L10 before a drop: a key run that no day can take without two hard days in a row
        (L4) or inside a race's easy days (P5) is run easy instead, so the week keeps its
        kilometres; it waits for the easy runs to take their days first (it only fills a run
        day they leave, never pushes one of them out). Only missing time (L5) drops it now."""
        if "L5" in refused and len(refused) == 1:
            self._drop_run(spec, refused)  # an easy run of the same length fits nowhere either
            return
        self.deferred.append((spec, order, refused))

    def place_run_easy(self) -> None:
        """The key runs that had no day, as easy runs on the run days the easy runs left."""
        for spec, order, refused in self.deferred:
            easy = as_easy(spec, self.athlete.units)
            ok, _ = self._open_days(easy, sorted(order), False, first_only=True)
            if not ok:
                self._drop_run(spec, refused)
                continue
            day, span = ok[0]
            self.emit(easy, day, span, [ON_RUN_DAY], heavy=False, key_run=False, long=False)
            if self.board.index(spec.week.start) >= self.today:
                why = "; ".join(
                    REFUSALS[r].format(day=self.board.to_date(day), minutes=spec.minutes)
                    for r, days in refused.items()
                    for day in days
                )
                self.out.warnings.append(
                    PlanWarning(
                        next(iter(refused), "L4"),
                        f"ran easy '{spec.title}' ({spec.key}): {why}",
                        spec.week.start,
                        f"ran easy {spec.key}: {why}",
                    )
                )
        self.deferred.clear()

    def place_easy(self, spec: SessionSpec) -> None:
        week = spec.week.start
        order = self._run_days.get(week)
        if order is None:
            run_days = self.athlete.run_days
            order = self._run_days[week] = [d for d in self.days(week) if d % 7 in run_days]
        if spec.weekday is not None:
            # The short runs around a race and the back-to-back run belong to their day.
            tied = spec.weekday
            order = sorted(order, key=lambda d: d % 7 != tied)
        self._place_run(spec, order, key_run=False, long=False, rule_day=ON_RUN_DAY)

    def _place_run(
        self, spec: SessionSpec, order: list[int], *, key_run: bool, long: bool, rule_day: Reason
    ) -> None:
        before = self.prev_day(spec) if self.previous else None
        if before is not None:
            order = sorted(order, key=lambda d: d != before)
        ok, refused = self._open_days(spec, order, key_run, first_only=True)
        if ok:
            day, span = ok[0]
            reasons = [rule_day, NO_HARD_NEIGHBOUR] if key_run else [rule_day]
            self.emit(spec, day, span, reasons, heavy=False, key_run=key_run, long=long)
            return
        if key_run:
            self._key_run_refused(spec, order, refused)
        else:
            self._drop_run(spec, refused)

    def _open_days(
        self, spec: SessionSpec, order: list[int], key_run: bool, *, first_only: bool = False
    ) -> tuple[list[tuple[int, tuple[int, int]]], dict[str, list[int]]]:
        """The days of `order` the run may take, each with its time, and why the others were
        refused (so a dropped session's warning names the real obstacle)."""
        board = self.board
        races, runs, hard = board.race_days, board.run_days, board.hard_days
        ok: list[tuple[int, tuple[int, int]]] = []
        refused: dict[str, list[int]] = {}
        # Easy days around races take easy runs only: no key run, no quality session (strides).
        quality = key_run or (spec.slot.startswith("q") and spec.type != "easy")
        for day in order:
            if day in races or day in runs:
                continue
            if day in self.no_run:
                refused.setdefault("P9", []).append(day)
                continue
            if quality and day in self.no_key:
                refused.setdefault("P5", []).append(day)
                continue
            if key_run and (day - 1 in hard or day + 1 in hard):
                refused.setdefault("L4", []).append(day)
                continue
            prefer = self.prev_start(spec, day) if self.previous else None
            span = board.fit(day, spec.minutes, prefer=prefer)
            if span is None:
                refused.setdefault("L5", []).append(day)
                continue
            ok.append((day, span))
            if first_only:
                break
        return ok, refused

    def _drop_run(self, spec: SessionSpec, refused: dict[str, list[int]]) -> None:
        board = self.board
        if board.index(spec.week.start) >= self.today:
            rule = next(iter(refused), "L5")
            why = "; ".join(
                REFUSALS[r].format(day=board.to_date(day), minutes=spec.minutes)
                for r, days in refused.items()
                for day in days
            )
            self.drop(spec, rule, why or "no run day left")

    def ensure_rest_day(self, week: date) -> None:
        """L6: a week needs one empty day; the lowest-value run planned this pass goes (L10)."""
        first = self.board.index(week)
        days = range(first, first + 7)
        booked, races = self.board.booked, self.board.race_days
        if any(not booked.get(d) and d not in races for d in days):
            return  # the common case: some day is already empty
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
