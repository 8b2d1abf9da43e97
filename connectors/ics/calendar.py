"""A local .ics file as a writable calendar (the embedded default's training calendar).

Every write rewrites the file atomically (temp file, fsync, rename) and keeps every component
racecal did not create byte-for-byte as icalendar parsed it. An event's etag is a hash of its
own serialized text, so a change made by the athlete's calendar app is a conflict for racecal.
The file is replaced only if it is still the one read (`connectors.ics.swap`): when another program
saved it meanwhile, racecal's edits are applied again to what it saved (each still checked
against its event's etag), so the athlete's own events and changes are never written over.
The change cursor is the file's stamp (mtime, size, inode) and content digest: a look at a file
nobody touched costs one stat, in this process or a new one; a changed file is compared by
per-event etags with the snapshot this process kept for the cursor, or listed whole.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import icalendar

from connectors.base import (
    BadData,
    Capabilities,
    ChangeSet,
    Conflict,
    FileTrouble,
    NotFound,
    RemoteEvent,
    SessionEvent,
    refused_as_trouble,
)
from connectors.icaltext import own_timezones
from connectors.ics.swap import Changed, digest, replace_if_unchanged
from connectors.vevent import (
    PRODID,
    as_datetime,
    event_id,
    overlaps,
    patched,
    to_remote,
    to_vevent,
    write_stamp,
)

T = TypeVar("T")
Edit = Callable[[icalendar.Calendar], T]
# Tries at putting racecal's edits into a file another program keeps saving.
ATTEMPTS = 5
# Etag snapshots kept for deltas: a cursor older than these gets a full listing.
SNAPSHOTS = 8


class IcsFileCalendar:
    capabilities = Capabilities(writable=True, incremental=True, batches=True)

    def __init__(
        self, path: Path, title: str = "Training", make_folders: bool = True, mode: int = 0o644
    ) -> None:
        self.path = path
        # Readable by others by default, so a web server of the athlete's can serve it.
        self.mode = mode
        # May a missing folder for the file be made? Only under the service's state folder: a
        # typo in a path elsewhere must not scatter folders over the disk.
        self.make_folders = make_folders
        # The calendar's own name (X-WR-CALNAME) in a file racecal starts.
        self.title = title
        # cursor -> {event id: etag} as of that cursor, for the incremental diff.
        self._snapshots: dict[str, dict[str, str]] = {}
        # Inside batch(): the calendar being edited in memory and the digest of the bytes it
        # was read from, written once at the end; the edits, to apply again to a newer file.
        self._pending: tuple[icalendar.Calendar, str | None] | None = None
        self._edits: list[Edit[object]] = []
        # The parsed events of the file's last seen content: an unchanged file (the common
        # case for a daemon's pass) costs one read and one hash, not a parse.
        self._parsed: tuple[str, dict[str, RemoteEvent]] | None = None
        # At start as well as before each write: a pass with nothing to write would otherwise
        # leave a killed writer's temp file there for good. One process writes a calendar.
        self._sweep()

    def _sweep(self) -> None:
        """A writer killed between creating its temp file and renaming it leaves the temp
        behind. Temp files carry their writer's pid: those of a process still running are
        another write under way (two athletes may share a file), not garbage."""
        prefix = f".{self.path.name}."
        with refused_as_trouble(self.path.parent, "clean up"):
            # A plain scan, not a glob: each file's own pattern would be compiled afresh,
            # which a new process pays for every athlete.
            try:
                found = [e.name for e in os.scandir(self.path.parent)]
            except (FileNotFoundError, NotADirectoryError):
                return  # nothing to sweep; reading or writing the file says what is wrong
            for name in found:
                ours = name.startswith(prefix) and name.endswith(".tmp")
                if ours and not _running(name.removeprefix(prefix).partition("-")[0]):
                    (self.path.parent / name).unlink(missing_ok=True)

    @contextmanager
    def batch(self) -> Iterator[None]:
        with _writing(self.path):
            self._pending, self._edits = self._load(), []
            try:
                yield
                calendar, read = self._pending
                self._commit(calendar, read, self._edits)
            finally:
                self._pending, self._edits = None, []

    # -- reading ------------------------------------------------------------------------
    def _load(self) -> tuple[icalendar.Calendar, str | None]:
        """The file parsed, and the digest of the bytes read (None: there is no file)."""
        try:
            data = self._read()
        except FileNotFoundError:
            return self._empty(), None
        # A file emptied (truncated, cleared by a sync tool) is a calendar that vanished.
        calendar = self._parse(data) if data.strip() else self._empty()
        return calendar, digest(data)

    def _read(self) -> bytes:
        """The file's bytes; FileNotFoundError when there is none (an empty calendar)."""
        with refused_as_trouble(self.path, "read", missing_ok=True):
            return self.path.read_bytes()

    def _parse(self, data: bytes) -> icalendar.Calendar:
        try:
            with own_timezones():  # another file's VTIMEZONE of the same TZID stays out
                calendar = icalendar.Calendar.from_ical(data)
        except (ValueError, IndexError, KeyError) as exc:
            raise BadData(str(self.path), f"not a valid iCalendar file ({exc})") from None
        if not isinstance(calendar, icalendar.Calendar):
            raise BadData(str(self.path), "no VCALENDAR")
        return calendar

    def _empty(self) -> icalendar.Calendar:
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", self.title)
        return calendar

    def _remote_events(self, calendar: icalendar.Calendar) -> dict[str, RemoteEvent]:
        out: dict[str, RemoteEvent] = {}
        for component in calendar.walk("VEVENT"):
            if isinstance(component, icalendar.Event) and "UID" in component:
                event = _to_remote(component)
                out[event.id] = event
        return out

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def locator(self) -> str:
        return str(self.path)

    def _stamp(self) -> str:
        try:
            with refused_as_trouble(self.path, "read", missing_ok=True):
                info = os.stat(self.path)
        except FileNotFoundError:
            return "none"
        return f"{info.st_mtime_ns}-{info.st_size}-{info.st_ino}"

    def _current(self) -> dict[str, RemoteEvent]:
        return self._look()[1]

    def _look(self) -> tuple[str, dict[str, RemoteEvent]]:
        """(the file's digest, its events by id); one read and a hash when it did not change."""
        if self._pending is not None:
            return "pending", self._remote_events(self._pending[0])
        try:
            data = self._read()
        except FileNotFoundError:
            return "none", {}
        seen = digest(data)
        if self._parsed is None or self._parsed[0] != seen:
            events = self._remote_events(self._parse(data)) if data.strip() else {}
            self._parsed = (seen, events)
        return self._parsed

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        found = self._current().values()
        return sorted(
            (e for e in found if overlaps(e, start, end)),
            key=lambda e: (as_datetime(e.start, start), e.id),
        )

    def changes(self, cursor: str | None) -> ChangeSet:
        """The cursor is `stamp:digest:events`. A file that held events and is now gone or
        empty is a calendar deleted (`reset`), not every event deleted one by one."""
        stamp = self._stamp()
        given_stamp, given, held = [*(cursor or "").split(":"), "", "", ""][:3]
        if cursor and given_stamp == stamp and stamp != "none":
            return ChangeSet((), (), cursor, full=False)  # untouched since the cursor
        seen, current = self._look()
        token = f"{stamp}:{seen}:{len(current)}"
        etags = {i: e.etag or "" for i, e in current.items()}
        if given == seen:
            self._snapshots[seen] = etags
            return ChangeSet((), (), token, full=False)
        before = self._snapshots.get(given)
        self._snapshots[seen] = etags
        for old in list(self._snapshots)[:-SNAPSHOTS]:
            del self._snapshots[old]
        if not current and held.isdigit() and int(held) > 0:
            return ChangeSet((), (), token, full=True, reset=True)
        if before is None:
            events = tuple(current[i] for i in sorted(current))
            return ChangeSet(events, (), token, full=True)
        changed = tuple(current[i] for i in sorted(current) if before.get(i) != etags[i])
        removed = tuple(sorted(i for i in before if i not in current))
        return ChangeSet(changed, removed, token, full=False)

    # -- writing ------------------------------------------------------------------------
    def create(self, event: SessionEvent) -> RemoteEvent:
        stamp = write_stamp()

        def edit(calendar: icalendar.Calendar) -> RemoteEvent:
            if _find(calendar, event.id) is not None:
                raise Conflict(f"{self.path}: event {event.id} exists")
            vevent = to_vevent(event, stamp)
            calendar.add_component(vevent)
            return _to_remote(vevent)

        return self._apply(edit)

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        stamp = write_stamp()

        def edit(calendar: icalendar.Calendar) -> RemoteEvent:
            current = _find(calendar, event.id)
            if current is None:
                raise NotFound(f"{self.path}: event {event.id} is gone")
            if etag is not None and _etag(current) != etag:
                raise Conflict(f"{self.path}: event {event.id} was changed outside racecal")
            # Patched, not replaced: what the athlete or another app added stays.
            replacement = patched(current, event, stamp, int(current.get("SEQUENCE", 0)) + 1)
            calendar.subcomponents[calendar.subcomponents.index(current)] = replacement
            return _to_remote(replacement)

        return self._apply(edit)

    def delete(self, event_id: str, etag: str | None) -> None:
        def edit(calendar: icalendar.Calendar) -> None:
            current = _find(calendar, event_id)
            if current is None:
                raise NotFound(f"{self.path}: event {event_id} is gone")
            if etag is not None and _etag(current) != etag:
                raise Conflict(f"{self.path}: event {event_id} was changed outside racecal")
            calendar.subcomponents.remove(current)

        self._apply(edit)

    def _apply(self, edit: Edit[T]) -> T:
        """One edit now; inside batch() it joins the others, written once at the end."""
        if self._pending is not None:
            result = edit(self._pending[0])
            self._edits.append(edit)
            return result
        with _writing(self.path):
            calendar, read = self._load()
            result = edit(calendar)
            self._commit(calendar, read, [edit])
        return result

    def _commit(
        self, calendar: icalendar.Calendar, read: str | None, edits: list[Edit[object]]
    ) -> None:
        """Write `calendar`, read as `read`; when another program saved the file meanwhile,
        apply the edits again to what it saved (each checks its event's etag, so a change to
        one of our events raises Conflict and the engine reads again) and write that."""
        for _ in range(ATTEMPTS):
            try:
                self._flush(calendar, read)
                return
            except Changed:
                calendar, read = self._load()
                for edit in edits:
                    edit(calendar)
        raise Conflict(f"{self.path}: another program kept saving it; nothing was written")

    def _flush(self, calendar: icalendar.Calendar, read: str | None) -> None:
        """Temp file in the same directory, fsync, rename: a reader sees the old file or the
        new one, never half of it, and the rename happens only over the file that was read."""
        # Subscribing apps need a VTIMEZONE for every TZID the events use.
        calendar.add_missing_timezones()
        folder = self.path.parent
        if not folder.is_dir() and not self.make_folders:
            raise FileTrouble(
                self.path,
                "write",
                f"there is no folder {folder} (racecal makes folders only in its state folder)",
            )
        with refused_as_trouble(self.path, "write"):
            folder.mkdir(parents=True, exist_ok=True)
            self._sweep()
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.{os.getpid()}-", suffix=".tmp", dir=folder
            )
            try:
                data = calendar.to_ical()
                with os.fdopen(fd, "wb") as handle:
                    os.fchmod(handle.fileno(), self.mode)
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                replace_if_unchanged(Path(tmp), self.path, read)
                # Primed from the bytes on disk, so cached etags are the ones a re-read
                # computes.
                written = icalendar.Calendar.from_ical(data)
                self._parsed = (digest(data), self._remote_events(written))
            finally:
                Path(tmp).unlink(missing_ok=True)


_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()


def _writing(path: Path) -> threading.RLock:
    """One lock per file for this process's writers (athletes may share an output file):
    they take turns, so only another program's saves make a write start over."""
    key = os.path.abspath(path)
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.RLock())


def _running(pid: str) -> bool:
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True


def _find(calendar: icalendar.Calendar, wanted: str) -> icalendar.Event | None:
    for component in calendar.subcomponents:
        if isinstance(component, icalendar.Event) and event_id(component) == wanted:
            return component
    return None


def _etag(component: icalendar.Event) -> str:
    return '"' + hashlib.sha256(component.to_ical()).hexdigest()[:24] + '"'


def _to_remote(component: icalendar.Event) -> RemoteEvent:
    return to_remote(component, _etag(component))
