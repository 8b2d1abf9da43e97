"""The plan checker: one function per rule id, each re-deriving its rule from the placed plan
alone (sessions, weeks, warnings) and the request it answers, so it can fail whatever the
planner believes about itself. `check_plan` runs them all; `racecal plan check` prints it.

The checks live by rule family: placement (scheduler.check_placement: L1-L6, L11, L12), the
athlete's marked days (scheduler.check_life: L13-L16),
running (scheduler.check_running: R4, R5, R7-R10) and the block (scheduler.check_phases: P2,
P5, P9, P10, S1); scheduler.check_read holds what they read from a plan.

Every check returns its violations as one-line strings naming the session or the week; an
empty list means the rule is kept. Hard rules fail the check; soft ones are reported ("not met
(soft)") but never fail it; `RULES` says which is which and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.check_life import check_L13, check_L14, check_L15, check_L16
from scheduler.check_phases import check_P2, check_P5, check_P9, check_P10, check_S1
from scheduler.check_placement import (
    check_L1,
    check_L2,
    check_L3,
    check_L4,
    check_L5,
    check_L6,
    check_L11,
    check_L12,
    check_overlaps,
    hard_days,
)
from scheduler.check_running import check_R4, check_R5, check_R7, check_R8, check_R9, check_R10
from scheduler.model import Plan, PlanRequest

Check = Callable[[Plan, PlanRequest], list[str]]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    met: bool
    violations: tuple[str, ...]
    hard: bool

    def line(self) -> str:
        if self.met:
            return f"{self.rule} ok"
        word = "BROKEN" if self.hard else "not met (soft)"
        return f"{self.rule} {word}: " + "; ".join(self.violations)


# rule id -> (check, hard). Hard: the placement rules PLANNING_RULES marks hard, the days the
# athlete marked in a calendar (L13-L16, racecal's own rules beside PLANNING_RULES), the race-week
# rules (P5, P9), the long run as the longest of its week (R4) and the workout arithmetic (R7, R8),
# which racecal guarantees for every athlete. Soft: the block's shape (R5, R10, R9, P2, P10),
# which the property tests owe only where the run days can hold the volume (a 3-day runner's
# capped runs can keep a taper week at peak), L11 (soft in the rules) and S1's floor, which
# L10 may give up with a warning.
RULES: tuple[tuple[str, Check, bool], ...] = (
    ("L1", check_L1, True),
    ("L2", check_L2, True),
    ("L3", check_L3, True),
    ("L4", check_L4, True),
    ("L5", check_L5, True),
    ("L6", check_L6, True),
    ("L11", check_L11, False),
    ("L12", check_L12, True),
    ("L13", check_L13, True),
    ("L14", check_L14, True),
    ("L15", check_L15, True),
    ("L16", check_L16, True),
    ("R4", check_R4, True),
    ("R9", check_R9, False),
    ("R5", check_R5, False),
    ("R10", check_R10, False),
    ("P2", check_P2, False),
    ("P10", check_P10, False),
    ("P5", check_P5, True),
    ("P9", check_P9, True),
    ("S1", check_S1, False),
    ("R7", check_R7, True),
    ("R8", check_R8, True),
)
# What the placement property tests hold every plan to (L11 too: soft, but never worth a
# session); check_L5 counts overlapping sessions.
HARD_PLACEMENT: tuple[Check, ...] = (
    check_L1,
    check_L2,
    check_L3,
    check_L4,
    check_L5,
    check_L6,
    check_P9,
    check_L11,
)


def check_plan(plan: Plan, request: PlanRequest) -> list[RuleResult]:
    """Every rule the checker knows, in order, with what breaks it."""
    out = []
    for rule, check, hard in RULES:
        found = tuple(check(plan, request))
        out.append(RuleResult(rule, not found, found, hard))
    return out


def broken(results: list[RuleResult]) -> list[RuleResult]:
    """The hard rules the plan breaks."""
    return [r for r in results if r.hard and not r.met]


__all__ = [
    "RULES",
    "RuleResult",
    "broken",
    "check_L1",
    "check_L2",
    "check_L3",
    "check_L4",
    "check_L5",
    "check_L6",
    "check_L11",
    "check_L12",
    "check_L13",
    "check_L14",
    "check_L15",
    "check_L16",
    "check_P2",
    "check_P5",
    "check_P9",
    "check_P10",
    "check_R4",
    "check_R5",
    "check_R7",
    "check_R8",
    "check_R9",
    "check_R10",
    "check_S1",
    "check_overlaps",
    "check_plan",
    "hard_days",
]
