"""An install without the google extra (so without `cryptography`): the service, `racecal
athlete` and the HTTP endpoint work as before onboarding on the web came; only what reads
the sealing keys says the package is missing. Seen: `racecal run` and every `racecal athlete`
command stopped with a ModuleNotFoundError on such an install. Run in a fresh interpreter in
which importing cryptography fails, as it does where it is not installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import example_workspace

WITHOUT = (
    "import sys\n"
    "for name in ('cryptography', 'cryptography.fernet'):\n"
    "    sys.modules[name] = None  # what an import finds where it is not installed\n"
    "from service.cli.main import main\n"
    "def racecal(*args):\n"
    "    try:\n"
    "        main(list(args))\n"
    "    except SystemExit as exc:\n"
    "        return exc.code or 0\n"
    "    return 0\n"
)


def without_cryptography(code: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT + code],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_service_and_athlete_commands_need_no_cryptography(tmp_path: Path) -> None:
    config = example_workspace(tmp_path / "ws")
    code = (
        f"config = {str(config)!r}\n"
        "assert racecal('db', 'upgrade', '--config', config) == 0\n"
        "assert racecal('run', '--help') == 0\n"
        "assert racecal('athlete', 'list', '--config', config) == 0\n"
        "import urllib.request\n"
        "from service.config.load import load_config\n"
        "from service.daemon.health import ServiceState\n"
        "from service.daemon.metrics import Metrics\n"
        "from service.daemon.runner import Daemon\n"
        "from service.daemon.web import WebServer\n"
        "from service.store.database import Store\n"
        "loaded = load_config(__import__('pathlib').Path(config), env={})\n"
        "store = Store.open(loaded.service.database_url, loaded.state_dir)\n"
        "state = ServiceState(['alex'], store, 3600)\n"
        "web = WebServer(('127.0.0.1', 0), loaded, state, Metrics())\n"
        "web.start()\n"
        "url = 'http://{}:{}/athletes/alex?today=2027-01-11'.format(*web.address)\n"
        "with urllib.request.urlopen(url, timeout=30) as page:\n"
        "    print(page.status, 'Training plan: alex' in page.read().decode())\n"
        "web.stop()\n"
    )
    assert without_cryptography(code, tmp_path).splitlines()[-1] == "200 True"


def test_doctor_says_the_package_is_missing_when_keys_are_configured(tmp_path: Path) -> None:
    config = example_workspace(tmp_path / "ws")
    (config.parent / "secret.key").write_text("a key\n")
    (config.parent / "secret.key").chmod(0o600)
    text = config.read_text().replace("[service]\n", '[service]\nsecret_key_file = "secret.key"\n')
    config.write_text(text)
    code = f"print('exit', racecal('doctor', '--config', {str(config)!r}))\n"
    lines = without_cryptography(code, tmp_path).splitlines()
    assert (
        "fail  secret keys: the cryptography package is missing: pip install 'racecal[google]'"
        in lines
    )
    assert lines[-1] == "exit 1"
