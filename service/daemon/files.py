"""The race and busy files the daemon reads, watched with the kernel's notifications (inotify,
through watchdog) instead of a stat of every file every second: a save is noticed at once and
an idle daemon does no work per file.

Folders are watched, not files: editors and calendar apps save by writing a new file and
renaming it over the old one, which ends a watch on the file itself. A file whose folder cannot
be watched (not there yet, a file system without notifications, the kernel's watch limit) is
left to the daemon's once-a-second check, which is then limited to those files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

log = logging.getLogger("racecal")


class FileWatcher(FileSystemEventHandler):
    """Calls `changed(athlete id)` from its own thread when a file of that athlete's is written,
    replaced, moved away or deleted."""

    def __init__(self, files: Iterable[tuple[str, Path]], changed: Callable[[str], None]) -> None:
        super().__init__()
        self._changed = changed
        self._owners: dict[str, set[str]] = {}
        for athlete_id, path in files:
            self._owners.setdefault(os.path.abspath(path), set()).add(athlete_id)
        self._observer = Observer()
        self._observer.daemon = True
        self._watches: dict[str, ObservedWatch] = {}
        # Files whose folder is watched; the others are for the caller to poll.
        self.watched: frozenset[str] = frozenset()

    def start(self) -> None:
        """Watch every folder that can be; the watches exist when this returns, so a save
        right after is seen."""
        self._observer.start()
        self._follow()

    def _follow(self) -> None:
        """A watch on each folder of the files, none on a folder no file is in any more."""
        wanted = {os.path.dirname(path) for path in self._owners}
        for folder in sorted(set(self._watches) - wanted):
            self._observer.unschedule(self._watches.pop(folder))
        for folder in sorted(wanted - set(self._watches)):
            try:
                self._watches[folder] = self._observer.schedule(self, folder, recursive=False)
            except OSError as exc:
                log.warning(
                    "cannot watch %s for changes (%s): checking its files every second",
                    folder,
                    exc.strerror or exc,
                )
        self.watched = frozenset(p for p in self._owners if os.path.dirname(p) in self._watches)

    def add(self, athlete_id: str, files: Iterable[Path]) -> None:
        """Also the files of this athlete (one added while the daemon runs)."""
        owners = {path: set(ids) for path, ids in self._owners.items()}
        for path in files:
            owners.setdefault(os.path.abspath(path), set()).add(athlete_id)
        # Replaced whole: the observer's thread reads it while this one changes it.
        self._owners = owners
        if self._observer.is_alive():
            self._follow()

    def drop(self, athlete_id: str) -> None:
        """No more calls for this athlete; its folders are let go when no one else's."""
        owners = {p: ids - {athlete_id} for p, ids in self._owners.items()}
        self._owners = {p: ids for p, ids in owners.items() if ids}
        if self._observer.is_alive():
            self._follow()

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or event.is_directory:
            return
        for where in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(where) if where else ""
            for athlete_id in sorted(self._owners.get(os.path.abspath(path), ())) if path else ():
                self._changed(athlete_id)
