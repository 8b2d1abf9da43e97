"""R6: what kind of run another app's calendar event is, read from its title and description.

Training apps (Runna, TrainingPeaks, Final Surge, intervals.icu, Garmin Coach) name their
sessions in a handful of ways, in English and German: "Tempo Run - 8km", "Intervals -
6x800m", "Langer Lauf", "Tempodauerlauf", "Ruhetag". `PATTERNS` is that table, most specific
first: a rest day before anything, hills and race pace before intervals (a "Hill Repeats
8x60s" is hills), long before tempo ("Long Run with tempo finish" is the long run, the harder
one to place around), and easy last ("Tempodauerlauf" holds "Dauerlauf" but is tempo). The
title decides; the description only when the title names no kind (TrainingPeaks' "Workout",
intervals.icu's own names). An athlete's overrides, title patterns of their own, win over
the table.

The same feeds hold what is not a run: the app's own strength sessions ("Strength",
"Krafttraining", "Core") and cross-training ("Yoga", "Mobility", "Bike", "Schwimmen",
"Dehnen"). They come right after rest, before any run kind ("Bike Intervals 5x3min" is a ride,
not an interval run), and only when the text names no run as well: a "Bike + Run" brick or an
"Easy Run + Core" is read as the run it holds (a brick as a key run: its run comes on tired
legs). Neither is a key run; scheduler.external books the app's strength as a heavy lift
and cross-training as time taken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum


class RunKind(StrEnum):
    LONG = "long"
    TEMPO = "tempo"
    INTERVALS = "intervals"
    HILLS = "hills"
    RACE_PACE = "race pace"
    EASY = "easy"
    REST = "rest"
    # Not runs: the other app's own lifts, and cross-training (mobility, yoga, bike, swim).
    STRENGTH = "strength"
    CROSS = "cross-training"


# R2: the kinds the placement rules keep heavy legs away from.
KEY_KINDS = frozenset(
    {RunKind.LONG, RunKind.TEMPO, RunKind.INTERVALS, RunKind.HILLS, RunKind.RACE_PACE}
)
# What the other app's calendar holds besides runs (and rest days).
NOT_RUNS = frozenset({RunKind.STRENGTH, RunKind.CROSS})


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


PATTERNS: tuple[tuple[RunKind, re.Pattern[str]], ...] = (
    (
        RunKind.REST,
        _words(
            r"^\s*rest\b",
            r"\brest\s*day\b",
            r"\bday\s*off\b",
            r"^\s*off\s*$",
            r"\bruhetag\b",
            r"^\s*(ruhe|pause|frei)\s*$",
        ),
    ),
    (
        RunKind.STRENGTH,
        _words(
            r"\bstrength\b",
            r"\bweights?\b",
            r"\bweight[\s-]*training\b",
            r"\bgym\b",
            r"\blift(s|ing)?\b",
            r"\bcore\b",
            r"\bcircuit",
            r"\bplyo",
            r"\bkettlebell",
            r"\bs\s*&\s*c\b",
            r"kraft",
            r"\bstabi",
            r"\bathletik",
        ),
    ),
    (
        RunKind.CROSS,
        _words(
            r"\bcross[\s-]*train",
            r"\bmobility\b",
            r"\bmobili",
            r"\byoga\b",
            r"\bpilates\b",
            r"\bstretch",
            r"\bdehn",
            r"\bbeweglichkeit",
            r"\bfoam[\s-]*roll",
            r"\bfaszien",
            r"\bbik(e|ing)\b",
            r"\bcycl",
            r"\bride\b",
            r"\bspin(ning)?\b",
            r"\bturbo\b",
            r"\bzwift\b",
            r"\brad(fahren|tour|training|eln)?\b",
            r"\brennrad",
            r"\bswim",
            r"\bschwimm",
            r"\baqua[\s-]*jog",
            r"\belliptical\b",
            r"\browing\b",
            r"\brudern\b",
            r"\b(skilanglauf|langlauf|ski)\b",
            r"^\s*(walk|walking|wandern|hike|hiking)\b",
        ),
    ),
    (
        RunKind.HILLS,
        _words(
            r"\bhill",
            r"\buphill",
            r"\bberg",
            r"h[üu]gel",
            r"\banstieg",
        ),
    ),
    (
        RunKind.RACE_PACE,
        _words(
            r"\brace[\s-]*pace\b",
            r"\bgoal[\s-]*pace\b",
            r"\b(half[\s-]*)?marathon[\s-]*pace\b",
            r"\b(h?mp|rp)\s*(run|block|segments?)?\b",
            r"wettkampf[\s-]*tempo",
            r"renn[\s-]*tempo",
            r"(halb)?marathon[\s-]*(renn)?tempo",
            r"\bzieltempo",
        ),
    ),
    (
        RunKind.INTERVALS,
        _words(
            r"\binterval",
            r"\bintervall",
            r"\brepeats?\b",
            r"\breps\b",
            r"\bfartlek\b",
            r"\bfahrtspiel",
            r"\bspeed\b",
            r"\btrack\b",
            r"\bvo2",
            r"\banaerob",
            r"\bsprints?\b",
            r"\bbahn(training)?\b",
            r"\b\d+\s*[x×]\s*\d",
        ),
    ),
    (
        RunKind.LONG,
        _words(
            r"\blong\s*(run|slow|easy)?\b",
            r"\blsd\b",
            r"\blange[rns]?\b",
            r"\blangstrecke",
            r"\blauf\s*lang\b",
        ),
    ),
    (
        RunKind.TEMPO,
        _words(
            r"\btempo",
            r"\bthreshold\b",
            r"\blactate\b",
            r"\bcruise\b",
            r"\bprogression\b",
            r"\bsteady[\s-]*state\b",
            r"\bschwelle",
            r"\bschwellen",
            r"\bsteigerungslauf\b",
            r"\bprogressiv",
            r"\bzügig",
        ),
    ),
    (
        RunKind.EASY,
        _words(
            r"\beasy\b",
            r"\brecovery\b",
            r"\bbase\b",
            r"\baerobic\b",
            r"\bshake[\s-]*out\b",
            r"\bjog",
            r"\bstrides\b",
            r"\bgeneral\s*aerobic\b",
            r"\blocker",
            r"\bdauerlauf",
            r"\bregeneration",
            r"\bgrundlage",
            r"\bga\s*1\b",
            r"\bruhig",
            r"\bsteigerungen\b",
            r"\bausl[aä]uf",
            r"\brun\b",
            r"\blauf\b",
        ),
    ),
)


# A text that names a run as well as something else is the run (see the module docstring).
# Aqua jogging is no run: it is cross-training in the pool.
RUN_NAMED = _words(r"\brun(s|ning)?\b", r"\bl[aä]ufe?\b", r"(?<!aqua.)\bjog")
# A brick (a run straight off the bike) is a key run whatever else its title says.
BRICK = _words(r"\bbrick\b", r"\bkoppel")


def kind_of(
    title: str,
    description: str = "",
    overrides: Sequence[tuple[re.Pattern[str], RunKind]] = (),
) -> RunKind | None:
    """The kind the event names, or None when neither its title nor its description names
    one. `overrides` are the athlete's title patterns, tried first, in their order."""
    for pattern, kind in overrides:
        if pattern.search(title):
            return kind
    for text in (title, description):
        if BRICK.search(text):
            return None
        running = RUN_NAMED.search(text) is not None
        for kind, pattern in PATTERNS:
            if running and kind in NOT_RUNS:
                continue
            if pattern.search(text):
                return kind
    return None


def override(pattern: str, kind: str) -> tuple[re.Pattern[str], RunKind]:
    """One override of the athlete's: a title pattern (a regular expression, case ignored)
    and the kind it names. ValueError names what is wrong with either."""
    try:
        found = RunKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in RunKind)
        raise ValueError(f"{kind!r} is not one of {names}") from None
    try:
        return re.compile(pattern, re.IGNORECASE), found
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a pattern racecal can read ({exc})") from None


__all__ = ["KEY_KINDS", "NOT_RUNS", "PATTERNS", "RunKind", "kind_of", "override"]
