"""What a source has already said in the log: each warning about a calendar (an event left
out, a TZID that names no zone, an expansion cut short, a feed served from its last copy) is
logged once at WARNING when it first shows, not again on every pass while it stands; a
summary goes at DEBUG. Lines at WARNING name an event by its line and UID, not its title (the
title stays in the one-line problems `status` and `sync --once` show).

The logger has a handler that drops records unless the application configured logging (the
daemon does): `sync --once` prints the same problems itself, once each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from connectors.base import Problem

log = logging.getLogger("racecal.sources")
log.addHandler(logging.NullHandler())


class Said:
    """One source's memory of what it said, by topic ("read", "window", "feed")."""

    def __init__(self) -> None:
        self._said: dict[str, frozenset[str]] = {}

    def say(self, name: str, topic: str, found: Iterable[Problem | str]) -> None:
        lines = {_plain(item): item for item in found}
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


def _plain(item: Problem | str) -> str:
    """The line without the event's title, when its UID names it."""
    line = item if isinstance(item, str) else item.line
    return _TITLED.sub("event (UID ", line, count=1)


_TITLED = re.compile(r"event '.*?' \(UID ")
