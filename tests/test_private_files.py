"""Everything racecal creates under its state folder is its user's alone (issue 13, point 15):
the store holds race titles and the plan, the token a password. Files 0600, folders 0700,
whatever umask racecal was started with; the training calendar 0644 unless the config says
private. Real processes and real files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from connectors.google import save_token
from tests.support import example_workspace

ROOT = Path(__file__).resolve().parent.parent
NOW = "2027-01-11T05:00:00+01:00"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def racecal(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "service.cli", *args, "--config", str(config)]
    # Started the way a login shell starts it: with a umask that leaves files world-readable.
    return subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, umask=0o022, timeout=120
    )


def modes_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): mode(p) for p in [folder, *folder.rglob("*")]}


def test_what_a_pass_leaves_in_the_state_folder_is_private(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    done = racecal(config, "sync", "--once", "--now", NOW)
    assert done.returncode == 0, done.stderr
    modes = modes_under(tmp_path / "var")
    assert modes.pop("training.ics") == 0o644
    assert "racecal.db" in modes
    for name, bits in modes.items():
        wanted = 0o700 if (tmp_path / "var" / name).is_dir() else 0o600
        assert bits == wanted, (name, oct(bits))


def test_a_private_training_calendar_is_0600(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    text = config.read_text().replace("# private = true", "private = true")
    config.write_text(text)
    assert racecal(config, "db", "upgrade").returncode == 0
    done = racecal(config, "sync", "--once", "--now", NOW)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "var" / "training.ics") == 0o600
    assert mode(tmp_path / "var" / "racecal.db") == 0o600


def test_the_google_token_is_0600_even_over_a_leftover_temp_file(tmp_path: Path) -> None:
    token = tmp_path / "tokens" / "alex-google.json"
    token.parent.mkdir()
    # What an earlier writer, killed before its rename, may have left, at a wider mode.
    for leftover in (token.with_suffix(".tmp"), tmp_path / "tokens" / ".alex-google.json.tmp"):
        leftover.write_text("{}")
        leftover.chmod(0o644)
    before = os.umask(0)
    try:
        save_token(token, '{"refresh_token": "secret"}')
    finally:
        os.umask(before)
    assert mode(token) == 0o600
    assert token.read_text() == '{"refresh_token": "secret"}'
    # The writer made a new temp file of its own and left none behind.
    assert sorted(p.name for p in token.parent.iterdir()) == sorted(
        ["alex-google.json", "alex-google.tmp", ".alex-google.json.tmp"]
    )


def test_a_token_folder_racecal_makes_is_0700(tmp_path: Path) -> None:
    token = tmp_path / "tokens" / "alex-google.json"
    save_token(token, "{}")
    assert mode(token.parent) == 0o700
    assert mode(token) == 0o600
