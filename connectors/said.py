"""What a source has already said in the log of what it cut when expanding recurrences into a
window (a series with more occurrences than the bounds let through): logged once at WARNING
when it first shows, not again on every pass while it stands; a summary goes at DEBUG. Lines
at WARNING name an event by its UID, not its title. What a source could not read (an event
left out, a TZID that names no zone, a feed served from its last copy) is a `Problem` of its
change set instead, which the pass reports and the service logs once per change.

The logger has a handler that drops records unless the application configured logging (the
daemon does): `sync --once` prints the same problems itself, once each.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger("racecal.sources")
log.addHandler(logging.NullHandler())


class Said:
    """One source's memory of what it said, by topic ("window": what a window cut)."""

    def __init__(self) -> None:
        self._said: dict[str, frozenset[str]] = {}

    def say(self, name: str, topic: str, found: Iterable[str]) -> None:
        lines = dict.fromkeys(found)
        before = self._said.get(topic, frozenset())
        new = [line for line in lines if line not in before]
        for line in new:
            log.warning("%s", line)
        if new or before - set(lines):
            log.debug(
                "%s: %d %s warning(s), %d new, %d gone",
                name,
                len(lines),
                topic,
                len(new),
                len(before - set(lines)),
            )
        self._said[topic] = frozenset(lines)
