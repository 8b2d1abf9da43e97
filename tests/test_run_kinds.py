"""R6: the classifier of another app's runs, title by title, as the apps write them."""

from __future__ import annotations

import pytest

from scheduler.runkinds import KEY_KINDS, RunKind, kind_of, override

LONG, TEMPO, INTERVALS = RunKind.LONG, RunKind.TEMPO, RunKind.INTERVALS
HILLS, RACE_PACE, EASY, REST = RunKind.HILLS, RunKind.RACE_PACE, RunKind.EASY, RunKind.REST
STRENGTH, CROSS = RunKind.STRENGTH, RunKind.CROSS

TITLES = [
    # Runna (all-day events, kind then distance)
    ("Tempo Run - 8km", TEMPO),
    ("Long Run - 18km", LONG),
    ("Easy Run - 5km", EASY),
    ("Intervals - 6x800m", INTERVALS),
    ("Progression Run - 10km", TEMPO),
    ("Recovery Run - 4km", EASY),
    ("Hill Repeats - 8x60s", HILLS),
    ("Race Pace Run - 12km", RACE_PACE),
    ("Fartlek - 7km", INTERVALS),
    # TrainingPeaks
    ("Long Run", LONG),
    ("Threshold Run", TEMPO),
    ("Rest Day", REST),
    ("Aerobic Endurance", EASY),
    ("Cruise Intervals", INTERVALS),
    # Final Surge, intervals.icu, Garmin Coach
    ("Day Off", REST),
    ("Speed Repeats", INTERVALS),
    ("Anaerobic", INTERVALS),
    ("Base", EASY),
    ("Sprint", INTERVALS),
    ("Marathon Pace 3x5k", RACE_PACE),
    ("LSD 28 km", LONG),
    ("Shakeout jog", EASY),
    ("Easy + strides", EASY),
    # German apps and coaches
    ("Dauerlauf 10 km", EASY),
    ("Intervalle 5x1000m", INTERVALS),
    ("Lockerer Lauf", EASY),
    ("Tempodauerlauf", TEMPO),
    ("Langer Lauf", LONG),
    ("Langer Dauerlauf 25 km", LONG),
    ("Ruhetag", REST),
    ("Bergläufe", HILLS),
    ("Berg-Sprints 10x15s", HILLS),
    ("Fahrtspiel 45 min", INTERVALS),
    ("Schwellenlauf 3x10 min", INTERVALS),
    ("Marathon-Renntempo 14 km", RACE_PACE),
    ("Wettkampftempo 2x4 km", RACE_PACE),
    ("Regenerationslauf 30 min", EASY),
    ("GA1 Lauf 60 min", EASY),
    ("Pause", REST),
]

# What training apps put in the same feed besides runs: their strength and cross-training.
NOT_RUN_TITLES = [
    ("Strength", STRENGTH),
    ("Strength & Mobility", STRENGTH),
    ("Strength Training - Lower Body", STRENGTH),
    ("Upper body strength", STRENGTH),
    ("Core", STRENGTH),
    ("Gym: legs", STRENGTH),
    ("Weights", STRENGTH),
    ("Circuit training", STRENGTH),
    ("Plyometrics", STRENGTH),
    ("Krafttraining", STRENGTH),
    ("Rumpfkraft 20 min", STRENGTH),
    ("Stabitraining", STRENGTH),
    ("Lauf-ABC", EASY),  # running drills are a run
    ("Mobility", CROSS),
    ("Mobility - 15 min", CROSS),
    ("Yoga", CROSS),
    ("Yoga for Runners", CROSS),
    ("Stretching", CROSS),
    ("Pilates", CROSS),
    ("Foam rolling", CROSS),
    ("Cross-training", CROSS),
    ("Cross Training 45 min", CROSS),
    ("Bike", CROSS),
    ("Bike Intervals 5x3min", CROSS),  # a ride's intervals are not an interval run
    ("Zwift ride", CROSS),
    ("Spinning 45min", CROSS),
    ("Swim", CROSS),
    ("Swim 2000m", CROSS),
    ("Aqua Jogging 40 min", CROSS),
    ("Elliptical", CROSS),
    ("Walk 30 min", CROSS),
    ("Dehnen", CROSS),
    ("Beweglichkeit", CROSS),
    ("Radfahren", CROSS),
    ("Rad 60 min locker", CROSS),
    ("Schwimmen", CROSS),
    ("Langlauf 2 h", CROSS),  # cross-country skiing, not a long run
    # A text naming a run as well is the run it holds; a brick is a key run.
    ("Easy Run + Core", EASY),
    ("Long Run + Stretching", LONG),
    ("Run/Walk 5km", EASY),
    ("Lockerer Lauf + Dehnen", EASY),
    ("Brick: Bike 40km + Run 5km", None),
    ("Koppeltraining Rad/Lauf", None),
    ("Rest or cross-train", REST),
]


@pytest.mark.parametrize(("title", "kind"), TITLES)
def test_title_names_its_kind(title: str, kind: RunKind) -> None:
    assert kind_of(title) is kind


@pytest.mark.parametrize(("title", "kind"), NOT_RUN_TITLES)
def test_what_is_not_a_run_is_named_so(title: str, kind: RunKind | None) -> None:
    assert kind_of(title) is kind


def test_the_title_wins_over_its_structured_description() -> None:
    # TrainingPeaks writes the steps into the description of a timed event.
    description = "Warm up 15 min easy\n3 x 10 min @ marathon pace, 2 min jog\nCool down 10 min"
    assert kind_of("Long Run", description) is LONG


def test_the_description_decides_when_the_title_names_no_kind() -> None:
    assert kind_of("Workout", "WU 2 km, 6 x 800m @ 5K pace w/ 400m jog, CD 2 km") is INTERVALS
    assert kind_of("Session 14", "Lockerer Lauf im GA1-Bereich") is EASY
    assert kind_of("Workout", "Strength circuit: squats, lunges, planks") is STRENGTH
    assert kind_of("Session 3", "Yoga flow for runners, 30 min") is CROSS


def test_an_override_wins_over_the_table() -> None:
    rules = [override(r"parkrun", "race pace"), override(r"^Easy Run", "tempo")]
    assert kind_of("Saturday Parkrun", overrides=rules) is RACE_PACE
    assert kind_of("Easy Run - 5km", overrides=rules) is TEMPO
    assert kind_of("Long Run - 18km", overrides=rules) is LONG


@pytest.mark.parametrize(
    ("pattern", "kind", "said"),
    [("(unclosed", "easy", "'(unclosed' is not a pattern"), ("tempo", "fast", "'fast' is not one")],
)
def test_a_bad_override_says_what_is_wrong(pattern: str, kind: str, said: str) -> None:
    with pytest.raises(ValueError, match="^" + said.replace("(", r"\(")):
        override(pattern, kind)


def test_key_runs_are_the_R2_kinds() -> None:
    assert {LONG, TEMPO, INTERVALS, HILLS, RACE_PACE} == KEY_KINDS
    assert EASY not in KEY_KINDS
    assert REST not in KEY_KINDS
    assert STRENGTH not in KEY_KINDS
    assert CROSS not in KEY_KINDS
