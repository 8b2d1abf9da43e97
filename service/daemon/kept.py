"""The calendars a worker keeps between passes (service.daemon.queue): each athlete's
AthleteCalendars, kept while its settings stay at one version so its connectors' caches and
cursors carry over, for the `size` athletes passed most recently. A worker that passes many
athletes would otherwise keep every one it ever passed (tens of KiB each, for good).

A worker runs passes on several threads: an athlete's calendars dropped (least recently used,
its settings changed, or the worker closing) while a pass uses them are closed when that pass
gives them back, never under it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from service.calendars import AthleteCalendars
from service.store.records import Stored

# Athletes whose calendars a worker keeps: enough for a worker's share of a large roster's
# round to find its connectors warm, small enough that its memory stays bounded (~35 KiB an
# athlete of .ics files; more with remote calendars).
CALENDARS_KEPT = 1000


@dataclass
class _Kept:
    version: int
    calendars: AthleteCalendars
    users: int = 0
    dropped: bool = False


class KeptCalendars:
    def __init__(
        self, make: Callable[[Stored], AthleteCalendars], size: int = CALENDARS_KEPT
    ) -> None:
        if size < 1:
            raise ValueError(f"keep the calendars of at least one athlete, not {size}")
        self.size = size
        self._make = make
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._guard = threading.Lock()

    def __len__(self) -> int:
        with self._guard:
            return len(self._kept)

    def peek(self, athlete_id: str) -> AthleteCalendars | None:
        """The athlete's kept calendars, if any (not counted as a use)."""
        with self._guard:
            kept = self._kept.get(athlete_id)
            return None if kept is None else kept.calendars

    @contextmanager
    def using(self, row: Stored) -> Iterator[AthleteCalendars]:
        """The athlete's calendars for one pass: kept ones when made for this settings
        version, else made now; not closed before the pass gives them back."""
        kept = self._take(row)
        try:
            yield kept.calendars
        finally:
            with self._guard:
                kept.users -= 1
                last = kept.dropped and kept.users == 0
            if last:
                kept.calendars.close()

    def _take(self, row: Stored) -> _Kept:
        closing: list[AthleteCalendars] = []
        with self._guard:
            kept = self._kept.get(row.id)
            if kept is not None and kept.version == row.version:
                self._kept.move_to_end(row.id)
            else:
                if kept is not None:  # its settings changed: made anew for the new version
                    del self._kept[row.id]
                    closing += self._drop(kept)
                kept = _Kept(row.version, self._make(row))
                self._kept[row.id] = kept
                while len(self._kept) > self.size:
                    closing += self._drop(self._kept.popitem(last=False)[1])
            kept.users += 1
        # Out of the lock: closing may wait on a server, other passes need not.
        for calendars in closing:
            calendars.close()
        return kept

    @staticmethod
    def _drop(kept: _Kept) -> list[AthleteCalendars]:
        """What is to be closed now: nothing while a pass still uses them (its last closes)."""
        kept.dropped = True
        return [kept.calendars] if kept.users == 0 else []

    def close(self) -> None:
        with self._guard:
            closing = [c for kept in self._kept.values() for c in self._drop(kept)]
            self._kept.clear()
        for calendars in closing:
            calendars.close()
