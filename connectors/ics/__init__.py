"""iCalendar files and feeds: race and busy sources from local .ics files and http(s) feeds,
and the training calendar as a local .ics file (the embedded default).

Built by `connectors.registry` from the athlete's tables: [athletes.races] and [athletes.busy]
and [athletes.runs] (`ics` paths and URLs) and [athletes.output] (`ics`). Core dependencies only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Source, TrainingCalendar
from connectors.ics.calendar import IcsFileCalendar
from connectors.ics.file import IcsFileSource
from connectors.ics.url import IcsUrlSource, display, fetch

if TYPE_CHECKING:
    from connectors.registry import Context

__all__ = ["IcsAthlete", "IcsFileCalendar", "IcsFileSource", "IcsUrlSource", "display", "fetch"]


@dataclass(frozen=True)
class IcsSettings:
    races: tuple[Path, ...] = ()
    busy: tuple[Path, ...] = ()
    race_urls: tuple[str, ...] = ()
    busy_urls: tuple[str, ...] = ()
    # Another app's running plan (R6).
    runs: tuple[Path, ...] = ()
    runs_urls: tuple[str, ...] = ()
    # The training calendar's file; None: this athlete's sessions go elsewhere.
    output: Path | None = None
    # Where fetched feeds are kept between requests (and processes).
    cache_dir: Path = Path("var/cache")
    # May the output's folder be made when missing (it lies in the service's state folder)?
    make_folders: bool = True
    # The output file's permissions.
    mode: int = 0o644


class IcsAthlete:
    """One athlete's files and feeds, opened once and kept across passes."""

    def __init__(self, settings: IcsSettings) -> None:
        self.settings = settings
        self._sources: dict[str, list[Source]] = {
            "races": [
                *(IcsFileSource(p) for p in settings.races),
                *(IcsUrlSource(u, settings.cache_dir) for u in settings.race_urls),
            ],
            "busy": [
                *(IcsFileSource(p) for p in settings.busy),
                *(IcsUrlSource(u, settings.cache_dir) for u in settings.busy_urls),
            ],
            "runs": [
                *(IcsFileSource(p) for p in settings.runs),
                *(IcsUrlSource(u, settings.cache_dir) for u in settings.runs_urls),
            ],
        }
        self._training: IcsFileCalendar | None = None

    def sources(self, role: str) -> list[Source]:
        return list(self._sources.get(role, ()))

    def training(self) -> TrainingCalendar | None:
        if self._training is None and self.settings.output is not None:
            self._training = IcsFileCalendar(
                self.settings.output,
                make_folders=self.settings.make_folders,
                mode=self.settings.mode,
            )
        return self._training

    def close(self) -> None:
        pass


def open_account(table: Mapping[str, Any], context: Context) -> IcsAthlete:
    """From the athlete's file and feed settings (see IcsSettings for the keys)."""
    del context  # files need nothing but their table
    return IcsAthlete(
        IcsSettings(
            races=tuple(Path(p) for p in table.get("races", ())),
            busy=tuple(Path(p) for p in table.get("busy", ())),
            race_urls=tuple(table.get("race_urls", ())),
            busy_urls=tuple(table.get("busy_urls", ())),
            runs=tuple(Path(p) for p in table.get("runs", ())),
            runs_urls=tuple(table.get("runs_urls", ())),
            output=Path(table["output"]) if table.get("output") else None,
            cache_dir=Path(table.get("cache_dir", "var/cache")),
            make_folders=bool(table.get("make_folders", True)),
            mode=int(table.get("mode", 0o644)),
        )
    )
