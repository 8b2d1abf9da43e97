"""Races from event titles: distances, priority markers, non-races, P5 defaults."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.model import Priority
from scheduler.races import parse_distance, parse_priority, race_from_event, resolve_priorities
from tests.support import race

DAY = date(2027, 4, 25)


@pytest.mark.parametrize(
    ("title", "km", "priority"),
    [
        ("Hamburg Marathon [A]", 42.195, Priority.A),
        ("Berliner Halbmarathon (B race)", 21.098, Priority.B),
        ("Parkrun 5K #C", 5.0, Priority.C),
        ("parkrun", 5.0, None),
        ("10 km Stadtlauf", 10.0, None),
        ("Silvesterlauf 10km", 10.0, None),
        ("Half-Marathon", 21.098, None),
        ("Half marathon A-race", 21.098, Priority.A),
        ("HM Köln", 21.098, None),
        ("21,1 km Lauf", 21.1, None),
        ("21.1 km Lauf", 21.1, None),
        ("13.1 mi trail", 21.082, None),
        ("Chicago Marathon priority: A", 42.195, Priority.A),
        ("NYC 26.2", 42.195, None),
        ("50K trail ultra", 50.0, None),
        ("Ultra marathon 80 km", 80.0, None),
        ("Lakeland ultra (C race)", 50.0, Priority.C),
        ("UTMB 171 km", 171.0, None),
        ("Western States 100 mile", 160.934, None),
        ("Semi-marathon de Paris", 21.098, None),
        ("Medio Maratón Valencia", 21.098, None),
        ("Maratón de Sevilla [b]", 42.195, Priority.B),
        ("Berlin-Marathon", 42.195, None),
        ("Team 5K", 5.0, None),
        ("Turkey trot 8K #c", 8.0, None if False else Priority.C),
        ("15K Gasparilla", 15.0, None),
        ("10 mile Cherry Blossom", 16.093, None),
        ("A 10K with friends", 10.0, None),
        ("Marathon (A)", 42.195, Priority.A),
        ("prio B: 10k", 10.0, Priority.B),
    ],
)
def test_race_titles(title: str, km: float, priority: Priority | None) -> None:
    got = race_from_event("uid", title, "", DAY)
    assert got is not None
    assert got.distance_km == pytest.approx(km, abs=0.01)
    assert (got.priority if got.priority_explicit else None) == priority


@pytest.mark.parametrize(
    "title",
    [
        "Dentist",
        "Team meeting",
        "Marathon planning meeting",
        "Call with marathon sponsor",
        "Watch the Berlin Marathon on TV",
        "Volunteer at parkrun",
        "5K training plan review",
        "Marathon expo packet pickup",
        "HMRC tax deadline",
        "$5k prize draw",
        "10k steps challenge",
        "Lunch",
        "",
    ],
)
def test_non_races(title: str) -> None:
    assert race_from_event("uid", title, "", DAY) is None


def test_distance_from_description_only_when_the_title_reads_like_a_race() -> None:
    race_ = race_from_event("u", "Stadtlauf", "Distanz: 10 km", DAY)
    assert race_ is not None
    assert race_.distance_km == 10.0
    assert race_from_event("u", "Offsite", "we walk 10 km", DAY) is None


def test_P5_default_priority_farthest_longest_is_A() -> None:
    unmarked = {"priority_explicit": False}
    races = (
        race("h", date(2027, 3, 1), 21.1, **unmarked),
        race("m", date(2027, 5, 1), 42.195, **unmarked),
        race("k", date(2027, 6, 1), 10.0, **unmarked),
    )
    got = {r.uid: r.priority for r in resolve_priorities(races, date(2027, 1, 1))}
    assert got == {"h": Priority.B, "m": Priority.A, "k": Priority.B}


def test_P5_explicit_A_makes_others_B() -> None:
    races = (
        race("a", date(2027, 3, 1), 10.0, Priority.A),
        race("m", date(2027, 5, 1), 42.195, priority_explicit=False),
    )
    got = {r.uid: r.priority for r in resolve_priorities(races, date(2027, 1, 1))}
    assert got == {"a": Priority.A, "m": Priority.B}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80))
def test_parsers_never_raise_and_stay_in_range(title: str, description: str) -> None:
    km = parse_distance(title)
    assert km is None or 0.8 < km <= 400
    parse_priority(title)
    race_from_event("u", title, description, DAY)
