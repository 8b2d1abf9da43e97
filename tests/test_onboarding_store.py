"""Secrets and invites in the store (service.store.secrets, service.store.onboarding), on SQLite
and PostgreSQL, and their commands: `racecal athlete invite`, `racecal secrets new-key|rotate`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import text

from service.cli.main import main
from service.config.load import load_config
from service.store import onboarding, secrets
from service.store.database import Store
from service.store.onboarding import InviteError
from service.store.secrets import SecretError
from tests.support import example_workspace

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=UTC)
TOKEN = {"refresh_token": "1//refresh-secret", "client_id": "cid", "client_secret": "cs"}


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(store_url, tmp_path)
    opened.upgrade()
    yield opened
    opened.engine.dispose()


def key_file(path: Path, *keys: str, mode: int = 0o600) -> Path:
    path.write_text("# newest first\n" + "\n".join(keys) + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def everything(store: Store) -> str:
    """Every value in the two tables, as text: what a copy of the database would give away."""
    with store.engine.connect() as c:
        rows = [
            *c.execute(text("SELECT * FROM invites")),
            *c.execute(text("SELECT * FROM google_tokens")),
        ]
    return repr(rows)


def test_a_sealed_token_opens_again_and_the_store_never_holds_it_plain(
    store: Store, tmp_path: Path
) -> None:
    sealer = secrets.sealer(key_file(tmp_path / "k", Fernet.generate_key().decode()), None, {})
    onboarding.save_google(store, sealer, "alex", TOKEN, NOW)
    assert onboarding.google(store, sealer, "alex") == TOKEN
    assert onboarding.google(store, sealer, "sam") is None
    assert "refresh-secret" not in everything(store)


def test_a_wrong_key_fails_cleanly(store: Store, tmp_path: Path) -> None:
    first = secrets.parse(Fernet.generate_key().decode(), "first")
    onboarding.save_google(store, first, "alex", TOKEN, NOW)
    other = secrets.sealer(None, "KEYS", {"KEYS": Fernet.generate_key().decode()})
    with pytest.raises(SecretError, match=r"^\$KEYS: no key opens a sealed secret"):
        onboarding.google(store, other, "alex")
    with pytest.raises(SecretError, match=r"^\$KEYS: no key opens"):
        onboarding.reseal_all(store, other)
    assert onboarding.google(store, first, "alex") == TOKEN  # nothing was changed


def test_rotation_keeps_old_tokens_readable_then_reseals_them(store: Store) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    onboarding.save_google(store, secrets.parse(old, "k"), "alex", TOKEN, NOW)
    both = secrets.parse(f"{new}\n{old}", "k")
    assert onboarding.google(store, both, "alex") == TOKEN
    assert onboarding.reseal_all(store, both) == 1
    only_new = secrets.parse(new, "k")
    assert onboarding.google(store, only_new, "alex") == TOKEN
    with pytest.raises(SecretError):
        onboarding.google(store, secrets.parse(old, "k"), "alex")


def test_an_invite_works_once_for_its_athlete_until_it_expires(store: Store) -> None:
    token = onboarding.invite(store, "alex", NOW, hours=2)
    assert onboarding.athlete_of(store, token, NOW) == "alex"
    assert onboarding.consume(store, token, NOW + timedelta(minutes=5)) == "alex"
    with pytest.raises(InviteError) as used:
        onboarding.consume(store, token, NOW + timedelta(minutes=6))
    assert used.value.reason == "used"
    with pytest.raises(InviteError) as used_look:
        onboarding.athlete_of(store, token, NOW + timedelta(minutes=6))
    assert used_look.value.reason == "used"

    late = onboarding.invite(store, "alex", NOW, hours=2)
    with pytest.raises(InviteError) as expired:
        onboarding.consume(store, late, NOW + timedelta(hours=2))
    assert expired.value.reason == "expired"
    with pytest.raises(InviteError) as unknown:
        onboarding.consume(store, late + "x", NOW)
    assert unknown.value.reason == "unknown"
    # Only digests are kept.
    held = everything(store)
    assert token not in held
    assert late not in held
    assert hashlib.sha256(token.encode()).hexdigest() in held


def test_key_files_others_can_read_and_bad_keys_are_one_line_errors(tmp_path: Path) -> None:
    loose = key_file(tmp_path / "loose.key", Fernet.generate_key().decode(), mode=0o640)
    with pytest.raises(SecretError, match=rf"^{loose}: the key file is readable by others"):
        secrets.sealer(loose, None, {})
    with pytest.raises(SecretError, match=r"key 2 is not a Fernet key"):
        secrets.parse(f"{Fernet.generate_key().decode()}\nnot-a-key", "k")
    with pytest.raises(SecretError, match=r"no key file"):
        secrets.sealer(tmp_path / "none.key", None, {})
    with pytest.raises(SecretError, match=r"^\$NOPE: not set"):
        secrets.sealer(None, "NOPE", {})
    # The variable wins over the file when set.
    from_env = secrets.sealer(loose, "KEYS", {"KEYS": Fernet.generate_key().decode()})
    assert from_env.where == "$KEYS"


def run(env: dict[str, str], config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], env=env)


def test_invite_and_rotate_on_the_command_line(tmp_path: Path, store_url: str) -> None:
    config = example_workspace(tmp_path / "ws")
    env = {"RACECAL_DATABASE_URL": store_url, "RACECAL_SECRET_KEY_FILE": "secret.key"}
    refused = run(env, config, "athlete", "invite", "alex")
    assert refused.exit_code == 2
    assert "service.public_url: needed for invite links" in refused.output

    env["RACECAL_PUBLIC_URL"] = "https://racecal.example.com/"
    made = run(env, config, "athlete", "invite", "alex", "--hours", "1")
    assert made.exit_code == 0, made.output
    link = urlsplit(made.output.strip())
    assert link.netloc == "racecal.example.com"
    assert link.path == "/connect/google"
    token = parse_qs(link.query)["invite"][0]
    assert run(env, config, "athlete", "invite", "nobody").exit_code == 1

    loaded = load_config(config, env)
    store = Store.open(loaded.service.database_url, loaded.state_dir)
    assert onboarding.athlete_of(store, token, datetime.now(UTC)) == "alex"
    with pytest.raises(InviteError, match="expired"):
        onboarding.athlete_of(store, token, datetime.now(UTC) + timedelta(hours=1.1))

    assert run(env, config, "secrets", "new-key").exit_code == 0
    path = config.parent / "secret.key"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    old = secrets.sealer(path, None, {})
    onboarding.save_google(store, old, "alex", TOKEN, NOW)
    assert run(env, config, "secrets", "new-key").exit_code == 0
    rotated = run(env, config, "secrets", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "1 token(s) sealed" in rotated.output
    newest = path.read_text(encoding="utf-8").splitlines()[0]
    assert onboarding.google(store, secrets.parse(newest, "k"), "alex") == TOKEN
    store.engine.dispose()
