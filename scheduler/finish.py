"""A race's result from the words of its event (R7): "result 1:41:22", "Zeit: 44:58",
"Ergebnis 3:05:10", "finished in 44:58", "chip time 1:41:22", "DNF", "DNS", in English and
German, and in French, Spanish, Italian and Dutch where the words are common.

A time counts only next to a word that says it is a result: a calendar's race events are full
of times that are not ("10:00 start", "Startzeit 9:30", "Zeit: 9:30 Uhr", "cut-off 6:00:00"),
and of numbers that are no times at all (bib numbers, dates). "44:58" is minutes and seconds
for a 10K and "3:05" hours and minutes for a marathon: the reading whose pace is believable
for the distance wins; when neither is, the nearer one is kept beside a word that says
"result", so that the plan can report the result as impossible instead of missing it, and
dropped beside one that only says "time" ("Zeit: 15:00" may well be the start). Pure text
handling: no clock, no I/O.
"""

from __future__ import annotations

import math
import re

from scheduler.model import Finish, Outcome

# Pace (s/km) a finish may have: world-record pace to a walk (as a goal's, scheduler.races).
PACE_BOUNDS = (150.0, 1000.0)

_DNS = re.compile(
    r"(?<![\w./-])(?:DNS|did\s+not\s+start|didn'?t\s+start|not\s+started|nicht\s+gestartet"
    r"|nicht\s+angetreten|non[\s-]partant|no\s+presentado|non\s+partito|niet\s+gestart)"
    r"(?![\w/-]|\.\w)",
    re.I,
)
_DNF = re.compile(
    r"(?<![\w./-])(?:DNF|did\s+not\s+finish|didn'?t\s+finish|aufgegeben|ausgestiegen"
    r"|nicht\s+(?:ins\s+ziel\s+gekommen|beendet|gefinisht)|abandon(?:n[ée])?|abandoned"
    r"|retirad[oa]|ritirat[oa]|opgegeven|uitgevallen)(?![\w/-]|\.\w)",
    re.I,
)

# Words that say the time next to them is the finish time. "Zeit" and "time" alone count, but
# never as the end of a longer word ("Startzeit", "Zeitlimit"); see _NOT_A_FINISH for the
# words before them that make them a time of day or a limit.
_BEFORE = (
    r"results?|my\s+result|official(?:\s+finish)?\s+time|finish(?:ing)?\s+time|final\s+time"
    r"|chip(?:\s+time)?|net(?:\s+time)?|gun\s+time|time|finished(?:\s+in)?|finish(?:ed)?"
    r"|ran(?:\s+it)?\s+in|done\s+in|new\s+(?:pb|pr)|pb|pr"
    r"|ergebnis|resultat|zeit|endzeit|nettozeit|bruttozeit|chipzeit|offizielle\s+zeit"
    r"|gelaufen\s+in|ins\s+ziel\s+(?:in|nach)|im\s+ziel\s+nach|geschafft\s+in"
    r"|gefinisht\s+in|beendet\s+in|bestzeit|netto|brutto"
    r"|r[ée]sultat|temps(?:\s+(?:officiel|net|puce|r[ée]el))?|chrono|termin[ée]e?\s+en"
    r"|fini\s+en|arriv[ée]e?\s+en"
    r"|resultado|tiempo(?:\s+(?:oficial|neto|chip|real))?|marca|termin[ée]\s+en|acab[ée]\s+en"
    r"|risultato|tempo(?:\s+(?:ufficiale|netto|real))?|arrivat[oa]\s+in|chiuso\s+in"
    r"|uitslag|tijd|eindtijd|nettotijd|gefinisht\s+in"
)
# Net and chip times are what a runner ran; a gun time includes the wait at the start.
_NET = re.compile(r"chip|net|netto|puce|neto", re.I)
# "Zeit: 15:00" on a race event is as often the start at 3 pm as a finish: a word that only
# says "time" counts when the time is a believable finish for the distance, whereas an
# impossible time beside "result" or "finished in" is reported (scheduler.results).
_BARE = re.compile(r"(?:time|zeit|temps|tiempo|tempo|tijd|marca)$", re.I)
# ... and it is run, not walked ("Time: 10:00" is no ten-hour marathon): 10:00 per km at most.
BARE_PACE_MAX = 600.0
_AFTER = (
    r"chip(?:\s*time)?|net(?:\s*time)?|netto|brutto|official|offiziell|finish|ziel"
    r"|officiel|oficial|ufficiale"
)
_CLOCK = (
    r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,2})?"
    r"|\d{1,3}:\d{2}(?:[.,]\d{1,2})?"
    r"|\d{1,2}\s*h\s*\d{1,2}\s*(?:m(?:in)?|')?\s*(?:\d{1,2}\s*(?:s(?:ec)?|''|\"))?"
    r"|\d{1,3}\s*(?:min|m|')\s*\d{1,2}\s*(?:s(?:ec)?|''|\")?"
    r"|\d{1,3}\s*min(?:utes?|s)?"
)
# "3:05 h" is hours and minutes, "44:58 min" minutes and seconds, whatever the distance.
_UNIT = r"(?:\s*(h|std|stunden|hours?|hrs?|min|minuten|minutes?|mins)(?![\w]))?"
# Not a time of day, a range of them or a pace; not the start of something longer (a date).
_END = (
    r"(?![\d:]|[.,]\d|\w|\s*(?:uhr|am|pm|a\.m|p\.m|o'?clock)(?!\w)|\s*[-–]\s*\d"
    r"|\s*(?:/|per\s|pro\s))"
)
_FILLER = r"(?:[\s:=]*|\s*[-–—]\s*)(?:(?:in|of|was|is|von|nach|en|di|de|van|:)\s+)?"
_WORD_FIRST = re.compile(rf"(?<![\w-])({_BEFORE})(?![\w-]){_FILLER}({_CLOCK}){_UNIT}{_END}", re.I)
_TIME_FIRST = re.compile(rf"(?<![\w:.,])({_CLOCK}){_UNIT}\s*(?:\(\s*)?({_AFTER})(?![\w-])\)?", re.I)
# Words just before a result word that make the time a start, a cut-off or a meeting point.
_NOT_A_FINISH = re.compile(
    r"(?:start|wave|welle|check[\s-]*in|meeting|treffpunkt|cut[\s-]*off|closing|limit"
    r"|departure|abfahrt|d[ée]part|salida|partenza|race\s+day|pick[\s-]*up|doors)"
    r"[\s:-]*$",
    re.I,
)


