"""What one pass did, as the command line, the service's log and metrics read it."""

from __future__ import annotations

from dataclasses import dataclass

from service.notices import Notice
from service.store.records import RaceNews
from service.sync.decide import Action, RecordRaces, RecordSources


@dataclass(frozen=True)
class PassResult:
    athlete: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # What the pass reports besides its counts, as lines (status, sync --once) ...
    problems: tuple[str, ...] = ()
    error: str | None = None
    needs_reauth: bool = False
    # What kind of failure `error` is, for metrics and alerts: source (a race or busy calendar
    # cannot be read), plan, calendar (the training calendar refused or failed), auth (a person
    # must sign in again), conflict (the calendar kept changing under the pass), file (a file
    # or the store's disk refused), held (another racecal's pass of the athlete was under way).
    error_kind: str | None = None
    # What the pass decided (its last attempt): all a dry run does.
    actions: tuple[Action, ...] = ()
    dry_run: bool = False
    # Nothing the last quiet pass depended on had moved: nothing was read or planned.
    quiet: bool = False
    # ... and the same with their plain forms, for the service's log (service.notices).
    notices: tuple[Notice, ...] = ()

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def races_said(self) -> tuple[str, ...]:
        """What changed in the races, in words, one line per race."""
        return tuple(line for n in self._race_news() for line in n.said)

    def _race_news(self) -> list[RaceNews]:
        return [a.news for a in self.actions if isinstance(a, RecordRaces)]

    @property
    def race_news(self) -> str | None:
        """What changed in the races and what the pass wrote for it, without race titles (for
        the log at INFO); None when no race changed."""
        lines = [line for n in self._race_news() for line in n.plain]
        if not lines or self.error:
            return None
        wrote = [
            f"{n} sessions {what}"
            for n, what in (
                (self.updated, "re-timed"),
                (self.created, "made"),
                (self.deleted, "removed"),
            )
            if n
        ]
        return "; ".join(lines + (wrote or ["no session changed"]))

    @property
    def held(self) -> tuple[str, ...]:
        """The sources the empty-source guard held this pass (the plan was kept)."""
        return tuple(line for a in self.actions if isinstance(a, RecordSources) for line in a.held)
