"""A setup mistake is one line and exit 2, never a traceback, and `status` says the pass
failed (seen: an output path that is a folder, a database_url that is a plain path or names an
unknown driver, a driver not installed each gave a traceback and exit 1, and `status` showed
the pass as "running or killed"). A typo in a path outside the state folder never makes
folders there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli.main import main
from tests.support import example_workspace

NOW = "2027-01-11T05:00:00+01:00"


def workspace(base: Path, old: str = "", new: str = "") -> Path:
    config = example_workspace(base)
    if old:
        text = config.read_text(encoding="utf-8")
        assert old in text
        config.write_text(text.replace(old, new), encoding="utf-8")
    return config


def sync(config: Path) -> Result:
    return CliRunner().invoke(main, ["sync", "--once", "--config", str(config), "--now", NOW])


def one_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def last_run(config: Path) -> dict[str, object]:
    shown = CliRunner().invoke(main, ["status", "--json", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    [row] = json.loads(shown.stdout)
    assert isinstance(row, dict)
    return row


def test_an_output_path_that_is_a_folder(tmp_path: Path) -> None:
    config = workspace(tmp_path)
    (tmp_path / "var" / "training.ics").mkdir(parents=True)
    result = sync(config)
    assert result.exit_code == 2
    output = tmp_path / "var" / "training.ics"
    assert one_line(result) == f"racecal: alex: {output}: cannot read: Is a directory"
    row = last_run(config)
    assert "running or killed" not in json.dumps(row)
    assert "Is a directory" in str(row["last_error"])


def test_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    config = workspace(tmp_path, 'ics = "var/training.ics"', 'ics = "plain/training.ics"')
    (tmp_path / "plain").write_text("a file, not a folder", encoding="utf-8")
    result = sync(config)
    assert result.exit_code == 2
    assert one_line(result).endswith("plain/training.ics: cannot read: Not a directory")
    assert (tmp_path / "plain").read_text(encoding="utf-8") == "a file, not a folder"


def test_a_typo_outside_the_state_folder_makes_no_folders(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    typo = elsewhere / "pubilc" / "www" / "training.ics"
    config = workspace(tmp_path / "ws", 'ics = "var/training.ics"', f'ics = "{typo}"')
    result = sync(config)
    assert result.exit_code == 2
    assert one_line(result) == (
        f"racecal: alex: {typo}: cannot write: there is no folder {typo.parent} "
        "(racecal makes folders only in its state folder)"
    )
    assert list(elsewhere.iterdir()) == []
    # Inside the state folder a missing folder is made, as before.
    config.write_text(
        config.read_text(encoding="utf-8").replace(f'ics = "{typo}"', 'ics = "out/new/t.ics"')
    )
    assert sync(config).exit_code == 0
    assert (tmp_path / "ws" / "out" / "new" / "t.ics").is_file()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/var/lib/racecal/racecal.db",
            "service.database_url: '/var/lib/racecal/racecal.db' is not a database URL; "
            "expected sqlite:///var/racecal.db or postgresql://racecal@db/racecal",
        ),
        (
            "mysqlx://racecal@db/racecal",
            "service.database_url: 'mysqlx' is not a database racecal runs on; "
            "expected sqlite:///var/racecal.db or postgresql://racecal@db/racecal",
        ),
        (
            "postgres://u:s3cret@db/racecal",
            "service.database_url: 'postgres' is not a database racecal runs on; "
            "expected sqlite:///var/racecal.db or postgresql://racecal@db/racecal",
        ),
    ],
)
def test_a_database_url_that_is_no_store(tmp_path: Path, url: str, expected: str) -> None:
    config = workspace(
        tmp_path, 'database_url = "sqlite:///var/racecal.db"', f'database_url = "{url}"'
    )
    for command in (["sync", "--once"], ["status"], ["plan", "show"]):
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert one_line(result) == f"racecal: {config}: {expected}"
        assert "s3cret" not in result.output


def test_a_database_driver_that_is_not_installed(tmp_path: Path) -> None:
    url = "postgresql+pg8000://racecal@127.0.0.1/racecal"
    config = workspace(
        tmp_path, 'database_url = "sqlite:///var/racecal.db"', f'database_url = "{url}"'
    )
    result = sync(config)
    assert result.exit_code == 2
    assert one_line(result) == (
        "racecal: database_url: the driver for postgresql+pg8000 is not installed "
        "(pip install 'racecal[postgres]')"
    )


def test_a_sqlite_file_outside_the_state_folder_makes_no_folders(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite:///{elsewhere}/typo/racecal.db"
    config = workspace(
        tmp_path / "ws", 'database_url = "sqlite:///var/racecal.db"', f'database_url = "{url}"'
    )
    result = sync(config)
    assert result.exit_code == 2
    assert "there is no folder" in one_line(result)
    assert list(elsewhere.iterdir()) == []


def test_the_procrastinate_executor_on_sqlite_is_one_line(tmp_path: Path) -> None:
    config = workspace(tmp_path, 'executor = "embedded"', 'executor = "procrastinate"')
    for command in (["worker"], ["run"], ["sync", "--once"]):
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert one_line(result) == (
            f"racecal: {config}: service.executor: procrastinate needs a PostgreSQL "
            "database_url (postgresql+psycopg://user@host/racecal)"
        )


def test_racecal_worker_on_the_embedded_executor_is_one_line(tmp_path: Path) -> None:
    config = workspace(tmp_path)
    result = CliRunner().invoke(main, ["worker", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert one_line(result) == (
        f'racecal: {config}: racecal worker needs [service] executor = "procrastinate" '
        "(the embedded executor runs in racecal run)"
    )