def parse_finish(text: str, km: float) -> Finish | None:
    """The result written in `text` for a race of `km`, or None when it names none."""
    if not text or km <= 0:
        return None
    for pattern, outcome in ((_DNS, Outcome.DNS), (_DNF, Outcome.DNF)):
        found = pattern.search(text)
        if found:
            return Finish(outcome, None, found.group(0))
    candidates: list[tuple[bool, int, str]] = []
    for match in _WORD_FIRST.finditer(text):
        if _NOT_A_FINISH.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        seconds = finish_seconds(match.group(2), km, match.group(3) or "")
        if seconds is not None and _BARE.match(match.group(1)) and not run_pace(seconds, km):
            continue
        if seconds is not None:
            candidates.append((bool(_NET.match(match.group(1))), seconds, match.group(0)))
    for match in _TIME_FIRST.finditer(text):
        seconds = finish_seconds(match.group(1), km, match.group(2) or "")
        if seconds is not None:
            candidates.append((bool(_NET.match(match.group(3))), seconds, match.group(0)))
    if not candidates:
        return None
    net = [c for c in candidates if c[0]]
    _, seconds, said = (net or candidates)[0]
    return Finish(Outcome.FINISHED, seconds, said.strip())


def finish_seconds(token: str, km: float, unit: str = "") -> int | None:
    """Seconds of a time token for a race of `km`: "1:41:22", "44:58" (m:ss or h:mm by the
    distance, or by `unit`: "h", "min"), "1h41m22s", "3h05", "44'58\"", "45 min"; None for
    no time (a minute or second of 60 or more)."""
    unit = unit.lower()
    token = token.strip().lower().replace(",", ".")
    readings: list[float] = []
    if ":" in token:
        whole, _, fraction = token.partition(".")
        parts = [int(p) for p in whole.split(":")]
        if any(p >= 60 for p in parts[1:]):
            return None
        extra = float(f"0.{fraction}") if fraction else 0.0
        if len(parts) == 3:
            readings.append(parts[0] * 3600.0 + parts[1] * 60 + parts[2] + extra)
        elif fraction:
            readings.append(parts[0] * 60.0 + parts[1] + extra)  # tenths: m:ss.t
        elif unit.startswith(("h", "std", "stu")):
            readings.append(parts[0] * 3600.0 + parts[1] * 60)
        elif unit.startswith("min"):
            readings.append(parts[0] * 60.0 + parts[1])
        else:
            readings += [parts[0] * 60.0 + parts[1], parts[0] * 3600.0 + parts[1] * 60]
    else:
        numbers = [int(n) for n in re.findall(r"\d+", token)]
        if "h" in token:
            hours, minutes, secs = (*numbers, 0, 0)[:3]
        elif len(numbers) == 1:
            hours, minutes, secs = 0, numbers[0], 0
        else:
            hours, minutes, secs = 0, numbers[0], numbers[1]
        if (hours and minutes >= 60) or secs >= 60:
            return None
        readings.append(hours * 3600.0 + minutes * 60 + secs)
    return round(_likeliest(readings, km)) if readings else None


def run_pace(seconds: float, km: float) -> bool:
    """Whether `seconds` is a finish time a runner could have for `km`, running."""
    return PACE_BOUNDS[0] <= seconds / km <= BARE_PACE_MAX


def _likeliest(readings: list[float], km: float) -> float:
    """The reading whose pace is believable for `km`, else the one nearest to believable."""
    lo, hi = PACE_BOUNDS

    def distance(seconds: float) -> float:
        pace = max(seconds, 1.0) / km
        return max(0.0, math.log(lo / pace), math.log(pace / hi))

    return min(readings, key=distance)


__all__ = ["PACE_BOUNDS", "finish_seconds", "parse_finish", "run_pace"]
