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


def test_plan_show_reads_a_sqlite_store_without_sqlalchemy(tmp_path: Path) -> None:
    """On a workspace whose store holds an athlete added with `racecal athlete add`: plan show
    finds them there (so the store was read), through Python's own sqlite3. SQLAlchemy and
    the models were a third of plan show's time."""
    config = example_workspace(tmp_path / "ws")
    bare = config.parent / "blake.toml"
    bare.write_text(
        'id = "blake"\ntimezone = "Europe/Berlin"\nrun_days = ["mon", "wed", "sun"]\n'
        '[races]\nics = ["examples/races.ics"]\n',
        "utf-8",
    )
    add = ["athlete", "add", "--from", str(bare), "--config", str(config)]
    subprocess.run(
        [sys.executable, "-m", "service.cli", *add],
        check=True,
        capture_output=True,
    )
    code = (
        "from service.cli.main import main\n"
        "try:\n    main(['plan', 'show', '--athlete', 'blake', '--weeks', '2',"
        f" '--config', {str(config)!r}])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code"
    )
    found = imported_after(code, tmp_path)
    assert found.isdisjoint(SERVICE_ONLY), found & set(SERVICE_ONLY)
    assert "sqlalchemy" not in found


def test_plan_show_reads_any_other_store_url_through_sqlalchemy(tmp_path: Path) -> None:
    """A URL other than a plain SQLite file's (here one with a query string) is read by
    SQLAlchemy, as before."""
    config = example_workspace(tmp_path / "ws")
    text = config.read_text("utf-8").replace(
        'database_url = "sqlite:///var/racecal.db"',
        'database_url = "sqlite:///var/racecal.db?timeout=20"',
    )
    config.write_text(text, "utf-8")
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
    assert "sqlalchemy" in imported_after(code, tmp_path)


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
