"""Race results as runners write them into their race events (R7), title by title and
description by description: what reads as a result, and what must not."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.finish import finish_seconds, parse_finish
from scheduler.model import Outcome
from scheduler.races import race_from_event

HALF, MARATHON = 21.0975, 42.195


def hms(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


# (text, race km, finish time as h:mm:ss or m:ss)
FINISHED = [
    # English
    ("result 1:41:22", HALF, "1:41:22"),
    ("Result: 44:58", 10.0, "44:58"),
    ("My result was 3:05:10 - so happy!", MARATHON, "3:05:10"),
    ("finished in 44:58", 10.0, "44:58"),
    ("Finished 3:29:41, negative split", MARATHON, "3:29:41"),
    ("chip time 1:41:22", HALF, "1:41:22"),
    ("Chip time: 1:41:22 (gun time 1:42:05)", HALF, "1:41:22"),
    ("gun time 1:42:05, chip time 1:41:22", HALF, "1:41:22"),
    ("Official time 22:31", 5.0, "22:31"),
    ("official finish time: 3:44:59", MARATHON, "3:44:59"),
    ("finish time 49:12", 10.0, "49:12"),
    ("net time 1:55:03", HALF, "1:55:03"),
    ("new PB 19:59!", 5.0, "19:59"),
    ("PR 1:38:40", HALF, "1:38:40"),
    ("ran it in 23:05", 5.0, "23:05"),
    ("Time: 44:58", 10.0, "44:58"),
    ("1:41:22 (chip)", HALF, "1:41:22"),
    ("44:58 chip time", 10.0, "44:58"),
    ("finished in 45 min", 10.0, "45:00"),
    ("result 1h41m22s", HALF, "1:41:22"),
    ("Result: 3h05m10s", MARATHON, "3:05:10"),
    # m:ss or h:mm by the distance
    ("result 3:05", MARATHON, "3:05:00"),
    ("finished in 1:52", HALF, "1:52:00"),
    ("result 0:44", 10.0, "44:00"),
    ("result 21:59", 5.0, "21:59"),
    # German
    ("Zeit: 44:58", 10.0, "44:58"),
    ("Ergebnis 3:05:10", MARATHON, "3:05:10"),
    ("Ergebnis: 3:05 h", MARATHON, "3:05:00"),
    ("Zeit 44:58 min", 10.0, "44:58"),
    ("Nettozeit 44:58,3", 10.0, "44:58"),
    ("Bruttozeit 1:43:10, Nettozeit 1:41:22", HALF, "1:41:22"),
    ("Endzeit: 3:29:41", MARATHON, "3:29:41"),
    ("im Ziel nach 1:41:22", HALF, "1:41:22"),
    ("ins Ziel in 52:10 - endlich unter 53!", 10.0, "52:10"),
    ("Offizielle Zeit 22:31", 5.0, "22:31"),
    ("gelaufen in 2:05:33", HALF, "2:05:33"),
    ("Chipzeit: 3:58:02", MARATHON, "3:58:02"),
    ("Neue Bestzeit 19:48", 5.0, "19:48"),
    ("Startnummer 4458, Startzeit 10:00 Uhr. Zeit: 44:58", 10.0, "44:58"),
    # French, Spanish, Italian, Dutch
    ("temps officiel 3h05'10\"", MARATHON, "3:05:10"),
    ("Résultat : 1:41:22", HALF, "1:41:22"),
    ("chrono 44'58\"", 10.0, "44:58"),
    ("terminé en 3:12:40", MARATHON, "3:12:40"),
    ("tiempo: 44'58\"", 10.0, "44:58"),
    ("Resultado 1:41:22", HALF, "1:41:22"),
    ("tempo ufficiale 1:41:22", HALF, "1:41:22"),
    ("uitslag 44:58", 10.0, "44:58"),
    ("eindtijd 3:05:10", MARATHON, "3:05:10"),
]


@pytest.mark.parametrize(("text", "km", "expected"), FINISHED)
def test_a_finish_reads_as_its_time(text: str, km: float, expected: str) -> None:
    finish = parse_finish(text, km)
    assert finish is not None, text
    assert finish.outcome is Outcome.FINISHED
    assert finish.seconds == hms(expected)
    assert finish.text
    assert finish.text in text


ENDED = [
    ("DNF", Outcome.DNF),
    ("dnf at km 30, calf", Outcome.DNF),
    ("Did not finish - cramps", Outcome.DNF),
    ("bei km 25 aufgegeben", Outcome.DNF),
    ("ausgestiegen (Knie)", Outcome.DNF),
    ("abandon au km 18", Outcome.DNF),
    ("DNS", Outcome.DNS),
    ("DNS - sick", Outcome.DNS),
    ("did not start, flu", Outcome.DNS),
    ("nicht angetreten (krank)", Outcome.DNS),
    ("nicht gestartet", Outcome.DNS),
    ("non partant", Outcome.DNS),
]


@pytest.mark.parametrize(("text", "outcome"), ENDED)
def test_dnf_and_dns_are_read_without_a_time(text: str, outcome: Outcome) -> None:
    finish = parse_finish(text, 10.0)
    assert finish is not None, text
    assert finish.outcome is outcome
    assert finish.seconds is None


NOT_RESULTS = [
    "10:00 start",
    "Start 10:00",
    "Start time 10:00",
    "Start time: 9:30",
    "Startzeit 9:30",
    "Startzeit: 9:30 Uhr",
    "Zeit: 9:30 Uhr",
    "time: 9:30am",
    "Time 10:00 - 14:00",
    "wave start time 8:45",
    "cut-off time 6:00:00",
    "Zeitlimit 6:00 h",
    "Zielschluss 15:30",
    "goal 44:00",
    "Goal: sub 3:45",
    "Zielzeit 3:29",
    "target 1:45:00",
    "Startnummer 4458",
    "bib 1234",
    "Bib #12345",
    "Datum 14.03.2027",
    "Result on 2027-03-14",
    "results 14.03.2027",
    "Ergebnisse ab 18:00 online",
    "Results from 6pm on the website",
    "Pace 4:30/km",
    "Zeit 4:30 /km",
    "Zeit: 15:00",  # the start at 3 pm: no 10K or marathon takes 15 minutes or 15 hours
    "Time: 10:00",
    "temps 9:30",
    "Bag drop closes 08:45",
    "Meeting point 9:15 at the fountain",
    "Stadtlauf 10K",
    "Hamburg Marathon [A]",
    "DNSSEC talk",
    "https://dns.example/results",
    "",
]


@pytest.mark.parametrize("text", NOT_RESULTS)
def test_other_times_and_numbers_are_no_result(text: str) -> None:
    assert parse_finish(text, 10.0) is None, text
    assert parse_finish(text, MARATHON) is None, text


def test_an_impossible_time_beside_a_result_word_is_kept_to_be_reported() -> None:
    fast = parse_finish("Ergebnis: 15:00", 10.0)
    assert fast is not None
    assert fast.seconds == 900
    slow = parse_finish("result 1:20:00", MARATHON)
    assert slow is not None
    assert slow.seconds == 4800


def test_an_impossible_reading_is_kept_so_it_can_be_reported() -> None:
    # "15:00" for a 10K is neither a believable m:ss nor h:mm: the nearer one (minutes) is
    # kept, for the plan to report rather than silently miss.
    assert finish_seconds("15:00", 10.0) == 900
    assert finish_seconds("1:20:00", MARATHON) == 4800
    assert finish_seconds("44:75", 10.0) is None
    assert finish_seconds("1:61:00", HALF) is None


def test_a_race_event_carries_its_result_from_title_or_description() -> None:
    day = date(2026, 11, 15)
    in_title = race_from_event("a", "Stadtlauf 10K - Ergebnis 44:58", "", day)
    assert in_title is not None
    assert in_title.finish is not None
    assert in_title.finish.seconds == hms("44:58")
    in_text = race_from_event("b", "Halbmarathon Berlin", "Startzeit 10:00. Zeit: 1:41:22", day)
    assert in_text is not None
    assert in_text.distance_km == pytest.approx(HALF, abs=0.001)
    assert in_text.finish is not None
    assert in_text.finish.seconds == hms("1:41:22")
    plain = race_from_event("c", "Stadtlauf 10K", "Startzeit 10:00, Startnummer 4458", day)
    assert plain is not None
    assert plain.finish is None
