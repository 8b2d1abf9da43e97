"""The empty-source guard: a source that suddenly reads empty is a fault until the athlete says
otherwise.

A truncated file, a server answering an empty collection or the wrong calendar id looks, to a
naive pass, like the athlete deleting every race: the race plan would be replaced by an
offseason plan and dozens of sessions rewritten. A runs calendar (R6) read empty would move
every lift as if the other app's plan had ended, heavy legs beside its key runs. vdirsyncer
refuses to sync a storage that turned empty (its StorageEmpty error); racecal does the same per
source: when a source that held events reads none, or a race source whose races all vanish at
once, the pass keeps the current plan and says so. It goes on when the athlete confirms
(`racecal sync --once --accept-empty ATHLETE`) or when the source has read the same way for
`SETTLE` (a real clean-out looks the same a day later; a hiccup does not). Removing one race
of several re-plans at once, as always.

Pure: readings and the remembered state in, a verdict and the state to remember out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from service.store.records import SourceMemory

SETTLE = timedelta(hours=24)


@dataclass(frozen=True)
class Reading:
    """What one source held in this pass."""

    role: str  # "races" | "busy" | "runs"
    locator: str  # a file path, a URL without its secrets, a calendar name or id
    events: int
    races: int = 0

    @property
    def key(self) -> str:
        return f"{self.role}:{self.locator}"


@dataclass(frozen=True)
class Verdict:
    # One line per held source, naming it; empty when the pass may go on.
    held: tuple[str, ...]
    # What to remember of every source read in this pass.
    state: Mapping[str, SourceMemory]

    @property
    def hold(self) -> bool:
        return bool(self.held)


def _suspicious(reading: Reading, before: SourceMemory) -> bool:
    if before.events > 0 and reading.events == 0:
        return True
    return reading.role == "races" and before.races > 0 and reading.races == 0


def judge(
    readings: tuple[Reading, ...], remembered: Mapping[str, SourceMemory], now: datetime
) -> Verdict:
    """Hold the pass while any source reads empty against what it held, unless the athlete
    accepted it or it has read so for SETTLE. A source seen for the first time sets its
    baseline; so does a source once its empty reading is accepted or settled."""
    held: list[str] = []
    state: dict[str, SourceMemory] = {}
    for reading in readings:
        before = remembered.get(reading.key)
        fresh = SourceMemory(reading.events, reading.races)
        if before is None or not _suspicious(reading, before):
            state[reading.key] = fresh
            continue
        since = before.empty_since or now
        if before.accepted or now - since >= SETTLE:
            state[reading.key] = fresh
            continue
        state[reading.key] = replace(before, empty_since=since)
        what = (
            "reads empty"
            if reading.events == 0
            else f"holds no race any more ({reading.events} other events)"
        )
        held.append(
            f"{reading.role} source {reading.locator} {what} (it held {before.events} events,"
            f" {before.races} races); the plan is kept. If that is right, run"
            " `racecal sync --once --accept-empty ATHLETE`; otherwise it is taken in"
            f" {_left(since + SETTLE - now)}"
        )
    return Verdict(tuple(held), state)


def accept(remembered: Mapping[str, SourceMemory]) -> dict[str, SourceMemory]:
    """The athlete confirms every empty reading now held."""
    return {
        key: replace(value, accepted=True) if value.empty_since is not None else value
        for key, value in remembered.items()
    }


def _left(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} h" if hours > 0 else "under an hour"
