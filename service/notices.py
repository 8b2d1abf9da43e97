"""What a pass reports besides its counts (a malformed event left out, a feed served from its
last copy, a session the plan dropped, a source held empty), each in two forms: `line` as
`racecal status`, `sync --once` and the plan page show it, which may name an event or a race by
its title, and `plain`, the same without anything of the calendars' contents (where, UIDs, session
keys, dates, rule ids), for the service's log above DEBUG."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectors.base import Problem
from scheduler.model import PlanWarning

# What the log says of a problem whose plain form was never made (a report kept by an older
# version): nothing of its line, which may hold a title.
UNSAID = "a problem with the calendars (racecal status shows it)"


@dataclass(frozen=True)
class Notice:
    line: str
    plain: str


def of_problem(problem: Problem) -> Notice:
    return Notice(problem.line, problem.plain or UNSAID)


def of_warning(warning: PlanWarning) -> Notice:
    return Notice(warning.line(), warning.plain_line())


def as_is(line: str) -> Notice:
    """A line made with no contents in it (the empty-source guard's)."""
    return Notice(line, line)


def lines(notices: Iterable[Notice]) -> tuple[str, ...]:
    return tuple(n.line for n in notices)
