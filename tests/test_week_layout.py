"""The week list `plan show` prints is laid out as rich's borderless table laid it out (the
weeks used to be rich Tables): same columns, padding, wrapping and title, at any width."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from service.views.render import _week_text

TITLE = "Week of Mon 30 Nov 2026 - [green]base[/] (deload) - 20 weeks to race"
ROWS = [
    ("Mon 30", "", "[dim]rest[/]"),
    ("Tue 01", "17:30-18:40", "Strength B - single leg + stiffness [dim](heavy, key)[/]"),
    ("", "18:45-19:35", "Easy run 7.5 km"),
    ("Sun 06", "", "[bold red]RACE: Berliner Halbmarathon[/]"),
]


def as_table(title: str, rows: list[tuple[str, str, str]]) -> Table:
    table = Table(
        title=title, title_justify="left", show_header=False, expand=False, box=None, padding=(0, 1)
    )
    table.add_column("day", style="bold", no_wrap=True)
    table.add_column("time", no_wrap=True)
    table.add_column("session")
    for row in rows:
        table.add_row(*row)
    return table


def printed(width: int, thing: object, **options: object) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False).print(thing, **options)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("rows", [ROWS, ROWS[:1]])
def test_a_week_reads_as_the_table_did(width: int, rows: list[tuple[str, str, str]]) -> None:
    console = Console(file=io.StringIO(), width=width)
    ours = printed(width, _week_text(TITLE, rows, console), no_wrap=True, crop=False)
    assert ours == printed(width, as_table(TITLE, rows))
