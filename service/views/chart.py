"""`racecal plan chart`: the plan's weekly run volume and strength load as a PNG or SVG
(matplotlib, headless Agg backend), bars in their phase's colour, races marked."""

from __future__ import annotations

from pathlib import Path

from scheduler.model import Plan
from service.views.style import PHASE_COLOURS
from service.views.volume import weekly_load

FORMATS = (".png", ".svg")


def draw_chart(plan: Plan, out: Path) -> None:
    """Write the chart to `out` (its suffix picks the format)."""
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: expected a .png or .svg file name")
    import matplotlib  # noqa: PLC0415 - the `chart` extra; only this command needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import Patch  # noqa: PLC0415

    rows = weekly_load(plan)
    if not rows:
        raise ValueError("the plan has no weeks to draw")
    x = list(range(len(rows)))
    colours = [PHASE_COLOURS.get(week.phase.value, "#777777") for week, _ in rows]
    figure, (runs, lifts) = plt.subplots(
        2, 1, figsize=(max(8.0, len(rows) * 0.45), 6.0), sharex=True, height_ratios=(3, 2)
    )
    runs.bar(x, [volume.run_km for _, volume in rows], color=colours)
    runs.set_ylabel("run km / week")
    runs.set_title(f"racecal plan for {plan.athlete_id} from {plan.today.isoformat()}")
    lifts.bar(x, [volume.lift_minutes for _, volume in rows], color=colours)
    lifts.set_ylabel("strength min / week")
    for index, (week, _) in enumerate(rows):
        for race in week.races:
            for axis in (runs, lifts):
                axis.axvline(index, color="#b71c1c", linewidth=1.2, linestyle="--")
            runs.annotate(
                f"{race.title} ({race.priority.value})",
                (index, runs.get_ylim()[1]),
                rotation=90,
                va="top",
                ha="right",
                fontsize=8,
                color="#b71c1c",
            )
    lifts.set_xticks(x, [week.start.strftime("%d %b") for week, _ in rows], rotation=60)
    phases = dict.fromkeys(week.phase.value for week, _ in rows)
    runs.legend(
        handles=[Patch(color=PHASE_COLOURS.get(p, "#777777"), label=p) for p in phases],
        loc="upper left",
        fontsize=8,
    )
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
