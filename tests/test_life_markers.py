"""The marker table (L13-L16) title by title, CATEGORIES, and the local days an event covers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.lifemarks import life_event, life_kind, local_days
from scheduler.model import LifeKind

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("title", "kind", "note"),
    [
        ("#holiday", LifeKind.HOLIDAY, ""),
        ("Mallorca #Holiday", LifeKind.HOLIDAY, "Mallorca"),
        ("#URLAUB Ostsee", LifeKind.HOLIDAY, "Ostsee"),
        ("#travel bodyweight", LifeKind.TRAVEL, "bodyweight"),
        ("Dienstreise Wien #reise", LifeKind.TRAVEL, "Dienstreise Wien"),
        ("#sick cold", LifeKind.SICK, "cold"),
        ("Erkältung #krank", LifeKind.SICK, "Erkältung"),
        ("#injured calf", LifeKind.INJURED, "calf"),
        ("Knie #verletzt", LifeKind.INJURED, "Knie"),
        ("Umzug #nostrength", LifeKind.NOSTRENGTH, "Umzug"),
        ("#team #sick", LifeKind.SICK, "#team"),
    ],
)
def test_title_markers(title: str, kind: LifeKind, note: str) -> None:
    assert life_kind(title) == (kind, note)


@pytest.mark.parametrize(
    "title", ["Holiday party", "sick of meetings", "C#holiday", "##sick", "#sickness", ""]
)
def test_no_marker(title: str) -> None:
    assert life_kind(title) is None


def test_categories_say_the_same() -> None:
    assert life_kind("Ostsee", ["Urlaub"]) == (LifeKind.HOLIDAY, "Ostsee")
    assert life_kind("Arzt", ["Work", " krank "]) == (LifeKind.SICK, "Arzt")
    assert life_kind("Meeting", ["Work"]) is None
    # A marker in the title wins over a category.
    assert life_kind("#nostrength", ["Holiday"]) == (LifeKind.NOSTRENGTH, "")


def test_own_markers() -> None:
    markers = {"#weg": LifeKind.HOLIDAY}
    assert life_kind("Ferien #WEG", (), markers) == (LifeKind.HOLIDAY, "Ferien")
    assert life_kind("#holiday", (), markers) is None


def test_bodyweight_only_for_travel() -> None:
    assert life_event(
        LifeKind.TRAVEL, "Bodyweight please", date(2027, 1, 1), date(2027, 1, 2)
    ).bodyweight
    assert not life_event(
        LifeKind.HOLIDAY, "bodyweight", date(2027, 1, 1), date(2027, 1, 1)
    ).bodyweight
    assert not life_event(LifeKind.TRAVEL, "", date(2027, 1, 1), date(2027, 1, 1)).bodyweight


def test_local_days() -> None:
    # All-day: DTEND is the day after.
    assert local_days(date(2027, 1, 4), date(2027, 1, 7), BERLIN) == (
        date(2027, 1, 4),
        date(2027, 1, 6),
    )
    assert local_days(date(2027, 1, 4), date(2027, 1, 4), BERLIN) == (
        date(2027, 1, 4),
        date(2027, 1, 4),
    )
    # Timed: each local day it touches; an end at midnight does not touch the next day.
    utc = ZoneInfo("UTC")
    assert local_days(
        datetime(2027, 1, 4, 23, 30, tzinfo=utc), datetime(2027, 1, 5, 23, 0, tzinfo=utc), BERLIN
    ) == (date(2027, 1, 5), date(2027, 1, 5))
    # A floating time (no zone: iCalendar's local time) is the athlete's wall clock.
    start = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN).replace(tzinfo=None)
    end = datetime(2027, 1, 6, 0, 0, tzinfo=BERLIN).replace(tzinfo=None)
    assert local_days(start, end, BERLIN) == (
        date(2027, 1, 4),
        date(2027, 1, 5),
    )
