"""Issue 13, item 9 (its sources' part): what a source finds wrong with a calendar has a plain
form naming the event by line and UID (no titles), which the service logs; what expanding a
series cut is logged by the source at WARNING once when it first shows, not on every pass
while it stands (nothing about events at INFO); a summary goes at DEBUG."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.ics import IcsFileSource
from tests.test_ics_bounds import calendar_text, vevent

HERE = Path(__file__).resolve().parent
THREE_BAD = HERE / "calendars" / "busy_three_bad_events.ics"
BERLIN = ZoneInfo("Europe/Berlin")
YEAR = (datetime(2027, 1, 4, tzinfo=BERLIN), datetime(2028, 1, 4, tzinfo=BERLIN))
TITLES = ("Dentist", "Offsite", "1:1 with Sam")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]

    def clear(self) -> None:
        self.records = []


@pytest.fixture
def logged() -> Iterator[Kept]:
    logger = logging.getLogger("racecal.sources")
    kept, level = Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.DEBUG)
    yield kept
    logger.removeHandler(kept)
    logger.setLevel(level)


def test_bad_events_have_a_plain_form_by_line_and_uid_without_titles(
    logged: Kept, tmp_path: Path
) -> None:
    """What the service logs of them (once per change: tests/test_daemon_warnings.py) is each
    problem's plain form; the source itself logs nothing of them."""
    path = tmp_path / "busy.ics"
    shutil.copyfile(THREE_BAD, path)
    source = IcsFileSource(path)
    problems = source.changes(None).problems
    assert len(problems) == 3
    for uid in ("bad-dtstart@work.example", "no-start@work.example", "bad-rule@work.example"):
        assert len([p for p in problems if f"(UID {uid})" in p.plain]) == 1
    assert all(", line " in p.plain for p in problems)
    assert not [p for p in problems if any(t in p.plain for t in TITLES)]
    assert [p for p in problems if any(t in p.line for t in TITLES)]  # the lines keep them
    assert logged.at(logging.WARNING) == []
    assert logged.at(logging.INFO) == []


def test_a_cut_series_is_warned_once_over_passes(logged: Kept, tmp_path: Path) -> None:
    path = tmp_path / "busy.ics"
    path.write_bytes(calendar_text(vevent("every", ":20000101T000000Z", "FREQ=MINUTELY")))
    source = IcsFileSource(path)
    for day in (4, 5, 6):  # the daemon's passes, a day apart: the window moves
        start = datetime(2027, 1, day, tzinfo=BERLIN)
        source.changes(None)
        source.events(start, start.replace(year=2028))
    cut = logged.at(logging.WARNING)
    assert len(cut) == 3  # one per window: each names its window
    assert all(line.startswith(f"{path}: event UID every: more than 5000") for line in cut)
    logged.clear()
    source.events(datetime(2027, 1, 6, tzinfo=BERLIN), datetime(2028, 1, 6, tzinfo=BERLIN))
    assert logged.at(logging.WARNING) == []
