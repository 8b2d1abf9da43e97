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


# R2: the kinds the placement rules keep heavy legs away from.
KEY_KINDS = frozenset(
    {RunKind.LONG, RunKind.TEMPO, RunKind.INTERVALS, RunKind.HILLS, RunKind.RACE_PACE}
)


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


def kind_of(
    title: str,
    description: str = "",
    overrides: Sequence[tuple[re.Pattern[str], RunKind]] = (),
) -> RunKind | None:
    """The kind of run the event names, or None when neither its title nor its description
    names one. `overrides` are the athlete's title patterns, tried first, in their order."""
    for pattern, kind in overrides:
        if pattern.search(title):
            return kind
    for text in (title, description):
        for kind, pattern in PATTERNS:
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


__all__ = ["KEY_KINDS", "PATTERNS", "RunKind", "kind_of", "override"]
