"""A folder of FIT workout files kept in step with the plan (`racecal workouts export`): one
file per session with a workout, named by its key; a session that changed (moved, re-planned)
is rewritten under the same name, one that is gone is removed. A list in the folder says which
files racecal wrote, so nothing else in it (the watch's own files, the athlete's) is touched."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scheduler.model import PlacedSession, Units
from service.views.fit_workout import file_name, fit_workout, has_workout


@dataclass(frozen=True)
class Exported:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]

    def line(self) -> str:
        return (
            f"{len(self.written)} written, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed"
        )


def manifest(folder: Path, athlete_id: str) -> Path:
    return folder / f".racecal-{athlete_id}-workouts.json"


def export(
    sessions: tuple[PlacedSession, ...], folder: Path, athlete_id: str, units: Units
) -> Exported:
    """Write the workouts of `sessions` into `folder` (made when missing) and remove the files
    an earlier export wrote for sessions that are gone. Each file is written whole (temp file
    and rename) and only when its bytes changed; OSError when the folder cannot be written."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {file_name(s.key): fit_workout(s, units) for s in sessions if has_workout(s)}
    written, unchanged = [], []
    for name, data in sorted(wanted.items()):
        path = folder / name
        if _read(path) == data:
            unchanged.append(name)
            continue
        _write(path, data)
        written.append(name)
    before = _listed(manifest(folder, athlete_id))
    # The list first: a crash before the removals leaves files the next export removes.
    _write(manifest(folder, athlete_id), json.dumps(sorted(wanted | dict.fromkeys(before, b""))))
    removed = []
    for name in sorted(set(before) - set(wanted)):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
        removed.append(name)
    _write(manifest(folder, athlete_id), json.dumps(sorted(wanted)))
    return Exported(tuple(written), tuple(unchanged), tuple(removed))


def _listed(path: Path) -> list[str]:
    """The names an earlier export wrote; only plain names of .fit files, so a list edited by
    hand cannot point the removal anywhere else."""
    try:
        names = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and n == Path(n).name and n.endswith(".fit")]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write(path: Path, data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
