"""A local .ics file as a source of races and busy time.

Its cursor is the file's stamp (mtime, size, inode) and content digest: a pass over a file
that did not change costs one stat, and a new process given the cursor still knows it is the
same file without reading it. A changed file is read whole (a file has no delta).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.base import Capabilities, ChangeSet, IcsError, RemoteEvent
from connectors.ical import Read, read
from connectors.icaltext import read_file
from connectors.ics.swap import digest
from connectors.said import Said


@dataclass(frozen=True)
class _Read:
    stamp: str
    digest: str
    # Plain events (connectors.quick) are held as read, not in its icalendar tree.
    found: Read


class IcsFileSource:
    capabilities = Capabilities(writable=False, incremental=True)

    def __init__(self, path: Path, where: str | None = None) -> None:
        self.path = path
        # How messages name it (a feed's cached copy is named by the feed).
        self.where = where or str(path)
        self._read: _Read | None = None
        self._expanded: tuple[object, list[RemoteEvent]] | None = None
        self.said = Said()

    @property
    def name(self) -> str:
        return self.where

    @property
    def locator(self) -> str:
        return str(self.path)

    def _stamp(self) -> str:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            raise IcsError(self.where, "file not found", unparsable=False) from None
        except OSError as exc:
            raise IcsError(self.where, exc.strerror or str(exc), unparsable=False) from None
        return f"{info.st_mtime_ns}-{info.st_size}-{info.st_ino}"

    def _current(self, stamp: str | None = None) -> _Read:
        stamp = stamp or self._stamp()
        if self._read is not None and self._read.stamp == stamp:
            return self._read
        try:
            data = read_file(self.path, self.where)
        except OSError as exc:
            raise IcsError(self.where, exc.strerror or str(exc), unparsable=False) from None
        seen = digest(data)
        if self._read is not None and self._read.digest == seen:
            self._read = _Read(stamp, seen, self._read.found)
            return self._read
        found = read(data, self.where, basis=self.path, quick=True)
        del data  # not held beside what was read from it
        self._read = _Read(stamp, seen, found)
        return self._read

    def changes(self, cursor: str | None) -> ChangeSet:
        stamp = self._stamp()
        given_stamp, _, given_digest = (cursor or "").partition(":")
        if given_stamp == stamp and given_digest and self._read is None:
            # A new process, the file untouched since the cursor: nothing to read.
            return ChangeSet((), (), cursor or "", full=False)
        read = self._current(stamp)
        token = f"{read.stamp}:{read.digest}"
        if given_digest == read.digest:
            return ChangeSet((), (), token, full=False)
        found = read.found
        return ChangeSet(found.events, (), token, full=True, problems=found.problems)

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        read = self._current()
        key = (read.digest, start, end)
        if self._expanded is None or self._expanded[0] != key:
            events, cut = read.found.bounded(self.where, start, end)
            self.said.say(self.where, "window", cut)
            self._expanded = (key, events)
        return list(self._expanded[1])
