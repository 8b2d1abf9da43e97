"""The install the README describes for the system service: `make dist` builds a wheel that
carries the example config and its calendars, a venv in /opt/racecal (here a scratch folder
standing in for it) runs it, the example config copied alone runs, and `status` reads the
service's store without ever making one of its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from service.config.load import SYSTEM_CONFIG_DIR, SYSTEM_STATE_DIR, state_dir

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "racecal.service"
PREFIX = Path("/opt/racecal")
NOW = "2027-01-11T05:00:00+01:00"


def unit_settings(path: Path = UNIT) -> dict[str, str]:
    return dict(
        line.strip().split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )


def service_block() -> str:
    """The shell block of the README's "Run it as a service" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Run it as a service", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return block.group(1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make dist`, run by make on this checkout with this test venv (no build isolation: the
    test extra has setuptools, and the build then needs no index)."""
    dist = tmp_path_factory.mktemp("dist")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            "make",
            "-s",
            "-o",
            f"{bin_dir}/racecal",
            "dist",
            f"BIN={bin_dir}",
            f"DIST={dist}",
            "WHEEL_FLAGS=--no-build-isolation",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("racecal-*.whl")
    return built


@pytest.fixture(scope="module")
def opt(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv standing in for /opt/racecal with the wheel installed in it; its dependencies
    come from this test venv (a .pth line) rather than the index."""
    prefix = tmp_path_factory.mktemp("opt") / "racecal"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True, timeout=120
    )
    purelib = Path(sysconfig.get_path("purelib"))
    (site,) = prefix.glob("lib/python3*/site-packages")
    (site / "test-dependencies.pth").write_text(f"{purelib}\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(prefix / "bin" / "python")]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return prefix


def racecal(
    opt: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed racecal in a shell that has no systemd variables of its own."""
    clean = {k: v for k, v in os.environ.items() if k not in ("STATE_DIRECTORY", "RACECAL_CONFIG")}
    return subprocess.run(
        [str(opt / "bin" / "racecal"), *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_wheel_carries_the_example_config_and_its_calendars(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    data = "racecal-0.1.0.data/data/share/racecal/"
    for name in ("config.example.toml", "examples/races.ics", "examples/busy.ics"):
        assert data + name in names, name
        inside = zipfile.ZipFile(wheel).read(data + name)
        assert inside == (ROOT / name).read_bytes()
    assert "scheduler/plan.py" in names
    assert not any(n.startswith(("tests/", "examples/", "deploy/")) for n in names)


def test_the_unit_runs_the_racecal_the_readme_installs(opt: Path) -> None:
    settings = unit_settings()
    binary, *args = settings["ExecStart"].split()
    assert Path(binary) == PREFIX / "bin" / "racecal"
    # What the README installs: that venv, the wheel in it, the config where the unit reads it.
    block = service_block()
    assert f"python3 -m venv {PREFIX}\n" in block
    assert f"{PREFIX}/bin/pip install dist/racecal-" in block
    assert f"{PREFIX}/share/racecal/config.example.toml /etc/racecal/config.toml" in block
    assert "sudo pip" not in block
    assert f"{PREFIX}/bin/racecal status --config /etc/racecal/config.toml" in block
    # The stand-in venv holds that racecal, and it runs.
    installed = opt / Path(binary).relative_to(PREFIX)
    helped = subprocess.run(
        [str(installed), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert helped.returncode == 0, helped.stderr
    # The unit's folders are the ones racecal takes for a config in /etc/racecal.
    assert args == ["run", "--config", str(SYSTEM_CONFIG_DIR / "config.toml")]
    assert Path("/etc") / settings["ConfigurationDirectory"] == SYSTEM_CONFIG_DIR
    assert Path("/var/lib") / settings["StateDirectory"] == SYSTEM_STATE_DIR
    assert Path(settings["WorkingDirectory"]) == SYSTEM_STATE_DIR


def test_a_config_in_etc_racecal_keeps_its_state_where_the_service_does() -> None:
    config = SYSTEM_CONFIG_DIR / "config.toml"
    # The service: systemd says where (StateDirectory=racecal).
    assert state_dir(config, {"STATE_DIRECTORY": "/var/lib/racecal"}) == SYSTEM_STATE_DIR
    # An admin's shell: no $STATE_DIRECTORY, the same folder all the same.
    assert state_dir(config, {}) == Path("/var/lib/racecal")
    # Anywhere else the config's own folder stays the default; $STATE_DIRECTORY still wins.
    assert state_dir(Path("/srv/racecal/config.toml"), {}) == Path("/srv/racecal")
    assert state_dir(Path("racecal.toml"), {}) == Path()
    assert state_dir(config, {"STATE_DIRECTORY": "/run/x:/run/y"}) == Path("/run/x")


def test_the_example_config_copied_alone_runs_and_status_only_reads(
    opt: Path, tmp_path: Path
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "config.toml"
    config.write_bytes((opt / "share" / "racecal" / "config.example.toml").read_bytes())
    state = tmp_path / "state"
    state.mkdir()
    # The service's view: systemd's $STATE_DIRECTORY; the example calendars come from the
    # install, since there are none beside the config.
    service = {"STATE_DIRECTORY": str(state)}
    synced = racecal(opt, "sync", "--once", "--config", str(config), "--now", NOW, env=service)
    assert synced.returncode == 0, synced.stderr
    assert (state / "var" / "racecal.db").is_file()
    assert "BEGIN:VEVENT" in (state / "var" / "training.ics").read_text(encoding="utf-8")
    assert sorted(p.name for p in etc.iterdir()) == ["config.toml"]
    shown = racecal(opt, "status", "--json", "--config", str(config), env=service)
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)
    assert (row["last_result"], row["races_seen"]) == ("ok", 3)
    # Without the service's folder racecal says where it looked, and makes no store there.
    looked = racecal(opt, "status", "--json", "--config", str(config), cwd=tmp_path)
    assert looked.returncode == 0, looked.stderr
    assert json.loads(looked.stdout)[0]["last_result"] == "never run"
    assert (
        looked.stderr == f"racecal: no store at {etc / 'var' / 'racecal.db'} yet: no pass has run\n"
    )
    assert sorted(p.name for p in etc.iterdir()) == ["config.toml"]


def test_only_the_example_calendars_fall_back_to_the_installed_ones(
    opt: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    installed = opt / "share" / "racecal" / "examples"

    def resolved(text: str) -> list[str]:
        config.write_text(text, encoding="utf-8")
        code = (
            "import sys; from pathlib import Path; from service.config.load import load_config;"
            "e = load_config(Path(sys.argv[1])).athletes[0]; print(e.race_ics[0]); "
            "print(e.busy_ics[0])"
        )
        shown = subprocess.run(
            [str(opt / "bin" / "python"), "-c", code, str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return shown.stdout.splitlines()

    assert resolved(example) == [str(installed / "races.ics"), str(installed / "busy.ics")]
    # A calendar of one's own beside the config wins.
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "races.ics").write_bytes((ROOT / "examples/races.ics").read_bytes())
    assert resolved(example) == [
        str(tmp_path / "examples" / "races.ics"),
        str(installed / "busy.ics"),
    ]
    # Any other missing file stays where the config says, to be reported as missing.
    mine = example.replace('"examples/busy.ics"', '"calendars/busy.ics"')
    assert resolved(mine)[1] == str(tmp_path / "calendars" / "busy.ics")
