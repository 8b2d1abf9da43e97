"""The athlete's paces and race results (R7) as lines for people: `plan show`, `status` and
the plan page say the same."""

from __future__ import annotations

from html import escape

from scheduler.model import Fitness, Zone
from scheduler.paces import ZonePace, zone_text

SHOWN = (
    Zone.EASY,
    Zone.LONG,
    Zone.MARATHON,
    Zone.THRESHOLD,
    Zone.INTERVAL,
    Zone.REPETITION,
)


def source_line(fitness: Fitness) -> str:
    """ "Paces from your 10K in 44:58 at 'Stadtlauf 10K' on 2027-03-14 (VDOT 45.3, Daniels)
    (R7)"."""
    text = fitness.source
    return f"{text[:1].upper()}{text[1:]} (R7)"


def zones_line(fitness: Fitness) -> str:
    """ "easy 5:20-5:55 /km, long ..., threshold 4:29 /km, ..."."""
    paces = {zone: (fast, slow) for zone, fast, slow in fitness.zones}
    return ", ".join(
        f"{zone.value} {zone_text(ZonePace(zone, *paces[zone], 0, None), fitness.units)}"
        for zone in SHOWN
        if zone in paces
    )


def result_lines(fitness: Fitness) -> list[str]:
    """One line per race result read, newest first, saying what it did to the paces."""
    return [n.message for n in reversed(fitness.results)]


def paces_html(fitness: Fitness | None) -> str:
    """The page's paces box: where they come from, the zones and the race results."""
    if fitness is None:
        return ""
    results = "".join(
        f"<li data-verdict='{escape(n.verdict)}'>{escape(n.message)}</li>"
        for n in reversed(fitness.results)
    )
    return (
        "<div class='paces' id='paces'><b>Your paces</b> "
        f"<span>{escape(source_line(fitness))}</span>"
        f"<p>{escape(zones_line(fitness))}</p>"
        + (f"<p><b>Race results</b></p><ul>{results}</ul>" if results else "")
        + "</div>"
    )


__all__ = ["paces_html", "result_lines", "source_line", "zones_line"]
