"""Commands import what they need when they run (issue 13, item 13). Seen: every command paid
0.75 s of imports, `--help` and `plan show` included, because the command line imported the
daemon, SQLAlchemy, Alembic and APScheduler up front. Checked by what a fresh interpreter
has imported, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli.main import COMMANDS, load
from tests.support import example_workspace

HEAVY = ("sqlalchemy", "alembic", "apscheduler", "waitress", "watchdog", "pydantic", "icalendar")
SERVICE_ONLY = ("alembic", "apscheduler", "waitress", "watchdog", "googleapiclient", "caldav")


def imported_after(code: str, cwd: Path) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `code`."""
    script = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_help_imports_click_alone(tmp_path: Path) -> None:
    code = (
        "from service.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0"
    )
    assert imported_after(code, tmp_path).isdisjoint(HEAVY)


def test_plan_show_imports_nothing_of_the_service(tmp_path: Path) -> None:
    """On a workspace with a store (the edits are read from it), so the store is opened."""
    config = example_workspace(tmp_path / "ws")
    subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade", "--config", str(config)],
        check=True,
        capture_output=True,
    )
    code = (
        "from service.cli.main import main\n"
        f"try:\n    main(['plan', 'show', '--weeks', '2', '--config', {str(config)!r}])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code"
    )
    found = imported_after(code, tmp_path)
    assert found.isdisjoint(SERVICE_ONLY), found & set(SERVICE_ONLY)
    assert "sqlalchemy" in found  # it did read the store


def test_plan_show_lays_out_its_weeks_without_rich_tables(tmp_path: Path) -> None:
    """Measuring and rendering rich's Table for each week was a fifth of `plan show`'s time;
    the weeks are laid out as text the way the borderless table laid them out."""
    config = example_workspace(tmp_path / "ws")
    code = (
        "import sys\n"
        "from service.cli.main import main\n"
        f"try:\n    main(['plan', 'show', '--weeks', '2', '--config', {str(config)!r}])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "assert 'rich.table' not in sys.modules\n"
        "assert 'service.views.render' in sys.modules"
    )
    imported_after(code, tmp_path)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listing_says_what_each_command_says_of_itself(name: str) -> None:
    assert COMMANDS[name][1] == load(name).get_short_help_str(limit=1000)
